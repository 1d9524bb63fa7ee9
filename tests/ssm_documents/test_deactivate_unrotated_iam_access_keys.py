"""Runbook deactivate_unrotated_iam_access_keys: deactivates only old active keys, deletes none."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from ssm_documents.deactivate_unrotated_iam_access_keys import script
from tests.conftest import REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT
    / "ssm_documents"
    / "deactivate_unrotated_iam_access_keys"
    / "events"
    / "deactivate_unrotated_access_keys.json"
)


def _advance_clock(monkeypatch, days: float) -> None:
    """Make the script see `days` more days elapsed than really have (keys look older)."""
    real_now = script._now()
    monkeypatch.setattr(script, "_now", lambda: real_now + timedelta(days=days))


def _statuses(iam, user_name: str = "alice") -> dict[str, str]:
    return {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]}


@pytest.fixture
def iam(realistic_iam_user_ids):
    return boto3.client("iam")


def _user(iam, name: str = "alice", keys: int = 1) -> tuple[dict, list[str]]:
    user_id = iam.create_user(UserName=name)["User"]["UserId"]
    key_ids = [iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for _ in range(keys)]
    return {**EVENT, "IAMResourceId": user_id}, key_ids


def test_deactivates_old_active_keys_and_records_the_previous_state(iam, api_calls, monkeypatch):
    event, (key_a, key_b) = _user(iam, keys=2)
    _user(iam, "bob")  # another user's old key is not touched
    _advance_clock(monkeypatch, 120)
    api_calls.clear()

    result = script.deactivate_unrotated_access_keys(event, None)

    assert _statuses(iam) == {key_a: "Inactive", key_b: "Inactive"}
    assert set(_statuses(iam, "bob").values()) == {"Active"}
    assert result["Changed"] is True
    assert result["UserName"] == "alice"
    assert result["PreviousState"] == {
        key_a: {"Status": "Active", "AgeDays": 120},
        key_b: {"Status": "Active", "AgeDays": 120},
    }
    assert result["DeactivatedKeys"] == sorted([key_a, key_b])
    assert {state["Status"] for state in result["CurrentState"].values()} == {"Inactive"}
    assert "120 days old" in result["Message"]
    assert api_calls.mutating == ["UpdateAccessKey", "UpdateAccessKey"]
    assert all(
        call.params["Status"] == "Inactive" and call.params["UserName"] == "alice"
        for call in api_calls.calls
        if call.operation == "UpdateAccessKey"
    )
    assert "DeleteAccessKey" not in api_calls.operations
    api_calls.assert_within(script.IAM_ACTIONS)


def test_newer_key_is_untouched(iam, api_calls, monkeypatch):
    import moto.iam.models

    event, _ = _user(iam, keys=0)
    # One key made 100 days ago on moto's clock (the script's clock cannot age one key but not the other).
    back_then = (script._now() - timedelta(days=100)).replace(tzinfo=None)
    with monkeypatch.context() as clock:
        clock.setattr(moto.iam.models, "utcnow", lambda: back_then)
        old_key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    new_key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    api_calls.clear()

    result = script.deactivate_unrotated_access_keys(event, None)

    assert _statuses(iam) == {old_key: "Inactive", new_key: "Active"}
    assert result["DeactivatedKeys"] == [old_key]
    assert result["PreviousState"] == {
        old_key: {"Status": "Active", "AgeDays": 100},
        new_key: {"Status": "Active", "AgeDays": 0},
    }
    assert result["CurrentState"][new_key]["Status"] == "Active"
    assert [c.params["AccessKeyId"] for c in api_calls.calls if c.operation == "UpdateAccessKey"] == [old_key]


def test_old_inactive_key_is_left_alone(iam, api_calls, monkeypatch):
    event, (old_active, old_inactive) = _user(iam, keys=2)
    iam.update_access_key(UserName="alice", AccessKeyId=old_inactive, Status="Inactive")
    _advance_clock(monkeypatch, 200)
    api_calls.clear()

    result = script.deactivate_unrotated_access_keys(event, None)

    assert result["DeactivatedKeys"] == [old_active]
    assert result["PreviousState"][old_inactive] == {"Status": "Inactive", "AgeDays": 200}
    assert [c.params["AccessKeyId"] for c in api_calls.calls if c.operation == "UpdateAccessKey"] == [old_active]
    assert _statuses(iam) == {old_active: "Inactive", old_inactive: "Inactive"}


def test_second_run_makes_no_mutating_call(iam, api_calls, monkeypatch):
    event, _ = _user(iam)
    _advance_clock(monkeypatch, 120)
    script.deactivate_unrotated_access_keys(event, None)
    api_calls.clear()

    result = script.deactivate_unrotated_access_keys(event, None)

    assert result["Changed"] is False
    assert result["DeactivatedKeys"] == []
    assert api_calls.mutating == []


@pytest.mark.parametrize(("elapsed_days", "max_age"), [(0, 90), (90.9, 90), (29, 30)])
def test_compliant_user_is_left_alone(iam, api_calls, monkeypatch, elapsed_days, max_age):
    event, (key_id,) = _user(iam)
    _advance_clock(monkeypatch, elapsed_days)
    api_calls.clear()

    result = script.deactivate_unrotated_access_keys({**event, "MaxAccessKeyAge": max_age}, None)

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"]
    assert _statuses(iam) == {key_id: "Active"}
    assert api_calls.mutating == []


def test_max_access_key_age_sets_the_limit(iam, api_calls, monkeypatch):
    event, (key_id,) = _user(iam)
    _advance_clock(monkeypatch, 31)

    assert script.deactivate_unrotated_access_keys(event, None)["Changed"] is False
    result = script.deactivate_unrotated_access_keys({**event, "MaxAccessKeyAge": "30"}, None)

    assert result["DeactivatedKeys"] == [key_id]
    assert _statuses(iam) == {key_id: "Inactive"}


def test_aws_error_fails_the_step_and_changes_nothing(iam, api_calls, monkeypatch):
    event, key_ids = _user(iam, keys=2)
    _advance_clock(monkeypatch, 120)
    api_calls.fail("UpdateAccessKey", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied") as raised:
        script.deactivate_unrotated_access_keys(event, None)

    assert _statuses(iam) == dict.fromkeys(key_ids, "Active")
    assert "Deactivated before the failure: none." in raised.value.__notes__[0]
    assert "DeleteAccessKey" not in api_calls.operations


def test_failure_after_one_key_names_what_was_done(iam, api_calls, monkeypatch, before_call_hook):
    event, _ = _user(iam, keys=2)
    _advance_clock(monkeypatch, 120)
    seen = []

    def fail_second_update(model, params, **_kwargs):
        if model.name != "UpdateAccessKey":
            return None
        seen.append(params["body"]["AccessKeyId"])
        if len(seen) < 2:
            return None
        http = AWSResponse("https://emulated.invalid", 400, {}, None)
        return http, {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}, "ResponseMetadata": {}}

    before_call_hook(fail_second_update)

    with pytest.raises(ClientError, match="Throttling") as raised:
        script.deactivate_unrotated_access_keys(event, None)

    first, second = seen
    assert _statuses(iam) == {first: "Inactive", second: "Active"}
    assert raised.value.__notes__ == [
        f"Deactivated before the failure: {first}. Not yet deactivated: {second}. No key was deleted."
    ]
    # A re-run finishes the job without touching the key already deactivated.
    boto3.DEFAULT_SESSION.events.unregister("before-call", fail_second_update)  # the fixture would, after the test
    api_calls.clear()
    assert script.deactivate_unrotated_access_keys(event, None)["DeactivatedKeys"] == [second]
    assert _statuses(iam) == {first: "Inactive", second: "Inactive"}
    assert "DeleteAccessKey" not in api_calls.operations


def test_unknown_user_id_is_a_value_error_and_changes_nothing(iam, api_calls):
    _user(iam)
    api_calls.clear()

    with pytest.raises(ValueError, match="No IAM user with UserId AIDAEXAMPLEUSERID1234"):
        script.deactivate_unrotated_access_keys(dict(EVENT), None)

    assert api_calls.operations == ["ListUsers"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, "IAMResourceId must be an IAM user id"),
        ({"IAMResourceId": "alice"}, "IAMResourceId must be an IAM user id"),
        ({"IAMResourceId": "AROAEXAMPLEROLEID1234"}, "IAMResourceId must be an IAM user id"),
        ({"IAMResourceId": "AIDAEXAMPLEUSERID1234", "MaxAccessKeyAge": 0}, "from 1 to 3650"),
        ({"IAMResourceId": "AIDAEXAMPLEUSERID1234", "MaxAccessKeyAge": 3651}, "from 1 to 3650"),
        ({"IAMResourceId": "AIDAEXAMPLEUSERID1234", "MaxAccessKeyAge": "ninety"}, "whole number of days"),
        ({"IAMResourceId": "AIDAEXAMPLEUSERID1234", "MaxAccessKeyAge": True}, "whole number of days"),
        ({"IAMResourceId": "AIDAEXAMPLEUSERID1234", "MaxAccessKeyAge": 9.5}, "whole number of days"),
    ],
)
def test_bad_input_is_a_clear_error_with_no_call(aws, api_calls, event, message):
    with pytest.raises(ValueError, match=message):
        script.deactivate_unrotated_access_keys(event, None)
    assert api_calls.operations == []


def test_dry_run_names_the_keys_it_would_deactivate_and_changes_nothing(iam, api_calls, monkeypatch):
    event, (key_a,) = _user(iam)
    _advance_clock(monkeypatch, 120)
    api_calls.clear()

    result = script.deactivate_unrotated_access_keys({**event, "DryRun": True}, None)

    assert api_calls.mutating == []
    assert _statuses(iam) == {key_a: "Active"}
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["KeysToDeactivate"] == [key_a]
    assert result["DeactivatedKeys"] == []
    assert result["PreviousState"] == {key_a: {"Status": "Active", "AgeDays": 120}} == result["CurrentState"]
    assert result["PlannedState"] == {key_a: {"Status": "Inactive", "AgeDays": 120}}
    assert result["Message"].startswith(
        f"Dry run: would deactivate access key(s) of user alice older than 90 days: {key_a}"
    )
