"""Rule ec2_default_security_group_closed: outcomes per configuration item, and the API calls made (none)."""

from __future__ import annotations

import json

import pytest

from config_rules.ec2_default_security_group_closed import rule
from tests.config_events import change_event, single_compliance
from tests.conftest import REPO_ROOT, load_example
from tests.framework_requirements import rule_attribute_has

# CIS v3.0 5.4 "Ensure the default security group of every VPC restricts all traffic"; FSBP EC2.2 "VPC default
# security groups should not allow inbound or outbound traffic": no inbound and no outbound rule.
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "5.4"): rule_attribute_has("RULE_LISTS", "ipPermissions", "ipPermissionsEgress"),
    ("aws_fsbp", "EC2.2"): rule_attribute_has("RULE_LISTS", "ipPermissions", "ipPermissionsEgress"),
}

EVENTS = REPO_ROOT / "config_rules" / "ec2_default_security_group_closed" / "events"
RULE_NAME = "ec2-default-security-group-closed"


def _evaluate(event: dict) -> list[dict] | dict:
    return rule.lambda_handler(event, None)


def _item(example: str) -> dict:
    return json.loads(load_example(EVENTS / f"{example}.json")["invokingEvent"])["configurationItem"]


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("compliant", "COMPLIANT"),
        ("non_compliant", "NON_COMPLIANT"),
        ("not_default", "NOT_APPLICABLE"),
        ("deleted", "NOT_APPLICABLE"),
    ],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = _evaluate(load_example(EVENTS / f"{example}.json"))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == "sg-0123456789abcdef0"
    assert result[0]["ComplianceResourceType"] == "AWS::EC2::SecurityGroup"
    # No EC2 call: the configuration item carries the rules; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


def test_non_compliant_annotation_counts_the_rules(api_calls):
    result = _evaluate(load_example(EVENTS / "non_compliant.json"))

    assert result[0]["Annotation"] == (
        "The default security group allows traffic: 1 inbound and 1 outbound permission(s)."
    )


@pytest.mark.parametrize("rule_list", rule.RULE_LISTS)
def test_one_rule_in_either_direction_is_enough(api_calls, rule_list):
    item = _item("compliant")
    item["configuration"][rule_list] = _item("non_compliant")["configuration"][rule_list]

    assert single_compliance(_evaluate(change_event(RULE_NAME, item))) == "NON_COMPLIANT"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c.pop("ipPermissionsEgress"), "configuration.ipPermissionsEgress is missing"),
        (lambda c: c.update(ipPermissions="[]"), "configuration.ipPermissions is str"),
        (lambda c: c.update(ipPermissions=["tcp"]), "configuration.ipPermissions[0] is str"),
        (lambda c: c.pop("groupName"), "configuration.groupName is missing"),
    ],
)
def test_an_unreadable_rule_list_is_non_compliant_naming_the_field(api_calls, mutate, field):
    item = _item("compliant")
    mutate(item["configuration"])

    result = _evaluate(change_event(RULE_NAME, item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert field in result[0]["Annotation"]


def test_a_configuration_given_as_a_json_string_is_read_as_the_object(api_calls):
    item = _item("non_compliant")
    item["configuration"] = json.dumps(item["configuration"])

    assert single_compliance(_evaluate(change_event(RULE_NAME, item))) == "NON_COMPLIANT"


def test_unknown_rule_parameter_is_a_customer_error_and_evaluates_nothing(api_calls):
    event = load_example(EVENTS / "non_compliant.json")
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", "AllowEgress": "true"})

    result = _evaluate(event)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert "AllowEgress" in result["customerErrorMessage"]
    assert api_calls.operations == []


def test_oversized_item_that_cannot_be_read_is_non_compliant(api_calls):
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException")

    result = _evaluate(load_example(EVENTS / "oversized.json"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "GetResourceConfigHistory failed: AccessDeniedException" in result[0]["Annotation"]


def test_item_of_another_resource_type_is_not_applicable(api_calls):
    item = _item("non_compliant")
    item["resourceType"] = "AWS::EC2::NetworkAcl"

    assert single_compliance(_evaluate(change_event(RULE_NAME, item))) == "NOT_APPLICABLE"
