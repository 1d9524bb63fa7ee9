"""Runbook enable_kms_key_rotation: fixes, is idempotent, leaves compliant and unrotatable keys alone.

moto differs from AWS here: it enables rotation of asymmetric keys and of keys with imported key material (AWS
answers UnsupportedOperationException), and reports a multi-Region replica as PRIMARY; the runbook's own checks
on DescribeKey are what refuse those keys, so the tests set DescribeKey's answer where moto's shape is wrong.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.enable_kms_key_rotation import script
from tests.conftest import REPO_ROOT, load_example

EVENT = load_example(REPO_ROOT / "ssm_documents" / "enable_kms_key_rotation" / "events" / "enable_key_rotation.json")


@pytest.fixture
def kms(aws):
    return boto3.client("kms")


def _run(key_id: str, **extra: object) -> dict:
    return script.enable_key_rotation({**EVENT, "KeyId": key_id, **extra}, None)


def _rotation(kms, key_id: str) -> bool:
    return kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]


def test_turns_rotation_on_and_records_the_previous_setting(kms, api_calls):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    api_calls.clear()

    result = _run(key_id)

    assert _rotation(kms, key_id) is True
    assert result["Changed"] is True
    assert result["PreviousState"] == {"KeyRotationEnabled": False}
    assert result["CurrentState"] == result["PlannedState"] == {"KeyRotationEnabled": True}
    assert api_calls.mutating == ["EnableKeyRotation"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_second_run_makes_no_mutating_call(kms, api_calls):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    _run(key_id)
    api_calls.clear()

    result = _run(key_id)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_compliant_key_is_left_alone(kms, api_calls):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id)
    api_calls.clear()

    result = _run(key_id)

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == {"KeyRotationEnabled": True}
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}, "RSA_2048 key"),
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, "HMAC_256 key"),
        ({"Origin": "EXTERNAL"}, "origin EXTERNAL"),
    ],
)
def test_keys_kms_cannot_rotate_are_refused_without_any_change(kms, api_calls, options, reason):
    key_id = kms.create_key(**options)["KeyMetadata"]["KeyId"]
    api_calls.clear()

    with pytest.raises(ValueError, match=f"cannot be rotated automatically: .*{reason}.*nothing changed"):
        _run(key_id)
    assert api_calls.mutating == []
    assert api_calls.operations == ["DescribeKey"]


def test_a_key_pending_deletion_is_refused(kms, api_calls):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    api_calls.clear()

    with pytest.raises(ValueError, match="PendingDeletion, not Enabled"):
        _run(key_id)
    assert api_calls.mutating == []


def test_an_aws_managed_key_is_refused(kms, api_calls):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    # moto makes every key customer managed; AWS reports KeyManager AWS for aws/<service> keys.
    api_calls.respond("DescribeKey", {"KeyMetadata": {**metadata, "KeyManager": "AWS"}})

    with pytest.raises(ValueError, match="AWS managed key"):
        _run(key_id)
    assert api_calls.mutating == []


def test_a_multi_region_replica_is_refused_naming_its_primary(kms, api_calls):
    key_id = "mrk-" + "0" * 32
    primary = f"arn:aws:kms:eu-west-1:123456789012:key/{key_id}"
    metadata = {
        "KeyId": key_id,
        "KeyManager": "CUSTOMER",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "Origin": "AWS_KMS",
        "KeyState": "Enabled",
        "MultiRegion": True,
        "MultiRegionConfiguration": {"MultiRegionKeyType": "REPLICA", "PrimaryKey": {"Arn": primary}},
    }
    api_calls.respond("DescribeKey", {"KeyMetadata": metadata})

    with pytest.raises(ValueError, match=f"replica; turn rotation on at its primary key {primary}"):
        _run(key_id)
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(kms, api_calls):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    api_calls.fail("EnableKeyRotation", code="AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDeniedException"):
        _run(key_id)
    assert _rotation(kms, key_id) is False


def test_missing_key_fails_without_any_change(kms, api_calls):
    with pytest.raises(ClientError, match="NotFoundException"):
        _run("00000000-0000-4000-8000-000000000000")
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    "key_id",
    [None, "", "alias/aws/s3", "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
)
def test_anything_but_a_key_id_is_refused_before_any_call(aws, api_calls, key_id):
    with pytest.raises(ValueError, match="KeyId must be a KMS key id"):
        _run(key_id)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(kms, api_calls):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    api_calls.clear()

    result = _run(key_id, DryRun=True)

    assert api_calls.mutating == []
    assert _rotation(kms, key_id) is False
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"KeyRotationEnabled": False}
    assert result["PlannedState"] == {"KeyRotationEnabled": True}
    assert result["Message"] == f"Dry run: would turn on automatic rotation of key {key_id}; nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_refuses_an_unrotatable_key_like_a_real_run(kms, api_calls):
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]

    with pytest.raises(ValueError, match="origin EXTERNAL"):
        _run(key_id, DryRun="true")
    assert api_calls.mutating == []


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run("1234abcd-12ab-34cd-56ef-1234567890ab", DryRun="yes")
    assert api_calls.operations == []
