"""AWS Config rule: no network ACL admits SSH or RDP from the whole internet (FSBP EC2.21, CIS 5.1).

Change-triggered on AWS::EC2::NetworkAcl, evaluated from the configuration item alone: configuration.entries, as
DescribeNetworkAcls returns them in lowerCamelCase (ruleNumber, protocol, ruleAction, egress, cidrBlock or
ipv6CidrBlock, portRange.from/to). A network ACL evaluates its inbound entries in rule-number order and the first
entry that matches a packet decides (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html). So for
each source 0.0.0.0/0 and ::/0, protocol TCP and UDP (RDP also runs over UDP; AWS Config's managed rule
nacl-no-unrestricted-ssh-rdp names "a source TCP or UDP CIDR block"), and port 22 and 3389, the entries for that
whole source range that cover the port are walked in order until the first deny: every allow met before it is
an offending entry (deleting the first would let the next take effect). NON_COMPLIANT if any is found, naming
them. Entries for narrower ranges (10.0.0.0/8) neither offend nor stop the walk: traffic from the rest of the
internet reaches the next entry. An entry whose fields are not of the types AWS Config records fails closed.
"""

from __future__ import annotations

from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    UnreadableField,
    as_object,
    fail_closed,
    field,
    handle,
    item_configuration,
)

APPLICABLE_RESOURCES = ["AWS::EC2::NetworkAcl"]
# The rule reads the configuration item only; its Lambda role needs no read action beyond Config's own.
IAM_ACTIONS: tuple[str, ...] = ()
# What is checked (tests/framework_requirements.py reads these).
ADMIN_PORTS = (22, 3389)
WHOLE_INTERNET = ("0.0.0.0/0", "::/0")
ALL_PROTOCOLS = "-1"
PORT_PROTOCOLS = {"6": "TCP", "17": "UDP"}
ENTRIES = "configuration.entries"


def _entry(raw: object, index: int) -> dict:
    """One entry, its fields checked; portRange read only where the protocol has ports."""
    path = f"{ENTRIES}[{index}]"
    entry = as_object(raw, path)
    read = {
        "ruleNumber": field(entry, "ruleNumber", path, int),
        "egress": field(entry, "egress", path, bool),
        "ruleAction": field(entry, "ruleAction", path, str),
        "protocol": field(entry, "protocol", path, str),
        "cidr": field(entry, "cidrBlock", path, str, required=False)
        or field(entry, "ipv6CidrBlock", path, str, required=False),
    }
    if read["ruleAction"] not in ("allow", "deny"):
        raise UnreadableField(f"{path}.ruleAction", f"is {read['ruleAction'][:20]!r}, expected allow or deny")
    if read["protocol"] in PORT_PROTOCOLS and read["cidr"] in WHOLE_INTERNET and not read["egress"]:
        ports = as_object(entry.get("portRange"), f"{path}.portRange")
        read["ports"] = (field(ports, "from", f"{path}.portRange", int), field(ports, "to", f"{path}.portRange", int))
    return read


def _covers(entry: dict, protocol: str, port: int) -> bool:
    if entry["protocol"] == ALL_PROTOCOLS:
        return True
    return entry["protocol"] == protocol and entry["ports"][0] <= port <= entry["ports"][1]


def offending_entries(entries: list[dict]) -> list[dict]:
    """The inbound allow entries that admit port 22 or 3389 from 0.0.0.0/0 or ::/0 (not behind a deny)."""
    inbound = sorted((e for e in entries if not e["egress"]), key=lambda e: e["ruleNumber"])
    offending: dict[int, dict] = {}
    for source in WHOLE_INTERNET:
        for protocol in PORT_PROTOCOLS:
            for port in ADMIN_PORTS:
                for entry in inbound:
                    if entry["cidr"] != source or not _covers(entry, protocol, port):
                        continue
                    if entry["ruleAction"] == "deny":
                        break
                    offending[entry["ruleNumber"]] = entry
    return [offending[number] for number in sorted(offending)]


def describe(entry: dict) -> str:
    """'rule 100 (all traffic from 0.0.0.0/0)' / 'rule 110 (TCP 22-22 from ::/0)'."""
    if entry["protocol"] == ALL_PROTOCOLS:
        what = "all traffic"
    else:
        what = f"{PORT_PROTOCOLS[entry['protocol']]} {entry['ports'][0]}-{entry['ports'][1]}"
    return f"rule {entry['ruleNumber']} ({what} from {entry['cidr']})"


def _entries(configuration_item: dict) -> list[dict]:
    configuration = item_configuration(configuration_item)
    raw = field(configuration, "entries", "configuration", list)
    return [_entry(entry, index) for index, entry in enumerate(raw)]


class Ec2NetworkAclAdminPortsClosed(ParameterlessRule):
    """NON_COMPLIANT if an inbound entry admits port 22 or 3389 from 0.0.0.0/0 or ::/0."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        offending = offending_entries(_entries(configuration_item))
        if offending:
            annotation = "Inbound entries admit port 22 or 3389 from the whole internet: " + ", ".join(
                describe(e) for e in offending
            )
            return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]
        return [
            Evaluation(
                ComplianceType.COMPLIANT,
                annotation="No inbound entry admits port 22 or 3389 from 0.0.0.0/0 or ::/0.",
            )
        ]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(Ec2NetworkAclAdminPortsClosed(), APPLICABLE_RESOURCES, event, context)
