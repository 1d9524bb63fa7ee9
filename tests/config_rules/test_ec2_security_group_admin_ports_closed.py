"""Rule ec2_security_group_admin_ports_closed: outcomes per configuration item, and the API calls made (none)."""

from __future__ import annotations

import pytest

from config_rules.ec2_security_group_admin_ports_closed import rule
from tests.config_events import RuleExamples, set_field, single_compliance
from tests.framework_requirements import both, rule_attribute_has

# CIS v3.0 5.2 "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports" and
# 5.3 "... from ::/0 ..." (SSH 22 and RDP 3389, "using either the TCP (6), UDP (17) or ALL (-1) protocols");
# FSBP EC2.13 "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22" and EC2.14 "... to
# port 3389".
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "5.2"): both(
        rule_attribute_has("ADMIN_PORTS", 22, 3389), rule_attribute_has("INTERNET", "0.0.0.0/0")
    ),
    ("cis_aws_v3.0", "5.3"): both(rule_attribute_has("ADMIN_PORTS", 22, 3389), rule_attribute_has("INTERNET", "::/0")),
    ("aws_fsbp", "EC2.13"): both(
        rule_attribute_has("ADMIN_PORTS", 22), rule_attribute_has("INTERNET", "0.0.0.0/0", "::/0")
    ),
    ("aws_fsbp", "EC2.14"): both(
        rule_attribute_has("ADMIN_PORTS", 3389), rule_attribute_has("INTERNET", "0.0.0.0/0", "::/0")
    ),
}

RULE = RuleExamples(rule)


def _permission(protocol: str, low: int | None = None, high: int | None = None, v4=(), v6=()) -> dict:
    """An ipPermissions entry as AWS Config records it."""
    permission = {
        "ipProtocol": protocol,
        "ipv6Ranges": [{"cidrIpv6": c} for c in v6],
        "prefixListIds": [],
        "userIdGroupPairs": [],
        "ipv4Ranges": [{"cidrIp": c} for c in v4],
        "ipRanges": list(v4),
    }
    if low is not None:
        permission.update(fromPort=low, toPort=high)
    return permission


def _judge(*permissions: dict) -> list[dict]:
    """The compliant example's evaluation with `permissions` as its inbound rules."""
    item = set_field(RULE.item("compliant"), "configuration.ipPermissions", [*permissions])
    return RULE.evaluate(RULE.change_event(item))


@pytest.mark.parametrize(
    ("example", "expected"),
    [("compliant", "COMPLIANT"), ("non_compliant", "NON_COMPLIANT"), ("deleted", "NOT_APPLICABLE")],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == "sg-0123456789abcdef0"
    assert result[0]["ComplianceResourceType"] == "AWS::EC2::SecurityGroup"
    # No EC2 call: the configuration item carries the rules; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


def test_non_compliant_annotation_names_each_open_permission(api_calls):
    result = RULE.evaluate(RULE.event("non_compliant"))

    assert result[0]["Annotation"] == "Open to the internet: tcp port 22 from 0.0.0.0/0; tcp port 3389 from ::/0."


@pytest.mark.parametrize(
    "permission",
    [
        _permission("tcp", 22, 22, v4=["0.0.0.0/0"]),
        _permission("tcp", 3389, 3389, v6=["::/0"]),
        _permission("udp", 3389, 3389, v4=["0.0.0.0/0"]),  # RDP also listens on UDP; CIS names UDP
        _permission("6", 20, 25, v4=["0.0.0.0/0"]),  # a range covering 22, protocol by number
        _permission("tcp", 0, 65535, v6=["::/0"]),
        _permission("-1", v4=["0.0.0.0/0"]),  # all traffic (no ports recorded)
    ],
)
def test_internet_to_an_administration_port_is_non_compliant(api_calls, permission):
    assert single_compliance(_judge(permission)) == "NON_COMPLIANT"


@pytest.mark.parametrize(
    "permission",
    [
        _permission("tcp", 22, 22, v4=["10.0.0.0/8", "203.0.113.7/32"]),  # not the whole internet
        _permission("tcp", 23, 3388, v4=["0.0.0.0/0"]),  # between the two ports
        _permission("icmp", -1, -1, v4=["0.0.0.0/0"]),
        _permission("-1"),  # only a security group as source
    ],
)
def test_other_sources_ports_and_protocols_are_compliant(api_calls, permission):
    assert single_compliance(_judge(permission)) == "COMPLIANT"


def test_an_item_with_only_the_legacy_ip_ranges_is_read(api_calls):
    permission = _permission("tcp", 22, 22, v4=["0.0.0.0/0"])
    del permission["ipv4Ranges"]

    assert single_compliance(_judge(permission)) == "NON_COMPLIANT"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.pop("toPort"), "configuration.ipPermissions[0].toPort is missing"),
        (lambda p: p.update(fromPort="22"), "configuration.ipPermissions[0].fromPort is str"),
        (lambda p: p.pop("ipProtocol"), "configuration.ipPermissions[0].ipProtocol is missing"),
        (lambda p: p.update(ipv4Ranges=[{"cidr": "0.0.0.0/0"}]), "ipPermissions[0].ipv4Ranges[0].cidrIp is missing"),
        (lambda p: [p.pop("ipv4Ranges"), p.pop("ipRanges")], "configuration.ipPermissions[0].ipRanges is missing"),
    ],
)
def test_an_unreadable_permission_is_non_compliant_naming_the_field(api_calls, mutate, field):
    permission = _permission("tcp", 443, 443, v4=["10.0.0.0/8"])
    mutate(permission)

    result = _judge(permission)

    assert single_compliance(result) == "NON_COMPLIANT"
    assert field in result[0]["Annotation"]


def test_a_missing_rule_list_is_non_compliant(api_calls):
    item = RULE.item("compliant")
    del item["configuration"]["ipPermissions"]

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "configuration.ipPermissions is missing" in result[0]["Annotation"]


def test_a_long_annotation_is_cut_to_what_aws_config_takes(api_calls):
    permissions = [_permission("tcp", 22, 22, v4=["0.0.0.0/0"], v6=["::/0"])] * 20

    result = _judge(*permissions)

    assert len(result[0]["Annotation"]) == rule.MAX_ANNOTATION and result[0]["Annotation"].endswith("...")


def test_oversized_item_that_cannot_be_read_is_non_compliant(api_calls):
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException")

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "GetResourceConfigHistory failed: AccessDeniedException" in result[0]["Annotation"]
