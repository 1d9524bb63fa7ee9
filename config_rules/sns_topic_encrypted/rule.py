"""AWS Config rule: SNS topics are encrypted at rest with AWS KMS (FSBP SNS.1).

Prowler's check: sns_topics_kms_encryption_at_rest_enabled.

Change-triggered on AWS::SNS::Topic (resource id: the topic ARN). The rule reads the live setting with
GetTopicAttributes every time, as Prowler does: COMPLIANT when the topic has a KMS key (KmsMasterKeyId)
(https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html). A topic that no longer exists is
NOT_APPLICABLE.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, ConfigRule, Evaluation, Evaluator
from rule_support import UnreadableField, fail_closed, field, handle, reject_unknown_parameters

APPLICABLE_RESOURCES = ["AWS::SNS::Topic"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("sns:GetTopicAttributes",)
RULE_PARAMETERS: set[str] = set()
# The topic attribute that must be set for the topic to pass.
PASSING_SETTINGS = ("KmsMasterKeyId",)


def kms_key(client_factory: object, arn: str) -> str | None:
    """The topic's KmsMasterKeyId ("" when none), or None if the topic is gone."""
    sns = client_factory.build_client("sns")
    try:
        attributes = sns.get_topic_attributes(TopicArn=arn).get("Attributes") or {}
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NotFound":
            return None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceId", "is not a topic ARN SNS accepts") from None
    key = attributes.get("KmsMasterKeyId")
    return key if isinstance(key, str) else ""


class SnsTopicEncrypted(ConfigRule):
    """NON_COMPLIANT when a topic has no KMS key."""

    def evaluate_parameters(self, rule_parameters: dict) -> dict:
        reject_unknown_parameters(rule_parameters, RULE_PARAMETERS)
        return {}

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        arn = field(configuration_item, "resourceId", "configurationItem", str)
        key = kms_key(client_factory, arn)
        if key is None:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The topic no longer exists.")]
        if key:
            annotation = f"Encrypted at rest with KMS key {key}."
            return [Evaluation(ComplianceType.COMPLIANT, annotation=annotation[:256])]
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation="Not encrypted at rest: no KMS key.")]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(Evaluator(SnsTopicEncrypted(), APPLICABLE_RESOURCES), APPLICABLE_RESOURCES, event, context)
