"""Runbook enable_s3_bucket_kms_encryption: fixes, is idempotent, leaves KMS-encrypted buckets alone."""

from __future__ import annotations

import json
import re

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from ssm_documents.enable_s3_bucket_kms_encryption import script
from tests.conftest import ACCOUNT_ID, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "enable_s3_bucket_kms_encryption"
EVENT = load_example(RUNBOOK / "events" / "enable_bucket_kms_encryption.json")
BUCKET = EVENT["BucketName"]
SSE_S3 = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]


def _rules(s3) -> list[dict]:
    return s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]


def _set(s3, rules: list[dict]) -> None:
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": rules})


@pytest.fixture
def s3(aws):
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    _set(client, SSE_S3)
    return client


@pytest.fixture
def kms_key(aws) -> dict:
    kms = boto3.client("kms")
    key = kms.create_key(Description="bucket key")["KeyMetadata"]
    kms.create_alias(AliasName="alias/example-bucket", TargetKeyId=key["KeyId"])
    return key


@pytest.fixture
def s3_params(api_calls) -> list[tuple[str, dict]]:
    """The parameters of every S3 call made (the recorder sees only the serialised request)."""
    seen: list[tuple[str, dict]] = []

    def record(params, model, **_kwargs):
        seen.append((model.name, dict(params)))

    boto3.DEFAULT_SESSION.events.register("provide-client-params.s3", record)
    return seen


def test_sse_s3_bucket_gets_sse_kms_with_the_aws_managed_key(s3, api_calls, s3_params):
    api_calls.clear()

    result = script.enable_bucket_kms_encryption(dict(EVENT), None)

    expected = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]
    assert _rules(s3) == expected
    assert result["Changed"] is True
    assert result["PreviousState"] == SSE_S3
    assert result["CurrentState"] == expected
    assert "from AES256 to aws:kms with the AWS managed key aws/s3" in result["Message"]
    assert api_calls.mutating == ["PutBucketEncryption"]
    api_calls.assert_within(script.IAM_ACTIONS)
    # Every S3 call names this account as the expected owner: another account's bucket fails unchanged.
    assert [name for name, _ in s3_params] == [
        "GetBucketEncryption",
        "GetBucketPolicy",
        "GetBucketTagging",
        "PutBucketEncryption",
    ]
    assert all(params.get("ExpectedBucketOwner") == ACCOUNT_ID for _, params in s3_params)


@pytest.mark.parametrize("reference", ["alias", "alias_arn", "key_id", "key_arn"])
def test_customer_key_is_checked_and_pinned_by_its_arn(s3, kms_key, api_calls, reference):
    key_id = {
        "alias": "alias/example-bucket",
        "alias_arn": f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:alias/example-bucket",
        "key_id": kms_key["KeyId"],
        "key_arn": kms_key["Arn"],
    }[reference]
    api_calls.clear()

    result = script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": key_id}, None)

    expected = [
        {
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": kms_key["Arn"],
            },
            "BucketKeyEnabled": True,
        }
    ]
    assert _rules(s3) == expected
    assert result["Changed"] is True
    assert result["CurrentState"] == expected
    assert api_calls.operations == [
        "GetCallerIdentity",
        "GetBucketEncryption",
        "GetBucketPolicy",
        "GetBucketTagging",
        "DescribeKey",
        "PutBucketEncryption",
    ]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_bucket_without_default_encryption_is_fixed(aws, api_calls):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)

    result = script.enable_bucket_kms_encryption(dict(EVENT), None)

    assert result["PreviousState"] is None
    assert "from no default encryption to aws:kms" in result["Message"]
    assert _rules(s3)[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"


def test_second_run_makes_no_mutating_call(s3, kms_key, api_calls):
    event = {**EVENT, "KmsKeyId": "alias/example-bucket"}
    script.enable_bucket_kms_encryption(event, None)
    api_calls.clear()

    result = script.enable_bucket_kms_encryption(event, None)

    assert result["Changed"] is False
    assert api_calls.mutating == []
    # The key ARN stored by the first run is recognised as the requested alias's key: no warning.
    assert "not recognisably" not in result["Message"]
    assert _rules(s3)[0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == kms_key["Arn"]
    api_calls.assert_within(script.IAM_ACTIONS)


@pytest.mark.parametrize(
    "rules",
    [
        [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": False}],
        [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse"}, "BucketKeyEnabled": False}],
    ],
    ids=["sse-kms", "dsse-kms"],
)
def test_kms_encrypted_bucket_is_left_alone(s3, api_calls, rules):
    _set(s3, rules)
    api_calls.clear()

    result = script.enable_bucket_kms_encryption(dict(EVENT), None)

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == rules
    assert _rules(s3) == rules
    assert "nothing changed" in result["Message"]
    assert api_calls.mutating == []
    assert "DescribeKey" not in api_calls.operations


def test_bucket_on_another_kms_key_is_not_switched_and_the_message_says_why(s3, kms_key, api_calls):
    kms = boto3.client("kms")
    other = kms.create_key(Description="current key")["KeyMetadata"]["Arn"]
    current = [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": other},
            "BucketKeyEnabled": True,
        }
    ]
    _set(s3, current)
    api_calls.clear()

    result = script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": kms_key["Arn"]}, None)

    assert result["Changed"] is False
    assert _rules(s3) == current
    assert api_calls.mutating == []
    assert f"not recognisably the requested key {kms_key['Arn']}" in result["Message"]
    assert "switching keys can break readers and writers" in result["Message"]


@pytest.mark.parametrize("requested", ["alias/example-bucket", "alias/does-not-exist"])
def test_bucket_on_the_aws_managed_key_is_not_switched_to_a_customer_key(s3, kms_key, api_calls, requested):
    current = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]
    _set(s3, current)
    api_calls.clear()

    result = script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": requested}, None)

    assert result["Changed"] is False
    assert _rules(s3) == current
    assert api_calls.mutating == []
    assert "with the AWS managed key aws/s3; nothing changed" in result["Message"]
    assert f"not recognisably the requested key {requested}" in result["Message"]


def test_same_key_by_id_is_recognised(s3, kms_key, api_calls):
    current = [
        {
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": kms_key["Arn"],
            },
            "BucketKeyEnabled": True,
        }
    ]
    _set(s3, current)

    result = script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": kms_key["KeyId"]}, None)

    assert result["Changed"] is False
    assert "not recognisably" not in result["Message"]


def test_aws_error_fails_the_step_and_changes_nothing(s3, kms_key, api_calls):
    api_calls.fail("PutBucketEncryption", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": kms_key["Arn"]}, None)

    assert _rules(s3) == SSE_S3


def test_bucket_of_another_account_fails_unchanged(s3, api_calls):
    # S3 answers 403 AccessDenied when ExpectedBucketOwner is not the bucket's owner (moto does not check it).
    api_calls.fail("GetBucketEncryption", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        script.enable_bucket_kms_encryption(dict(EVENT), None)

    assert api_calls.mutating == []


def test_missing_bucket_fails_without_any_change(aws, api_calls):
    with pytest.raises(ClientError, match="NoSuchBucket"):
        script.enable_bucket_kms_encryption(dict(EVENT), None)
    assert api_calls.mutating == []


@pytest.mark.parametrize("state", ["disable", "schedule"])
def test_unusable_key_is_a_clear_error_and_changes_nothing(s3, kms_key, api_calls, state):
    kms = boto3.client("kms")
    if state == "disable":
        kms.disable_key(KeyId=kms_key["KeyId"])
    else:
        kms.schedule_key_deletion(KeyId=kms_key["KeyId"], PendingWindowInDays=7)
    api_calls.clear()

    with pytest.raises(ValueError, match="not Enabled"):
        script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": kms_key["Arn"]}, None)

    assert api_calls.mutating == []
    assert _rules(s3) == SSE_S3


def test_asymmetric_key_is_a_clear_error(s3, api_calls):
    key = boto3.client("kms").create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    api_calls.clear()

    with pytest.raises(ValueError, match="symmetric"):
        script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": key["Arn"]}, None)

    assert api_calls.mutating == []
    assert _rules(s3) == SSE_S3


def test_unknown_key_fails_before_any_change(s3, api_calls):
    with pytest.raises(ClientError, match="NotFoundException"):
        script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": "alias/does-not-exist"}, None)

    assert api_calls.mutating == []
    assert _rules(s3) == SSE_S3


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({}, "BucketName is required"),
        ({"BucketName": "Not_A_Bucket"}, "not a valid S3 bucket name"),
        ({"BucketName": BUCKET, "KmsKeyId": "aws/s3"}, "KmsKeyId"),
        ({"BucketName": BUCKET, "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/*"}, "KmsKeyId"),
        ({"BucketName": BUCKET, "KmsKeyId": 42}, "KmsKeyId"),
    ],
)
def test_bad_input_is_a_clear_error_with_no_call(aws, api_calls, event, error):
    with pytest.raises(ValueError, match=error):
        script.enable_bucket_kms_encryption(event, None)
    assert api_calls.operations == []


def test_document_matches_the_script():
    document = yaml.safe_load((RUNBOOK / "document.yaml").read_text())
    parameters = document["parameters"]

    assert next(iter(parameters)) == "AutomationAssumeRole"
    assert parameters["BucketName"]["allowedPattern"] == script.BUCKET_NAME_PATTERN
    assert parameters["KmsKeyId"]["allowedPattern"] == script.KMS_KEY_ID_PATTERN
    assert parameters["KmsKeyId"]["default"] == ""
    assert all(p["type"] != "String" or "allowedPattern" in p for p in parameters.values())
    for step in document["mainSteps"]:
        if step["action"] == "aws:executeScript":
            assert "Script" not in step["inputs"]
            assert callable(getattr(script, step["inputs"]["Handler"]))


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        ("1234abcd-12ab-34cd-56ef-1234567890ab", True),
        ("mrk-1234abcd12ab34cd56ef1234567890ab", True),
        ("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", True),
        ("arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/data/s3", True),
        ("alias/example-bucket", True),
        ("alias/", False),
        ("example-bucket", False),
        ("arn:aws:kms:eu-west-1:123456789012:key/", False),
        ("arn:aws:s3:::example-bucket", False),
    ],
)
def test_kms_key_pattern(value, accepted):
    assert bool(re.match(script.KMS_KEY_ID_PATTERN, value)) is accepted


def test_dry_run_checks_the_key_returns_the_plan_and_changes_nothing(s3, kms_key, api_calls):
    api_calls.clear()

    result = script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": "alias/example-bucket", "DryRun": True}, None)

    assert api_calls.mutating == []
    assert "DescribeKey" in api_calls.operations  # the key is checked as in a real run
    assert _rules(s3) == SSE_S3
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == SSE_S3 == result["CurrentState"]
    assert result["PlannedState"] == [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key["Arn"]},
            "BucketKeyEnabled": True,
        }
    ]
    assert result["Message"].startswith("Dry run: Default encryption would change from AES256 to aws:kms with")
    assert result["Message"].endswith("Nothing changed.")


def test_dry_run_refuses_an_unusable_key_as_a_real_run_does(s3, kms_key, api_calls):
    boto3.client("kms").disable_key(KeyId=kms_key["KeyId"])
    api_calls.clear()

    with pytest.raises(ValueError, match="not Enabled"):
        script.enable_bucket_kms_encryption({**EVENT, "KmsKeyId": kms_key["KeyId"], "DryRun": True}, None)
    assert api_calls.mutating == []


ELB_LOG_POLICIES = {
    "service principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
    "ELB account of us-east-1": {"AWS": "arn:aws:iam::127311923021:root"},
    "S3 server access logging": {"Service": "logging.s3.amazonaws.com"},
}


@pytest.mark.parametrize("principal", list(ELB_LOG_POLICIES.values()), ids=list(ELB_LOG_POLICIES))
@pytest.mark.parametrize("dry_run", [False, True])
def test_log_delivery_bucket_stays_sse_s3_with_the_reason(s3, api_calls, principal, dry_run):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    api_calls.clear()

    result = script.enable_bucket_kms_encryption({**EVENT, "DryRun": dry_run}, None)

    assert _rules(s3) == SSE_S3
    assert not api_calls.mutating
    assert result["Skipped"] is True and result["Changed"] is False and result["WouldChange"] is False
    assert "log" in result["Message"] and "SSE-S3 only" in result["Message"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_bucket_tagged_to_keep_sse_s3_is_left_alone(s3, api_calls):
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": script.KEEP_SSE_S3_TAG, "Value": "true"}]})
    api_calls.clear()

    result = script.enable_bucket_kms_encryption(dict(EVENT), None)

    assert _rules(s3) == SSE_S3
    assert not api_calls.mutating
    assert script.KEEP_SSE_S3_TAG in result["Message"]


def test_policy_of_other_principals_does_not_stop_the_fix(s3, api_calls):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": script.KEEP_SSE_S3_TAG, "Value": "no"}]})

    result = script.enable_bucket_kms_encryption(dict(EVENT), None)

    assert result["Changed"] is True
    assert _rules(s3)[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
