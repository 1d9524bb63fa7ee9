"""AWS Config rule: SQS queues are encrypted at rest (FSBP SQS.1).

Prowler's check: sqs_queues_server_side_encryption_enabled.

Change-triggered on AWS::SQS::Queue (resource id: the queue URL). The rule reads the live setting with
GetQueueAttributes every time, as Prowler does: COMPLIANT when the queue has a KMS key (KmsMasterKeyId, SSE-KMS) or
SQS managed encryption on (SqsManagedSseEnabled "true", SSE-SQS)
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html).
A queue that no longer exists is NOT_APPLICABLE.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, UnreadableField, fail_closed, field, handle

APPLICABLE_RESOURCES = ["AWS::SQS::Queue"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("sqs:GetQueueAttributes",)
# The encryption settings that pass: a KMS key (SSE-KMS) or SQS managed keys (SSE-SQS).
PASSING_SETTINGS = ("KmsMasterKeyId", "SqsManagedSseEnabled")
GONE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def encryption(client_factory: object, url: str) -> dict | None:
    """The queue's KmsMasterKeyId and SqsManagedSseEnabled attributes, or None if the queue is gone."""
    sqs = client_factory.build_client("sqs")
    try:
        answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId", "SqsManagedSseEnabled"])
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in GONE:
            return None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceId", "is not a queue URL SQS accepts") from None
    return answer.get("Attributes") or {}


class SqsQueueEncrypted(ParameterlessRule):
    """NON_COMPLIANT when a queue has neither a KMS key nor SQS managed encryption."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        url = field(configuration_item, "resourceId", "configurationItem", str)
        attributes = encryption(client_factory, url)
        if attributes is None:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The queue no longer exists.")]
        if attributes.get("KmsMasterKeyId"):
            annotation = f"Encrypted at rest with KMS key {attributes['KmsMasterKeyId']} (SSE-KMS)."
            return [Evaluation(ComplianceType.COMPLIANT, annotation=annotation[:256])]
        if attributes.get("SqsManagedSseEnabled") == "true":
            return [
                Evaluation(ComplianceType.COMPLIANT, annotation="Encrypted at rest with SQS managed keys (SSE-SQS).")
            ]
        annotation = "Not encrypted at rest: no KMS key and SQS managed encryption (SSE-SQS) off."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation)]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(SqsQueueEncrypted(), APPLICABLE_RESOURCES, event, context)
