"""Security Hub's OCSF findings ("Findings Imported V2") normalised to the ASFF fields findings.evaluate reads.

Security Hub (the OCSF one) sends each finding in an EventBridge event of detail-type "Findings Imported V2", source
aws.securityhub: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-v2-cwe-event-formats.html
Field names are OCSF's as Security Hub uses them (its finding filters list them: compliance.control,
compliance.status, finding_info.uid, metadata.product.uid, cloud.account.uid, cloud.region, resources.uid, ...):
https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_OcsfStringFilter.html
Findings whose activity_name is Close are closed, others active
(https://docs.aws.amazon.com/securityhub/latest/userguide/ocsf-findings.html); the bridge acts only on OCSF's two
finding activities that leave a finding open, Create and Update, so an unknown or missing one is not acted on.

Pure: no AWS call. A field of the wrong type becomes an absent one, so evaluate's own checks skip the finding with
their stable reasons. Security Hub CSPM's control findings keep their finding ARN as finding_info.uid, so the same
check seen in both formats is one ledger key (the second is a duplicate); their product uid (productv2/aws/
securityhub) becomes the ASFF ProductArn (product/aws/securityhub). The OCSF product uid itself is kept
(OCSF_PRODUCT_UID): a finding that came as OCSF is updated in that format, with BatchUpdateFindingsV2.
"""

from __future__ import annotations

import re

from resource_types.arn import ACCOUNT_CONFIG_TYPE, config_account_name

_ACCOUNT = re.compile(r"^\d{12}$")
# OCSF compliance.status (Compliance Finding class) -> ASFF Compliance.Status.
COMPLIANCE_STATUS = {"Pass": "PASSED", "Warning": "WARNING", "Fail": "FAILED"}
# OCSF finding status -> ASFF Workflow.Status (the bridge acts on NEW and NOTIFIED; In Progress is being worked on).
WORKFLOW_STATUS = {"New": "NEW", "In Progress": "NOTIFIED", "Suppressed": "SUPPRESSED", "Resolved": "RESOLVED"}
OPEN_ACTIVITIES = ("Create", "Update")
ACCOUNT_RESOURCE_TYPE = ACCOUNT_CONFIG_TYPE  # OCSF resources[].type of an account, as AWS Config names it
# The key under which normalise keeps the OCSF metadata.product.uid (not an ASFF field; only this module sets it).
OCSF_PRODUCT_UID = "OcsfProductUid"


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def product_arn(product_uid: object) -> str | None:
    """ASFF ProductArn for an OCSF metadata.product.uid (arn:...::productv2/<company>/<product>)."""
    uid = _text(product_uid)
    return uid.replace("::productv2/", "::product/", 1) if uid else None


def resource_arn(resource: dict) -> str | None:
    """The resource's ARN: uid when it is one, else uid_alt (Security Hub puts an SQS URL or an IAM policy id in uid
    and the ARN in uid_alt); an account resource's 12-digit uid becomes AWS Config's account name, as in ASFF."""
    uid, alternative = _text(resource.get("uid")), _text(resource.get("uid_alt"))
    for candidate in (uid, alternative):
        if candidate and candidate.startswith("arn:"):
            return candidate
    if resource.get("type") == ACCOUNT_RESOURCE_TYPE and uid and _ACCOUNT.match(uid):
        return config_account_name(uid)
    return uid


def resource_tags(tags: object) -> object:
    """OCSF tags ([{"name": k, "value": v}]) as the ASFF Tags object; anything else passes on to be refused."""
    if tags is None:
        return {}
    if isinstance(tags, list) and all(isinstance(t, dict) and isinstance(t.get("name"), str) for t in tags):
        return {t["name"]: t.get("value") for t in tags}
    return tags


def _resources(finding: dict) -> list[dict] | None:
    resources = finding.get("resources")
    if not isinstance(resources, list) or not resources or not isinstance(resources[0], dict):
        return None
    first = resources[0]
    return [{"Id": resource_arn(first), "Type": first.get("type"), "Tags": resource_tags(first.get("tags"))}]


def normalise(finding: object) -> object:
    """The ASFF view of one OCSF finding (a non-object passes through, to be skipped as malformed)."""
    if not isinstance(finding, dict):
        return finding
    compliance, metadata = _dict(finding.get("compliance")), _dict(finding.get("metadata"))
    product, cloud = _dict(metadata.get("product")), _dict(finding.get("cloud"))
    control, activity = _text(compliance.get("control")), finding.get("activity_name")
    status, workflow = compliance.get("status"), finding.get("status")
    return {
        "Id": _text(_dict(finding.get("finding_info")).get("uid")),
        "ProductArn": product_arn(product.get("uid")),
        "ProductName": _text(product.get("name")),
        "Region": _text(cloud.get("region")),
        "AwsAccountId": _text(_dict(cloud.get("account")).get("uid")),
        "GeneratorId": f"security-control/{control}" if control else None,
        "Compliance": {
            "SecurityControlId": control,
            "Status": COMPLIANCE_STATUS.get(status) if isinstance(status, str) else None,
        },
        "RecordState": "ACTIVE" if activity in OPEN_ACTIVITIES else "ARCHIVED",
        "Workflow": {"Status": WORKFLOW_STATUS.get(workflow) if isinstance(workflow, str) else None},
        "Resources": _resources(finding),
        OCSF_PRODUCT_UID: _text(product.get("uid")),
    }
