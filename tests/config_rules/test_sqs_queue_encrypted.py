"""Rule sqs_queue_encrypted: outcomes per queue's live encryption setting, and the API calls made."""

from __future__ import annotations

import pytest
import rule_support

from config_rules.sqs_queue_encrypted import rule
from resource_types.sqs_queue.simulation import create_queue
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.conftest import REGION
from tests.framework_requirements import rule_attribute_has

# FSBP SQS.1 "Amazon SQS queues should be encrypted at rest": SSE-SQS or SSE-KMS.
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "SQS.1"): rule_attribute_has("PASSING_SETTINGS", "KmsMasterKeyId", "SqsManagedSseEnabled")
}

RULE = RuleExamples(rule)
QUEUE = "payment-events"


@pytest.mark.parametrize(
    ("encryption", "expected", "annotation"),
    [
        ("sse-sqs", "COMPLIANT", "Encrypted at rest with SQS managed keys (SSE-SQS)."),
        ("kms", "COMPLIANT", "Encrypted at rest with KMS key alias/aws/sqs (SSE-KMS)."),
        ("none", "NON_COMPLIANT", "Not encrypted at rest: no KMS key and SQS managed encryption (SSE-SQS) off."),
    ],
)
def test_the_live_setting_decides(aws, api_calls, encryption, expected, annotation):
    url = create_queue(REGION, QUEUE, encryption)
    api_calls.clear()

    result = RULE.evaluate(RULE.event("queue_changed"))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (url, "AWS::SQS::Queue")
    assert api_calls.operations == ["GetQueueAttributes", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


def test_a_deleted_queue_is_not_applicable_without_asking_sqs(aws, api_calls):
    assert single_compliance(RULE.evaluate(RULE.event("deleted"))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_a_queue_gone_since_the_item_is_not_applicable(aws, api_calls):
    result = RULE.evaluate(RULE.event("queue_changed"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == "The queue no longer exists."


def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_queue(REGION, QUEUE, "none")
    api_calls.clear()
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(RULE.item("queue_changed"))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert api_calls.operations == ["GetResourceConfigHistory", "GetQueueAttributes", "PutEvaluations"]


@pytest.mark.parametrize("code", ["AccessDenied", "RequestThrottled"])
def test_an_api_error_is_reported_and_never_compliant(aws, api_calls, monkeypatch, code):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_queue(REGION, QUEUE, "sse-sqs")
    api_calls.fail("GetQueueAttributes", code=code)

    result = RULE.evaluate(RULE.event("queue_changed"))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations
