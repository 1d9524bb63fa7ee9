"""The guard every runbook starts with (ssm_documents/_support/controls.py): pause, modes, exclusion tag."""

from __future__ import annotations

import json

import boto3
import pytest

from prowler_bridge import run_controls as bridge_controls
from ssm_documents._support import controls as guard
from tests.run_controls_cases import DECISIONS, MALFORMED, VALID

PARAMETER = "/remedy/remediation-controls"
BUCKET_TYPE = "AWS::S3::Bucket"
EVENT = {
    "ControlsParameter": PARAMETER,
    "ControlId": "s3-bucket-kms-encryption",
    "Trigger": "config-automatic",
    "ResourceType": BUCKET_TYPE,
    "ResourceId": "bank-data",
    "ExclusionTagKey": "remedy:exclude",
    "DryRun": False,
}
PARSERS = {"guard": guard, "bridge": bridge_controls}


def _item(tags: dict, status: str = "OK") -> dict:
    return {"configurationItems": [{"configurationItemStatus": status, "resourceType": BUCKET_TYPE, "tags": tags}]}


@pytest.fixture
def calls(api_calls):
    api_calls.respond("GetResourceConfigHistory", _item({"team": "payments"}))
    return api_calls


def _controls(value: object) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    boto3.client("ssm").put_parameter(Name=PARAMETER, Value=text, Type="String", Overwrite=True)


def _run(calls, **overrides) -> dict:
    calls.clear()
    result = guard.check_remedy_controls({**EVENT, **overrides}, None)
    assert calls.mutating == []
    calls.assert_within(guard.IAM_ACTIONS)
    return result


@pytest.mark.parametrize("module", PARSERS.values(), ids=PARSERS)
@pytest.mark.parametrize(("text", "parsed"), VALID)
def test_both_parsers_read_valid_controls_alike(module, text, parsed):
    assert module.parse_controls(text) == parsed


@pytest.mark.parametrize("module", PARSERS.values(), ids=PARSERS)
@pytest.mark.parametrize("text", MALFORMED)
def test_both_parsers_refuse_malformed_controls(module, text):
    with pytest.raises(ValueError, match=r"remediation controls parameter|paused|modes"):
        module.parse_controls(text)


@pytest.mark.parametrize("module", PARSERS.values(), ids=PARSERS)
@pytest.mark.parametrize(("controls", "control_id", "automatic", "reason"), DECISIONS)
def test_both_decide_alike(module, controls, control_id, automatic, reason):
    assert module.skip_reason(controls, control_id, automatic) == reason


def test_no_parameter_and_no_exclusion_tag_continues(calls):
    result = _run(calls)

    assert result["Outcome"] == "continue"
    assert calls.operations == ["GetParameter", "GetResourceConfigHistory"]
    (history,) = [c.params for c in calls.calls if c.operation == "GetResourceConfigHistory"]
    assert json.loads(history) == {"resourceType": BUCKET_TYPE, "resourceId": "bank-data", "limit": 1}


@pytest.mark.parametrize(
    ("trigger", "controls", "control_id", "reason"),
    [
        (trigger, controls, control_id, reason)
        for trigger in sorted(guard.TRIGGERS)
        for controls, control_id, automatic, reason in DECISIONS
        if automatic is guard.TRIGGERS[trigger]  # each case for the kind of run (automatic or not) it is about
    ],
)
def test_pause_and_modes_for_each_trigger(calls, trigger, controls, control_id, reason):
    _controls(
        {**controls, "modes": {(EVENT["ControlId"] if c == control_id else c): m for c, m in controls["modes"].items()}}
    )

    result = _run(calls, Trigger=trigger)

    assert result["Outcome"] == ("continue" if reason is None else "skipped")
    assert result["Reason"] == (reason or "")
    # A run the controls skip never reads the resource.
    assert ("GetResourceConfigHistory" in calls.operations) is (reason is None)


@pytest.mark.parametrize(
    ("controls", "trigger", "reason"),
    [
        ({"paused": True}, "config-automatic", "paused"),
        ({"paused": True}, "bridge-automatic", "paused"),
        ({"modes": {"s3-bucket-kms-encryption": "off"}}, "manual", "mode_off"),
        ({"modes": {"s3-bucket-kms-encryption": "manual"}}, "config-automatic", "mode_manual"),
    ],
)
def test_skips_say_why_and_read_nothing_more(calls, controls, trigger, reason):
    _controls(controls)

    result = _run(calls, Trigger=trigger)

    assert (result["Outcome"], result["Reason"]) == ("skipped", reason)
    assert result["Message"].startswith("Skipped, nothing changed:")
    assert calls.operations == ["GetParameter"]


def test_manual_runs_go_ahead_while_paused_or_in_manual_mode(calls):
    _controls({"paused": True, "modes": {"s3-bucket-kms-encryption": "manual"}})

    for trigger in ("manual", "config-manual", "bridge-manual"):
        assert _run(calls, Trigger=trigger)["Outcome"] == "continue"


@pytest.mark.parametrize("trigger", ["manual", "config-automatic", "bridge-manual"])
def test_the_exclusion_tag_skips_every_path(calls, trigger):
    calls.respond("GetResourceConfigHistory", _item({"remedy:exclude": "", "team": "payments"}))

    result = _run(calls, Trigger=trigger)

    assert (result["Outcome"], result["Reason"]) == ("skipped", "excluded_by_tag")
    assert "AWS::S3::Bucket bank-data is tagged remedy:exclude" in result["Message"]


def test_the_exclusion_tag_key_must_match_exactly(calls):
    calls.respond("GetResourceConfigHistory", _item({"remedy:exclude-later": "true", "Remedy:Exclude": "x"}))

    assert _run(calls)["Outcome"] == "continue"


def test_an_account_has_no_tags_to_read(calls):
    result = _run(calls, ResourceType="AWS::::Account", ResourceId="123456789012")

    assert result["Outcome"] == "continue"
    assert "GetResourceConfigHistory" not in calls.operations


@pytest.mark.parametrize("text", ['{"paused": "yes"}', "paused"])
def test_a_malformed_parameter_refuses_to_run(calls, text):
    _controls(text)
    calls.clear()

    with pytest.raises(ValueError, match=f"Refusing to run, nothing changed: {PARAMETER}"):
        guard.check_remedy_controls(EVENT, None)
    assert calls.operations == ["GetParameter"]


def test_a_parameter_that_cannot_be_read_refuses_to_run(calls):
    calls.fail("GetParameter", code="AccessDeniedException")

    with pytest.raises(Exception, match="AccessDeniedException"):
        guard.check_remedy_controls(EVENT, None)
    assert "GetResourceConfigHistory" not in calls.operations


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda c: c.fail("GetResourceConfigHistory", code="ResourceNotDiscoveredException"), "ResourceNotDiscovered"),
        (lambda c: c.fail("GetResourceConfigHistory", code="ThrottlingException"), "ThrottlingException"),
        (lambda c: c.respond("GetResourceConfigHistory", {"configurationItems": []}), "status: None"),
        (lambda c: c.respond("GetResourceConfigHistory", _item({}, "ResourceNotRecorded")), "ResourceNotRecorded"),
        (lambda c: c.respond("GetResourceConfigHistory", _item({}, "ResourceDeleted")), "ResourceDeleted"),
    ],
)
def test_tags_that_cannot_be_read_refuse_the_run(calls, setup, message):
    setup(calls)
    calls.clear()

    with pytest.raises(RuntimeError, match=f"Refusing to run, nothing changed: cannot read the tags.*{message}"):
        guard.check_remedy_controls(EVENT, None)
    assert calls.mutating == []


@pytest.mark.parametrize("paused", [False, True])
def test_dry_run_reports_the_same_decision(calls, paused):
    _controls({"paused": paused})

    real, dry = _run(calls), _run(calls, DryRun="true")

    assert (dry["Outcome"], dry["Reason"]) == (real["Outcome"], real["Reason"])
    assert dry["DryRun"] is True and dry["Message"] == "Dry run: " + real["Message"]


@pytest.mark.parametrize(("field", "value"), [("Trigger", "cron"), ("ControlId", ""), ("DryRun", "maybe")])
def test_bad_inputs_are_refused_before_any_call(calls, field, value):
    calls.clear()

    with pytest.raises(ValueError, match=field):
        guard.check_remedy_controls({**EVENT, field: value}, None)
    assert calls.operations == []
