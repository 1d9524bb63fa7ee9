"""Prowler-format ASFF findings, as Prowler's `-M json-asff` writes them (and as Security Hub holds them).

Used by the demo for the resources it seeded, and by the bridge's tests.
"""

from __future__ import annotations

import hashlib

import resource_types


def prowler_product_arn(region: str, partition: str = "aws") -> str:
    return f"arn:{partition}:securityhub:{region}::product/prowler/prowler"


def asff_resource_type(resource_arn: str) -> str:
    """The Security Hub resource type Prowler reports for the ARN: that of the registered type whose parser
    accepts it (resource_types/), else "Other" as Prowler reports for many checks."""
    kind = resource_types.of_arn(resource_arn)
    return kind.asff_type if kind else "Other"


def prowler_finding(
    check_id: str,
    resource_arn: str,
    *,
    account: str,
    region: str,
    status: str = "FAILED",
    record_state: str = "ACTIVE",
    workflow: str | None = None,
    tags: dict | None = None,
    product_arn: str | None = None,
    severity: str = "HIGH",
    timestamp: str = "2026-11-27T09:00:00Z",
) -> dict:
    """One finding with the Id, product ARN, GeneratorId and ProductFields Prowler uses.

    With `workflow`, the finding is shaped as Security Hub holds it after import (ProductName, Workflow).
    """
    digest = hashlib.sha512(resource_arn.encode()).hexdigest()[:9]
    resource = {"Type": asff_resource_type(resource_arn), "Id": resource_arn, "Partition": "aws", "Region": region}
    if tags is not None:
        resource["Tags"] = tags
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": f"prowler-{check_id}-{account}-{region}-{digest}",
        "ProductArn": product_arn or prowler_product_arn(region),
        "RecordState": record_state,
        "ProductFields": {"ProviderName": "Prowler", "ProviderVersion": "5.46.0", "ProwlerResourceName": resource_arn},
        "GeneratorId": f"prowler-{check_id}",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks"],
        "FirstObservedAt": timestamp,
        "UpdatedAt": timestamp,
        "CreatedAt": timestamp,
        "Severity": {"Label": severity},
        "Title": f"Prowler check {check_id}",
        "Description": f"Prowler check {check_id} failed",
        "Resources": [resource],
        "Compliance": {"Status": status, "RelatedRequirements": [], "AssociatedStandards": []},
        "Remediation": {"Recommendation": {"Text": "", "Url": "https://hub.prowler.com"}},
    }
    if workflow is not None:
        finding.update(
            ProductName="Prowler",
            CompanyName="Prowler",
            Region=region,
            Workflow={"Status": workflow},
            WorkflowState="NEW",
        )
    return finding
