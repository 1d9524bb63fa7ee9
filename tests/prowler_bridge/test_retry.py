"""prowler_bridge.retry: failed remediations are started again from the ledger, then dequeued."""

from __future__ import annotations

import json

import boto3
import pytest

from prowler_bridge import handler, retry
from tests.conftest import REGION
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, TABLE, params_of

DOCUMENT = "Remedy-EnableS3BucketPublicAccessBlock"
NEW_EXECUTION_ID = "99999999-8888-7777-6666-555555555555"


def _fail_one(bridge, execution_id: str = EXECUTION_ID) -> None:
    """Start a remediation through the bridge, then let it fail (a message lands in the queue)."""
    bridge.calls.respond("GetAutomationExecution", {"AutomationExecution": {"FailureMessage": "boom"}})
    handler.lambda_handler(asff.status_event(execution_id, DOCUMENT, "Failed"), None)
    bridge.calls.clear()


def _queue_depth(url: str) -> int:
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_redrive_starts_same_runbook_again_and_deletes_message(bridge):
    finding = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding), None)
    (original,) = params_of(bridge.calls, "StartAutomationExecution")
    _fail_one(bridge)
    bridge.calls.respond("StartAutomationExecution", {"AutomationExecutionId": NEW_EXECUTION_ID})

    assert retry.redrive(bridge.queue_url) == [NEW_EXECUTION_ID]

    (again,) = params_of(bridge.calls, "StartAutomationExecution")
    assert "ClientToken" not in again  # a new attempt, not a repeat of the failed one
    assert again == {k: v for k, v in original.items() if k != "ClientToken"}
    assert "DeleteMessage" in bridge.calls.operations
    assert bridge.calls.operations.index("StartAutomationExecution") < bridge.calls.operations.index("DeleteMessage")
    bridge.calls.assert_within(retry.IAM_ACTIONS)
    assert _queue_depth(bridge.queue_url) == 0
    # The new execution serves the same finding: its status change will resolve it.
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=TABLE, Key={"pk": {"S": f"execution#{NEW_EXECUTION_ID}"}}
    )["Item"]
    assert item["findings"]["L"][0]["M"]["Id"]["S"] == finding["Id"]


def test_redrive_of_execution_without_ledger_record_reads_it_from_ssm(bridge):
    _fail_one(bridge, "cccccccc-0000-0000-0000-000000000000")
    parameters = {"BucketName": ["b1"], "AutomationAssumeRole": ["arn:aws:iam::123456789012:role/r"]}
    bridge.calls.respond(
        "GetAutomationExecution", {"AutomationExecution": {"DocumentName": DOCUMENT, "Parameters": parameters}}
    )
    bridge.calls.respond("StartAutomationExecution", {"AutomationExecutionId": NEW_EXECUTION_ID})
    assert retry.redrive(bridge.queue_url) == [NEW_EXECUTION_ID]
    (again,) = params_of(bridge.calls, "StartAutomationExecution")
    assert again == {"DocumentName": DOCUMENT, "Parameters": parameters}


def test_message_stays_when_the_new_start_fails(bridge):
    finding = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding), None)
    _fail_one(bridge)
    bridge.calls.fail("StartAutomationExecution", "AccessDeniedException", "no")
    assert retry.redrive(bridge.queue_url) == []
    assert "DeleteMessage" not in bridge.calls.operations
    assert _queue_depth(bridge.queue_url) == 1


def test_malformed_message_is_left_alone(bridge):
    boto3.client("sqs", region_name=REGION).send_message(QueueUrl=bridge.queue_url, MessageBody="not json")
    bridge.calls.clear()
    assert retry.redrive(bridge.queue_url) == []
    assert "StartAutomationExecution" not in bridge.calls.operations
    assert "DeleteMessage" not in bridge.calls.operations


def test_empty_queue_starts_nothing(bridge):
    assert retry.redrive(bridge.queue_url) == []
    assert bridge.calls.operations == ["ReceiveMessage"]


@pytest.mark.parametrize(("queue_url", "max_messages"), [("", 10), ("sqs-queue", 10), (None, 10), ("https://q", 0)])
def test_bad_arguments_raise_before_any_call(bridge, queue_url, max_messages):
    with pytest.raises(ValueError):
        retry.redrive(queue_url, max_messages)
    assert bridge.calls.calls == []


def test_a_bad_member_role_path_is_refused_before_any_call(bridge, monkeypatch):
    monkeypatch.setenv("MEMBER_ROLE_PATH", "remedy")
    with pytest.raises(ValueError, match="MEMBER_ROLE_PATH must start and end with '/'"):
        retry.redrive(bridge.queue_url)
    assert bridge.calls.calls == []


def test_member_role_arn_of_the_retry_carries_the_path():
    retrier = retry._Retrier({"LEDGER_TABLE": TABLE, "MEMBER_ROLE_PATH": "/platform/remedy/"})
    assert retrier.accounts.member_role_arn("210987654321", "eu-west-1") == (
        "arn:aws:iam::210987654321:role/platform/remedy/remedy-bridge-member-eu-west-1"
    )


def test_command_line(bridge, capsys):
    finding = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding), None)
    _fail_one(bridge)
    bridge.calls.respond("StartAutomationExecution", {"AutomationExecutionId": NEW_EXECUTION_ID})
    capsys.readouterr()
    assert retry.main(["--queue-url", bridge.queue_url]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == {"started": [NEW_EXECUTION_ID]}
