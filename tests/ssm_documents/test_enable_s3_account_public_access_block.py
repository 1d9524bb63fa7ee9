"""Runbook enable_s3_account_public_access_block: fixes, records the previous state, is idempotent, refuses
another account, dry run."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.enable_s3_account_public_access_block import script
from tests.conftest import REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT
    / "ssm_documents"
    / "enable_s3_account_public_access_block"
    / "events"
    / "enable_account_public_access_block.json"
)
ACCOUNT = EVENT["AccountId"]
ALL_ON = dict.fromkeys(script.SETTINGS, True)
ACLS_ONLY = {**dict.fromkeys(script.SETTINGS, False), "BlockPublicAcls": True, "IgnorePublicAcls": True}


@pytest.fixture
def s3control(aws):
    return boto3.client("s3control")


def _settings(s3control) -> dict:
    return s3control.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]


def test_turns_on_all_settings_and_records_the_previous_ones(s3control, api_calls):
    s3control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ACLS_ONLY)
    api_calls.clear()

    result = script.enable_account_public_access_block(dict(EVENT), None)

    assert _settings(s3control) == ALL_ON
    assert (result["Changed"], result["PreviousState"], result["CurrentState"]) == (True, ACLS_ONLY, ALL_ON)
    assert "BlockPublicPolicy, RestrictPublicBuckets" in result["Message"]
    assert api_calls.mutating == ["PutPublicAccessBlock"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_account_without_configuration_is_fixed(s3control, api_calls):
    result = script.enable_account_public_access_block(dict(EVENT), None)

    assert result["PreviousState"] == dict.fromkeys(script.SETTINGS, False)
    assert _settings(s3control) == ALL_ON


def test_second_run_makes_no_mutating_call(s3control, api_calls):
    script.enable_account_public_access_block(dict(EVENT), None)
    api_calls.clear()

    result = script.enable_account_public_access_block(dict(EVENT), None)

    assert result["Changed"] is False
    assert api_calls.mutating == []


def test_compliant_account_is_left_alone(s3control, api_calls):
    s3control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_ON)
    api_calls.clear()

    result = script.enable_account_public_access_block(dict(EVENT), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert result["PreviousState"] == result["CurrentState"] == ALL_ON
    assert api_calls.mutating == []


def test_another_account_is_refused_without_any_change(s3control, api_calls):
    with pytest.raises(ValueError, match="not the account this runbook runs in"):
        script.enable_account_public_access_block({**EVENT, "AccountId": "210987654321"}, None)

    assert api_calls.operations == ["GetCallerIdentity"]


@pytest.mark.parametrize("account_id", [None, "", "12345678901", "1234567890123", "12345678901a"])
def test_malformed_account_id_is_refused_before_any_call(aws, api_calls, account_id):
    with pytest.raises(ValueError, match="AccountId must be a 12-digit"):
        script.enable_account_public_access_block({**EVENT, "AccountId": account_id}, None)
    assert api_calls.operations == []


def test_aws_error_fails_the_step_and_changes_nothing(s3control, api_calls):
    s3control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ACLS_ONLY)
    api_calls.fail("PutPublicAccessBlock", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        script.enable_account_public_access_block(dict(EVENT), None)

    assert _settings(s3control) == ACLS_ONLY


def test_failed_read_fails_without_any_change(s3control, api_calls):
    api_calls.fail("GetPublicAccessBlock", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        script.enable_account_public_access_block(dict(EVENT), None)
    assert api_calls.mutating == []


def test_dry_run_returns_the_plan_and_changes_nothing(s3control, api_calls):
    s3control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ACLS_ONLY)
    api_calls.clear()

    result = script.enable_account_public_access_block({**EVENT, "DryRun": "true"}, None)

    assert api_calls.mutating == []
    assert _settings(s3control) == ACLS_ONLY
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert (result["PreviousState"], result["PlannedState"], result["CurrentState"]) == (ACLS_ONLY, ALL_ON, ACLS_ONLY)
    assert result["Message"] == (
        f"Dry run: would turn on BlockPublicPolicy, RestrictPublicBuckets for account {ACCOUNT}; nothing changed."
    )
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.enable_account_public_access_block({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
