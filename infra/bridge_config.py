"""The Prowler bridge's configuration, derived from the catalogue at synth (never a hand-kept table).

Written as bridge_config.json into the bridge Lambda's asset; the local simulation reads the same file
from the synthesized cloud assembly.
"""

from __future__ import annotations

import re

from catalogue import Catalogue
from infra.config_resources import rule_name
from remedy_cli.deployment import document_name, runbook_role_name_template, runbook_role_path

EXCLUSION_TAG_KEY = "remedy:exclude"
ACTION_TARGET_NAME = "Remediate"
# IAM's own rule for a path (CreateRole: "/" or "/" + printable ASCII + "/", at most 512 characters), less the
# characters that would act as wildcards or policy variables in the ARN patterns and conditions naming the roles.
IAM_PATH = re.compile(r"^/(?:[\x21-\x7E]+/)?$")
IAM_PATH_MAX = 512
PATH_WILDCARDS = frozenset("*?$")
# The catalogue's framework keys whose requirement ids Security Hub CSPM checks, and the standard's path as a
# per-standard control finding's GeneratorId starts with it ("<path>/<requirement id>", consolidated control
# findings off): https://docs.aws.amazon.com/securityhub/latest/userguide/sample-control-findings.html
SECURITY_HUB_FRAMEWORKS = {
    "aws_fsbp": "aws-foundational-security-best-practices/v/1.0.0",
    "cis_aws_v3.0": "cis-aws-foundations-benchmark/v/3.0.0",
}
# FSBP's requirement ids are Security Hub's security control ids (Compliance.SecurityControlId, S3.8), the id a
# consolidated control finding carries whatever standards are on:
# https://docs.aws.amazon.com/securityhub/latest/userguide/asff-changes-consolidation.html
SECURITY_CONTROL_FRAMEWORK = "aws_fsbp"


def check_role_path(value: object, setting: str = "remedy:rolePath") -> str:
    """`value` if it is an IAM path our ARN patterns can carry verbatim; else a ValueError naming `setting`."""
    path = str(value)
    if not (isinstance(value, str) and IAM_PATH.match(path) and len(path) <= IAM_PATH_MAX):
        raise ValueError(
            f"{setting} must be an IAM path: start and end with '/', printable ASCII without spaces, at most "
            f"{IAM_PATH_MAX} characters (for example /platform/remedy/); got {value!r}"
        )
    if PATH_WILDCARDS & set(path):
        raise ValueError(
            f"{setting} must not contain '*', '?' or '$': the path is part of ARN patterns and conditions; got {path!r}"
        )
    return path


def bridge_role_path(prefix: str, role_path: object = None) -> str:
    """The IAM path of the bridge role and of every member role: remedy:rolePath when given, else /<prefix>/.

    Deterministic because each side names the other by ARN, path included: the member role trusts the bridge
    role, the bridge role may assume the member roles. Both sides must be synthesized with the same value.
    """
    return check_role_path(role_path) if role_path else f"/{prefix}/"


def action_target_id(prefix: str) -> str:
    """The custom action's id, unique per deployment: Security Hub allows 20 alphanumeric characters.

    The bridge accepts a custom action event only when its resources name this action target."""
    action_id = "".join(c for c in prefix.title() if c.isalnum()) + ACTION_TARGET_NAME
    if len(action_id) > 20:
        raise ValueError(f"resource prefix {prefix!r} makes the action target id {action_id!r} longer than 20")
    return action_id


def _unambiguous(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """key -> control id, leaving out a key two controls claim: the bridge skips such findings (unmapped_control)
    rather than guess which runbook fixes them."""
    claims: dict[str, set[str]] = {}
    for key, control_id in pairs:
        claims.setdefault(key, set()).add(control_id)
    return {key: next(iter(ids)) for key, ids in claims.items() if len(ids) == 1}


def security_control_map(catalogue: Catalogue) -> dict[str, str]:
    """Security Hub security control id (the catalogue's FSBP ids) -> control id."""
    pairs = [(i, c.id) for c in catalogue.controls for i in c.frameworks.get(SECURITY_CONTROL_FRAMEWORK, ())]
    return _unambiguous(pairs)


def standard_control_map(catalogue: Catalogue) -> dict[str, str]:
    """GeneratorId of a per-standard control finding (FSBP, CIS v3.0) -> control id."""
    pairs = [
        (f"{path}/{requirement}", control.id)
        for control in catalogue.controls
        for framework, path in SECURITY_HUB_FRAMEWORKS.items()
        for requirement in control.frameworks.get(framework, ())
    ]
    return _unambiguous(pairs)


def bridge_config(catalogue: Catalogue, prefix: str, home_region: str | None = None) -> dict:
    """Everything the bridge needs to map a Prowler or Security Hub finding to a runbook execution."""
    controls = {}
    for control in catalogue.controls:
        runbook = catalogue.runbooks[control.remediation.runbook]
        static, resource_parameter = {}, None
        for name, source in control.remediation.parameters.items():
            if source.kind == "resource":
                resource_parameter = name
            elif source.kind == "rule_parameter":
                static[name] = control.detection.parameters[source.value]
            else:
                static[name] = source.value
        controls[control.id] = {
            "document": document_name(prefix, runbook),
            "runbook_role_name": runbook_role_name_template(prefix, runbook.document_stem),
            "runbook_role_path": runbook_role_path(prefix),
            "home_region_only": control.home_region_only,
            "config_rule": rule_name(prefix, control),
            "automatic": control.remediation.automatic,
            "resource_type": control.resource_type,
            "resource_parameter": resource_parameter,
            "parameters": static,
        }
    return {
        "version": 1,
        "prefix": prefix,
        "home_region": home_region or None,
        "exclusion_tag_key": EXCLUSION_TAG_KEY,
        "checks": catalogue.prowler_check_map(),
        "security_controls": security_control_map(catalogue),
        "standard_controls": standard_control_map(catalogue),
        "action_target_id": action_target_id(prefix),
        "controls": controls,
    }
