"""`remedy scan --format asff`: the scan's results as AWS Security Finding Format findings that Security Hub's
BatchImportFindings accepts from the scanned account.

Required attributes: https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html (and
AwsSecurityFinding, https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_AwsSecurityFinding.html).
Findings an account imports itself carry its default product ARN,
arn:<partition>:securityhub:<region>:<account>:product/<account>/default, and its own AwsAccountId
(https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html).
"""

from __future__ import annotations

from collections.abc import Callable

import resource_types
from catalogue import Catalogue, Control
from remedy_cli.scan import Result

SCHEMA_VERSION = "2018-10-08"
GENERATOR_PREFIX = "remedy/"
# ASFF finding type taxonomy, namespace/category:
# https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html#Types
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"
# Compliance.Status: PASSED, WARNING, FAILED, NOT_AVAILABLE ("Check could not be performed due to a service
# outage, API error, or because the result of the Config evaluation was NOT_APPLICABLE"):
# https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Compliance.html
COMPLIANCE_STATUS = {"COMPLIANT": "PASSED", "NON_COMPLIANT": "FAILED"}
NOT_AVAILABLE = "NOT_AVAILABLE"
MAX_RELATED_REQUIREMENTS = 32  # Compliance.RelatedRequirements: at most 32 items
MAX_TITLE, MAX_DESCRIPTION = 256, 1024  # AwsSecurityFinding Title and Description lengths


def partition_of(caller_arn: str) -> str:
    """The partition of an ARN (sts:GetCallerIdentity's Arn): aws, aws-cn, aws-us-gov, ..."""
    return caller_arn.split(":")[1]


def product_arn(partition: str, region: str, account: str) -> str:
    """The account's default product: what its own imported findings carry."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def resource_arn(result: Result, partition: str, name_of: Callable[[Result], str]) -> str:
    """The resource's ARN from the registry's to_arn. A type whose AWS Config id is not in its ARN (it has a
    lookup, e.g. an IAM user's UserId) is keyed by its name: `name_of`, the configuration item's resourceName."""
    declared = resource_types.get(result.resource_type)
    key = name_of(result) if declared.lookup else result.resource_id
    return declared.to_arn(key, partition=partition, region=result.region, account=result.account)


def _requirements(control: Control) -> list[str]:
    return [f"{framework} {requirement}" for framework, ids in control.frameworks.items() for requirement in ids][
        :MAX_RELATED_REQUIREMENTS
    ]


def finding(result: Result, control: Control, arn: str, partition: str, now: str) -> dict:
    """One finding: the control's verdict on one resource; its Id stays the same on every scan (re-imports
    update it)."""
    status = COMPLIANCE_STATUS.get(result.compliance, NOT_AVAILABLE)
    description = result.annotation or f"{control.title}: {result.compliance}"
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"remedy/{result.account}/{result.region}/{control.id}/{result.resource_type}/{result.resource_id}",
        "ProductArn": product_arn(partition, result.region, result.account),
        "GeneratorId": f"{GENERATOR_PREFIX}{control.id}",
        "AwsAccountId": result.account,
        "Types": [FINDING_TYPE],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": control.severity},
        "Title": control.title[:MAX_TITLE],
        "Description": description[:MAX_DESCRIPTION],
        "Resources": [
            {
                "Type": resource_types.get(result.resource_type).asff_type,
                "Id": arn,
                "Partition": partition,
                "Region": result.region,
            }
        ],
        "Compliance": {"Status": status, "RelatedRequirements": _requirements(control)},
        "ProductFields": {
            "remedy/ControlId": control.id,
            "remedy/Rule": control.detection.rule,
            "remedy/Runbook": control.remediation.runbook,
            "remedy/ConfigResourceType": result.resource_type,
            "remedy/ConfigResourceId": result.resource_id,
            "remedy/Evaluation": result.compliance,
        },
    }


def findings(
    results: list[Result], catalogue: Catalogue, name_of: Callable[[Result], str], partition: str, now: str
) -> list[dict]:
    """Every result as a finding; `name_of` gives a resource's name (for types keyed by name)."""
    return [
        finding(result, catalogue.control(result.control), resource_arn(result, partition, name_of), partition, now)
        for result in results
    ]
