"""Runbook enable_sns_topic_encryption: sets a KMS key, never replaces one, refuses the AWS managed key for
topics AWS services publish to."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.sns_topic.simulation import create_topic
from ssm_documents.enable_sns_topic_encryption import script
from tests.conftest import REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "enable_sns_topic_encryption" / "events" / "enable_topic_encryption.json"
)
ARN = EVENT["TopicArn"]
NAME = ARN.rsplit(":", 1)[-1]


def _run(**extra: object) -> dict:
    return script.enable_topic_encryption({**EVENT, **extra}, None)


def _customer_key() -> str:
    # KeyUsage given: AWS defaults it to ENCRYPT_DECRYPT, moto's DescribeKey reports none when it is left out.
    return boto3.client("kms").create_key(KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]


def _key() -> str | None:
    return boto3.client("sns").get_topic_attributes(TopicArn=ARN)["Attributes"].get("KmsMasterKeyId")


def test_sets_the_aws_managed_key_and_records_the_previous_setting(aws, api_calls):
    assert create_topic(REGION, NAME, None) == ARN
    api_calls.clear()

    result = _run()

    assert _key() == "alias/aws/sns"
    assert result["Changed"] is True
    assert result["PreviousState"] == {"KmsMasterKeyId": ""}
    assert result["CurrentState"] == result["PlannedState"] == {"KmsMasterKeyId": "alias/aws/sns"}
    assert api_calls.mutating == ["SetTopicAttributes"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_a_customer_key_is_checked_then_set(aws, api_calls):
    create_topic(REGION, NAME, None)
    key = _customer_key()
    api_calls.clear()

    result = _run(KmsKeyId=key)

    assert _key() == key and result["Changed"] is True
    assert "DescribeKey" in api_calls.operations


def test_a_disabled_customer_key_is_refused(aws, api_calls):
    create_topic(REGION, NAME, None)
    key = _customer_key()
    boto3.client("kms").disable_key(KeyId=key.rsplit("/", 1)[-1])  # moto disables by key id only
    api_calls.clear()

    with pytest.raises(ValueError, match="not an enabled symmetric encryption key"):
        _run(KmsKeyId=key)
    assert api_calls.mutating == [] and _key() is None


def test_the_aws_managed_key_is_refused_for_a_topic_aws_services_publish_to(aws, api_calls):
    create_topic(REGION, NAME, None)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sns:Publish", "Resource": ARN}
        ],
    }
    boto3.client("sns").set_topic_attributes(TopicArn=ARN, AttributeName="Policy", AttributeValue=json.dumps(policy))
    api_calls.clear()

    with pytest.raises(ValueError, match=r"AWS service publishers \(s3.amazonaws.com\)"):
        _run()
    assert api_calls.mutating == [] and _key() is None


def test_second_run_makes_no_mutating_call(aws, api_calls):
    create_topic(REGION, NAME, None)
    _run()
    api_calls.clear()

    result = _run()

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_a_topic_with_a_key_keeps_it(aws, api_calls):
    key = _customer_key()
    create_topic(REGION, NAME, key)
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False and _key() == key
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(aws, api_calls):
    create_topic(REGION, NAME, None)
    api_calls.fail("SetTopicAttributes", code="AuthorizationError")

    with pytest.raises(ClientError, match="AuthorizationError"):
        _run()
    assert _key() is None


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sns:us-east-1:210987654321:payment-notifications",
        "arn:aws:sns:eu-west-1:123456789012:payment-notifications",
        "arn:aws:sqs:us-east-1:123456789012:payment-notifications",
        None,
    ],
)
def test_a_topic_of_another_account_or_region_is_refused_before_sns(aws, api_calls, arn):
    with pytest.raises(ValueError, match=r"TopicArn must be|is not in this account"):
        _run(TopicArn=arn)
    assert [c.operation for c in api_calls.calls if c.service == "sns"] == []


@pytest.mark.parametrize("key", ["alias/aws/s3", "alias/my-key", ""])
def test_another_key_form_is_refused_before_any_call(aws, api_calls, key):
    with pytest.raises(ValueError, match="KmsKeyId must be"):
        _run(KmsKeyId=key)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(aws, api_calls):
    create_topic(REGION, NAME, None)
    api_calls.clear()

    result = _run(DryRun=True)

    assert api_calls.mutating == [] and _key() is None
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PlannedState"] == {"KmsMasterKeyId": "alias/aws/sns"}
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run(DryRun="yes")
    assert api_calls.operations == []
