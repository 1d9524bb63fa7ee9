"""AWS Config rule: S3 general purpose buckets have versioning enabled (FSBP S3.14).

Prowler's check: s3_bucket_object_versioning.

Change-triggered on AWS::S3::Bucket. Evaluated from the configuration item's
supplementaryConfiguration.BucketVersioningConfiguration ({"status": "Off" | "Enabled" | "Suspended",
"isMfaDeleteEnabled": ...}); only when the item does not carry it does the rule ask S3 (GetBucketVersioning, whose
Status is absent for a bucket never versioned:
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html). COMPLIANT only when the status is
Enabled: a bucket never versioned (Off) or suspended keeps no earlier versions of what is overwritten or deleted.
A bucket with S3 Object Lock is always versioned (Enabled) and passes.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    UnreadableField,
    as_object,
    fail_closed,
    field,
    handle,
    resource_name,
)

APPLICABLE_RESOURCES = ["AWS::S3::Bucket"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("s3:GetBucketVersioning",)
# The versioning statuses that pass (the others: Off, never versioned, and Suspended).
PASSING_STATUSES = ("Enabled",)
NEVER_VERSIONED = "Off"
SUPPLEMENTARY_KEY = "BucketVersioningConfiguration"


def _from_configuration_item(configuration_item: dict) -> str | None:
    """The recorded versioning status, or None when the item does not carry the setting (then S3 is asked)."""
    supplementary = configuration_item.get("supplementaryConfiguration")
    supplementary = {} if supplementary is None else as_object(supplementary, "supplementaryConfiguration", True)
    if supplementary.get(SUPPLEMENTARY_KEY) is None:
        return None
    path = f"supplementaryConfiguration.{SUPPLEMENTARY_KEY}"
    # The configuration history API serialises supplementary values as JSON strings.
    recorded = as_object(supplementary[SUPPLEMENTARY_KEY], path, json_string=True)
    return field(recorded, "status", path, str)


def _from_s3(client_factory: object, bucket: str) -> str:
    s3 = client_factory.build_client("s3")
    try:
        answer = s3.get_bucket_versioning(Bucket=bucket)
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceName", f"({bucket[:60]!r}) is not a bucket name S3 accepts") from None
    status = answer.get("Status")
    return status if isinstance(status, str) and status else NEVER_VERSIONED


class S3BucketVersioningEnabled(ParameterlessRule):
    """NON_COMPLIANT unless the bucket's versioning status is Enabled."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        status = _from_configuration_item(configuration_item)
        if status is None:
            status = _from_s3(client_factory, resource_name(configuration_item))
        if status in PASSING_STATUSES:
            return [Evaluation(ComplianceType.COMPLIANT, annotation="Versioning is enabled.")]
        annotation = f"Versioning is not enabled (status {status[:60]})."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation)]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(S3BucketVersioningEnabled(), APPLICABLE_RESOURCES, event, context)
