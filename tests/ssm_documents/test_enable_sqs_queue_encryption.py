"""Runbook enable_sqs_queue_encryption: turns SSE-SQS on, never replaces a KMS key, is idempotent."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.sqs_queue.simulation import create_queue
from ssm_documents.enable_sqs_queue_encryption import script
from tests.conftest import REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "enable_sqs_queue_encryption" / "events" / "enable_queue_encryption.json"
)
URL = EVENT["QueueUrl"]
NAME = URL.rsplit("/", 1)[-1]


def _run(**extra: object) -> dict:
    return script.enable_queue_encryption({**EVENT, **extra}, None)


def _attributes() -> dict:
    return boto3.client("sqs").get_queue_attributes(QueueUrl=URL, AttributeNames=["All"])["Attributes"]


def test_turns_sse_sqs_on_and_records_the_previous_setting(aws, api_calls):
    assert create_queue(REGION, NAME, "none") == URL
    api_calls.clear()

    result = _run()

    assert _attributes()["SqsManagedSseEnabled"] == "true"
    assert result["Changed"] is True
    assert result["PreviousState"] == {"SqsManagedSseEnabled": False}
    assert result["CurrentState"] == result["PlannedState"] == {"SqsManagedSseEnabled": True}
    assert api_calls.mutating == ["SetQueueAttributes"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_second_run_makes_no_mutating_call(aws, api_calls):
    create_queue(REGION, NAME, "none")
    _run()
    api_calls.clear()

    result = _run()

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


@pytest.mark.parametrize("encryption", ["sse-sqs", "kms"])
def test_an_encrypted_queue_is_left_alone_and_its_kms_key_kept(aws, api_calls, encryption):
    create_queue(REGION, NAME, encryption)
    before = _attributes()
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False
    assert api_calls.mutating == []
    assert _attributes().get("KmsMasterKeyId") == before.get("KmsMasterKeyId")


def test_aws_error_fails_the_step_and_changes_nothing(aws, api_calls):
    create_queue(REGION, NAME, "none")
    api_calls.fail("SetQueueAttributes", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        _run()
    assert _attributes()["SqsManagedSseEnabled"] == "false"


@pytest.mark.parametrize(
    "url",
    [
        "https://sqs.us-east-1.amazonaws.com/210987654321/payment-events",  # another account
        "https://sqs.eu-west-1.amazonaws.com/123456789012/payment-events",  # another Region
        "https://us-east-1.queue.amazonaws.com/123456789012/payment-events",  # legacy endpoint form
        "arn:aws:sqs:us-east-1:123456789012:payment-events",
        None,
    ],
)
def test_a_queue_of_another_account_or_region_or_no_url_is_refused_before_sqs(aws, api_calls, url):
    with pytest.raises(ValueError, match=r"QueueUrl must be|is not in this account"):
        _run(QueueUrl=url)
    assert [c.operation for c in api_calls.calls if c.service == "sqs"] == []


def test_dry_run_returns_the_plan_and_changes_nothing(aws, api_calls):
    create_queue(REGION, NAME, "none")
    api_calls.clear()

    result = _run(DryRun=True)

    assert api_calls.mutating == []
    assert _attributes()["SqsManagedSseEnabled"] == "false"
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PlannedState"] == {"SqsManagedSseEnabled": True}
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run(DryRun="yes")
    assert api_calls.operations == []
