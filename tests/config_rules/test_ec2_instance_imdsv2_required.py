"""Rule ec2_instance_imdsv2_required: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import boto3
import pytest
from rule_support import RuleEvaluationError

from config_rules.ec2_instance_imdsv2_required import rule
from resource_types.ec2_instance.simulation import launch
from tests.config_events import RuleExamples, single_compliance
from tests.conftest import REGION
from tests.framework_requirements import rule_attribute_has

# FSBP EC2.8: "EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)"; "The control fails if
# HttpTokens is set to optional." CIS v3.0 5.6: "Ensure that EC2 Metadata Service only allows IMDSv2".
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "EC2.8"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::EC2::Instance"),
    ("cis_aws_v3.0", "5.6"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::EC2::Instance"),
}

RULE = RuleExamples(rule)
RULE_IAM = (*rule.IAM_ACTIONS, "config:PutEvaluations")


def _event_for(instance_id: str) -> dict:
    """The not_recorded_in_item example (no metadataOptions), about `instance_id`."""
    item = RULE.item("not_recorded_in_item")
    item["resourceId"] = item["resourceName"] = item["configuration"]["instanceId"] = instance_id
    return RULE.change_event(item)


@pytest.mark.parametrize(
    ("example", "expected"),
    [("compliant", "COMPLIANT"), ("non_compliant", "NON_COMPLIANT"), ("deleted", "NOT_APPLICABLE")],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == "i-0123456789abcdef0"
    assert result[0]["ComplianceResourceType"] == "AWS::EC2::Instance"
    assert api_calls.operations == ["PutEvaluations"]


def test_non_compliant_annotation_names_the_setting(api_calls):
    result = RULE.evaluate(RULE.event("non_compliant"))

    assert result[0]["Annotation"] == "The instance accepts IMDSv1: HttpTokens is 'optional', not 'required'."


def test_a_disabled_endpoint_with_optional_tokens_is_non_compliant_and_says_so(api_calls):
    # FSBP EC2.8 judges HttpTokens alone; enabling the endpoint later would bring IMDSv1 back.
    item = RULE.item("non_compliant")
    item["configuration"]["metadataOptions"]["httpEndpoint"] = "disabled"
    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "metadata endpoint is disabled now" in result[0]["Annotation"]


@pytest.mark.parametrize("state", ["terminated", "shutting-down"])
def test_a_terminated_instance_is_not_applicable(api_calls, state):
    item = RULE.item("non_compliant")
    item["configuration"]["state"]["name"] = state
    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(("path", "value"), [("httpTokens", True), ("httpTokens", None), ("httpEndpoint", 1)])
def test_an_unreadable_setting_is_non_compliant_naming_it(api_calls, path, value):
    item = RULE.item("compliant")
    item["configuration"]["metadataOptions"][path] = value
    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert f"configuration.metadataOptions.{path}" in result[0]["Annotation"]


def test_falls_back_to_ec2_when_the_item_lacks_metadata_options(api_calls):
    ec2 = boto3.client("ec2")
    optional = launch(ec2, "v1", "optional", f"{REGION}a")
    required = launch(ec2, "v2", "required", f"{REGION}a")
    api_calls.clear()

    assert single_compliance(RULE.evaluate(_event_for(optional))) == "NON_COMPLIANT"
    assert single_compliance(RULE.evaluate(_event_for(required))) == "COMPLIANT"
    assert api_calls.operations == ["DescribeInstances", "PutEvaluations"] * 2
    api_calls.assert_within(RULE_IAM)


def test_fallback_on_an_instance_that_no_longer_exists_is_not_applicable(api_calls):
    result = RULE.evaluate(_event_for("i-0000000000000dead"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["DescribeInstances", "PutEvaluations"]


def test_access_denied_fails_closed_without_an_evaluation(api_calls):
    api_calls.fail("DescribeInstances", code="UnauthorizedOperation")
    result = RULE.evaluate(_event_for("i-0123456789abcdef0"))

    assert result["customerErrorCode"] == "UnauthorizedOperation"
    assert "PutEvaluations" not in api_calls.operations


def test_an_answer_without_http_tokens_is_never_compliant(api_calls):
    api_calls.respond(
        "DescribeInstances",
        {"Reservations": [{"Instances": [{"InstanceId": "i-0123456789abcdef0", "State": {"Name": "running"}}]}]},
    )
    with pytest.raises(RuleEvaluationError, match=r"no MetadataOptions\.HttpTokens"):
        RULE.evaluate(_event_for("i-0123456789abcdef0"))
    assert "PutEvaluations" not in api_calls.operations
