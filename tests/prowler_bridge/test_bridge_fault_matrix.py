"""A fault at every call of the bridge's path, with Lambda's two retries: each cell ends with exactly one runbook
execution and its finding resolved, nothing lost and nothing run twice.

Faults: throttling and access denied (the call fails, the invocation's error handling runs), and a killed
invocation (the Lambda times out during the call: nothing after it runs, not even error handling). Between
attempts the clock moves on by more than the invocation's lifetime, as Lambda's retries do (about a minute,
then two). SSM's ClientToken is honoured as AWS documents it: one token, one execution.
"""

from __future__ import annotations

import pytest

from prowler_bridge import handler, ledger
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, params_of

PATH = [  # the calls of one finding's remediation, in order (tests/prowler_bridge/test_imported.py)
    "GetCallerIdentity",
    "GetParameter",  # the account's run-time controls
    "TransactWriteItems",  # the finding's claim
    "UpdateItem",
    "DescribeRemediationExecutionStatus",
    "GetComplianceDetailsByResource",
    "StartAutomationExecution",
    "PutItem",
    "UpdateItem",
    "BatchUpdateFindings",
    "TransactWriteItems",  # the finding's claim confirmed
]
FAULTS = ("ThrottlingException", "AccessDeniedException", "killed")
LAMBDA_ATTEMPTS = 3  # the event, then Lambda's two retries of an asynchronous invocation


class Killed(BaseException):  # not an Exception: no handler of the code under test may catch it
    """The Lambda was stopped during the call (timeout): no code after it runs."""


def _fault_at(bridge, operation: str, occurrence: int, fault: str) -> None:
    """Make the `occurrence`-th call (1-based) of `operation` from now on fail once with `fault`."""
    recorder = bridge.calls
    state = {"seen": 0, "done": False}

    def before(model, **_kwargs):
        if model.name != operation or state["done"]:
            return None
        state["seen"] += 1
        if state["seen"] < occurrence:
            return None
        state["done"] = True
        if fault == "killed":
            raise Killed(operation)
        recorder.fail(operation, fault, "injected")
        return None

    def after(model, **_kwargs):
        if model.name == operation and state["done"]:
            recorder.heal(operation)

    import boto3

    boto3.DEFAULT_SESSION.events.register_first("before-call", before)
    boto3.DEFAULT_SESSION.events.register("after-call", after)


def _cells():
    for position, operation in enumerate(PATH):
        occurrence = PATH[: position + 1].count(operation)
        for fault in FAULTS:
            yield pytest.param(operation, occurrence, fault, id=f"{position:02d}-{operation}#{occurrence}-{fault}")


@pytest.mark.parametrize(("operation", "occurrence", "fault"), list(_cells()))
def test_every_cell_ends_with_one_execution_and_the_finding_resolved(bridge, monkeypatch, operation, occurrence, fault):
    clock = {"now": 1_800_000_000.0}
    monkeypatch.setattr(ledger.time, "time", lambda: clock["now"])
    finding = asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn())
    _fault_at(bridge, operation, occurrence, fault)

    for _attempt in range(LAMBDA_ATTEMPTS):
        try:
            handler.lambda_handler(asff.imported_event(finding), None)
            break
        except (Exception, Killed):
            clock["now"] += 120  # Lambda retries after a minute, then two: the dead invocation's leases ran out
    handler.lambda_handler(asff.status_event(EXECUTION_ID, "Remedy-EnableS3BucketKmsEncryption", "Success"), None)

    tokens = {start["ClientToken"] for start in params_of(bridge.calls, "StartAutomationExecution")}
    assert len(tokens) == 1  # SSM ran one execution, however often the start was sent
    resolved = [
        update
        for update in params_of(bridge.calls, "BatchUpdateFindings")
        if update["Workflow"] == {"Status": "RESOLVED"}
        and finding["Id"] in [f["Id"] for f in update["FindingIdentifiers"]]
    ]
    assert len(resolved) == 1


# The retry consumer's path for a failed run's message (tests/prowler_bridge/test_retry.py): the execution record
# and the failure item, the resource claim, AWS Config, the start, the new record, the claim's start, the finding
# update, the failure item settled.
RETRY_PATH = [
    "GetItem",
    "GetItem",
    "UpdateItem",
    "DescribeRemediationExecutionStatus",
    "GetComplianceDetailsByResource",
    "StartAutomationExecution",
    "PutItem",
    "UpdateItem",
    "BatchUpdateFindings",
    "UpdateItem",
]


def _retry_cells():
    for position, operation in enumerate(RETRY_PATH):
        occurrence = RETRY_PATH[: position + 1].count(operation)
        for fault in FAULTS:
            yield pytest.param(operation, occurrence, fault, id=f"{position:02d}-{operation}#{occurrence}-{fault}")


@pytest.mark.parametrize(("operation", "occurrence", "fault"), list(_retry_cells()))
def test_every_retry_cell_ends_with_one_restart_and_the_message_settled(
    bridge, monkeypatch, operation, occurrence, fault
):
    import boto3

    from prowler_bridge import retry
    from tests.conftest import REGION
    from tests.prowler_bridge import test_retry

    clock = {"now": 1_800_000_000.0}
    monkeypatch.setattr(ledger.time, "time", lambda: clock["now"])
    parked = boto3.client("sqs", region_name=REGION).create_queue(QueueName="parked")["QueueUrl"]
    monkeypatch.setenv("PARKED_QUEUE_URL", parked)
    message = test_retry._start_and_fail(bridge)
    _fault_at(bridge, operation, occurrence, fault)

    for delivery in range(1, retry.MAX_RECEIVE_COUNT + 1):  # SQS delivers until the consumer is done with it
        try:
            result = retry.lambda_handler({"Records": [test_retry._record(message, receive_count=delivery)]}, None)
            if not result["batchItemFailures"]:
                break
        except (Exception, Killed):
            pass
        clock["now"] += 120  # the dead invocation's lease ran out; SQS shows the message again
    else:
        pytest.fail("the message was still being retried after the last receive")

    tokens = {start["ClientToken"] for start in params_of(bridge.calls, "StartAutomationExecution")}
    assert len(tokens) == 1  # SSM ran one new execution, however often the start was sent
    book = ledger.Ledger(bridge.table, 24)
    assert book.execution(test_retry.NEW_EXECUTION_ID)["resource"] == message["resource"]
    assert not book.failure(message["resource"])["in_flight"]  # settled, not parked, not lost
    assert boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=parked).get("Messages") is None
