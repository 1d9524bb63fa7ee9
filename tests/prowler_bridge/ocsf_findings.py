"""Builders for Security Hub's OCSF findings ("Findings Imported V2"), shaped as Security Hub sends its CSPM control
findings (Compliance Finding class 2003): https://docs.aws.amazon.com/securityhub/latest/userguide/ocsf-findings.html
"""

from __future__ import annotations

import uuid

from tests.conftest import ACCOUNT_ID, REGION


def ocsf_control_finding(
    control: str,
    resource_uid: str,
    *,
    resource_type: str = "AWS::S3::Bucket",
    uid_alt: str | None = None,
    account: str = ACCOUNT_ID,
    region: str = REGION,
    compliance_status: str = "Fail",
    status: str = "New",
    activity: str = "Create",
    tags: list[dict] | None = None,
    finding_uuid: str | None = None,
) -> dict:
    """One Security Hub CSPM control finding in OCSF."""
    resource = {
        "cloud_partition": "aws",
        "owner": {"account": {"uid": account}},
        "region": region,
        "type": resource_type,
        "uid": resource_uid,
    }
    if uid_alt:
        resource["uid_alt"] = uid_alt
    if tags is not None:
        resource["tags"] = tags
    return {
        "activity_id": 1 if activity == "Create" else 2,
        "activity_name": activity,
        "category_name": "Findings",
        "category_uid": 2,
        "class_name": "Compliance Finding",
        "class_uid": 2003,
        "cloud": {"account": {"uid": account}, "provider": "AWS", "region": region},
        "compliance": {
            "control": control,
            "standards": ["standards/aws-foundational-security-best-practices/v/1.0.0"],
            "status": compliance_status,
            "status_id": {"Pass": 1, "Warning": 2, "Fail": 3}.get(compliance_status, 99),
        },
        "finding_info": {
            "title": f"{control} control",
            "types": ["Software and Configuration Checks/Industry and Regulatory Standards", "Posture Management"],
            "uid": f"arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/"
            f"{finding_uuid or uuid.uuid4()}",
        },
        "metadata": {
            "product": {
                "name": "Security Hub",
                "uid": f"arn:aws:securityhub:{region}::productv2/aws/securityhub",
                "vendor_name": "AWS",
            },
            "profiles": ["cloud", "datetime"],
            "uid": uuid.uuid4().hex,
            "version": "1.6.0",
        },
        "resources": [resource],
        "severity": "High",
        "severity_id": 4,
        "status": status,
        "status_id": {"New": 1, "In Progress": 2, "Suppressed": 3, "Resolved": 4}.get(status, 99),
        "type_name": f"Compliance Finding: {activity}",
        "type_uid": 200301,
    }
