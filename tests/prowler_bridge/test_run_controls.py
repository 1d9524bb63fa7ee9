"""The bridge honours the run-time controls (pause, modes) before it claims or starts anything."""

from __future__ import annotations

import json

import boto3
import pytest

from prowler_bridge import handler
from prowler_bridge.run_controls import parameter_name
from tests.conftest import REGION
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import automation_starts, decisions, params_of

PARAMETER = parameter_name("remedy")
KMS_CHECK = "s3_bucket_kms_encryption"


def _controls(value: object) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    boto3.client("ssm", region_name=REGION).put_parameter(Name=PARAMETER, Value=text, Type="String", Overwrite=True)


def _control_of(bridge, check_id: str) -> str:
    return bridge.config["checks"][check_id]


def _findings() -> list[dict]:
    return [
        asff.prowler_finding(KMS_CHECK, asff.bucket_arn()),
        asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn("other-bucket")),
    ]


def test_a_paused_account_starts_nothing_and_reads_the_parameter_once(bridge, capsys):
    _controls({"paused": True})
    bridge.calls.clear()

    result = handler.lambda_handler(asff.imported_event(*_findings()), None)

    assert automation_starts(bridge.calls) == []
    assert [p["Name"] for p in params_of(bridge.calls, "GetParameter")] == [PARAMETER]
    claims = {"PutItem", "UpdateItem", "TransactWriteItems", "BatchUpdateFindings"}
    assert not claims & set(bridge.calls.operations)  # nothing claimed
    assert [(d["decision"], d["reason"]) for d in result["decisions"]] == [("skipped", "paused")] * 2
    assert [d["reason"] for d in decisions(capsys)] == ["paused", "paused"]
    bridge.calls.assert_within(handler.IAM_ACTIONS)


@pytest.mark.parametrize(
    ("mode", "custom_action", "reason"),
    [("off", False, "mode_off"), ("off", True, "mode_off"), ("manual", False, "mode_manual")],
)
def test_a_control_s_mode_skips_it_and_only_it(bridge, mode, custom_action, reason):
    _controls({"modes": {_control_of(bridge, KMS_CHECK): mode}})
    make_event = asff.custom_action_event if custom_action else asff.imported_event
    bridge.calls.clear()

    result = handler.lambda_handler(make_event(*_findings()), None)

    kms, other = result["decisions"]
    assert (kms["decision"], kms["reason"]) == ("skipped", reason)
    assert other["decision"] == "started"
    (start,) = automation_starts(bridge.calls)
    assert start["DocumentName"] == "Remedy-EnableS3BucketPublicAccessBlock"


def test_manual_mode_and_pause_let_a_person_s_custom_action_through(bridge):
    _controls({"paused": True, "modes": {_control_of(bridge, KMS_CHECK): "manual"}})

    handler.lambda_handler(asff.custom_action_event(asff.prowler_finding(KMS_CHECK, asff.bucket_arn())), None)

    (start,) = automation_starts(bridge.calls)
    assert start["Parameters"]["Trigger"] == ["bridge-manual"]
    assert start["Parameters"]["ControlId"] == [_control_of(bridge, KMS_CHECK)]


def test_a_malformed_parameter_fails_the_findings_and_starts_nothing(bridge, capsys):
    _controls('{"paused": "yes"}')

    with pytest.raises(RuntimeError, match="could not be remediated"):
        handler.lambda_handler(asff.imported_event(*_findings()), None)

    assert automation_starts(bridge.calls) == []
    failed = decisions(capsys)
    assert [d["decision"] for d in failed] == ["failed", "failed"]
    assert f"{PARAMETER} in " in failed[0]["error"] and "nothing started" in failed[0]["error"]


def test_a_parameter_that_cannot_be_read_starts_nothing(bridge):
    bridge.calls.fail("GetParameter", code="AccessDeniedException")

    with pytest.raises(RuntimeError, match="could not be remediated"):
        handler.lambda_handler(asff.imported_event(*_findings()), None)

    assert automation_starts(bridge.calls) == []


def test_member_accounts_are_read_through_the_member_role(bridge, monkeypatch):
    monkeypatch.setenv("ALLOWED_ACCOUNTS", f"{asff.ACCOUNT_ID},{asff.OTHER_ACCOUNT_ID}")
    finding = asff.prowler_finding(
        "iam_password_policy_symbol", asff.password_policy_arn(asff.OTHER_ACCOUNT_ID), account=asff.OTHER_ACCOUNT_ID
    )
    bridge.calls.clear()

    handler.lambda_handler(asff.imported_event(finding), None)

    ops = bridge.calls.operations
    assert ops.index("AssumeRole") < ops.index("GetParameter") < ops.index("StartAutomationExecution")
    assert {"ssm:GetParameter"} <= set(handler.MEMBER_IAM_ACTIONS)


def test_the_bridge_names_the_guard_step_and_triggers_as_the_build_does():
    """The bridge cannot import infra/ or ssm_documents/ at run time: its copies must agree with the originals."""
    from infra.runbooks import GUARD_STEP
    from prowler_bridge import handler
    from ssm_documents._support.controls import TRIGGERS

    assert handler.GUARD_STEP == GUARD_STEP
    assert set(handler.BRIDGE_TRIGGERS) <= set(TRIGGERS)
    assert [TRIGGERS[t] for t in handler.BRIDGE_TRIGGERS] == [True, False]  # automatic, then the custom action
