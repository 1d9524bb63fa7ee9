"""Builders for Prowler ASFF findings, AWS Config findings and the EventBridge events that carry them.

Shaped as Prowler 5 writes ASFF and as Security Hub and SSM deliver events, so other tests (the local
simulation, the stack) can reuse them.
"""

from __future__ import annotations

import uuid

from simulation.prowler_findings import asff_resource_type
from simulation.prowler_findings import prowler_finding as simulation_prowler_finding
from simulation.prowler_findings import prowler_product_arn as simulation_prowler_product_arn
from tests.conftest import ACCOUNT_ID, REGION

OTHER_ACCOUNT_ID = "210987654321"
OTHER_REGION = "eu-central-1"
USER_ID = "AIDAEXAMPLEUSER0000001"
VOLUME_ID = "vol-0123456789abcdef0"
BUCKET = "remedy-test-bucket"
# This deployment's action target (infra.bridge_config.action_target_id("remedy")): the only one the bridge accepts.
CUSTOM_ACTION_ARN = f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:action/custom/RemedyRemediate"


def prowler_product_arn(region: str = REGION, partition: str = "aws") -> str:
    return simulation_prowler_product_arn(region, partition)


def config_product_arn(region: str = REGION) -> str:
    return f"arn:aws:securityhub:{region}::product/aws/config"


def bucket_arn(name: str = BUCKET) -> str:
    return f"arn:aws:s3:::{name}"


def volume_arn(volume_id: str = VOLUME_ID, account: str = ACCOUNT_ID, region: str = REGION) -> str:
    return f"arn:aws:ec2:{region}:{account}:volume/{volume_id}"


def user_arn(name: str = "alice", account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def password_policy_arn(account: str = ACCOUNT_ID, region: str = REGION) -> str:
    """Prowler's synthetic account-level ARN for password policy checks."""
    return f"arn:aws:iam:{region}:{account}:password-policy"


def prowler_finding(
    check_id: str,
    resource_arn: str,
    *,
    account: str = ACCOUNT_ID,
    region: str = REGION,
    workflow: str = "NEW",
    **fields,
) -> dict:
    """A Prowler finding as Security Hub holds it after BatchImportFindings."""
    return simulation_prowler_finding(
        check_id, resource_arn, account=account, region=region, workflow=workflow, **fields
    )


def config_finding(
    rule_name: str,
    resource_arn: str,
    *,
    account: str = ACCOUNT_ID,
    region: str = REGION,
    status: str = "FAILED",
) -> dict:
    """A finding AWS Config sends to Security Hub for a non-compliant resource of a (custom) rule."""
    rule_id = "config-rule-abcdef"
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:config:{region}:{account}:config-rule/{rule_id}/finding/{uuid.uuid4().hex}",
        "ProductArn": config_product_arn(region),
        "ProductName": "Config",
        "CompanyName": "AWS",
        "Region": region,
        "GeneratorId": f"arn:aws:config:{region}:{account}:config-rule/{rule_id}",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": "2026-11-27T09:00:00Z",
        "UpdatedAt": "2026-11-27T09:00:00Z",
        "Severity": {"Label": "MEDIUM"},
        "Title": rule_name,
        "Description": rule_name,
        "ProductFields": {
            "aws/config/ConfigRuleName": rule_name,
            "aws/config/ConfigRuleArn": f"arn:aws:config:{region}:{account}:config-rule/{rule_id}",
            "aws/config/ConfigComplianceType": "NON_COMPLIANT",
        },
        "Resources": [
            {"Type": asff_resource_type(resource_arn), "Id": resource_arn, "Partition": "aws", "Region": region}
        ],
        "Compliance": {"Status": status},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    }


def _envelope(detail_type: str, source: str, detail: dict, resources: list[str]) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT_ID,
        "time": "2026-11-27T09:00:00Z",
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


def imported_event(*findings: dict) -> dict:
    """ "Security Hub Findings - Imported"."""
    return _envelope(
        "Security Hub Findings - Imported",
        "aws.securityhub",
        {"findings": list(findings)},
        [f["ProductArn"] for f in findings],
    )


def custom_action_event(*findings: dict) -> dict:
    """ "Security Hub Findings - Custom Action" from the Remediate action target."""
    detail = {"actionName": "Remediate", "actionDescription": "Run the Remedy runbook", "findings": list(findings)}
    return _envelope("Security Hub Findings - Custom Action", "aws.securityhub", detail, [CUSTOM_ACTION_ARN])


def status_event(
    execution_id: str, document: str, status: str, account: str = ACCOUNT_ID, region: str = REGION
) -> dict:
    """ "EC2 Automation Execution Status-change Notification" as SSM sends it."""
    event = _envelope(
        "EC2 Automation Execution Status-change Notification",
        "aws.ssm",
        {
            "ExecutionId": execution_id,
            "Definition": document,
            "DefinitionVersion": 1.0,
            "Status": status,
            "StartTime": "2026-11-27T09:00:01Z",
            "EndTime": "2026-11-27T09:00:30Z",
            "Time": 29000.0,
            "ExecutedBy": f"arn:aws:sts::{account}:assumed-role/remedy-bridge/remedy-bridge",
        },
        [f"arn:aws:ssm:{region}:{account}:automation-execution/{execution_id}"],
    )
    event["account"], event["region"] = account, region
    return event


def runbook_role(document: str, account: str = ACCOUNT_ID, region: str = REGION) -> str:
    """The role ARN the bridge passes for `document` (Remedy-<Stem>) in `account` and `region`."""
    from infra.bridge_config import runbook_role_name_template, runbook_role_path

    name = runbook_role_name_template("remedy", document.removeprefix("Remedy-")).format(region=region)
    return f"arn:aws:iam::{account}:role{runbook_role_path('remedy')}{name}"
