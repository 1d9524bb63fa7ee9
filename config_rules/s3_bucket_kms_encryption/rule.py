"""AWS Config rule: S3 buckets encrypt new objects with AWS KMS by default (FSBP S3.17).

Change-triggered on AWS::S3::Bucket. Evaluated from the configuration item's
supplementaryConfiguration.ServerSideEncryptionConfiguration; only when the item does not
carry it does the rule ask S3 (GetBucketEncryption). COMPLIANT iff the default encryption
algorithm is aws:kms (SSE-KMS) or aws:kms:dsse (DSSE-KMS); SSE-S3 (AES256) is NON_COMPLIANT
because it gives no key policy to control or audit who can decrypt. The setting may be an object or a
JSON string holding one (as GetResourceConfigHistory returns it); anything not shaped as AWS Config
records it is NON_COMPLIANT with an annotation naming the field.
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
# GetBucketEncryption is authorised by s3:GetEncryptionConfiguration.
IAM_ACTIONS = ("s3:GetEncryptionConfiguration",)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
ALGORITHM_LABELS = {
    "AES256": "AES256 (SSE-S3)",
    "aws:kms": "aws:kms (SSE-KMS)",
    "aws:kms:dsse": "aws:kms:dsse (DSSE-KMS)",
}


def _recorded_default(rules: object, path: str) -> dict | None:
    """{"algorithm", "key"} of the first recorded rule that sets default encryption, or None (strictly typed)."""
    if not isinstance(rules, list):
        raise UnreadableField(f"{path}.rules", "is missing" if rules is None else "is not a list")
    for index, entry in enumerate(rules):
        where = f"{path}.rules[{index}]"
        entry = as_object(entry, where)
        default = field(entry, "applyServerSideEncryptionByDefault", where, dict, required=False)
        if default is None:
            continue
        where += ".applyServerSideEncryptionByDefault"
        algorithm = field(default, "sseAlgorithm", where, str, required=False)
        if algorithm:
            return {"algorithm": algorithm, "key": field(default, "kmsMasterKeyID", where, str, required=False)}
    return None


def _from_configuration_item(configuration_item: dict) -> tuple[bool, dict | None]:
    """(recorded, default encryption) as the configuration item records it.

    recorded is False when the item does not carry the setting (then S3 must be asked).
    """
    supplementary = configuration_item.get("supplementaryConfiguration")
    supplementary = {} if supplementary is None else as_object(supplementary, "supplementaryConfiguration", True)
    if supplementary.get("ServerSideEncryptionConfiguration") is None:
        return False, None
    path = "supplementaryConfiguration.ServerSideEncryptionConfiguration"
    # The configuration history API serialises supplementary values as JSON strings.
    recorded = as_object(supplementary["ServerSideEncryptionConfiguration"], path, json_string=True)
    # AWS Config records the settings in lower camel case.
    return True, _recorded_default(recorded.get("rules"), path)


def _from_s3(client_factory: object, bucket: str) -> dict | None:
    s3 = client_factory.build_client("s3")
    try:
        configuration = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "ServerSideEncryptionConfigurationNotFoundError":
            return None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceName", f"({bucket[:60]!r}) is not a bucket name S3 accepts") from None
    for rule in configuration.get("Rules") or []:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm"):
            return {"algorithm": default["SSEAlgorithm"], "key": default.get("KMSMasterKeyID")}
    return None


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


class S3BucketKmsEncryption(ParameterlessRule):
    """NON_COMPLIANT unless the bucket's default encryption uses AWS KMS (aws:kms or aws:kms:dsse)."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        recorded, encryption = _from_configuration_item(configuration_item)
        if not recorded:
            encryption = _from_s3(client_factory, resource_name(configuration_item))
        return [_evaluation(encryption)]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(S3BucketKmsEncryption(), APPLICABLE_RESOURCES, event, context)
