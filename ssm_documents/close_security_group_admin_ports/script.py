"""Runbook script: revoke the rules that admit the internet (0.0.0.0/0, ::/0) to SSH (22) or RDP (3389).

Reads the group's inbound rules with DescribeSecurityGroupRules, where each rule is one protocol, port range and
source: revoking a rule by its id removes only that source, so other sources of the same permission (an office
range, a VPN) keep their access. A rule admitting only 22 or 3389 is revoked. A wider rule (all protocols, or a
port range that also covers other ports) would cut the internet off those other ports too (a public web
service): it is revoked only with RevokeWideRanges=true, otherwise kept and named, and a run that finds only
such rules refuses. All revocations are one RevokeSecurityGroupIngress call. The revoked rules are returned
(PreviousState) with what AuthorizeSecurityGroupIngress needs to restore them.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run, _flag

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = (
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:RevokeSecurityGroupIngress",
)
GROUP_ID = re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
ADMIN_PORTS = (22, 3389)
INTERNET = {"CidrIpv4": "0.0.0.0/0", "CidrIpv6": "::/0"}
ALL_PROTOCOLS = "-1"
PORT_PROTOCOLS = ("tcp", "udp", "6", "17")
RULE_FIELDS = ("IpProtocol", "FromPort", "ToPort", "CidrIpv4", "CidrIpv6", "Description")


def _group_id(events: dict) -> str:
    group_id = events.get("GroupId")
    if not isinstance(group_id, str) or not GROUP_ID.match(group_id):
        raise ValueError(f"GroupId must be a security group id (sg-...), got {group_id!r}")
    return group_id


def _admin_ports(rule: dict) -> list[int]:
    """The administration ports an inbound rule admits."""
    protocol = str(rule.get("IpProtocol", "")).lower()
    if protocol == ALL_PROTOCOLS:
        return list(ADMIN_PORTS)
    if protocol not in PORT_PROTOCOLS:
        return []
    return [port for port in ADMIN_PORTS if rule.get("FromPort", 0) <= port <= rule.get("ToPort", -1)]


def _from_internet(rule: dict) -> bool:
    return any(rule.get(key) == cidr for key, cidr in INTERNET.items())


def _wide(rule: dict) -> bool:
    """Whether revoking the rule also closes ports other than 22 and 3389."""
    if str(rule.get("IpProtocol")).lower() == ALL_PROTOCOLS:
        return True
    return not (rule.get("FromPort") == rule.get("ToPort") and rule.get("FromPort") in ADMIN_PORTS)


def _open_rules(ec2: object, group_id: str) -> dict[str, dict]:
    """Rule id -> rule, for the group's inbound rules admitting the internet to 22 or 3389."""
    found = {}
    paginator = ec2.get_paginator("describe_security_group_rules")
    for page in paginator.paginate(Filters=[{"Name": "group-id", "Values": [group_id]}]):
        for rule in page["SecurityGroupRules"]:
            if not rule.get("IsEgress") and _from_internet(rule) and _admin_ports(rule):
                found[rule["SecurityGroupRuleId"]] = {k: rule[k] for k in RULE_FIELDS if k in rule}
    return found


def _described(rules: dict[str, dict]) -> str:
    parts = []
    for rule_id, rule in sorted(rules.items()):
        ports = "all" if rule["IpProtocol"] == ALL_PROTOCOLS else f"{rule['FromPort']}-{rule['ToPort']}"
        source = rule.get("CidrIpv4") or rule.get("CidrIpv6")
        parts.append(f"{rule_id} ({rule['IpProtocol']} {ports} from {source})")
    return ", ".join(parts)


def close_admin_ports(events: dict, context: object) -> dict:
    """Revoke the group's rules admitting the internet to 22 or 3389 (wider ones only with RevokeWideRanges).

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything."""
    group_id = _group_id(events)
    dry_run = _dry_run(events)
    revoke_wide = _flag(events, "RevokeWideRanges")
    ec2 = boto3.client("ec2")
    # DescribeSecurityGroups sees only this account's and region's groups (InvalidGroup.NotFound otherwise).
    ec2.describe_security_groups(GroupIds=[group_id])
    open_rules = _open_rules(ec2, group_id)
    revoke = {k: v for k, v in open_rules.items() if revoke_wide or not _wide(v)}
    kept = {k: v for k, v in open_rules.items() if k not in revoke}
    previous = {"GroupId": group_id, "OpenRules": open_rules}
    planned = {"GroupId": group_id, "OpenRules": kept}
    result = {"GroupId": group_id, "DryRun": dry_run, "PreviousState": previous, "PlannedState": planned}
    if not open_rules:
        message = f"No inbound rule of {group_id} admits 0.0.0.0/0 or ::/0 to port 22 or 3389; nothing changed."
        return {**result, "WouldChange": False, "Changed": False, "CurrentState": previous, "Message": message}
    keep_note = (
        f" Kept rule(s) that also open other ports, revoked only with RevokeWideRanges=true: {_described(kept)}."
        if kept
        else ""
    )
    if not revoke:
        raise ValueError(f"Refusing, nothing changed: {group_id} has only wider rules.{keep_note}")
    if dry_run:
        message = f"Dry run: would revoke {_described(revoke)}.{keep_note} Nothing changed."
        return {**result, "WouldChange": True, "Changed": False, "CurrentState": previous, "Message": message}
    ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=sorted(revoke))
    message = f"Revoked {_described(revoke)} (recorded in PreviousState).{keep_note}"
    return {**result, "WouldChange": True, "Changed": True, "CurrentState": planned, "Message": message}
