"""Event shapes: malformed events raise ValueError with no AWS call; the shipped examples work."""

from __future__ import annotations

import copy
import json

import pytest

from prowler_bridge import handler
from tests.conftest import REPO_ROOT, load_example
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, decisions, params_of

EVENTS = REPO_ROOT / "prowler_bridge" / "events"


def _imported() -> dict:
    return asff.imported_event(asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn()))


def _without(event: dict, key: str) -> dict:
    return {k: v for k, v in event.items() if k != key}


def _detail(event: dict, detail: object) -> dict:
    return {**copy.deepcopy(event), "detail": detail}


MALFORMED = {
    "not a dict": ["a", "list"],
    "string": "Security Hub Findings - Imported",
    "none": None,
    "missing detail-type": _without(_imported(), "detail-type"),
    "unknown detail-type": {**_imported(), "detail-type": "GuardDuty Finding"},
    "missing detail": _without(_imported(), "detail"),
    "detail not an object": _detail(_imported(), "findings"),
    "findings missing": _detail(_imported(), {}),
    "findings not a list": _detail(_imported(), {"findings": {"Id": "x"}}),
    "custom action findings not a list": _detail(asff.custom_action_event(), {"findings": "x"}),
    "source does not match": {**_imported(), "source": "my.app"},
    "status without ExecutionId": _detail(
        asff.status_event("x", "d", "Failed"), {"Definition": "d", "Status": "Failed"}
    ),
    "status with non-string Status": _detail(
        asff.status_event("x", "d", "Failed"), {"ExecutionId": "x", "Definition": "d", "Status": 3}
    ),
    "status with an ExecutionId that is not SSM's": asff.status_event("../" * 700, "Remedy-X", "Failed"),
    "status with a multibyte Definition": asff.status_event(EXECUTION_ID, "Remedy-\u00e9\u6f22", "Failed"),
    "status without account": _without(asff.status_event(EXECUTION_ID, "Remedy-X", "Failed"), "account"),
    "status with a numeric region": {**asff.status_event(EXECUTION_ID, "Remedy-X", "Failed"), "region": 1},
    "missing source": _without(_imported(), "source"),
    "account not 12 digits": {**_imported(), "account": "12345"},
    "resources not a list": {**_imported(), "resources": "arn:aws:securityhub:::x"},
    "V2 findings not a list": _detail(asff.imported_v2_event(), {"findings": None}),
    "custom action without account": _without(asff.custom_action_event(), "account"),
}


@pytest.mark.parametrize("name", MALFORMED, ids=list(MALFORMED))
def test_malformed_event_raises_without_any_call(bridge, name):
    with pytest.raises(ValueError, match=r"\S"):
        handler.lambda_handler(MALFORMED[name], None)
    assert bridge.calls.calls == []


def test_error_message_names_the_problem(bridge):
    with pytest.raises(ValueError, match=r"detail\.findings must be a list"):
        handler.lambda_handler(MALFORMED["findings not a list"], None)
    with pytest.raises(ValueError, match="unknown event detail-type 'GuardDuty Finding'"):
        handler.lambda_handler(MALFORMED["unknown detail-type"], None)


def test_empty_findings_list_is_fine(bridge):
    assert handler.lambda_handler(asff.imported_event(), None) == {"decisions": []}
    assert bridge.calls.calls == []


@pytest.mark.parametrize("path", sorted(EVENTS.glob("*.json")), ids=lambda p: p.name)
def test_examples_are_valid_events(path):
    event = load_example(path)
    assert handler.validate_event(event) in handler.EVENT_SOURCES


def test_examples_cover_every_event_the_bridge_handles():
    names = {p.stem for p in EVENTS.glob("*.json")}
    assert names == {
        "prowler_finding_imported",
        "securityhub_control_finding_imported",
        "securityhub_finding_imported_v2",
        "custom_action_prowler_finding",
        "custom_action_config_finding",
        "automation_status_success",
        "automation_status_failed",
    }


def test_example_flow(bridge, capsys):
    """Imported examples (Prowler, Security Hub ASFF and OCSF) start, one run per resource; the custom action
    examples start; the status examples resolve and notify."""
    for name in (
        "prowler_finding_imported",
        "securityhub_control_finding_imported",
        "securityhub_finding_imported_v2",
        "custom_action_prowler_finding",
        "custom_action_config_finding",
    ):
        handler.lambda_handler(load_example(EVENTS / f"{name}.json"), None)
    # Prowler's finding and Security Hub's control finding name the same bucket: one run, the second attaches.
    assert [line["decision"] for line in decisions(capsys)] == ["started", "attached", "started", "started", "started"]
    buckets = [s["Parameters"]["BucketName"] for s in params_of(bridge.calls, "StartAutomationExecution")[:2]]
    assert buckets == [["example-public-bucket"], ["example-open-bucket"]]
    assert len(params_of(bridge.calls, "StartRemediationExecution")) == 1

    success = load_example(EVENTS / "automation_status_success.json")
    success["detail"]["ExecutionId"] = EXECUTION_ID
    handler.lambda_handler(success, None)
    assert params_of(bridge.calls, "BatchUpdateFindings")[-1]["Workflow"] == {"Status": "RESOLVED"}

    bridge.calls.respond("GetAutomationExecution", {"AutomationExecution": {"FailureMessage": "boom"}})
    failed = load_example(EVENTS / "automation_status_failed.json")
    failed["detail"]["ExecutionId"] = EXECUTION_ID  # one the bridge started: its failure is queued for retry
    handler.lambda_handler(failed, None)
    (sent,) = params_of(bridge.calls, "SendMessage")
    assert json.loads(sent["MessageBody"])["status"] == "Failed"
