"""Rule ec2_default_security_group_closed: outcomes per configuration item, and the API calls made (none)."""

from __future__ import annotations

import json

import pytest

from config_rules.ec2_default_security_group_closed import rule
from tests.config_events import RuleExamples, single_compliance
from tests.framework_requirements import rule_attribute_has

# CIS v3.0 5.4 "Ensure the default security group of every VPC restricts all traffic"; FSBP EC2.2 "VPC default
# security groups should not allow inbound or outbound traffic": no inbound and no outbound rule.
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "5.4"): rule_attribute_has("RULE_LISTS", "ipPermissions", "ipPermissionsEgress"),
    ("aws_fsbp", "EC2.2"): rule_attribute_has("RULE_LISTS", "ipPermissions", "ipPermissionsEgress"),
}

RULE = RuleExamples(rule)


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
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == "sg-0123456789abcdef0"
    assert result[0]["ComplianceResourceType"] == "AWS::EC2::SecurityGroup"
    # No EC2 call: the configuration item carries the rules; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


def test_non_compliant_annotation_counts_the_rules(api_calls):
    result = RULE.evaluate(RULE.event("non_compliant"))

    assert result[0]["Annotation"] == (
        "The default security group allows traffic: 1 inbound and 1 outbound permission(s)."
    )


@pytest.mark.parametrize("rule_list", rule.RULE_LISTS)
def test_one_rule_in_either_direction_is_enough(api_calls, rule_list):
    item = RULE.item("compliant")
    item["configuration"][rule_list] = RULE.item("non_compliant")["configuration"][rule_list]

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NON_COMPLIANT"


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
    item = RULE.item("compliant")
    mutate(item["configuration"])

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert field in result[0]["Annotation"]


def test_a_configuration_given_as_a_json_string_is_read_as_the_object(api_calls):
    item = RULE.item("non_compliant")
    item["configuration"] = json.dumps(item["configuration"])

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NON_COMPLIANT"


def test_oversized_item_that_cannot_be_read_is_non_compliant(api_calls):
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException")

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "GetResourceConfigHistory failed: AccessDeniedException" in result[0]["Annotation"]
