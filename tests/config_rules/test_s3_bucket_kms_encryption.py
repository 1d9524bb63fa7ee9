"""Rule s3_bucket_kms_encryption: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import json

import boto3
import pytest

from config_rules.s3_bucket_kms_encryption import rule
from tests.config_events import RuleExamples, set_field, single_compliance
from tests.framework_requirements import rule_attribute_has

# FSBP S3.17: buckets encrypted at rest with AWS KMS keys.
FRAMEWORK_REQUIREMENTS = {("aws_fsbp", "S3.17"): rule_attribute_has("KMS_ALGORITHMS", "aws:kms")}

RULE = RuleExamples(rule)
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _sse(algorithm: str, key: str | None = None) -> dict:
    return {
        "ServerSideEncryptionConfiguration": {
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm, "kmsMasterKeyID": key},
                    "bucketKeyEnabled": True,
                }
            ]
        }
    }


@pytest.mark.parametrize(
    ("example", "expected"),
    [("compliant", "COMPLIANT"), ("non_compliant", "NON_COMPLIANT"), ("deleted", "NOT_APPLICABLE")],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == "example-bucket"
    # No S3 call: the configuration item carried the data; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


def test_annotations_name_the_algorithm_found(api_calls):
    non_compliant = RULE.evaluate(RULE.event("non_compliant"))
    compliant = RULE.evaluate(RULE.event("compliant"))

    assert non_compliant[0]["Annotation"] == "Default encryption is AES256 (SSE-S3), not SSE-KMS."
    assert compliant[0]["Annotation"] == f"Default encryption is aws:kms (SSE-KMS) with {KEY_ARN}."


@pytest.mark.parametrize(
    ("supplementary", "expected", "annotation"),
    [
        (
            _sse("aws:kms"),
            "COMPLIANT",
            "Default encryption is aws:kms (SSE-KMS) with the AWS managed key aws/s3.",
        ),
        (
            _sse("aws:kms:dsse", KEY_ARN),
            "COMPLIANT",
            f"Default encryption is aws:kms:dsse (DSSE-KMS) with {KEY_ARN}.",
        ),
        (
            {"ServerSideEncryptionConfiguration": {"rules": []}},
            "NON_COMPLIANT",
            "No default encryption is configured.",
        ),
        # The configuration history API serialises supplementary values as JSON strings.
        (
            {"ServerSideEncryptionConfiguration": json.dumps(_sse("AES256")["ServerSideEncryptionConfiguration"])},
            "NON_COMPLIANT",
            "Default encryption is AES256 (SSE-S3), not SSE-KMS.",
        ),
    ],
    ids=["kms-aws-managed-key", "dsse-kms", "no-rules", "json-string"],
)
def test_recorded_variants(api_calls, supplementary, expected, annotation):
    item = set_field(RULE.item("compliant"), "supplementaryConfiguration", supplementary)

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert api_calls.operations == ["PutEvaluations"]


def test_falls_back_to_s3_when_the_item_lacks_the_setting(api_calls):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="example-bucket")
    event = RULE.event("not_recorded_in_item")

    # No default encryption at all (ServerSideEncryptionConfigurationNotFoundError).
    result = RULE.evaluate(event)
    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"] == "No default encryption is configured."

    s3.put_bucket_encryption(
        Bucket="example-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    result = RULE.evaluate(event)
    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"] == "Default encryption is AES256 (SSE-S3), not SSE-KMS."

    s3.put_bucket_encryption(
        Bucket="example-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN}}]
        },
    )
    api_calls.clear()
    result = RULE.evaluate(event)
    assert single_compliance(result) == "COMPLIANT"
    assert result[0]["Annotation"] == f"Default encryption is aws:kms (SSE-KMS) with {KEY_ARN}."
    assert api_calls.operations == ["GetBucketEncryption", "PutEvaluations"]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))


def test_access_denied_is_reported_as_such(api_calls):
    api_calls.fail("GetBucketEncryption", code="AccessDenied")
    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert result["customerErrorCode"] == "AccessDenied"
    assert "PutEvaluations" not in api_calls.operations
