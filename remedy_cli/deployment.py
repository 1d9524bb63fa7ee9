"""How a deployment names and starts a control's runbook: shared by the CDK app (infra/) and the `remedy` command.

The CDK app names each SSM document and runbook role with these functions, and fills each AWS Config remediation
configuration's parameters with `remediation_parameters`; `remedy plan` and `remedy remediate` derive the same names
and values from them, so a runbook started from the command line is the deployed one, as AWS Config would start it.
Standard library and the catalogue only: it ships in the installed package.
"""

from __future__ import annotations

import hashlib

from catalogue import DRY_RUN_PARAMETER, Control, Runbook

DEFAULT_PREFIX = "remedy"  # CDK context remedy:resourcePrefix unset
# Parameters the build adds to every deployed runbook (its guard step reads them).
CONTROL_ID_PARAMETER, TRIGGER_PARAMETER = "ControlId", "Trigger"
# IAM role names are unique per account: the region keeps one deployment per region apart. CreateRole allows
# 64 characters; names stay within 80% of that (the limits gate's headroom) for the longest region name.
ROLE_NAME_BUDGET = int(64 * 0.8)
REGION_MAX = len("-ap-southeast-2")
DIGEST_CHARS = 4


def document_name(prefix: str, runbook: Runbook) -> str:
    """Deployed SSM document name, e.g. Remedy-SetIamPasswordPolicy."""
    return f"{prefix.capitalize()}-{runbook.document_stem}"


def runbook_role_path(prefix: str) -> str:
    """The IAM path of every runbook role: lets the bridge pass them all with one ARN pattern, at any count."""
    return f"/{prefix}/runbooks/"


def runbook_role_name_template(prefix: str, document_stem: str) -> str:
    """Deterministic runbook role name, `{region}` filled at deploy (stack) and run time (bridge).

    A stem too long for the budget keeps its start and gets 4 hex digits of its SHA-256, so names stay unique.
    """
    room = ROLE_NAME_BUDGET - len(prefix) - 1 - REGION_MAX
    if room < 2 * DIGEST_CHARS:
        raise ValueError(f"resource prefix {prefix!r} leaves no room for runbook role names; shorten it")
    stem = document_stem
    if len(stem) > room:
        stem = stem[: room - DIGEST_CHARS] + hashlib.sha256(stem.encode()).hexdigest()[:DIGEST_CHARS]
    return f"{prefix}-{stem}-{{region}}"


def runbook_role_arn(prefix: str, runbook: Runbook, *, partition: str, account: str, region: str) -> str:
    """The ARN of the role the deployed runbook runs as (its AutomationAssumeRole) in an account and region."""
    name = runbook_role_name_template(prefix, runbook.document_stem).format(region=region)
    return f"arn:{partition}:iam::{account}:role{runbook_role_path(prefix)}{name}"


def remediation_parameters(control: Control, runbook: Runbook, role_arn: object) -> dict:
    """The Parameters of the control's AWS::Config::RemediationConfiguration: StaticValue per fixed parameter,
    ResourceValue RESOURCE_ID for the resource's (AWS Config fills in the non-compliant resource's id)."""
    remediation = control.remediation
    parameters: dict = {"AutomationAssumeRole": {"StaticValue": {"Values": [role_arn]}}}
    if DRY_RUN_PARAMETER in runbook.parameters:
        # The Remediate button and automatic remediation make the change; previews are started by hand.
        parameters[DRY_RUN_PARAMETER] = {"StaticValue": {"Values": ["false"]}}
    # Which control's mode applies, and who starts: Config's automatic remediation and its Remediate button use
    # this one configuration, so a control with Automatic true reports every Config run as automatic.
    parameters[CONTROL_ID_PARAMETER] = {"StaticValue": {"Values": [control.id]}}
    trigger = "config-automatic" if remediation.automatic else "config-manual"
    parameters[TRIGGER_PARAMETER] = {"StaticValue": {"Values": [trigger]}}
    for name, source in remediation.parameters.items():
        if source.kind == "resource":
            parameters[name] = {"ResourceValue": {"Value": "RESOURCE_ID"}}
        elif source.kind == "rule_parameter":
            value = control.detection.parameters[source.value]
            if value == "":
                continue  # an empty rule parameter means "not enforced": the runbook's default (unset) applies
            parameters[name] = {"StaticValue": {"Values": [value]}}
        elif source.kind == "context":
            continue  # unresolved CDK context (see catalogue.deployed): the runbook's default applies
        else:
            parameters[name] = {"StaticValue": {"Values": [source.value]}}
    return parameters


def execution_parameters(control: Control, runbook: Runbook, role_arn: str, resource_id: str) -> dict[str, list[str]]:
    """StartAutomationExecution's Parameters for one resource, as the remediation configuration fills them."""
    return {
        name: [resource_id] if "ResourceValue" in value else list(value["StaticValue"]["Values"])
        for name, value in remediation_parameters(control, runbook, role_arn).items()
    }
