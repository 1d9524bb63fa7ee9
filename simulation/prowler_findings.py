"""Prowler-format ASFF findings, as Prowler's `-M json-asff` writes them, for resources the demo seeded."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime


def prowler_finding(
    check_id: str,
    resource_arn: str,
    resource_type: str,
    account: str,
    region: str,
    status: str = "FAILED",
    severity: str = "MEDIUM",
    tags: dict[str, str] | None = None,
) -> dict:
    """One finding with the Ids, product ARN and fields Prowler uses (ProviderName, ProwlerResourceName)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hashlib.sha256(f"{check_id}{resource_arn}".encode()).hexdigest()[:16]
    resource = {"Type": resource_type, "Id": resource_arn, "Partition": "aws", "Region": region}
    if tags:
        resource["Tags"] = tags
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"prowler-{check_id}-{account}-{region}-{digest}",
        "ProductArn": f"arn:aws:securityhub:{region}::product/prowler/prowler",
        "RecordState": "ACTIVE",
        "ProductFields": {"ProviderName": "Prowler", "ProviderVersion": "5", "ProwlerResourceName": resource_arn},
        "GeneratorId": f"prowler-{check_id}",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks"],
        "FirstObservedAt": now,
        "UpdatedAt": now,
        "CreatedAt": now,
        "Severity": {"Label": severity},
        "Title": f"{check_id} failed",
        "Description": f"Prowler check {check_id} failed for {resource_arn}",
        "Resources": [resource],
        "Compliance": {"Status": status, "RelatedRequirements": []},
        "Remediation": {"Recommendation": {"Text": "", "Url": ""}},
    }
