"""Rule ec2_subnet_no_auto_public_ip: outcomes from the configuration item, fail closed, calls made."""

from __future__ import annotations

import pytest
import rule_support

from config_rules.ec2_subnet_no_auto_public_ip import rule
from tests.config_events import RuleExamples, configuration_item, history_item, set_field, single_compliance
from tests.framework_requirements import rule_attribute_has

# FSBP EC2.15 "Amazon EC2 subnets should not automatically assign public IP addresses": "This control checks whether
# the assignment of public IPs in Amazon Virtual Private Cloud (Amazon VPC) subnets have MapPublicIpOnLaunch set to
# FALSE. The control passes if the flag is set to FALSE."
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "EC2.15"): rule_attribute_has("JUDGED_FIELDS", "configuration.mapPublicIpOnLaunch"),
}

RULE = RuleExamples(rule)
SUBNET = "subnet-0a1b2c3d4e5f67890"
VPC = "vpc-0fedcba9876543210"


@pytest.mark.parametrize(
    ("example", "expected", "annotation"),
    [
        (
            "non_compliant",
            "NON_COMPLIANT",
            f"Subnet {SUBNET} (VPC {VPC}) assigns a public IPv4 address to instances launched in it.",
        ),
        ("compliant", "COMPLIANT", f"Subnet {SUBNET} (VPC {VPC}) does not assign public IPv4 addresses on launch."),
    ],
)
def test_the_items_map_public_ip_on_launch_decides(aws, api_calls, example, expected, annotation):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (SUBNET, "AWS::EC2::Subnet")
    # The item carries the setting: no API call but the evaluation.
    assert api_calls.operations == ["PutEvaluations"]


def test_a_default_subnet_is_judged_like_any_other(aws, api_calls):
    # AWS creates a default VPC's subnets with MapPublicIpOnLaunch true: FSBP EC2.15 fails them too.
    item = set_field(RULE.item("non_compliant"), "configuration.defaultForAz", True)

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NON_COMPLIANT"


def test_ipv6_assignment_alone_is_not_judged(aws, api_calls):
    # EC2.15 and Prowler's check read the IPv4 flag only.
    item = set_field(RULE.item("compliant"), "configuration.assignIpv6AddressOnCreation", True)

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "COMPLIANT"


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("true", "configuration.mapPublicIpOnLaunch is str"),
        ("false", "configuration.mapPublicIpOnLaunch is str"),
        (0, "configuration.mapPublicIpOnLaunch is int"),
        (None, "configuration.mapPublicIpOnLaunch is missing"),
    ],
)
def test_an_unreadable_setting_is_non_compliant_naming_the_field(aws, api_calls, value, named):
    item = set_field(RULE.item("compliant"), "configuration.mapPublicIpOnLaunch", value)

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Not evaluated: configuration item field {named}")


def test_a_missing_field_is_never_read_as_aws_default(aws, api_calls):
    item = RULE.item("compliant")
    del item["configuration"]["mapPublicIpOnLaunch"]

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "mapPublicIpOnLaunch is missing" in result[0]["Annotation"]


def test_a_deleted_subnet_is_not_applicable(aws, api_calls):
    item = configuration_item("AWS::EC2::Subnet", SUBNET, {}, status="ResourceDeleted")

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(("example", "expected"), [("non_compliant", "NON_COMPLIANT"), ("compliant", "COMPLIANT")])
def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch, example, expected):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(RULE.item(example))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == expected
    assert api_calls.operations == ["GetResourceConfigHistory", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


def test_a_failed_history_read_is_never_compliant(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException")

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "AccessDeniedException" in result[0]["Annotation"]
