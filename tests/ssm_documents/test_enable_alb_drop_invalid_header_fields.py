"""Runbook enable_alb_drop_invalid_header_fields: turns the attribute on for Application Load Balancers only,
never turns it off, refuses other accounts' and Regions' load balancers."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.elbv2_load_balancer.simulation import create_load_balancer
from ssm_documents.enable_alb_drop_invalid_header_fields import script
from tests.conftest import REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT
    / "ssm_documents"
    / "enable_alb_drop_invalid_header_fields"
    / "events"
    / "enable_drop_invalid_header_fields.json"
)
ATTRIBUTE = "routing.http.drop_invalid_header_fields.enabled"
NAME = "payments-api"


def _run(arn: str, **extra: object) -> dict:
    return script.enable_drop_invalid_header_fields({**EVENT, "LoadBalancerArn": arn, **extra}, None)


def _value(arn: str) -> str | None:
    attributes = boto3.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    return {a["Key"]: a["Value"] for a in attributes}.get(ATTRIBUTE)


@pytest.mark.parametrize("drop", [None, False])
def test_turns_the_attribute_on_and_records_the_previous_setting(aws, api_calls, drop):
    arn = create_load_balancer(REGION, NAME, drop_invalid=drop)
    api_calls.clear()

    result = _run(arn)

    assert _value(arn) == "true"
    assert result["Changed"] is True
    # moto omits the attribute until it is set; AWS documents its default as false.
    assert result["PreviousState"] == {ATTRIBUTE: "false"}
    assert result["CurrentState"] == result["PlannedState"] == {ATTRIBUTE: "true"}
    assert api_calls.mutating == ["ModifyLoadBalancerAttributes"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_second_run_makes_no_mutating_call(aws, api_calls):
    arn = create_load_balancer(REGION, NAME)
    _run(arn)
    api_calls.clear()

    result = _run(arn)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_a_compliant_load_balancer_is_left_alone(aws, api_calls):
    arn = create_load_balancer(REGION, NAME, drop_invalid=True)
    api_calls.clear()

    result = _run(arn)

    assert result["Changed"] is False and _value(arn) == "true"
    assert api_calls.mutating == []


def test_a_network_load_balancer_is_refused(aws, api_calls):
    arn = create_load_balancer(REGION, NAME, kind="network")
    api_calls.clear()

    with pytest.raises(ValueError, match="not an Application Load Balancer"):
        _run(arn)
    assert api_calls.mutating == [] and _value(arn) is None


def test_aws_error_fails_the_step_and_changes_nothing(aws, api_calls):
    arn = create_load_balancer(REGION, NAME)
    api_calls.fail("ModifyLoadBalancerAttributes", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        _run(arn)
    assert _value(arn) is None


def test_a_load_balancer_that_is_gone_fails_cleanly(aws, api_calls):
    with pytest.raises(ClientError, match="LoadBalancerNotFound"):
        _run(EVENT["LoadBalancerArn"])
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:elasticloadbalancing:us-east-1:210987654321:loadbalancer/app/payments-api/50dc6c495c0c9188",
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/payments-api/50dc6c495c0c9188",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/payments-api/50dc6c495c0c9188",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/-payments/50dc6c495c0c9188",
        None,
    ],
)
def test_a_load_balancer_of_another_account_or_region_is_refused_before_elb(aws, api_calls, arn):
    with pytest.raises(ValueError, match=r"LoadBalancerArn must be|is not in this account"):
        _run(arn)
    assert [c.operation for c in api_calls.calls if c.service == "elasticloadbalancing"] == []


def test_dry_run_returns_the_plan_and_changes_nothing(aws, api_calls):
    arn = create_load_balancer(REGION, NAME)
    api_calls.clear()

    result = _run(arn, DryRun=True)

    assert api_calls.mutating == [] and _value(arn) is None
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PlannedState"] == {ATTRIBUTE: "true"}
    assert result["PreviousState"] == result["CurrentState"] == {ATTRIBUTE: "false"}
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    arn = create_load_balancer(REGION, NAME)
    api_calls.clear()

    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run(arn, DryRun="yes")
    assert api_calls.operations == []
