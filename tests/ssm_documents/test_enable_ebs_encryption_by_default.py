"""Runbook enable_ebs_encryption_by_default: fixes this Region only, records the previous state, is idempotent,
refuses another account, dry run."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.enable_ebs_encryption_by_default import script
from tests.conftest import REGION, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "enable_ebs_encryption_by_default"
EVENT = load_example(RUNBOOK / "events" / "enable_ebs_encryption_by_default.json")
OFF, ON = {"EbsEncryptionByDefault": False}, {"EbsEncryptionByDefault": True}


@pytest.fixture
def ec2(aws):
    return boto3.client("ec2")


def _enabled(client) -> bool:
    return client.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]


def test_turns_encryption_by_default_on_in_this_region_only(ec2, api_calls):
    other = boto3.client("ec2", region_name="eu-central-1")

    result = script.enable_ebs_encryption_by_default(dict(EVENT), None)

    assert _enabled(ec2) is True
    assert _enabled(other) is False
    assert (result["Changed"], result["PreviousState"], result["CurrentState"]) == (True, OFF, ON)
    assert result["Region"] == REGION
    assert api_calls.mutating == ["EnableEbsEncryptionByDefault"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_existing_volumes_are_left_as_they_are(ec2, api_calls):
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]

    script.enable_ebs_encryption_by_default(dict(EVENT), None)

    # Only the Region's setting changes; what it does to new volumes is EBS's (moto does not emulate that).
    assert ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["Encrypted"] is False
    assert api_calls.mutating == ["EnableEbsEncryptionByDefault"]


def test_second_run_makes_no_mutating_call(ec2, api_calls):
    script.enable_ebs_encryption_by_default(dict(EVENT), None)
    api_calls.clear()

    result = script.enable_ebs_encryption_by_default(dict(EVENT), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert result["PreviousState"] == result["CurrentState"] == ON
    assert api_calls.mutating == []


def test_another_account_is_refused_without_any_change(ec2, api_calls):
    with pytest.raises(ValueError, match="not the account this runbook runs in"):
        script.enable_ebs_encryption_by_default({**EVENT, "AccountId": "210987654321"}, None)

    assert api_calls.operations == ["GetCallerIdentity"]
    assert _enabled(ec2) is False


@pytest.mark.parametrize("account_id", [None, "", "12345678901", "12345678901a"])
def test_malformed_account_id_is_refused_before_any_call(aws, api_calls, account_id):
    with pytest.raises(ValueError, match="AccountId must be a 12-digit"):
        script.enable_ebs_encryption_by_default({**EVENT, "AccountId": account_id}, None)
    assert api_calls.operations == []


def test_aws_error_fails_the_step_and_changes_nothing(ec2, api_calls):
    api_calls.fail("EnableEbsEncryptionByDefault", code="UnauthorizedOperation")

    with pytest.raises(ClientError, match="UnauthorizedOperation"):
        script.enable_ebs_encryption_by_default(dict(EVENT), None)

    assert _enabled(ec2) is False


def test_unreadable_setting_fails_without_any_change(ec2, api_calls):
    api_calls.respond("GetEbsEncryptionByDefault", {})

    with pytest.raises(ValueError, match="expected true or false; nothing changed"):
        script.enable_ebs_encryption_by_default(dict(EVENT), None)
    assert api_calls.mutating == []


def test_dry_run_returns_the_plan_and_changes_nothing(ec2, api_calls):
    result = script.enable_ebs_encryption_by_default({**EVENT, "DryRun": "true"}, None)

    assert api_calls.mutating == []
    assert _enabled(ec2) is False
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert (result["PreviousState"], result["PlannedState"], result["CurrentState"]) == (OFF, ON, OFF)
    assert result["Message"] == f"Dry run: would turn on EBS encryption by default in {REGION}; nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.enable_ebs_encryption_by_default({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
