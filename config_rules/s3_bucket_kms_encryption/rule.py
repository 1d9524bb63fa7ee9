"""AWS Config rule: S3 buckets encrypt new objects with AWS KMS by default (FSBP S3.17).

Change-triggered on AWS::S3::Bucket. Evaluated from the configuration item's
supplementaryConfiguration.ServerSideEncryptionConfiguration; only when the item does not
carry it does the rule ask S3 (GetBucketEncryption). COMPLIANT iff the default encryption
algorithm is aws:kms (SSE-KMS) or aws:kms:dsse (DSSE-KMS); SSE-S3 (AES256) is NON_COMPLIANT
because it gives no key policy to control or audit who can decrypt.
"""

from __future__ import annotations

import json

import botocore.exceptions
from rdklib import ComplianceType, ConfigRule, Evaluation, Evaluator
from rule_support import reject_unknown_parameters

APPLICABLE_RESOURCES = ["AWS::S3::Bucket"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
# GetBucketEncryption is authorised by s3:GetEncryptionConfiguration.
IAM_ACTIONS = ("s3:GetEncryptionConfiguration",)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
ALGORITHM_LABELS = {
    "AES256": "AES256 (SSE-S3)",
    "aws:kms": "aws:kms (SSE-KMS)",
    "aws:kms:dsse": "aws:kms:dsse (DSSE-KMS)",
}
RULE_PARAMETERS: set[str] = set()


def _default_encryption(rules: list[dict], rule_key: str, algorithm_key: str, key_key: str) -> dict | None:
    """{"algorithm", "key"} of the first rule that sets default encryption, or None."""
    for entry in rules or []:
        default = (entry or {}).get(rule_key) or {}
        if default.get(algorithm_key):
            return {"algorithm": default[algorithm_key], "key": default.get(key_key)}
    return None


def _from_configuration_item(configuration_item: dict) -> tuple[bool, dict | None]:
    """(recorded, default encryption) as the configuration item records it.

    recorded is False when the item does not carry the setting (then S3 must be asked).
    """
    supplementary = configuration_item.get("supplementaryConfiguration") or {}
    recorded = supplementary.get("ServerSideEncryptionConfiguration")
    if recorded is None:
        return False, None
    if isinstance(recorded, str):
        # The configuration history API serialises supplementary values as JSON strings.
        recorded = json.loads(recorded)
    # AWS Config records the settings in lower camel case.
    return True, _default_encryption(
        recorded.get("rules"), "applyServerSideEncryptionByDefault", "sseAlgorithm", "kmsMasterKeyID"
    )


def _from_s3(client_factory: object, bucket: str) -> dict | None:
    s3 = client_factory.build_client("s3")
    try:
        configuration = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "ServerSideEncryptionConfigurationNotFoundError":
            return None
        raise
    return _default_encryption(
        configuration.get("Rules"), "ApplyServerSideEncryptionByDefault", "SSEAlgorithm", "KMSMasterKeyID"
    )


def _evaluation(encryption: dict | None) -> Evaluation:
    """The evaluation, with an annotation naming the algorithm (and key) found."""
    if encryption is None:
        return Evaluation(ComplianceType.NON_COMPLIANT, annotation="No default encryption is configured.")
    algorithm = encryption["algorithm"]
    label = ALGORITHM_LABELS.get(algorithm, algorithm)
    if algorithm in KMS_ALGORITHMS:
        key = encryption["key"] or "the AWS managed key aws/s3"
        return Evaluation(ComplianceType.COMPLIANT, annotation=f"Default encryption is {label} with {key}.")
    return Evaluation(ComplianceType.NON_COMPLIANT, annotation=f"Default encryption is {label}, not SSE-KMS.")


class S3BucketKmsEncryption(ConfigRule):
    """NON_COMPLIANT unless the bucket's default encryption uses AWS KMS (aws:kms or aws:kms:dsse)."""

    def evaluate_parameters(self, rule_parameters: dict) -> dict:
        reject_unknown_parameters(rule_parameters, RULE_PARAMETERS)
        return {}

    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        bucket = configuration_item["resourceName"] or configuration_item["resourceId"]
        recorded, encryption = _from_configuration_item(configuration_item)
        if not recorded:
            encryption = _from_s3(client_factory, bucket)
        return [_evaluation(encryption)]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return Evaluator(S3BucketKmsEncryption(), APPLICABLE_RESOURCES).handle(event, context)
