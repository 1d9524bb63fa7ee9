"""Rule elbv2_alb_drop_invalid_header_fields: outcomes per load balancer type and live attribute, and the API
calls made."""

from __future__ import annotations

import json

import pytest
import rule_support

from config_rules.elbv2_alb_drop_invalid_header_fields import rule
from resource_types.elbv2_load_balancer.simulation import create_load_balancer
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.conftest import REGION
from tests.framework_requirements import rule_attribute_has

# FSBP ELB.4 "Application Load Balancer should be configured to drop invalid http headers": the control fails if
# routing.http.drop_invalid_header_fields.enabled is false.
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "ELB.4"): rule_attribute_has("PASSING_SETTINGS", "routing.http.drop_invalid_header_fields.enabled")
}

RULE = RuleExamples(rule)
NAME = "payments-api"


def _event_for(arn: str, kind: str = "application") -> dict:
    item = RULE.item("load_balancer_changed")
    item["resourceId"] = item["ARN"] = item["configuration"]["loadBalancerArn"] = arn
    item["configuration"]["type"] = kind
    return RULE.change_event(item)


@pytest.mark.parametrize(
    ("drop", "expected", "annotation"),
    [
        (True, "COMPLIANT", "Drops HTTP headers with invalid header fields."),
        (False, "NON_COMPLIANT", "Routes HTTP headers with invalid header fields to its targets"),
        # moto omits the attribute until it is set; AWS documents its default as false.
        (None, "NON_COMPLIANT", "Routes HTTP headers with invalid header fields to its targets"),
    ],
)
def test_the_live_attribute_decides(aws, api_calls, drop, expected, annotation):
    arn = create_load_balancer(REGION, NAME, drop_invalid=drop)
    api_calls.clear()

    result = RULE.evaluate(_event_for(arn))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"].startswith(annotation)
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (
        arn,
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
    )
    assert api_calls.operations == ["DescribeLoadBalancerAttributes", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


@pytest.mark.parametrize(("kind", "segment"), [("network", "/net/"), ("gateway", "/gwy/")])
def test_other_load_balancer_types_are_not_applicable_without_asking_elb(aws, api_calls, kind, segment):
    result = RULE.evaluate(_event_for(RULE.item("load_balancer_changed")["ARN"].replace("/app/", segment), kind))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert kind in result[0]["Annotation"]
    assert api_calls.operations == ["PutEvaluations"]


def test_an_item_without_a_type_is_reported_never_compliant(aws, api_calls):
    item = RULE.item("load_balancer_changed")
    del item["configuration"]["type"]

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "configuration.type" in result[0]["Annotation"]


def test_a_deleted_load_balancer_is_not_applicable_without_asking_elb(aws, api_calls):
    assert single_compliance(RULE.evaluate(RULE.event("deleted"))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_a_load_balancer_gone_since_the_item_is_not_applicable(aws, api_calls):
    result = RULE.evaluate(RULE.event("load_balancer_changed"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == "The load balancer no longer exists."


def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    arn = create_load_balancer(REGION, NAME)
    item = RULE.item("load_balancer_changed")
    item["resourceId"] = item["ARN"] = arn
    summary_event = RULE.event("oversized")
    invoking = json.loads(summary_event["invokingEvent"])
    invoking["configurationItemSummary"]["resourceId"] = invoking["configurationItemSummary"]["ARN"] = arn
    summary_event["invokingEvent"] = json.dumps(invoking)
    api_calls.clear()
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(item)]})

    result = RULE.evaluate(summary_event)

    assert single_compliance(result) == "NON_COMPLIANT"
    assert api_calls.operations == ["GetResourceConfigHistory", "DescribeLoadBalancerAttributes", "PutEvaluations"]


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling"])
def test_an_api_error_is_reported_and_never_compliant(aws, api_calls, monkeypatch, code):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    arn = create_load_balancer(REGION, NAME, drop_invalid=True)
    api_calls.fail("DescribeLoadBalancerAttributes", code=code)

    result = RULE.evaluate(_event_for(arn))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations
