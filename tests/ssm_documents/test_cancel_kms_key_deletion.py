"""Runbook cancel_kms_key_deletion: cancels a scheduled deletion, leaves the key Disabled, is idempotent.

moto differs from AWS here: its CancelKeyDeletion accepts a key that is not scheduled for deletion (and disables it),
where AWS answers KMSInvalidStateException; the runbook's own check on DescribeKey's KeyState is what keeps such a
key untouched, and the tests below show that check makes no mutating call. moto makes every key customer managed
and has no multi-Region primary in PendingReplicaDeletion: the tests set DescribeKey's answer for those.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.cancel_kms_key_deletion import script
from tests.conftest import REPO_ROOT, load_example

EVENT = load_example(REPO_ROOT / "ssm_documents" / "cancel_kms_key_deletion" / "events" / "cancel_key_deletion.json")


@pytest.fixture
def kms(aws):
    return boto3.client("kms")


def _run(key_id: str, **extra: object) -> dict:
    return script.cancel_key_deletion({**EVENT, "KeyId": key_id, **extra}, None)


def _state(kms, key_id: str) -> str:
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


def _scheduled(kms) -> str:
    key_id = kms.create_key(Description="claims archive")["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    return key_id


def test_cancels_the_deletion_and_leaves_the_key_disabled(kms, api_calls):
    key_id = _scheduled(kms)
    api_calls.clear()

    result = _run(key_id)

    assert _state(kms, key_id) == "Disabled"
    assert result["Changed"] is True
    assert result["PreviousState"]["KeyState"] == "PendingDeletion"
    assert "DeletionDate" in result["PreviousState"]
    assert result["CurrentState"] == result["PlannedState"] == {"KeyState": "Disabled"}
    assert "does not enable it" in result["Message"]
    # CancelKeyDeletion only: no EnableKey, the key stays Disabled until a person enables it.
    assert api_calls.mutating == ["CancelKeyDeletion"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_second_run_makes_no_mutating_call(kms, api_calls):
    key_id = _scheduled(kms)
    _run(key_id)
    api_calls.clear()

    result = _run(key_id)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert result["PreviousState"] == result["CurrentState"] == {"KeyState": "Disabled"}
    assert api_calls.mutating == []


@pytest.mark.parametrize("disable", [False, True])
def test_a_key_not_scheduled_for_deletion_is_left_alone(kms, api_calls, disable):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    if disable:
        kms.disable_key(KeyId=key_id)
    api_calls.clear()

    result = _run(key_id)

    assert result["Changed"] is False
    assert _state(kms, key_id) == ("Disabled" if disable else "Enabled")
    assert api_calls.mutating == []


def test_a_multi_region_primary_waiting_for_its_replicas_is_cancelled(kms, api_calls):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    # moto has no PendingReplicaDeletion; AWS reports it for a scheduled primary key that still has replicas.
    api_calls.respond("DescribeKey", {"KeyMetadata": {**metadata, "KeyState": "PendingReplicaDeletion"}})

    result = _run(key_id)

    assert result["PreviousState"] == {"KeyState": "PendingReplicaDeletion"}
    assert api_calls.mutating == ["CancelKeyDeletion"]


def test_an_aws_managed_key_is_refused(kms, api_calls):
    key_id = _scheduled(kms)
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    api_calls.respond("DescribeKey", {"KeyMetadata": {**metadata, "KeyManager": "AWS"}})

    with pytest.raises(ValueError, match=r"AWS managed key.*nothing changed"):
        _run(key_id)
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(kms, api_calls):
    key_id = _scheduled(kms)
    api_calls.fail("CancelKeyDeletion", code="AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDeniedException"):
        _run(key_id)
    assert _state(kms, key_id) == "PendingDeletion"


def test_missing_key_fails_without_any_change(kms, api_calls):
    with pytest.raises(ClientError, match="NotFoundException"):
        _run("00000000-0000-4000-8000-000000000000")
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    "key_id",
    [None, "", "alias/claims", "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
)
def test_anything_but_a_key_id_is_refused_before_any_call(aws, api_calls, key_id):
    with pytest.raises(ValueError, match="KeyId must be a KMS key id"):
        _run(key_id)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(kms, api_calls):
    key_id = _scheduled(kms)
    api_calls.clear()

    result = _run(key_id, DryRun=True)

    assert api_calls.mutating == []
    assert _state(kms, key_id) == "PendingDeletion"
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"]
    assert result["CurrentState"]["KeyState"] == "PendingDeletion"
    assert result["PlannedState"] == {"KeyState": "Disabled"}
    assert result["Message"] == (
        f"Dry run: would cancel the deletion of key {key_id}, leaving it Disabled; nothing changed."
    )
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run("1234abcd-12ab-34cd-56ef-1234567890ab", DryRun="yes")
    assert api_calls.operations == []
