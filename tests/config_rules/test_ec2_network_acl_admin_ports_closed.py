"""Rule ec2_network_acl_admin_ports_closed: outcomes per configuration item, in network ACL evaluation order."""

from __future__ import annotations

import pytest

from config_rules.ec2_network_acl_admin_ports_closed import rule
from ssm_documents.delete_nacl_admin_port_entries import script
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.framework_requirements import both, rule_attribute_has

# CIS v3.0 5.1 "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports";
# FSBP EC2.21 "Network ACLs should not allow ingress from 0.0.0.0/0 to port 22 or port 3389" (a NACL inbound entry
# allowing a source of 0.0.0.0/0 or ::/0 for ports 22 or 3389).
ADMIN_PORTS_FROM_ANYWHERE = both(
    rule_attribute_has("ADMIN_PORTS", 22, 3389), rule_attribute_has("WHOLE_INTERNET", "0.0.0.0/0", "::/0")
)
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "5.1"): ADMIN_PORTS_FROM_ANYWHERE,
    ("aws_fsbp", "EC2.21"): ADMIN_PORTS_FROM_ANYWHERE,
}

RULE = RuleExamples(rule)


def entry(number: int, protocol: str, action: str, cidr: str, ports: tuple | None = None, egress: bool = False):
    """An entry as AWS Config records it (lowerCamelCase)."""
    recorded = {"ruleNumber": number, "protocol": protocol, "ruleAction": action, "egress": egress}
    recorded["ipv6CidrBlock" if ":" in cidr else "cidrBlock"] = cidr
    if ports:
        recorded["portRange"] = {"from": ports[0], "to": ports[1]}
    return recorded


def _with_entries(entries: list[dict]) -> dict:
    item = RULE.item("compliant")
    item["configuration"]["entries"] = entries
    return RULE.change_event(item)


def _api_shape(recorded: dict) -> dict:
    """The same entry as DescribeNetworkAcls returns it (the runbook's view)."""
    shaped = {k[:1].upper() + k[1:]: v for k, v in recorded.items() if k != "portRange"}
    if "portRange" in recorded:
        shaped["PortRange"] = {"From": recorded["portRange"]["from"], "To": recorded["portRange"]["to"]}
    return shaped


@pytest.mark.parametrize(
    ("example", "expected"),
    [("compliant", "COMPLIANT"), ("non_compliant", "NON_COMPLIANT"), ("deleted", "NOT_APPLICABLE")],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == "acl-0a1b2c3d4e5f60718"
    assert api_calls.operations == ["PutEvaluations"]


def test_non_compliant_annotation_names_the_offending_entries(api_calls):
    result = RULE.evaluate(RULE.event("non_compliant"))

    assert result[0]["Annotation"] == (
        "Inbound entries admit port 22 or 3389 from the whole internet: rule 110 (TCP 22-22 from 0.0.0.0/0), "
        "rule 120 (TCP 3389-3389 from ::/0)"
    )


# name -> (entries, rule numbers that offend)
CASES = {
    "default_acl_allow_all": ([entry(100, "-1", "allow", "0.0.0.0/0"), entry(32767, "-1", "deny", "0.0.0.0/0")], [100]),
    "ipv6_allow_all": ([entry(101, "-1", "allow", "::/0")], [101]),
    "range_covering_22": ([entry(100, "6", "allow", "0.0.0.0/0", (0, 1024))], [100]),
    "udp_3389": ([entry(100, "17", "allow", "0.0.0.0/0", (3389, 3389))], [100]),
    "deny_first": (
        [entry(50, "6", "deny", "0.0.0.0/0", (22, 22)), entry(100, "6", "allow", "0.0.0.0/0", (22, 22))],
        [],
    ),
    "deny_all_first": ([entry(50, "-1", "deny", "0.0.0.0/0"), entry(100, "-1", "allow", "0.0.0.0/0")], []),
    "deny_after_allow": (
        [entry(100, "6", "allow", "0.0.0.0/0", (22, 22)), entry(200, "6", "deny", "0.0.0.0/0", (22, 22))],
        [100],
    ),
    "deny_of_another_family": (
        [entry(50, "6", "deny", "0.0.0.0/0", (22, 22)), entry(100, "6", "allow", "::/0", (22, 22))],
        [100],
    ),
    "tcp_deny_leaves_udp_open": (
        [
            entry(50, "6", "deny", "0.0.0.0/0", (3389, 3389)),
            entry(51, "6", "deny", "0.0.0.0/0", (22, 22)),
            entry(100, "-1", "allow", "0.0.0.0/0"),
        ],
        [100],
    ),
    "two_allows_in_a_row": (
        [entry(100, "6", "allow", "0.0.0.0/0", (22, 22)), entry(110, "-1", "allow", "0.0.0.0/0")],
        [100, 110],
    ),
    "narrow_source": ([entry(100, "-1", "allow", "10.0.0.0/8"), entry(110, "6", "allow", "0.0.0.0/0", (443, 443))], []),
    "egress_only": ([entry(100, "-1", "allow", "0.0.0.0/0", egress=True)], []),
    "icmp": ([entry(100, "1", "allow", "0.0.0.0/0")], []),
    "ports_next_to_22": ([entry(100, "6", "allow", "0.0.0.0/0", (23, 3388))], []),
    "no_entries": ([], []),
}


@pytest.mark.parametrize("name", CASES)
def test_entries_are_judged_in_rule_number_order(api_calls, name):
    entries, offending = CASES[name]

    result = RULE.evaluate(_with_entries(entries))

    assert single_compliance(result) == ("NON_COMPLIANT" if offending else "COMPLIANT")
    for number in offending:
        assert f"rule {number} (" in result[0]["Annotation"]


@pytest.mark.parametrize("name", CASES)
def test_the_runbook_finds_the_entries_the_rule_finds(name):
    entries, offending = CASES[name]

    assert [e["RuleNumber"] for e in script.offending_entries([_api_shape(e) for e in entries])] == offending


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("ruleNumber", "100", "ruleNumber"),
        ("egress", "false", "egress"),
        ("ruleAction", "ALLOW", "ruleAction"),
        ("ruleAction", None, "ruleAction"),
        ("protocol", 6, "protocol"),
        ("portRange", None, "portRange"),
        ("portRange", {"from": "22", "to": 22}, "portRange.from"),
    ],
)
def test_an_unreadable_entry_fails_closed_naming_it(api_calls, field, value, named):
    recorded = entry(100, "6", "allow", "0.0.0.0/0", (443, 443))
    recorded[field] = value

    result = RULE.evaluate(_with_entries([recorded]))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert f"configuration.entries[0].{named}" in result[0]["Annotation"]


@pytest.mark.parametrize("configuration", [None, "not json", {"networkAclId": "acl-0a1b2c3d"}, {"entries": {}}])
def test_an_unreadable_configuration_fails_closed(api_calls, configuration):
    item = RULE.item("compliant")
    item["configuration"] = configuration

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "Not evaluated: configuration item field configuration" in result[0]["Annotation"]


def test_configuration_as_a_json_string_is_read(api_calls):
    item = RULE.item("compliant")
    item["configuration"] = history_item(item)["configuration"]

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "COMPLIANT"


@pytest.mark.parametrize("example", ["compliant", "non_compliant"])
def test_an_oversized_item_is_read_from_the_configuration_history(api_calls, example):
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(RULE.item(example))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert result == RULE.evaluate(RULE.event(example))
    api_calls.assert_within(("config:GetResourceConfigHistory", "config:PutEvaluations"))


def test_an_oversized_item_that_cannot_be_read_is_non_compliant(api_calls):
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException", status=400)

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "GetResourceConfigHistory failed: AccessDeniedException" in result[0]["Annotation"]
