"""Automation status changes: Success resolves the findings; a failure notifies, queues and keeps them open."""

from __future__ import annotations

import json

import boto3
import pytest

from prowler_bridge import handler, ledger
from tests.conftest import ACCOUNT_ID, REGION
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, decisions, params_of

DOCUMENT = "Remedy-EnableS3BucketPublicAccessBlock"
FAILURE = "Step fails when it is Executing. Fail reason: AccessDenied when calling PutPublicAccessBlock."


def _start(bridge) -> dict:
    finding = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding), None)
    bridge.calls.clear()
    return finding


def _messages(url: str) -> list[dict]:
    response = boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in response.get("Messages", [])]


def _queued(bridge) -> list[dict]:
    """The failure messages sent (they wait their retry delay in the queue), with their DelaySeconds."""
    return [
        {**json.loads(m["MessageBody"]), "delay": m.get("DelaySeconds")} for m in params_of(bridge.calls, "SendMessage")
    ]


def test_success_resolves_the_findings(bridge, capsys):
    finding = _start(bridge)
    capsys.readouterr()
    handler.lambda_handler(asff.status_event(EXECUTION_ID, DOCUMENT, "Success"), None)

    (update,) = params_of(bridge.calls, "BatchUpdateFindings")
    assert update["FindingIdentifiers"] == [{"Id": finding["Id"], "ProductArn": finding["ProductArn"]}]
    assert update["Workflow"] == {"Status": "RESOLVED"}
    assert EXECUTION_ID in update["Note"]["Text"]
    assert "Publish" not in bridge.calls.operations and "SendMessage" not in bridge.calls.operations
    (line,) = decisions(capsys)
    assert line["decision"] == "resolved"
    bridge.calls.assert_within(handler.IAM_ACTIONS)


@pytest.mark.parametrize("status", ["Failed", "TimedOut", "Cancelled"])
def test_failure_keeps_findings_open_notifies_and_queues(bridge, capsys, status):
    finding = _start(bridge)
    bridge.calls.respond("GetAutomationExecution", {"AutomationExecution": {"FailureMessage": FAILURE}})
    handler.lambda_handler(asff.status_event(EXECUTION_ID, DOCUMENT, status), None)

    bridge.calls.assert_within(handler.IAM_ACTIONS)  # before the test reads the queues itself
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")
    assert update["Workflow"] == {"Status": "NOTIFIED"}
    assert status in update["Note"]["Text"] and "AccessDenied" in update["Note"]["Text"]
    expected = {
        "execution_id": EXECUTION_ID,
        "document": DOCUMENT,
        "status": status,
        "reason": FAILURE,
        "findings": [{"Id": finding["Id"], "ProductArn": finding["ProductArn"]}],
        "control": "s3-bucket-level-public-access-block",
        "account": ACCOUNT_ID,
        "region": REGION,
        "resource": f"resource#s3-bucket-level-public-access-block#{ACCOUNT_ID}#{REGION}#{asff.BUCKET}",
        "attempt": 1,
        "delay": ledger.backoff_seconds(1),
    }
    assert _queued(bridge) == [expected]
    (notification,) = _messages(bridge.watch_url)
    assert notification["TopicArn"] == bridge.topic_arn and FAILURE in notification["Message"]
    assert decisions(capsys)[-1]["decision"] == "failure_notified"


def test_failure_of_an_execution_the_bridge_did_not_start_is_notified_not_queued(bridge, capsys):
    """AWS Config retries its own remediation (MaximumAutomaticAttempts): the retry consumer has nothing to act on."""
    bridge.calls.respond("GetAutomationExecution", {"AutomationExecution": {"FailureMessage": FAILURE}})
    handler.lambda_handler(asff.status_event("aaaaaaaa-0000-0000-0000-000000000000", DOCUMENT, "Failed"), None)

    assert "BatchUpdateFindings" not in bridge.calls.operations
    assert "SendMessage" not in bridge.calls.operations
    (notification,) = _messages(bridge.watch_url)
    assert FAILURE in notification["Message"] and "s3-bucket-level-public-access-block" in notification["Message"]
    assert decisions(capsys)[-1]["queued"] == "not_started_by_bridge"


def test_failure_reason_unavailable_is_said_not_hidden(bridge):
    _start(bridge)
    bridge.calls.fail("GetAutomationExecution", "AccessDeniedException", "no read")
    handler.lambda_handler(asff.status_event(EXECUTION_ID, DOCUMENT, "Failed"), None)
    (message,) = _queued(bridge)
    assert message["reason"].startswith("failure message unavailable")


def test_duplicate_failure_notification_is_handled_once(bridge, capsys):
    _start(bridge)
    bridge.calls.respond("GetAutomationExecution", {"AutomationExecution": {"FailureMessage": FAILURE}})
    event = asff.status_event(EXECUTION_ID, DOCUMENT, "Failed")
    handler.lambda_handler(event, None)
    assert len(_queued(bridge)) == 1
    bridge.calls.clear()
    handler.lambda_handler(event, None)
    assert bridge.calls.mutating == ["PutItem"]
    assert decisions(capsys)[-1]["reason"] == "duplicate"


def test_one_failure_message_per_resource_in_flight(bridge, capsys):
    """A second run of the same resource fails while the first failure waits for its retry: no second message;
    its findings join the one in flight (the consumer reads them from the ledger)."""
    first = _start(bridge)
    bridge.calls.respond("GetAutomationExecution", {"AutomationExecution": {"FailureMessage": FAILURE}})
    handler.lambda_handler(asff.status_event(EXECUTION_ID, DOCUMENT, "Failed"), None)
    second_run = "22222222-3333-4444-5555-666666666666"
    bridge.calls.respond("StartAutomationExecution", {"AutomationExecutionId": second_run})
    custom = {**first, "Id": first["Id"] + "-again"}
    handler.lambda_handler(asff.imported_event(custom), None)
    handler.lambda_handler(asff.status_event(second_run, DOCUMENT, "Failed"), None)

    (message,) = _queued(bridge)
    assert (message["execution_id"], message["attempt"]) == (EXECUTION_ID, 1)
    assert decisions(capsys)[-1]["queued"] == "merged"
    failure = ledger.Ledger(bridge.table, 24).failure(message["resource"])
    assert {f["Id"] for f in failure["findings"]} == {first["Id"], custom["Id"]}
    assert failure["in_flight"] and failure["attempts"] == 1


def test_a_failed_send_lets_the_retry_of_the_status_event_queue_it(bridge):
    _start(bridge)
    bridge.calls.respond("GetAutomationExecution", {"AutomationExecution": {"FailureMessage": FAILURE}})
    bridge.calls.fail("SendMessage", "AWS.SimpleQueueService.NonExistentQueue", "gone")
    event = asff.status_event(EXECUTION_ID, DOCUMENT, "Failed")
    with pytest.raises(Exception, match="gone"):
        handler.lambda_handler(event, None)
    bridge.calls.heal("SendMessage")
    bridge.calls.clear()
    handler.lambda_handler(event, None)
    (message,) = _queued(bridge)
    assert (message["execution_id"], message["attempt"]) == (EXECUTION_ID, 1)


def test_publish_failure_releases_status_claim_for_the_retry(bridge):
    bridge.calls.respond("GetAutomationExecution", {"AutomationExecution": {"FailureMessage": FAILURE}})
    bridge.calls.fail("Publish", "AuthorizationError", "no publish")
    event = asff.status_event("aaaaaaaa-0000-0000-0000-000000000003", DOCUMENT, "Failed")
    with pytest.raises(Exception, match="no publish"):
        handler.lambda_handler(event, None)
    assert bridge.calls.mutating[-1] == "DeleteItem"


@pytest.mark.parametrize(
    ("execution_id", "document", "status", "reason"),
    [
        (EXECUTION_ID, DOCUMENT, "InProgress", "status_not_final"),
        (EXECUTION_ID, DOCUMENT, "Waiting", "status_not_final"),
        ("bbbbbbbb-0000-0000-0000-000000000000", "AWS-RestartEC2Instance", "Failed", "unmapped_document"),
        ("bbbbbbbb-0000-0000-0000-000000000001", DOCUMENT, "Success", "unknown_execution"),
    ],
)
def test_statuses_that_change_nothing(bridge, capsys, execution_id, document, status, reason):
    handler.lambda_handler(asff.status_event(execution_id, document, status), None)
    assert bridge.calls.mutating == []
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", reason)


def test_unknown_execution_in_out_of_scope_account_is_skipped(bridge, capsys):
    event = asff.status_event("bbbbbbbb-0000-0000-0000-000000000002", DOCUMENT, "Failed", account=asff.OTHER_ACCOUNT_ID)
    handler.lambda_handler(event, None)
    assert bridge.calls.mutating == []
    assert decisions(capsys)[-1]["reason"] == "account_out_of_scope"
