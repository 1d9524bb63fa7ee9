"""Turn a runbook folder into the SSM Automation document that deploys, and check it.

The source document.yaml carries no script: each aws:executeScript step gets, as `Script`, the part of
the runbook's script.py its handler needs (the handler, every top-level function and constant it reaches,
the imports those use), cut from the source text unchanged but for docstrings and comments. The module unit
tests import is the code that runs, and a document with several script steps carries each line of script.py at
most once per step that needs it, instead of the whole file in every step (SSM refuses content over 64 KB).
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib.util
import io
import json
import tokenize
from dataclasses import dataclass
from pathlib import Path

import jsonschema

import resource_types
from catalogue import DRY_RUN_PARAMETER, REPO_ROOT, Catalogue, Runbook, load_catalogue
from remedy_cli.deployment import CONTROL_ID_PARAMETER, DEFAULT_PREFIX, TRIGGER_PARAMETER
from remedy_cli.deployment import document_name as document_name  # the deployed name, shared with `remedy`

SCHEMA_PATH = REPO_ROOT / "node_modules" / "aws-ssm-document-language-service" / "dist" / "schema.json"
SCRIPT_RUNTIME = "python3.11"
# Automation actions that call an AWS API as the runbook's role: their Service/Api pairs need IAM actions.
API_ACTIONS = ("aws:executeAwsApi", "aws:waitForAwsResourceProperty", "aws:assertAwsResourceProperty")
# SSM `Service` names whose IAM prefix differs.
_IAM_PREFIX = {"elbv2": "elasticloadbalancing", "logs": "logs", "stepfunctions": "states"}


# Runbook code shared by every runbook: imports from this package are inlined by the build.
SUPPORT_PACKAGE = "ssm_documents._support"
CONTROLS_MODULE = REPO_ROOT / "ssm_documents" / "_support" / "controls.py"
# What "non-compliant" means for a control whose rule and runbook both need it: a package of the rules' layer
# (config_rules/_layer/python/compliance), inlined like the support package; its parameter tables are checked
# against the document's parameters (check_shared_parameters).
COMPLIANCE_PACKAGE = "compliance"
RULE_LAYER_PYTHON = REPO_ROOT / "config_rules" / "_layer" / "python"
# Package -> the folder it is imported from (as Lambda and the tests' pythonpath see it).
INLINED_PACKAGES = {SUPPORT_PACKAGE: REPO_ROOT, COMPLIANCE_PACKAGE: RULE_LAYER_PYTHON}
GUARD_STEP = "CheckRemedyControls"
GUARD_BRANCH = "StopIfSkippedByRemedyControls"
GUARD_HANDLER = "check_remedy_controls"

APPROVE_ACTION = "aws:approve"
# CDK context that sets the approval defaults of runbooks with an aws:approve step (destructive ones).
APPROVERS_CONTEXT = "remedy:approvers"
APPROVAL_TOPIC_CONTEXT = "remedy:approvalTopicArn"
MAX_APPROVERS = 10  # aws:approve takes at most 10 approvers


class RunbookError(ValueError):
    """A runbook is not a valid, deployable Automation document."""


def controls_parameter_name(prefix: str) -> str:
    """The SSM parameter holding an account's and region's run-time controls (pause, modes)."""
    return f"/{prefix}/remediation-controls"


@dataclass(frozen=True)
class GuardTarget:
    """What the guard of one runbook checks: the controls it serves, their resource type and resource parameter."""

    control_ids: tuple[str, ...]
    resource_type: str
    resource_parameter: str


def guard_target(catalogue: Catalogue, runbook: Runbook) -> GuardTarget:
    """The guard's target, from the catalogue controls that use `runbook` (they must agree on the resource)."""
    controls = [c for c in catalogue.controls if c.remediation.runbook == runbook.name]
    if not controls:
        raise RunbookError(f"runbook '{runbook.name}': no catalogue control uses it")
    resources = {
        (c.resource_type, name)
        for c in controls
        for name, source in c.remediation.parameters.items()
        if source.kind == "resource"
    }
    if len(resources) != 1:
        raise RunbookError(f"runbook '{runbook.name}': its controls disagree on the resource: {sorted(resources)}")
    ((resource_type, parameter),) = resources
    return GuardTarget(tuple(c.id for c in controls), resource_type, parameter)


@functools.cache
def _default_catalogue() -> Catalogue:
    return load_catalogue()


@functools.cache
def support_constants(path: Path = CONTROLS_MODULE) -> dict[str, object]:
    """The literal top-level constants of a support module (IAM_ACTIONS, TRIGGERS), read without importing it."""
    constants: dict[str, object] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return constants


@dataclass(frozen=True)
class ApprovalDefaults:
    """Defaults of the Approvers and ApprovalTopicArn parameters of a runbook that asks for approval."""

    approvers: tuple[str, ...]
    topic_arn: str = ""


def _context_list(value: object) -> list[str]:
    """A context list: a JSON list (cdk.json) or a comma-separated string (-c)."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip().startswith("[") else value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise RunbookError(f"{APPROVERS_CONTEXT} must be a list of strings or a comma-separated string, got {value!r}")
    return [item.strip() for item in value if item.strip()]


def approval_defaults(
    approvers: object, topic: object, *, prefix: str, partition: str, account: str, region: str
) -> ApprovalDefaults:
    """Approval defaults from the CDK context, in the account and region the document is deployed to.

    approvers: ARNs, used as they are, or "role/<path/name>": that role in the deploying account, so one setting
    serves every member account (default: role/<prefix>-remediation-approver). topic: an SNS topic ARN, or a
    topic name (in the deploying account and region); AWS requires the name to start with "Automation".
    """
    entries = _context_list(approvers) if approvers else [f"role/{prefix}-remediation-approver"]
    if not 1 <= len(entries) <= MAX_APPROVERS:
        raise RunbookError(f"{APPROVERS_CONTEXT} names 1 to {MAX_APPROVERS} approvers, got {len(entries)}")
    resolved = []
    for entry in entries:
        if entry.startswith("role/"):
            entry = f"arn:{partition}:iam::{account}:{entry}"
        elif not entry.startswith("arn:"):
            raise RunbookError(f"{APPROVERS_CONTEXT}: {entry!r} is neither an ARN nor role/<name>")
        resolved.append(entry)
    topic = str(topic or "").strip()
    if topic and not topic.startswith("arn:"):
        if not topic.startswith("Automation"):
            raise RunbookError(f"{APPROVAL_TOPIC_CONTEXT}: SSM needs the topic name to start with Automation")
        topic = f"arn:{partition}:sns:{region}:{account}:{topic}"
    return ApprovalDefaults(tuple(resolved), topic)


def asks_approval(document: dict) -> bool:
    """True when the document has an aws:approve step."""
    return any(step.get("action") == APPROVE_ACTION for step in document.get("mainSteps") or [])


@functools.cache
def automation_schema() -> dict:
    """AWS's JSON schema for Automation documents, with today's executeScript runtime added."""
    if not SCHEMA_PATH.is_file():
        raise RunbookError(f"{SCHEMA_PATH} is missing: run `make install` (npm ci) first")
    schema = json.loads(SCHEMA_PATH.read_text())

    def extend(node: object) -> None:
        # The shipped schema lists only python3.6/3.7 runtimes; SSM runs python3.11 today.
        if isinstance(node, dict):
            enum = node.get("enum")
            if isinstance(enum, list) and "python3.7" in enum and SCRIPT_RUNTIME not in enum:
                enum.append(SCRIPT_RUNTIME)
            for value in node.values():
                extend(value)
        elif isinstance(node, list):
            for value in node:
                extend(value)

    extend(schema)
    return schema


def _top_level_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds (function, class, assignment target, import)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _used_names(node: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _support_path(module: str) -> Path | None:
    """The file of a module of a package the build inlines (INLINED_PACKAGES), None for any other module."""
    for package, root in INLINED_PACKAGES.items():
        if module == package or module.startswith(package + "."):
            path = root.joinpath(*module.split(".")).with_suffix(".py")
            if not path.is_file():
                raise RunbookError(f"support module {module} does not exist ({path})")
            return path
    return None


def _needed(body: list[ast.stmt], roots: list[str]) -> set[int]:
    """ids of the top-level statements of `body` that `roots` reach (through the names they use)."""
    binders: dict[str, list[ast.stmt]] = {}
    for node in body:
        for name in _top_level_names(node):
            binders.setdefault(name, []).append(node)
    kept: set[int] = set()
    pending = list(roots)
    while pending:
        for node in binders.get(pending.pop(), []):
            if id(node) not in kept:
                kept.add(id(node))
                pending.extend(_used_names(node))
    return kept


def _chunks(source: str, roots: list[str], *, keep_future: bool, inlined: set[tuple[str, int]]) -> list[str]:
    """The statements of `source` that `roots` reach, in source order, each import from the support package
    replaced by the statements of that module its names reach (once per document: `inlined`)."""
    tree = ast.parse(source)
    body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    kept = _needed(body, roots)
    lines = source.splitlines()
    comments = _comments(source)
    trailing = {n for n, column in comments.items() if lines[n - 1][:column].strip()}
    chunks = []
    for node in body:
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if future and keep_future:
            chunks.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
        if future or id(node) not in kept:
            continue
        support = _support_path(node.module or "") if isinstance(node, ast.ImportFrom) else None
        if support is not None:
            if any(alias.asname for alias in node.names):
                raise RunbookError(f"import from {node.module} without 'as': the build inlines the names as they are")
            support_source = support.read_text()
            names = [a.name for a in node.names if (node.module, a.name) not in inlined]
            inlined.update((node.module, name) for name in names)
            if names:
                chunks.extend(_chunks(support_source, names, keep_future=False, inlined=inlined))
            continue
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        dropped = _docstring_lines(node) | (set(comments) - trailing)
        code = (
            line[: comments[n]].rstrip() if n in comments else line
            for n, line in enumerate(lines[first - 1 : node.end_lineno], first)
            if n not in dropped
        )
        chunks.append("\n".join(code))
    return chunks


def _docstring_lines(node: ast.stmt) -> set[int]:
    """Line numbers of the docstrings of the functions and classes in `node` (unless a body's only statement).
    The document carries the code, not its explanation (SSM's document size limit)."""
    dropped: set[int] = set()
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if not isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) or len(body) < 2:
            continue
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            dropped.update(range(first.lineno, first.end_lineno + 1))
    return dropped


def _comments(source: str) -> dict[int, int]:
    """Line number -> column of each comment in `source` (tokenized: never a '#' inside a string)."""
    return {
        token.start[0]: token.start[1]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }


def script_for_handler(source: str, handler: str) -> str:
    """The lines of `source` that `handler` needs: itself, what it reaches at top level, and their imports.

    Statements are kept in source order with their decorators, so the result behaves as the module does for that
    handler; every line is a source line, unchanged but for a trailing comment. Docstrings, comments and statements
    it never reaches are left out.
    An import from a package the build inlines (ssm_documents._support, the rules' compliance package) is replaced by
    what it brings that is needed.
    """
    tree = ast.parse(source)
    if not any(isinstance(n, ast.FunctionDef) and n.name == handler for n in tree.body):
        raise RunbookError(f"handler {handler!r} is not a top-level function of the script")
    return "\n\n".join(_chunks(source, [handler], keep_future=True, inlined=set())) + "\n"


def integer_range_pattern(low: int, high: int, *, optional: bool = False) -> str:
    """An allowedPattern accepting exactly the decimal numbers `low`..`high` (no sign, no leading zero; also "" when
    `optional`): what the build requires of a String parameter whose range a compliance module declares."""
    if not 0 <= low <= high:
        raise ValueError(f"not a range of whole numbers: {low}..{high}")
    parts = []
    for digits in range(len(str(low)), len(str(high)) + 1):
        first, last = max(low, 10 ** (digits - 1) if digits > 1 else 0), min(high, 10**digits - 1)
        parts += _same_length_patterns(str(first), str(last))
    return ("^$|" if optional else "") + f"^({'|'.join(parts)})$"


def _digit_class(first: int, last: int) -> str:
    return str(first) if first == last else f"[{first}-{last}]"


def _same_length_patterns(first: str, last: str) -> list[str]:
    """Patterns matching the digit strings from `first` to `last` (same length, first <= last)."""
    if first == last:
        return [first]
    head, tail = int(first[0]), int(last[0])
    if head == tail:
        return [first[0] + p for p in _same_length_patterns(first[1:], last[1:])]
    rest = len(first) - 1
    if rest == 0:
        return [_digit_class(head, tail)]
    parts, any_rest = [], "[0-9]" + (f"{{{rest}}}" if rest > 1 else "")
    if first[1:] != "0" * rest:
        parts += [first[0] + p for p in _same_length_patterns(first[1:], "9" * rest)]
        head += 1
    upper = []
    if last[1:] != "9" * rest:
        upper = [last[0] + p for p in _same_length_patterns("0" * rest, last[1:])]
        tail -= 1
    if head <= tail:
        parts.append(_digit_class(head, tail) + any_rest)
    return parts + upper


def _compliance_modules(script: str) -> list[str]:
    """The compliance modules (compliance.<control>) a runbook script imports from."""
    return sorted(
        {
            node.module
            for node in ast.parse(script).body
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(COMPLIANCE_PACKAGE + ".")
        }
    )


@functools.cache
def compliance_tables(module: str) -> tuple[dict[str, tuple], dict[str, bool]]:
    """(INTEGER_PARAMETERS, BOOLEAN_PARAMETERS) of a compliance module, loaded from its file (standard library only)."""
    path = _support_path(module)
    spec = importlib.util.spec_from_file_location(f"_remedy_build_{module.replace('.', '_')}", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return dict(getattr(loaded, "INTEGER_PARAMETERS", {})), dict(getattr(loaded, "BOOLEAN_PARAMETERS", {}))


def check_shared_parameters(runbook: Runbook, document: dict, script: str) -> None:
    """Every document parameter that a compliance module the script imports declares must agree with it: a range
    is a String parameter whose allowedPattern is integer_range_pattern of that range (so SSM refuses a value
    out of range before any step runs) and whose default is the module's; a flag's default is the module's."""
    parameters = document.get("parameters") or {}
    for module in _compliance_modules(script):
        integers, booleans = compliance_tables(module)
        for name, (default, low, high) in integers.items():
            if name in parameters:
                expected = {
                    "type": "String",
                    "allowedPattern": integer_range_pattern(low, high, optional=default is None),
                }
                expected["default"] = "" if default is None else str(default)
                _require(runbook, name, parameters[name], expected, f"{module} {low}..{high}")
        for name, default in booleans.items():
            if name in parameters:
                _require(runbook, name, parameters[name], {"type": "Boolean", "default": default}, module)


def _require(runbook: Runbook, name: str, spec: dict, expected: dict, source: str) -> None:
    for key, value in expected.items():
        if spec.get(key) != value:
            raise RunbookError(
                f"runbook '{runbook.name}': parameter {name} has {key} {spec.get(key)!r}, "
                f"but {source} requires {value!r}"
            )


def _guard_steps(target: GuardTarget, prefix: str, first_step: str) -> list[dict]:
    """The guard step and the branch that ends the run, with nothing changed, when the guard says skipped."""
    from infra.bridge_config import EXCLUSION_TAG_KEY  # the bridge's key; imported here: it imports this module

    payload = {
        "ControlsParameter": controls_parameter_name(prefix),
        "ControlId": f"{{{{ {CONTROL_ID_PARAMETER} }}}}",
        "Trigger": f"{{{{ {TRIGGER_PARAMETER} }}}}",
        "ResourceType": target.resource_type,
        "ResourceId": f"{{{{ {target.resource_parameter} }}}}",
        "ExclusionTagKey": EXCLUSION_TAG_KEY,
        "DryRun": f"{{{{ {DRY_RUN_PARAMETER} }}}}",
    }
    outputs = [
        {"Name": name, "Selector": f"$.Payload.{name}", "Type": "String"} for name in ("Outcome", "Reason", "Message")
    ]
    guard = {
        "name": GUARD_STEP,
        "description": "Read-only - skip the run when remediation is paused, the control's mode forbids it, "
        "or the resource carries the exclusion tag.",
        "action": "aws:executeScript",
        "timeoutSeconds": 60,
        "onFailure": "Abort",
        "inputs": {
            "Runtime": SCRIPT_RUNTIME,
            "Handler": GUARD_HANDLER,
            "Script": script_for_handler(CONTROLS_MODULE.read_text(), GUARD_HANDLER),
            "InputPayload": payload,
        },
        "outputs": outputs,
    }
    branch = {
        "name": GUARD_BRANCH,
        "description": "End here, with nothing changed, when the remediation controls skip this run.",
        "action": "aws:branch",
        "inputs": {
            "Choices": [
                {"NextStep": first_step, "Variable": f"{{{{ {GUARD_STEP}.Outcome }}}}", "StringEquals": "continue"}
            ]
        },
        "isEnd": True,
    }
    return [guard, branch]


def _guard_parameters(target: GuardTarget) -> dict[str, dict]:
    """ControlId (which control's mode applies) and Trigger (who started the run: automatic or not)."""
    control_id: dict = {
        "type": "String",
        "description": "The catalogue control this run serves (its mode in the remediation controls applies).",
        "allowedValues": list(target.control_ids),
    }
    if len(target.control_ids) == 1:
        control_id["default"] = target.control_ids[0]
    trigger = {
        "type": "String",
        "description": "Who started the run: manual (a person, the default), config-manual / config-automatic "
        "(AWS Config's remediation configuration), bridge-manual / bridge-automatic (the Remedy bridge). "
        "Automatic runs are skipped while remediation is paused or the control is in manual mode.",
        "default": "manual",
        "allowedValues": list(support_constants()["TRIGGERS"]),
    }
    return {CONTROL_ID_PARAMETER: control_id, TRIGGER_PARAMETER: trigger}


def _add_guard(document: dict, runbook: Runbook, target: GuardTarget, prefix: str) -> None:
    """Put the guard first in `document`, with its parameters and outputs."""
    parameters = document.setdefault("parameters", {})
    steps = document.get("mainSteps") or []
    taken = [n for n in (CONTROL_ID_PARAMETER, TRIGGER_PARAMETER) if n in parameters]
    taken += [s["name"] for s in steps if s.get("name") in (GUARD_STEP, GUARD_BRANCH)]
    if taken or not steps:
        raise RunbookError(f"runbook '{runbook.name}': the build adds the guard; remove {taken} (or add steps)")
    if target.resource_parameter not in parameters:
        raise RunbookError(f"runbook '{runbook.name}': no parameter {target.resource_parameter} for the guard")
    parameters.update(_guard_parameters(target))
    document["mainSteps"] = [*_guard_steps(target, prefix, steps[0]["name"]), *steps]
    document["outputs"] = [f"{GUARD_STEP}.{name}" for name in ("Outcome", "Reason", "Message")] + list(
        document.get("outputs") or []
    )


def render_document(
    runbook: Runbook,
    approval: ApprovalDefaults | None = None,
    *,
    target: GuardTarget | None = None,
    prefix: str = DEFAULT_PREFIX,
) -> dict:
    """The deployable document: the source YAML with each executeScript step's part of script.py embedded,
    the guard first (for `target`, default: from the shipped catalogue; reading /<prefix>/remediation-controls)
    and, for a runbook that asks for approval, the deployment's approval defaults (`approval`)."""
    document = copy.deepcopy(runbook.document)
    if approval is not None and asks_approval(document):
        parameters = document["parameters"]
        for name in ("Approvers", "ApprovalTopicArn"):
            if name not in parameters:
                raise RunbookError(f"runbook '{runbook.name}': an approval runbook declares the {name} parameter")
        parameters["Approvers"]["default"] = list(approval.approvers)
        parameters["ApprovalTopicArn"]["default"] = approval.topic_arn
    script = (runbook.folder / "script.py").read_text()
    for step in document.get("mainSteps") or []:
        if step.get("action") != "aws:executeScript":
            continue
        inputs = step.get("inputs") or {}
        where = f"runbook '{runbook.name}' step '{step.get('name')}'"
        if "Script" in inputs or "Attachment" in inputs:
            raise RunbookError(f"{where}: remove Script/Attachment; the build embeds script.py")
        if inputs.get("Runtime") != SCRIPT_RUNTIME:
            raise RunbookError(f"{where}: Runtime must be {SCRIPT_RUNTIME}")
        if inputs.get("Handler") not in runbook.script_functions:
            raise RunbookError(f"{where}: handler '{inputs.get('Handler')}' is not a function in script.py")
        inputs["Script"] = script_for_handler(script, inputs["Handler"])
    check_shared_parameters(runbook, document, script)
    _add_guard(document, runbook, target or guard_target(_default_catalogue(), runbook), prefix)
    validate_document(document, runbook.name)
    return document


def validate_document(document: dict, name: str) -> None:
    """Schema-check a rendered document: unknown actions, stray keys and wrong types fail."""
    validator = jsonschema.Draft7Validator(automation_schema())
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [f"{'/'.join(map(str, p.absolute_path)) or '<root>'}: {p.message[:200]}" for p in problems]
        raise RunbookError(f"runbook '{name}' fails the Automation schema:\n  " + "\n  ".join(lines))
    steps = [step["name"] for step in document["mainSteps"]]
    if len(set(steps)) != len(steps):
        raise RunbookError(f"runbook '{name}': step names must be unique: {steps}")
    if document.get("assumeRole") != "{{ AutomationAssumeRole }}":
        raise RunbookError(f"runbook '{name}': assumeRole must be '{{{{ AutomationAssumeRole }}}}'")
    dry_run = (document.get("parameters") or {}).get(DRY_RUN_PARAMETER) or {}
    if dry_run.get("type") != "Boolean" or dry_run.get("default") is not False:
        raise RunbookError(f"runbook '{name}': declare {DRY_RUN_PARAMETER} (type Boolean, default false)")


def _api_step_action(step: dict) -> str:
    inputs = step.get("inputs") or {}
    service, api = str(inputs.get("Service", "")), str(inputs.get("Api", ""))
    if not service or not api:
        raise RunbookError(f"step '{step.get('name')}' ({step.get('action')}) needs Service and Api")
    return f"{_IAM_PREFIX.get(service, service)}:{api[0].upper()}{api[1:]}"


def runbook_iam_actions(runbook: Runbook) -> list[str]:
    """Every IAM action the runbook's role needs: script.py's IAM_ACTIONS, its API steps' actions and the guard's."""
    actions = set(runbook.iam_actions) | set(support_constants()["IAM_ACTIONS"])
    for step in runbook.document.get("mainSteps") or []:
        if step.get("action") in API_ACTIONS:
            actions.add(_api_step_action(step))
    if not runbook.iam_actions and any(
        step.get("action") == "aws:executeScript" for step in runbook.document.get("mainSteps") or []
    ):
        raise RunbookError(f"runbook '{runbook.name}': script.py declares no IAM_ACTIONS")
    wildcards = sorted(a for a in actions if "*" in a or ":" not in a)
    if wildcards:
        raise RunbookError(f"runbook '{runbook.name}': IAM actions must be explicit, found {wildcards}")
    return sorted(actions)


@dataclass(frozen=True)
class Grant:
    """One statement of a runbook role's policy; "{partition}", "{region}", "{account}" are filled at synth."""

    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)
    conditions: dict | None = None


# Actions the runbooks call that take resource-level permissions are scoped by the registry's types
# (resource_types/<type>/, `iam_scopes`); every other action (Describe*, List*, GetCallerIdentity, the account's
# password policy) has no resource type in the Service Authorization Reference and is granted on "*".
_ANY_RESOURCE = Grant(())
# kms:DescribeKey: a key of any account, in the region (S3 and EBS use keys of their own region only), until a
# registered type scopes it (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
RESOURCE_SCOPES = {
    "kms:DescribeKey": Grant((), ("arn:{partition}:kms:{region}:*:key/*",)),
    **{action: Grant((), scope.resources, scope.conditions) for action, scope in resource_types.iam_scopes().items()},
}


def runbook_grants(runbook: Runbook) -> list[Grant]:
    """The runbook role's statements: the actions its code calls (runbook_iam_actions), on this account's resources
    where the action takes resource-level permissions, and the catalogue's service actions under their conditions.

    An action the catalogue declares as a service action is granted only that way, even if script.py lists it."""
    called = [a for a in runbook_iam_actions(runbook) if a not in runbook.service_action_names]
    scoped: dict[str, tuple[Grant, list[str]]] = {}
    for action in called:
        scope = RESOURCE_SCOPES.get(action, _ANY_RESOURCE)
        same = json.dumps([scope.resources, scope.conditions], sort_keys=True)  # one statement per scope
        scoped.setdefault(same, (scope, []))[1].append(action)
    grants = [Grant(tuple(sorted(actions)), scope.resources, scope.conditions) for scope, actions in scoped.values()]
    grants += [Grant(g.actions, g.resources, g.conditions or None) for g in runbook.service_actions]
    return grants


def fill(template: object, **values: str) -> object:
    """`template` (a string, or lists and dicts of them) with "{partition}"-style placeholders filled."""
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, dict):
        return {fill(k, **values): fill(v, **values) for k, v in template.items()}
    if isinstance(template, list | tuple):
        return [fill(v, **values) for v in template]
    return template
