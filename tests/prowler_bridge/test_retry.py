"""prowler_bridge.retry, the failure queue's consumer: re-validated restarts, backoff, parking, redrive of events."""

from __future__ import annotations

import json

import boto3
import pytest

from prowler_bridge import handler, ledger, retry
from tests.conftest import ACCOUNT_ID, REGION
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, TABLE, automation_starts, decisions, params_of

DOCUMENT = "Remedy-EnableS3BucketPublicAccessBlock"
CONTROL = "s3-bucket-level-public-access-block"
NEW_EXECUTION_ID = "99999999-8888-7777-6666-555555555555"
FORGED_EXECUTION_ID = "dddddddd-0000-0000-0000-000000000000"


@pytest.fixture
def consumer(bridge, monkeypatch):
    """The bridge's fixture plus the parked queue the consumer sends refused messages to."""
    parked_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="remedy-bridge-parked")["QueueUrl"]
    monkeypatch.setenv("PARKED_QUEUE_URL", parked_url)
    bridge.parked_url = parked_url
    bridge.calls.clear()
    return bridge


def _record(body: str | dict, receive_count: int = 1, message_id: str = "m-1", receipt: str = "rh-1") -> dict:
    """One SQS record as the event source mapping hands it to the function."""
    return {
        "messageId": message_id,
        "receiptHandle": receipt,
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }


def _consume(*records: dict) -> dict:
    return retry.lambda_handler({"Records": list(records)}, None)


def _start_and_fail(bridge) -> dict:
    """A finding starts a run, the run fails: the failure message the bridge sent (it waits its delay)."""
    finding = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding), None)
    bridge.calls.respond("GetAutomationExecution", {"AutomationExecution": {"FailureMessage": "boom"}})
    handler.lambda_handler(asff.status_event(EXECUTION_ID, DOCUMENT, "Failed"), None)
    (sent,) = params_of(bridge.calls, "SendMessage")
    bridge.calls.clear()
    bridge.calls.respond("StartAutomationExecution", {"AutomationExecutionId": NEW_EXECUTION_ID})
    return json.loads(sent["MessageBody"])


def _parked(bridge) -> list[tuple[str, str]]:
    """(reason attribute, body) of every parked message."""
    response = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=bridge.parked_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return [(m["MessageAttributes"]["reason"]["StringValue"], m["Body"]) for m in response.get("Messages", [])]


def _ssm_calls(bridge) -> list[str]:
    return [c.operation for c in bridge.calls.calls if c.service == "ssm"]


def _forge_record(bridge, **overrides) -> dict:
    """An execution record in the ledger (as if the bridge had written it), changed by `overrides`; a failure
    item in flight for it; the failure message naming it."""
    control = bridge.config["controls"][CONTROL]
    account, region = overrides.pop("account", ACCOUNT_ID), overrides.pop("region", REGION)
    role = asff.runbook_role(control["document"], account, region)
    fields = {
        "findings": [{"Id": "f-1", "ProductArn": asff.prowler_product_arn()}],
        "control": CONTROL,
        "account": account,
        "region": region,
        "document": control["document"],
        "parameters": {
            **control["parameters"],
            control["resource_parameter"]: asff.BUCKET,
            "AutomationAssumeRole": role,
        },
        "securityhub_region": REGION,
        "resource": ledger.resource_pk(CONTROL, account, region, asff.BUCKET),
        **overrides,
    }
    book = ledger.Ledger(TABLE, 24)
    book.record_execution(FORGED_EXECUTION_ID, **fields)
    book.claim_failure(fields["resource"], FORGED_EXECUTION_ID, fields["findings"], 60)
    book.confirm_failure(fields["resource"])
    bridge.calls.clear()
    return {"execution_id": FORGED_EXECUTION_ID, "resource": fields["resource"], "document": "anything"}


def test_backoff_is_exponential_and_capped_at_sqs_largest_delay():
    assert [ledger.backoff_seconds(n) for n in range(1, 8)] == [60, 120, 240, 480, 900, 900, 900]
    assert ledger.backoff_seconds(10_000) == 900


def test_a_failed_run_restarts_once_even_when_its_message_is_delivered_twice(consumer, capsys):
    message = _start_and_fail(consumer)
    assert message["attempt"] == 1

    first = _consume(_record(message, message_id="a"))
    second = _consume(_record(message, message_id="b"))

    assert first == second == {"batchItemFailures": []}
    (start,) = automation_starts(consumer.calls)
    assert start["DocumentName"] == DOCUMENT
    assert start["Parameters"]["BucketName"] == [asff.BUCKET]
    assert start["Parameters"]["AutomationAssumeRole"] == [asff.runbook_role(DOCUMENT)]
    lines = [line for line in decisions(capsys) if line["decision"] in ("restarted", "dropped")]
    assert [(line["decision"], line.get("reason")) for line in lines] == [
        ("restarted", None),
        ("dropped", "failure_already_settled"),
    ]
    # The new run is recorded and owns the resource: its status change updates the finding.
    new = ledger.Ledger(TABLE, 24).execution(NEW_EXECUTION_ID)
    assert new["document"] == DOCUMENT and new["resource"] == message["resource"]
    consumer.calls.assert_within(retry.IAM_ACTIONS)
    assert _parked(consumer) == []


def test_two_deliveries_in_one_batch_start_once(consumer):
    message = _start_and_fail(consumer)
    assert _consume(_record(message, message_id="a"), _record(message, message_id="b")) == {"batchItemFailures": []}
    assert len(automation_starts(consumer.calls)) == 1


def test_a_fresh_finding_started_since_means_no_restart(consumer, capsys):
    message = _start_and_fail(consumer)
    consumer.calls.respond(
        "StartAutomationExecution", {"AutomationExecutionId": "eeeeeeee-0000-0000-0000-000000000000"}
    )
    finding = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event({**finding, "Id": finding["Id"] + "-rescan"}), None)
    consumer.calls.clear()

    assert _consume(_record(message)) == {"batchItemFailures": []}

    assert _ssm_calls(consumer) == []
    line = [line for line in decisions(capsys) if line["decision"] == "dropped"][-1]
    assert line["reason"] == "already_started"


def test_a_resource_config_found_compliant_since_the_failure_is_not_restarted(consumer, capsys):
    message = _start_and_fail(consumer)
    rule = consumer.config["controls"][CONTROL]["config_rule"]
    consumer.calls.respond(
        "GetComplianceDetailsByResource",
        {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {"EvaluationResultQualifier": {"ConfigRuleName": rule}},
                    "ComplianceType": "COMPLIANT",
                    "ResultRecordedTime": "2099-01-01T00:00:00Z",
                }
            ]
        },
    )
    assert _consume(_record(message)) == {"batchItemFailures": []}
    assert "StartAutomationExecution" not in consumer.calls.operations
    assert [line for line in decisions(capsys) if line["decision"] == "dropped"][-1]["reason"] == "already_compliant"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"document": "AWS-DeleteImage"}, "foreign_document"),
        ({"control": "no-such-control"}, "unknown_control"),
        ({"account": asff.OTHER_ACCOUNT_ID}, "account_out_of_scope"),
        ({"region": "ap-southeast-2"}, "region_out_of_scope"),
        (
            {"parameters": {"BucketName": asff.BUCKET, "AutomationAssumeRole": "arn:aws:iam::123456789012:role/admin"}},
            "foreign_role",
        ),
    ],
)
def test_a_record_the_catalogue_or_scope_refuses_is_parked_with_no_ssm_call(consumer, overrides, reason):
    message = _forge_record(consumer, **overrides)

    assert _consume(_record(message)) == {"batchItemFailures": []}

    assert _ssm_calls(consumer) == []
    assert [r for r, _ in _parked(consumer)] == [reason]


def test_extra_parameters_are_refused(consumer):
    control = consumer.config["controls"][CONTROL]
    parameters = {
        **control["parameters"],
        control["resource_parameter"]: asff.BUCKET,
        "AutomationAssumeRole": asff.runbook_role(control["document"]),
        "Extra": "x",
    }
    message = _forge_record(consumer, parameters=parameters)
    _consume(_record(message))
    assert _ssm_calls(consumer) == []
    assert [r for r, _ in _parked(consumer)] == ["parameters_mismatch"]


def test_a_message_alone_naming_a_document_starts_nothing(consumer):
    """AWS-DeleteImage and an unknown execution: nothing in the ledger, so nothing to restart."""
    message = {
        "execution_id": "ffffffff-0000-0000-0000-000000000000",
        "document": "AWS-DeleteImage",
        "account": asff.OTHER_ACCOUNT_ID,
        "region": REGION,
        "control": CONTROL,
    }
    assert _consume(_record(message)) == {"batchItemFailures": []}
    assert _ssm_calls(consumer) == []
    assert [r for r, _ in _parked(consumer)] == ["no_execution_record"]


@pytest.mark.parametrize(
    "body", ["not json", "[]", json.dumps({"hello": "world"}), json.dumps({"execution_id": "../x"})]
)
def test_malformed_messages_are_parked(consumer, body):
    assert _consume(_record(body)) == {"batchItemFailures": []}
    assert _ssm_calls(consumer) == []
    assert [r for r, _ in _parked(consumer)] == ["malformed_message"]


def _on_failure_record(event: dict) -> dict:
    """Lambda's on-failure destination record (invocation-async-retain-records)."""
    return {
        "version": "1.0",
        "timestamp": "2026-11-27T09:01:00.000Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:bridge:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "1 finding(s) could not be remediated", "errorType": "RuntimeError"},
    }


@pytest.mark.parametrize("shape", ["lambda_on_failure", "eventbridge_dlq"])
def test_an_event_the_bridge_could_not_handle_is_handled_again_by_the_bridge(consumer, shape, capsys):
    finding = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    event = asff.imported_event(finding)
    body = _on_failure_record(event) if shape == "lambda_on_failure" else event

    assert _consume(_record(body)) == {"batchItemFailures": []}
    assert _consume(_record(body, message_id="again")) == {"batchItemFailures": []}

    (start,) = automation_starts(consumer.calls)  # the second delivery is a duplicate finding
    assert start["DocumentName"] == DOCUMENT
    assert [line["source"] for line in decisions(capsys) if line["decision"] == "redriven"] == [shape, shape]


@pytest.mark.parametrize(
    "event",
    [
        asff.status_event("bbbbbbbb-0000-0000-0000-000000000000", "AWS-DeleteImage", "Failed"),
        asff.imported_event(
            asff.prowler_finding(
                "s3_bucket_level_public_access_block", asff.bucket_arn(), account=asff.OTHER_ACCOUNT_ID
            )
        ),
    ],
    ids=["foreign-document", "out-of-scope-account"],
)
def test_a_redriven_event_the_bridge_refuses_is_parked_with_no_ssm_call(consumer, event):
    assert _consume(_record(_on_failure_record(event))) == {"batchItemFailures": []}
    assert _ssm_calls(consumer) == []
    assert [r for r, _ in _parked(consumer)] == ["refused_by_bridge"]


def test_an_invalid_redriven_event_is_parked(consumer):
    event = {**asff.imported_event(), "source": "my.app"}
    _consume(_record(event))
    assert _ssm_calls(consumer) == []
    assert [r for r, _ in _parked(consumer)] == ["invalid_event"]


def test_a_transient_error_backs_off_by_receive_count_then_parks_on_the_last_receive(consumer, capsys):
    message = _start_and_fail(consumer)
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=consumer.queue_url, MessageBody=json.dumps(message))
    (received,) = sqs.receive_message(QueueUrl=consumer.queue_url)["Messages"]
    consumer.calls.fail("StartAutomationExecution", "ThrottlingException", "slow down", status=400)
    consumer.calls.clear()

    for count in range(1, retry.MAX_RECEIVE_COUNT):
        record = _record(message, receive_count=count, message_id="m", receipt=received["ReceiptHandle"])
        assert _consume(record) == {"batchItemFailures": [{"itemIdentifier": "m"}]}
    hidden = [c["VisibilityTimeout"] for c in params_of(consumer.calls, "ChangeMessageVisibility")]
    assert hidden == [ledger.backoff_seconds(n) for n in range(1, retry.MAX_RECEIVE_COUNT)]
    assert _parked(consumer) == []

    last = _record(message, receive_count=retry.MAX_RECEIVE_COUNT, message_id="m", receipt=received["ReceiptHandle"])
    assert _consume(last) == {"batchItemFailures": []}
    assert [r for r, _ in _parked(consumer)] == ["retries_exhausted"]
    # The resource's failure item is no longer in flight: its next failure is queued again.
    assert not ledger.Ledger(TABLE, 24).failure(message["resource"])["in_flight"]


def test_restarts_of_a_resource_are_bounded(consumer):
    message = _start_and_fail(consumer)
    book = ledger.Ledger(TABLE, 24)
    for _ in range(retry.MAX_RESTARTS):  # the resource failed again after each restart
        book.settle_failure(message["resource"], "restarted")
        book.claim_failure(message["resource"], EXECUTION_ID, [], 60)
        book.confirm_failure(message["resource"])
    consumer.calls.clear()

    _consume(_record(message))

    assert _ssm_calls(consumer) == []
    assert [r for r, _ in _parked(consumer)] == ["restarts_exhausted"]


def test_a_batch_that_is_not_an_sqs_batch_is_refused_before_any_call(consumer):
    for event in (None, {}, {"Records": "x"}, {"Records": [{"body": "{}"}]}):
        with pytest.raises(ValueError, match="SQS batch"):
            retry.lambda_handler(event, None)
    assert consumer.calls.calls == []


def test_a_missing_parked_queue_is_a_configuration_error(consumer, monkeypatch):
    monkeypatch.delenv("PARKED_QUEUE_URL")
    with pytest.raises(ValueError, match="PARKED_QUEUE_URL"):
        _consume(_record({"execution_id": EXECUTION_ID}))
    assert consumer.calls.calls == []
