"""Runbook enable_s3_bucket_object_versioning: enables (never suspends), is idempotent, leaves enabled buckets alone."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.enable_s3_bucket_object_versioning import script
from tests.conftest import REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "enable_s3_bucket_object_versioning" / "events" / "enable_bucket_versioning.json"
)
BUCKET = EVENT["BucketName"]
ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def s3(aws):
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def _run(**extra: object) -> dict:
    return script.enable_bucket_versioning({**EVENT, **extra}, None)


def _status(s3) -> str | None:
    return s3.get_bucket_versioning(Bucket=BUCKET).get("Status")


@pytest.mark.parametrize("before", [None, "Suspended"])
def test_enables_versioning_and_records_the_previous_status(s3, api_calls, before):
    if before:
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": before})
    api_calls.clear()

    result = _run()

    assert _status(s3) == "Enabled"
    assert result["Changed"] is True
    assert result["PreviousState"]["Status"] == (before or "Off")
    assert result["CurrentState"]["Status"] == result["PlannedState"]["Status"] == "Enabled"
    assert api_calls.mutating == ["PutBucketVersioning"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_every_s3_call_names_the_expected_owner(s3, api_calls):
    seen: list[tuple[str, dict]] = []  # the recorder sees only the serialised request: record the parameters
    boto3.DEFAULT_SESSION.events.register(
        "provide-client-params.s3", lambda params, model, **_: seen.append((model.name, dict(params)))
    )

    _run()

    assert [name for name, _ in seen] == ["GetBucketVersioning", "PutBucketVersioning", "GetBucketVersioning"]
    assert all(params.get("ExpectedBucketOwner") == ACCOUNT for _, params in seen)


def test_bucket_of_another_account_fails_unchanged(s3, api_calls):
    # S3 answers 403 AccessDenied when ExpectedBucketOwner is not the bucket's owner (moto does not check it).
    api_calls.fail("GetBucketVersioning", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        _run()
    assert api_calls.mutating == []


def test_second_run_makes_no_mutating_call(s3, api_calls):
    _run()
    api_calls.clear()

    result = _run()

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_an_object_lock_bucket_is_left_alone(aws, api_calls):
    boto3.client("s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == {"Status": "Enabled"}
    assert api_calls.mutating == []


def test_a_suspended_bucket_with_mfa_delete_is_refused(s3, api_calls):
    # moto reports no MFADelete: AWS does once a root user has set it (GetBucketVersioning).
    api_calls.respond("GetBucketVersioning", {"Status": "Suspended", "MFADelete": "Enabled"})

    with pytest.raises(RuntimeError, match="MFA delete on: only its account's root user"):
        _run()
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(s3, api_calls):
    api_calls.fail("PutBucketVersioning", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        _run()
    assert _status(s3) is None


def test_missing_bucket_fails_without_any_change(aws, api_calls):
    with pytest.raises(ClientError, match="NoSuchBucket"):
        _run()
    assert api_calls.mutating == []


@pytest.mark.parametrize("name", [None, "", "Example_Bucket", "arn:aws:s3:::example-bucket"])
def test_anything_but_a_bucket_name_is_refused_before_any_call(aws, api_calls, name):
    with pytest.raises(ValueError, match="BucketName must be an S3 bucket name"):
        _run(BucketName=name)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(s3, api_calls):
    api_calls.clear()

    result = _run(DryRun=True)

    assert api_calls.mutating == []
    assert _status(s3) is None
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"Status": "Off"}
    assert result["PlannedState"] == {"Status": "Enabled"}
    assert result["Message"] == f"Dry run: would enable versioning of bucket {BUCKET} (now Off); nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run(DryRun="yes")
    assert api_calls.operations == []
