"""Load and validate the control catalogue (catalogue/controls.yaml).

Everything else (CDK stacks, conformance packs, the Prowler mapping, docs, tests) reads controls
through `load_catalogue()`. A bad entry fails with a message naming the entry and the field.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import resource_types as registry

REPO_ROOT = Path(__file__).resolve().parent.parent
# libyaml's parser where PyYAML was built with it (its wheels are): the same safe schema, about ten times faster.
SAFE_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_CATALOGUE = Path(__file__).resolve().parent / "controls.yaml"

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
FRAMEWORKS = ("cis_aws_v3.0", "aws_fsbp", "iso27001_2022", "bsi_c5_2020", "gdpr")
FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
# Filled by the deployment with the runbook's own role, never by the catalogue.
ASSUME_ROLE_PARAMETER = "AutomationAssumeRole"
# Every runbook's preview switch; remediation configurations always pass false (infra/config_resources.py).
DRY_RUN_PARAMETER = "DryRun"
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


class CatalogueError(ValueError):
    """One or more catalogue entries are invalid; the message lists every problem found."""


@dataclass(frozen=True)
class ParameterSource:
    """Where a runbook parameter's value comes from: `resource` id, a `rule_parameter`, a fixed `value`, or a
    CDK `context` key (set at synth: the parameter then takes its value; unset: the runbook's default)."""

    kind: str
    value: str = ""


@dataclass(frozen=True)
class Detection:
    rule: str
    trigger: str  # "change" or "periodic"
    resource_types: tuple[str, ...]
    frequency: str | None
    parameters: dict[str, str]


@dataclass(frozen=True)
class Remediation:
    runbook: str
    automatic: bool  # what the deployment does: false while a context key of `automatic_requires` is unresolved
    destructive: bool
    maximum_attempts: int
    retry_attempt_seconds: int
    parameters: dict[str, ParameterSource]
    # CDK context keys that must be set for the remediation to be automatic (see `deployed`); none: as declared.
    automatic_requires: tuple[str, ...] = ()
    declared_automatic: bool = False  # remediation.automatic as the catalogue entry says it


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    severity: str
    frameworks: dict[str, tuple[str, ...]]
    detection: Detection
    remediation: Remediation
    prowler_checks: tuple[str, ...]
    prowler_legacy_checks: tuple[str, ...]
    home_region_only: bool = False  # account-global resources (IAM): rule and remediation in the home region only

    @property
    def resource_type(self) -> str:
        """The resource type the rule evaluates (and the remediation targets)."""
        return self.detection.resource_types[0]


@dataclass(frozen=True)
class RuleModule:
    """What the build needs to know of config_rules/<name>/rule.py, read without importing it."""

    name: str
    folder: Path
    applicable_resources: tuple[str, ...]
    iam_actions: tuple[str, ...]


@dataclass(frozen=True)
class ServiceActions:
    """IAM actions a runbook's role needs that its code never calls: an AWS service makes them with the role's
    credentials while serving one of the runbook's calls (e.g. EBS creating a KMS grant for a new encrypted
    volume), or authorises them as part of such a call. Granted only under `conditions` (an IAM Condition
    block; "{partition}", "{region}" and "{account}" are filled at synth) on `resources`."""

    actions: tuple[str, ...]
    reason: str
    docs: str
    conditions: dict = field(default_factory=dict)
    resources: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class Runbook:
    """ssm_documents/<name>/: document.yaml (source) and script.py (embedded at synth)."""

    name: str
    folder: Path
    document: dict
    script_functions: frozenset[str]
    iam_actions: tuple[str, ...]
    # From the catalogue's `runbooks.<name>.service_actions`: the role's grants no code of the runbook calls.
    service_actions: tuple[ServiceActions, ...] = ()

    @property
    def service_action_names(self) -> frozenset[str]:
        return frozenset(a for grant in self.service_actions for a in grant.actions)

    @property
    def parameters(self) -> dict[str, dict]:
        return self.document.get("parameters") or {}

    @property
    def document_stem(self) -> str:
        """CamelCase name used for the deployed SSM document, e.g. SetIamPasswordPolicy."""
        return "".join(part.capitalize() for part in self.name.split("_"))


@dataclass
class Catalogue:
    controls: list[Control]
    rules: dict[str, RuleModule] = field(default_factory=dict)
    runbooks: dict[str, Runbook] = field(default_factory=dict)

    def control(self, control_id: str) -> Control:
        for control in self.controls:
            if control.id == control_id:
                return control
        raise KeyError(control_id)

    def prowler_check_map(self) -> dict[str, str]:
        """Prowler check id (current and legacy v2) -> control id."""
        return {
            check: control.id
            for control in self.controls
            for check in (*control.prowler_checks, *control.prowler_legacy_checks)
        }


def read_yaml(text: str) -> object:
    """YAML text parsed with the safe schema (yaml.safe_load's), by libyaml where it is available."""
    return yaml.load(text, Loader=SAFE_YAML_LOADER)  # noqa: S506 - SafeLoader or CSafeLoader


def _module_constants(path: Path) -> tuple[dict[str, object], frozenset[str]]:
    """Literal module-level constants and top-level function names of a Python file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    constants: dict[str, object] = {}
    functions = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions.add(node.name)
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            targets = [node.target.id]
        for name in targets:
            try:
                constants[name] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return constants, frozenset(functions)


def load_rule_module(name: str, root: Path = REPO_ROOT) -> RuleModule:
    folder = root / "config_rules" / name
    source = folder / "rule.py"
    if not source.is_file():
        raise FileNotFoundError(f"no rule module {source.relative_to(root)}")
    constants, functions = _module_constants(source)
    if "lambda_handler" not in functions:
        raise ValueError(f"{source.relative_to(root)} defines no lambda_handler")
    return RuleModule(
        name=name,
        folder=folder,
        applicable_resources=tuple(constants.get("APPLICABLE_RESOURCES", ())),
        iam_actions=tuple(constants.get("IAM_ACTIONS", ())),
    )


def load_runbook(name: str, root: Path = REPO_ROOT) -> Runbook:
    folder = root / "ssm_documents" / name
    document_path, script_path = folder / "document.yaml", folder / "script.py"
    for path in (document_path, script_path):
        if not path.is_file():
            raise FileNotFoundError(f"no runbook file {path.relative_to(root)}")
    document = read_yaml(document_path.read_text())
    if not isinstance(document, dict):
        raise ValueError(f"{document_path.relative_to(root)} is not a YAML mapping")
    constants, functions = _module_constants(script_path)
    return Runbook(
        name=name,
        folder=folder,
        document=document,
        script_functions=functions,
        iam_actions=tuple(constants.get("IAM_ACTIONS", ())),
    )


class _Entry:
    """Reads one raw entry, recording every problem as '<control id>: <field>: <message>'."""

    def __init__(self, raw: dict, index: int, errors: list[str]) -> None:
        self.raw = raw
        self.name = str(raw.get("id") or f"entry #{index + 1}")
        self.errors = errors

    def error(self, field_name: str, message: str) -> None:
        self.errors.append(f"control '{self.name}': field '{field_name}': {message}")

    def get(self, path: str, kind: type | tuple[type, ...], default: object = ...) -> object:
        value: object = self.raw
        for part in path.split("."):
            value = value.get(part, ...) if isinstance(value, dict) else ...
        if value is ...:
            if default is ...:
                self.error(path, "is required")
            return default
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.error(path, f"must be {getattr(kind, '__name__', kind)}, got {value!r}")
            return default if default is not ... else None
        return value


def _parse_identity(entry: _Entry) -> tuple[str | None, str | None, dict]:
    """id, severity and frameworks of an entry, each checked."""
    control_id = entry.get("id", str)
    if control_id and not (set(control_id) <= _ID_CHARS and control_id[0].isalpha()):
        entry.error("id", "use lower-case letters, digits and hyphens, starting with a letter")
    severity = entry.get("severity", str)
    if severity and severity not in SEVERITIES:
        entry.error("severity", f"must be one of {', '.join(SEVERITIES)}")
    frameworks = entry.get("frameworks", dict) or {}
    for key, ids in frameworks.items():
        if key not in FRAMEWORKS:
            entry.error(f"frameworks.{key}", f"unknown framework; known: {', '.join(FRAMEWORKS)}")
        elif not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            entry.error(f"frameworks.{key}", "must be a list of requirement ids (strings)")
    return control_id, severity, frameworks


def _parse_detection(entry: _Entry) -> dict:
    """Detection's fields but the rule: the trigger (change on resource types, or periodic), the rule parameters."""
    trigger = entry.get("detection.trigger", dict) or {}
    frequency, resource_types, kind = None, (), ""
    if set(trigger) == {"change"} and isinstance(trigger["change"], list) and trigger["change"]:
        kind, resource_types = "change", tuple(trigger["change"])
    elif set(trigger) == {"periodic"}:
        kind, frequency = "periodic", trigger["periodic"]
        if frequency not in FREQUENCIES:
            entry.error("detection.trigger.periodic", f"must be one of {', '.join(FREQUENCIES)}")
        resource_type = entry.get("detection.resource_type", str)
        resource_types = (resource_type,) if resource_type else ()
    elif trigger:
        entry.error("detection.trigger", "must be {change: [resource types]} or {periodic: <frequency>}")
    rule_parameters = entry.get("detection.parameters", dict, {}) or {}
    for key, value in rule_parameters.items():
        if not isinstance(value, str):
            entry.error(f"detection.parameters.{key}", "rule parameters are strings (quote numbers and booleans)")
    return {
        "trigger": kind,
        "resource_types": resource_types,
        "frequency": frequency,
        "parameters": dict(rule_parameters),
    }


def _parse_remediation_policy(entry: _Entry) -> dict:
    """Remediation's fields but the runbook and parameters: whether it is automatic, destructive, its attempts."""
    automatic = entry.get("remediation.automatic", bool)
    destructive = entry.get("remediation.destructive", bool)
    requires = entry.get("remediation.automatic_requires", list, []) or []
    if not all(isinstance(key, str) and key.startswith("remedy:") for key in requires):
        entry.error("remediation.automatic_requires", "must be a list of CDK context keys (remedy:...)")
    elif requires and not automatic:
        entry.error("remediation.automatic_requires", "only an automatic remediation can require context")
    if automatic and destructive and entry.get("remediation.allow_destructive_automatic", bool, False) is not True:
        entry.error(
            "remediation.automatic",
            "a destructive remediation is never automatic unless allow_destructive_automatic: true",
        )
    attempts = entry.get("remediation.maximum_attempts", int)
    if isinstance(attempts, int) and not 1 <= attempts <= 25:
        entry.error("remediation.maximum_attempts", "must be between 1 and 25 (AWS Config's limit)")
    seconds = entry.get("remediation.retry_attempt_seconds", int)
    if isinstance(seconds, int) and not 1 <= seconds <= 2678000:
        entry.error("remediation.retry_attempt_seconds", "must be between 1 and 2678000")
    return dict(
        # Unresolved context (a catalogue read outside a deployment) never makes a remediation automatic.
        automatic=bool(automatic) and not requires,
        automatic_requires=tuple(requires),
        declared_automatic=bool(automatic),
        destructive=destructive,
        maximum_attempts=attempts,
        retry_attempt_seconds=seconds,
    )


def _parse_parameter_sources(entry: _Entry, rule_parameters: dict) -> dict[str, ParameterSource]:
    """remediation.parameters: where each runbook parameter's value comes from."""
    sources: dict[str, ParameterSource] = {}
    for key, spec in (entry.get("remediation.parameters", dict, {}) or {}).items():
        where = f"remediation.parameters.{key}"
        if spec == {"resource": "id"}:
            sources[key] = ParameterSource("resource")
        elif isinstance(spec, dict) and set(spec) == {"rule_parameter"}:
            if spec["rule_parameter"] not in rule_parameters:
                entry.error(where, f"rule parameter '{spec['rule_parameter']}' is not in detection.parameters")
            sources[key] = ParameterSource("rule_parameter", str(spec["rule_parameter"]))
        elif isinstance(spec, dict) and set(spec) == {"value"} and isinstance(spec["value"], str):
            sources[key] = ParameterSource("value", spec["value"])
        elif isinstance(spec, dict) and set(spec) == {"context"} and str(spec["context"]).startswith("remedy:"):
            sources[key] = ParameterSource("context", str(spec["context"]))
        else:
            entry.error(
                where, "must be {resource: id}, {rule_parameter: <name>}, {value: <string>} or {context: remedy:...}"
            )
    return sources


def _parse_control(entry: _Entry) -> Control | None:
    """The entry as a Control, or None when any of its fields is invalid (the errors are on `entry`)."""
    errors_before = len(entry.errors)
    control_id, severity, frameworks = _parse_identity(entry)
    detection = _parse_detection(entry)
    remediation = _parse_remediation_policy(entry)
    sources = _parse_parameter_sources(entry, detection["parameters"])
    checks = entry.get("prowler.checks", list, []) or []
    legacy = entry.get("prowler.legacy_checks", list, []) or []
    home_region_only = entry.get("home_region_only", bool, False)
    if len(entry.errors) > errors_before:
        return None
    return Control(
        id=control_id,
        title=entry.get("title", str),
        severity=severity,
        frameworks={key: tuple(ids) for key, ids in frameworks.items()},
        detection=Detection(rule=entry.get("detection.rule", str), **detection),
        remediation=Remediation(runbook=entry.get("remediation.runbook", str), parameters=sources, **remediation),
        prowler_checks=tuple(checks),
        prowler_legacy_checks=tuple(legacy),
        home_region_only=bool(home_region_only),
    )


def _check_code(control: Control, catalogue: Catalogue, root: Path, errors: list[str]) -> None:
    """Cross-check an entry against its rule module and runbook."""

    def error(field_name: str, message: str) -> None:
        errors.append(f"control '{control.id}': field '{field_name}': {message}")

    rule_name, runbook_name = control.detection.rule, control.remediation.runbook
    if rule_name not in catalogue.rules:
        try:
            catalogue.rules[rule_name] = load_rule_module(rule_name, root)
        except (FileNotFoundError, ValueError, SyntaxError) as problem:
            error("detection.rule", f"unknown rule module '{rule_name}' ({problem})")
    rule = catalogue.rules.get(rule_name)
    if rule and control.detection.trigger == "change":
        missing = set(control.detection.resource_types) - set(rule.applicable_resources)
        if missing:
            error("detection.trigger.change", f"{sorted(missing)} not in the rule's APPLICABLE_RESOURCES")
    unregistered = [t for t in control.detection.resource_types if not registry.registered(t)]
    if unregistered:
        field = "detection.trigger.change" if control.detection.trigger == "change" else "detection.resource_type"
        error(field, f"{unregistered} not in the resource-type registry (add a package under resource_types/)")

    if runbook_name not in catalogue.runbooks:
        try:
            catalogue.runbooks[runbook_name] = load_runbook(runbook_name, root)
        except (FileNotFoundError, ValueError, SyntaxError, yaml.YAMLError) as problem:
            error("remediation.runbook", f"unknown runbook '{runbook_name}' ({problem})")
    runbook = catalogue.runbooks.get(runbook_name)
    if not runbook:
        return
    declared = runbook.parameters
    if ASSUME_ROLE_PARAMETER not in declared:
        error("remediation.runbook", f"runbook '{runbook_name}' has no {ASSUME_ROLE_PARAMETER} parameter")
    if ASSUME_ROLE_PARAMETER in control.remediation.parameters:
        error(
            f"remediation.parameters.{ASSUME_ROLE_PARAMETER}",
            "is filled by the deployment, not the catalogue",
        )
    for name in control.remediation.parameters:
        if name not in declared:
            error(f"remediation.parameters.{name}", f"runbook '{runbook_name}' has no such parameter")
    for name, spec in declared.items():
        if name == ASSUME_ROLE_PARAMETER or "default" in (spec or {}):
            continue
        if name not in control.remediation.parameters:
            error("remediation.parameters", f"runbook parameter '{name}' is left unfilled")
    if DRY_RUN_PARAMETER in control.remediation.parameters:
        error(f"remediation.parameters.{DRY_RUN_PARAMETER}", "remediations always pass false; preview by hand")
    approves = any(step.get("action") == "aws:approve" for step in runbook.document.get("mainSteps") or [])
    if control.remediation.destructive and not approves:
        error("remediation.destructive", f"runbook '{runbook_name}' has no aws:approve step before its first change")
    if approves and not control.remediation.destructive:
        error("remediation.destructive", f"runbook '{runbook_name}' waits for approval: its control is destructive")
    if sum(1 for s in control.remediation.parameters.values() if s.kind == "resource") != 1:
        error("remediation.parameters", "exactly one parameter must take the resource id ({resource: id})")


def _parse_service_actions(raw: object, name: str, errors: list[str]) -> tuple[ServiceActions, ...]:
    """runbooks.<name>.service_actions: a list of {actions, reason, docs, conditions?, resources?}."""
    where = f"runbooks.{name}.service_actions"
    grants = []
    for index, item in enumerate(raw if isinstance(raw, list) else [None]):
        actions = item.get("actions") if isinstance(item, dict) else None
        problems = (
            [
                not isinstance(actions, list)
                or not actions
                or not all(isinstance(a, str) and ":" in a for a in actions),
                any("*" in a for a in actions or []),
                not all(isinstance(item.get(k), str) and item.get(k) for k in ("reason", "docs")),
                not item.get("docs", "").startswith("https://docs.aws.amazon.com/"),
                set(item) - {"actions", "reason", "docs", "conditions", "resources"},
            ]
            if isinstance(item, dict)
            else [True]
        )
        if any(problems):
            errors.append(
                f"{where}[{index}]: needs actions (explicit service:Action names), a reason and the AWS docs "
                "(https://docs.aws.amazon.com/...) saying the service needs them; optional conditions, resources"
            )
            continue
        grants.append(
            ServiceActions(
                actions=tuple(actions),
                reason=item["reason"],
                docs=item["docs"],
                conditions=dict(item.get("conditions") or {}),
                resources=tuple(item.get("resources") or ("*",)),
            )
        )
    return tuple(grants)


def _attach_runbook_declarations(raw: object, catalogue: Catalogue, errors: list[str]) -> None:
    """The top-level `runbooks` section: per runbook folder, its service_actions."""
    if raw is None:
        return
    if not isinstance(raw, dict):
        errors.append("runbooks: must be a mapping of runbook name -> {service_actions: [...]}")
        return
    for name, declaration in raw.items():
        if name not in catalogue.runbooks:
            errors.append(f"runbooks.{name}: no control uses runbook '{name}'")
            continue
        if not isinstance(declaration, dict) or set(declaration) != {"service_actions"}:
            errors.append(f"runbooks.{name}: must be {{service_actions: [...]}}")
            continue
        grants = _parse_service_actions(declaration["service_actions"], name, errors)
        catalogue.runbooks[name] = dataclasses.replace(catalogue.runbooks[name], service_actions=grants)


def deployed(catalogue: Catalogue, context: Callable[[str], object]) -> Catalogue:
    """The catalogue as one deployment runs it: `context` (CDK's try_get_context) fills {context: ...} runbook
    parameters (an unset key leaves the parameter to the runbook's default), and a remediation that requires
    context keys is automatic only when all of them are set, else the Remediate button."""
    controls = []
    for control in catalogue.controls:
        remediation = control.remediation
        parameters = {}
        for name, source in remediation.parameters.items():
            if source.kind != "context":
                parameters[name] = source
            elif context(source.value):
                parameters[name] = ParameterSource("value", str(context(source.value)))
        automatic = remediation.declared_automatic and all(context(key) for key in remediation.automatic_requires)
        remediation = dataclasses.replace(remediation, parameters=parameters, automatic=automatic)
        controls.append(dataclasses.replace(control, remediation=remediation))
    return Catalogue(controls=controls, rules=dict(catalogue.rules), runbooks=dict(catalogue.runbooks))


def load_catalogue(path: Path | str | None = None, root: Path | str | None = None) -> Catalogue:
    """Read, validate and return the catalogue; raise CatalogueError listing every problem."""
    path = Path(path) if path else DEFAULT_CATALOGUE
    root = Path(root) if root else REPO_ROOT
    try:
        raw = read_yaml(path.read_text())
    except (OSError, yaml.YAMLError) as problem:
        raise CatalogueError(f"cannot read catalogue {path}: {problem}") from problem
    entries = raw.get("controls") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{path}: expected a top-level 'controls' list")

    errors: list[str] = []
    catalogue = Catalogue(controls=[])
    seen: dict[str, int] = {}
    check_owner: dict[str, str] = {}
    rule_home: dict[str, tuple[bool, str]] = {}  # rule module -> (home_region_only, first control using it)
    for index, raw_entry in enumerate(entries):
        if not isinstance(raw_entry, dict):
            errors.append(f"entry #{index + 1}: must be a mapping")
            continue
        entry = _Entry(raw_entry, index, errors)
        control = _parse_control(entry)
        if control is None:
            continue
        if control.id in seen:
            errors.append(f"control '{control.id}': field 'id': duplicate of entry #{seen[control.id] + 1}")
            continue
        seen[control.id] = index
        for check in (*control.prowler_checks, *control.prowler_legacy_checks):
            if check in check_owner:
                errors.append(
                    f"control '{control.id}': field 'prowler': check '{check}' already mapped to "
                    f"control '{check_owner[check]}'"
                )
            check_owner[check] = control.id
        home, first = rule_home.setdefault(control.detection.rule, (control.home_region_only, control.id))
        if home != control.home_region_only:
            errors.append(
                f"control '{control.id}': field 'home_region_only': rule module '{control.detection.rule}' is "
                f"shared with control '{first}', which says {str(home).lower()}; a rule function deploys either "
                "in every region or in the home region only"
            )
        _check_code(control, catalogue, root, errors)
        catalogue.controls.append(control)
    _attach_runbook_declarations(raw.get("runbooks"), catalogue, errors)
    if errors:
        raise CatalogueError(f"{path}: {len(errors)} problem(s):\n  " + "\n  ".join(errors))
    return catalogue


FRAMEWORK_TITLES = {
    "cis_aws_v3.0": "CIS v3.0",
    "aws_fsbp": "FSBP",
    "iso27001_2022": "ISO 27001:2022",
    "bsi_c5_2020": "BSI C5:2020",
    "gdpr": "GDPR",
}


def markdown_table(catalogue: Catalogue) -> str:
    """The README's control table, generated so the docs cannot drift from the catalogue."""
    lines = [
        "| Control | Severity | Frameworks | Trigger | Remediation | Prowler checks |",
        "|---|---|---|---|---|---|",
    ]
    for control in catalogue.controls:
        frameworks = "<br>".join(
            f"{FRAMEWORK_TITLES[name]} {', '.join(ids)}" for name, ids in control.frameworks.items()
        )
        detection = control.detection
        trigger = f"periodic ({detection.frequency})" if detection.trigger == "periodic" else "change"
        remediation = control.remediation
        mode = "automatic" if remediation.automatic else "manual (Remediate button)"
        if remediation.automatic_requires:
            mode = f"automatic with {', '.join(f'`{k}`' for k in remediation.automatic_requires)}, else manual"
        if remediation.destructive:
            mode += ", destructive"
        checks = ", ".join(f"`{c}`" for c in (*control.prowler_checks, *control.prowler_legacy_checks))
        lines.append(
            f"| `{control.id}`<br>{control.title} | {control.severity} | {frameworks} | "
            f"{trigger}: `{detection.rule}` | `{remediation.runbook}`, {mode} | {checks} |"
        )
    return "\n".join(lines) + "\n"


def readme_section(catalogue: Catalogue) -> str:
    """The README's generated block: the framework coverage summary, then the control table."""
    from catalogue.frameworks import markdown_coverage  # here: catalogue.frameworks imports this module

    return markdown_coverage(catalogue) + "\n" + markdown_table(catalogue)
