"""Runbook enable_guardduty: creates or re-enables this Region's detector, never deletes, refuses a member's
suspended detector and another account, is idempotent, dry run."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.enable_guardduty import script
from tests.conftest import REGION, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "enable_guardduty"
EVENT = load_example(RUNBOOK / "events" / "enable_guardduty.json")
NONE = {"DetectorId": None, "Status": None}


@pytest.fixture
def guardduty(aws):
    return boto3.client("guardduty")


def _statuses(client) -> dict[str, str]:
    return {d: client.get_detector(DetectorId=d)["Status"] for d in client.list_detectors()["DetectorIds"]}


def test_creates_an_enabled_detector_in_this_region_only(guardduty, api_calls):
    other = boto3.client("guardduty", region_name="eu-central-1")

    result = script.enable_guardduty(dict(EVENT), None)

    (detector_id,) = guardduty.list_detectors()["DetectorIds"]
    assert _statuses(guardduty) == {detector_id: "ENABLED"}
    assert other.list_detectors()["DetectorIds"] == []
    assert (result["Changed"], result["PreviousState"]) == (True, NONE)
    assert result["CurrentState"] == {"DetectorId": detector_id, "Status": "ENABLED"}
    assert result["Region"] == REGION
    assert api_calls.mutating == ["CreateDetector"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_re_enables_a_suspended_detector_keeping_it(guardduty, api_calls):
    detector_id = guardduty.create_detector(Enable=False, FindingPublishingFrequency="ONE_HOUR")["DetectorId"]
    api_calls.clear()

    result = script.enable_guardduty(dict(EVENT), None)

    assert _statuses(guardduty) == {detector_id: "ENABLED"}
    assert guardduty.get_detector(DetectorId=detector_id)["FindingPublishingFrequency"] == "ONE_HOUR"
    assert result["PreviousState"] == {"DetectorId": detector_id, "Status": "DISABLED"}
    assert result["CurrentState"] == {"DetectorId": detector_id, "Status": "ENABLED"}
    assert api_calls.mutating == ["UpdateDetector"]
    # Only Enable is sent: the detector's other settings stay as they were.
    assert [c.params for c in api_calls.calls if c.operation == "UpdateDetector"] == [b'{"enable": true}']
    api_calls.assert_within(script.IAM_ACTIONS)


def test_second_run_makes_no_mutating_call(guardduty, api_calls):
    script.enable_guardduty(dict(EVENT), None)
    api_calls.clear()

    result = script.enable_guardduty(dict(EVENT), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert result["PreviousState"] == result["CurrentState"] == result["PlannedState"]
    assert result["CurrentState"]["Status"] == "ENABLED"
    assert len(guardduty.list_detectors()["DetectorIds"]) == 1
    assert api_calls.mutating == []


def test_an_enabled_detector_is_left_alone(guardduty, api_calls):
    detector_id = guardduty.create_detector(Enable=True)["DetectorId"]
    api_calls.clear()

    result = script.enable_guardduty(dict(EVENT), None)

    assert result["Message"] == f"GuardDuty was already enabled in {REGION} (detector {detector_id}); nothing changed."
    assert api_calls.mutating == []


def test_a_members_suspended_detector_is_refused_without_any_change(guardduty, api_calls):
    detector_id = guardduty.create_detector(Enable=False)["DetectorId"]
    # moto answers GetAdministratorAccount from its organization admin list; AWS names the member's administrator.
    api_calls.respond(
        "GetAdministratorAccount",
        {"Administrator": {"AccountId": "210987654321", "InvitationId": "x", "RelationshipStatus": "Enabled"}},
    )

    with pytest.raises(ValueError, match=r"member of administrator account 210987654321.*enable it from there"):
        script.enable_guardduty(dict(EVENT), None)

    assert api_calls.mutating == []
    assert _statuses(guardduty) == {detector_id: "DISABLED"}


def test_another_account_is_refused_without_any_change(guardduty, api_calls):
    with pytest.raises(ValueError, match="not the account this runbook runs in"):
        script.enable_guardduty({**EVENT, "AccountId": "210987654321"}, None)

    assert api_calls.operations == ["GetCallerIdentity"]
    assert guardduty.list_detectors()["DetectorIds"] == []


@pytest.mark.parametrize("account_id", [None, "", "12345678901", "12345678901a"])
def test_malformed_account_id_is_refused_before_any_call(aws, api_calls, account_id):
    with pytest.raises(ValueError, match="AccountId must be a 12-digit"):
        script.enable_guardduty({**EVENT, "AccountId": account_id}, None)
    assert api_calls.operations == []


def test_aws_error_fails_the_step_and_changes_nothing(guardduty, api_calls):
    # A member account whose administrator manages GuardDuty may be refused here: the step fails with its error.
    api_calls.fail("CreateDetector", code="BadRequestException", status=400)

    with pytest.raises(ClientError, match="BadRequestException"):
        script.enable_guardduty(dict(EVENT), None)

    assert guardduty.list_detectors()["DetectorIds"] == []


@pytest.mark.parametrize(
    ("operation", "answer", "error"),
    [
        ("GetDetector", {"Status": "PAUSED"}, "GetDetector answered Status 'PAUSED'"),
        ("ListDetectors", {"DetectorIds": ["a", "b"]}, "ListDetectors answered 2 detectors"),
    ],
)
def test_an_unexpected_answer_fails_without_any_change(guardduty, api_calls, operation, answer, error):
    guardduty.create_detector(Enable=False)
    api_calls.respond(operation, answer)

    with pytest.raises(ValueError, match=f"{error}.*nothing changed"):
        script.enable_guardduty(dict(EVENT), None)
    assert api_calls.mutating == []


@pytest.mark.parametrize("suspended", [False, True])
def test_dry_run_returns_the_plan_and_changes_nothing(guardduty, api_calls, suspended):
    detector_id = guardduty.create_detector(Enable=False)["DetectorId"] if suspended else None
    previous = {"DetectorId": detector_id, "Status": "DISABLED" if suspended else None}
    api_calls.clear()

    result = script.enable_guardduty({**EVENT, "DryRun": "true"}, None)

    assert api_calls.mutating == []
    assert _statuses(guardduty) == ({detector_id: "DISABLED"} if suspended else {})
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert (result["PreviousState"], result["CurrentState"]) == (previous, previous)
    assert result["PlannedState"] == {"DetectorId": detector_id, "Status": "ENABLED"}
    plan = f"re-enable the suspended detector {detector_id}" if suspended else "create an enabled detector"
    assert result["Message"] == f"Dry run: would {plan} in {REGION}; nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.enable_guardduty({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
