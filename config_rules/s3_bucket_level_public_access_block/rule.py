"""AWS Config rule: S3 buckets block public access at bucket level (FSBP S3.8, CIS 2.1.4).

Change-triggered on AWS::S3::Bucket. Evaluated from the configuration item's
supplementaryConfiguration.PublicAccessBlockConfiguration; only when the item does not
carry it does the rule ask S3 (GetPublicAccessBlock). The setting may be an object or a JSON string
holding one (as GetResourceConfigHistory returns it); a setting that is missing or not a JSON boolean
(the string "false", a number) is NON_COMPLIANT with an annotation naming it.
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
IAM_ACTIONS = ("s3:GetBucketPublicAccessBlock",)
SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _from_configuration_item(configuration_item: dict) -> dict[str, bool] | None:
    """The four settings as the configuration item records them, or None if it does not carry them."""
    supplementary = configuration_item.get("supplementaryConfiguration")
    supplementary = {} if supplementary is None else as_object(supplementary, "supplementaryConfiguration", True)
    path = "supplementaryConfiguration.PublicAccessBlockConfiguration"
    if supplementary.get("PublicAccessBlockConfiguration") is None:
        return None
    recorded = as_object(supplementary["PublicAccessBlockConfiguration"], path, json_string=True)
    # AWS Config records the settings in lower camel case.
    return {name: field(recorded, name[0].lower() + name[1:], path, bool) for name in SETTINGS}


def _from_s3(client_factory: object, bucket: str) -> dict[str, bool]:
    s3 = client_factory.build_client("s3")
    try:
        configuration = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration":
            return dict.fromkeys(SETTINGS, False)
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceName", f"({bucket[:60]!r}) is not a bucket name S3 accepts") from None
    return {name: configuration.get(name) is True for name in SETTINGS}


class S3BucketLevelPublicAccessBlock(ParameterlessRule):
    """NON_COMPLIANT unless all four bucket-level Block Public Access settings are on."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        settings = _from_configuration_item(configuration_item)
        if settings is None:
            settings = _from_s3(client_factory, resource_name(configuration_item))
        off = [name for name in SETTINGS if not settings[name]]
        if off:
            return [
                Evaluation(
                    ComplianceType.NON_COMPLIANT,
                    annotation=f"Bucket-level Block Public Access is off for: {', '.join(off)}.",
                )
            ]
        return [
            Evaluation(
                ComplianceType.COMPLIANT,
                annotation="All four bucket-level Block Public Access settings are on.",
            )
        ]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(S3BucketLevelPublicAccessBlock(), APPLICABLE_RESOURCES, event, context)
