"""Runbook enable_s3_bucket_public_access_block: fixes, is idempotent, leaves compliant buckets alone."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.enable_s3_bucket_public_access_block import script
from tests.conftest import REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT
    / "ssm_documents"
    / "enable_s3_bucket_public_access_block"
    / "events"
    / "enable_bucket_public_access_block.json"
)
BUCKET = EVENT["BucketName"]


def _settings(s3) -> dict:
    return s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]


@pytest.fixture
def s3(aws):
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def test_turns_on_all_settings_and_records_the_previous_ones(s3, api_calls):
    s3.put_public_access_block(
        Bucket=BUCKET, PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": False}
    )
    api_calls.clear()

    result = script.enable_bucket_public_access_block(dict(EVENT), None)

    assert _settings(s3) == dict.fromkeys(script.SETTINGS, True)
    assert result["Changed"] is True
    assert result["PreviousState"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    assert api_calls.mutating == ["PutPublicAccessBlock"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_bucket_without_any_configuration_is_fixed(s3, api_calls):
    result = script.enable_bucket_public_access_block(dict(EVENT), None)

    assert result["PreviousState"] == dict.fromkeys(script.SETTINGS, False)
    assert _settings(s3) == dict.fromkeys(script.SETTINGS, True)


def test_second_run_makes_no_mutating_call(s3, api_calls):
    script.enable_bucket_public_access_block(dict(EVENT), None)
    api_calls.clear()

    result = script.enable_bucket_public_access_block(dict(EVENT), None)

    assert result["Changed"] is False
    assert api_calls.mutating == []


def test_compliant_bucket_is_left_alone(s3, api_calls):
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration=dict.fromkeys(script.SETTINGS, True))
    api_calls.clear()

    result = script.enable_bucket_public_access_block(dict(EVENT), None)

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"]
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(s3, api_calls):
    api_calls.fail("PutPublicAccessBlock", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        script.enable_bucket_public_access_block(dict(EVENT), None)

    with pytest.raises(ClientError, match="NoSuchPublicAccessBlockConfiguration"):
        _settings(s3)


def test_missing_bucket_fails_without_any_change(aws, api_calls):
    with pytest.raises(ClientError, match="NoSuchBucket"):
        script.enable_bucket_public_access_block(dict(EVENT), None)
    assert api_calls.mutating == []


def test_missing_bucket_name_is_a_clear_error(aws, api_calls):
    with pytest.raises(ValueError, match="BucketName is required"):
        script.enable_bucket_public_access_block({}, None)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(s3, api_calls):
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    api_calls.clear()

    result = script.enable_bucket_public_access_block({**EVENT, "DryRun": True}, None)

    assert api_calls.mutating == []
    assert _settings(s3) == {**dict.fromkeys(script.SETTINGS, False), "BlockPublicAcls": True}
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == {**dict.fromkeys(script.SETTINGS, False), "BlockPublicAcls": True}
    assert result["PlannedState"] == dict.fromkeys(script.SETTINGS, True)
    assert result["CurrentState"] == result["PreviousState"]
    assert result["Message"] == (
        f"Dry run: would turn on IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets of bucket {BUCKET}; "
        "nothing changed."
    )
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_of_a_missing_bucket_fails_like_a_real_run(aws, api_calls):
    with pytest.raises(ClientError, match="NoSuchBucket"):
        script.enable_bucket_public_access_block({**EVENT, "DryRun": "true"}, None)
    assert api_calls.mutating == []


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.enable_bucket_public_access_block({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
