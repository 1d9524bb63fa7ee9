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


def securityhub_product_arn(region: str = REGION) -> str:
    return f"arn:aws:securityhub:{region}::product/aws/securityhub"


def control_finding(
    security_control: str | None,
    resource_arn: str,
    *,
    standard: str | None = None,
    account: str = ACCOUNT_ID,
    region: str = REGION,
    status: str = "FAILED",
    workflow: str = "NEW",
    record_state: str = "ACTIVE",
    finding_uuid: str | None = None,
) -> dict:
    """A Security Hub CSPM control finding, shaped as AWS's samples: consolidated (standard None: GeneratorId
    security-control/<id>), or of one standard (standard "<path>/<requirement id>", consolidation off).
    security_control None: no Compliance.SecurityControlId (China and GovCloud Regions).
    https://docs.aws.amazon.com/securityhub/latest/userguide/sample-control-findings.html"""
    generator = standard or f"security-control/{security_control}"
    path = f"subscription/{standard.rsplit('/', 1)[0]}/{standard.rsplit('/', 1)[1]}" if standard else generator
    compliance = {
        "Status": status,
        "AssociatedStandards": [{"StandardsId": "standards/aws-foundational-security-best-practices/v/1.0.0"}],
    }
    if security_control:
        compliance["SecurityControlId"] = security_control
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:securityhub:{region}:{account}:{path}/finding/{finding_uuid or uuid.uuid4()}",
        "ProductArn": securityhub_product_arn(region),
        "ProductName": "Security Hub",
        "CompanyName": "AWS",
        "Region": region,
        "GeneratorId": generator,
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": "2026-11-27T09:00:00Z",
        "UpdatedAt": "2026-11-27T09:00:00Z",
        "Severity": {"Label": "HIGH", "Normalized": 70, "Original": "HIGH"},
        "Title": f"{security_control} control",
        "Description": f"Security Hub control {security_control}",
        "ProductFields": {"aws/securityhub/ProductName": "Security Hub", "aws/securityhub/CompanyName": "AWS"},
        "Resources": [
            {"Type": asff_resource_type(resource_arn), "Id": resource_arn, "Partition": "aws", "Region": region}
        ],
        "Compliance": compliance,
        "RecordState": record_state,
        "Workflow": {"Status": workflow},
        "WorkflowState": "NEW",
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


def imported_v2_event(*findings: dict) -> dict:
    """ "Findings Imported V2" (Security Hub's OCSF findings)."""
    return _envelope("Findings Imported V2", "aws.securityhub", {"findings": list(findings)}, [uuid.uuid4().hex * 2])


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
