"""Rule sqs_queue_encrypted: outcomes per queue's live encryption setting, and the API calls made."""

from __future__ import annotations

import json

import pytest
import rule_support

from config_rules.sqs_queue_encrypted import rule
from resource_types.sqs_queue.simulation import create_queue
from tests.config_events import change_event, history_item, single_compliance
from tests.conftest import REGION, REPO_ROOT, load_example
from tests.framework_requirements import rule_attribute_has

# FSBP SQS.1 "Amazon SQS queues should be encrypted at rest": SSE-SQS or SSE-KMS.
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "SQS.1"): rule_attribute_has("PASSING_SETTINGS", "KmsMasterKeyId", "SqsManagedSseEnabled")
}

EVENTS = REPO_ROOT / "config_rules" / "sqs_queue_encrypted" / "events"
RULE_IAM = (*rule.IAM_ACTIONS, "config:PutEvaluations", "config:GetResourceConfigHistory")
QUEUE = "payment-events"


def _evaluate(event: dict) -> list[dict] | dict:
    return rule.lambda_handler(event, None)


def _item() -> dict:
    return json.loads(load_example(EVENTS / "queue_changed.json")["invokingEvent"])["configurationItem"]


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

    result = _evaluate(load_example(EVENTS / "queue_changed.json"))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (url, "AWS::SQS::Queue")
    assert api_calls.operations == ["GetQueueAttributes", "PutEvaluations"]
    api_calls.assert_within(RULE_IAM)


def test_a_deleted_queue_is_not_applicable_without_asking_sqs(aws, api_calls):
    assert single_compliance(_evaluate(load_example(EVENTS / "deleted.json"))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_a_queue_gone_since_the_item_is_not_applicable(aws, api_calls):
    result = _evaluate(load_example(EVENTS / "queue_changed.json"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == "The queue no longer exists."


def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_queue(REGION, QUEUE, "none")
    api_calls.clear()
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(_item())]})

    result = _evaluate(load_example(EVENTS / "oversized.json"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert api_calls.operations == ["GetResourceConfigHistory", "GetQueueAttributes", "PutEvaluations"]


@pytest.mark.parametrize("code", ["AccessDenied", "RequestThrottled"])
def test_an_api_error_is_reported_and_never_compliant(aws, api_calls, monkeypatch, code):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_queue(REGION, QUEUE, "sse-sqs")
    api_calls.fail("GetQueueAttributes", code=code)

    result = _evaluate(load_example(EVENTS / "queue_changed.json"))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations


@pytest.mark.parametrize("parameters", [{"KmsKeyId": "alias/x"}, {"AssumeRoleMode": "false", "x": ""}])
def test_unknown_rule_parameter_is_a_customer_error_and_evaluates_nothing(aws, api_calls, parameters):
    event = load_example(EVENTS / "queue_changed.json")
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", **parameters})

    result = _evaluate(event)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert api_calls.operations == []


def test_item_of_another_resource_type_is_not_applicable(aws, api_calls):
    item = _item()
    item["resourceType"] = "AWS::SQS::QueuePolicy"

    assert single_compliance(_evaluate(change_event("sqs-queue-encrypted", item))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]
