"""Runbook script: revoke every rule of a VPC's default security group, recording them so a person can restore them.

Two steps. plan_default_group_closure only reads: it checks the group is this account's and region's default
group, lists its rules (DescribeSecurityGroupRules: one rule per protocol, port range and source) and the network
interfaces using it, and returns them as PreviousState (each rule with what AuthorizeSecurityGroupIngress or
...Egress needs to put it back). revoke_default_group_rules revokes exactly the planned rules still present, by
rule id, ingress then egress; its step is retried, and a retry revokes what an interrupted attempt left, so the
group ends with all planned rules revoked or, if every attempt fails, the plan's record of them. A rule added
after the plan is not touched. Nothing is deleted but the rules.

Embedded into document.yaml's aws:executeScript steps at synth; unit-tested as a module.
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = (
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeNetworkInterfaces",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
)
GROUP_ID = re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
RULE_IDS = re.compile(r"^(sgr-[0-9a-f]{8,17})(,sgr-[0-9a-f]{8,17})*$")
DEFAULT_GROUP_NAME = "default"
# The fields of a security group rule that say what it allows (the rest are ids and tags).
RULE_FIELDS = (
    "IsEgress",
    "IpProtocol",
    "FromPort",
    "ToPort",
    "CidrIpv4",
    "CidrIpv6",
    "PrefixListId",
    "ReferencedGroupInfo",
    "Description",
)
SHOWN_INTERFACES = 10  # interface ids named in the message (the count is always given)


def _group_id(events: dict) -> str:
    group_id = events.get("GroupId")
    if not isinstance(group_id, str) or not GROUP_ID.match(group_id):
        raise ValueError(f"GroupId must be a security group id (sg-...), got {group_id!r}")
    return group_id


def _default_group(ec2: object, group_id: str) -> dict:
    """The group; DescribeSecurityGroups sees only this account's and region's groups (InvalidGroup.NotFound
    otherwise). A group that is not a VPC's default group is refused: this runbook never empties another."""
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    if group.get("GroupName") != DEFAULT_GROUP_NAME:
        raise ValueError(
            f"Refusing, nothing changed: {group_id} is {group.get('GroupName')!r}, not a VPC's default security group"
        )
    return group


def _rules(ec2: object, group_id: str) -> dict[str, dict]:
    """Rule id -> what the rule allows, for every inbound and outbound rule of the group."""
    rules = {}
    paginator = ec2.get_paginator("describe_security_group_rules")
    for page in paginator.paginate(Filters=[{"Name": "group-id", "Values": [group_id]}]):
        for rule in page["SecurityGroupRules"]:
            rules[rule["SecurityGroupRuleId"]] = {k: rule[k] for k in RULE_FIELDS if k in rule}
    return rules


def _interfaces(ec2: object, group_id: str) -> list[str]:
    """Ids of the network interfaces using the group: their traffic through it stops with the rules."""
    paginator = ec2.get_paginator("describe_network_interfaces")
    pages = paginator.paginate(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return [eni["NetworkInterfaceId"] for page in pages for eni in page["NetworkInterfaces"]]


def _users(interfaces: list[str]) -> str:
    if not interfaces:
        return "No network interface uses the group."
    shown = ", ".join(interfaces[:SHOWN_INTERFACES]) + (" ..." if len(interfaces) > SHOWN_INTERFACES else "")
    return f"{len(interfaces)} network interface(s) use the group and lose the traffic it allowed: {shown}."


def _state(rules: dict[str, dict]) -> dict:
    inbound = {k: v for k, v in rules.items() if not v.get("IsEgress")}
    outbound = {k: v for k, v in rules.items() if v.get("IsEgress")}
    return {"IngressRules": inbound, "EgressRules": outbound}


def plan_default_group_closure(events: dict, context: object) -> dict:
    """Read-only: the default group's rules (PreviousState), whether any must go (WouldChange) and the rule ids."""
    group_id = _group_id(events)
    dry_run = _dry_run(events)
    ec2 = boto3.client("ec2")
    group = _default_group(ec2, group_id)
    rules = _rules(ec2, group_id)
    previous = {"GroupId": group_id, "VpcId": group.get("VpcId", ""), **_state(rules)}
    planned = {"GroupId": group_id, "VpcId": group.get("VpcId", ""), "IngressRules": {}, "EgressRules": {}}
    result = {"GroupId": group_id, "DryRun": dry_run, "PreviousState": previous, "PlannedState": planned}
    if not rules:
        message = f"The default security group {group_id} has no rules; nothing changed."
        return {**result, "WouldChange": False, "RuleIds": "", "Message": message}
    users = _users(_interfaces(ec2, group_id))
    state = previous
    verb = "Dry run: would revoke" if dry_run else "Will revoke"
    message = (
        f"{verb} {len(state['IngressRules'])} inbound and {len(state['EgressRules'])} outbound rule(s) of the "
        f"default security group {group_id} (recorded in PreviousState). {users}"
    )
    if dry_run:
        message += " Nothing changed."
    return {**result, "WouldChange": True, "RuleIds": ",".join(sorted(rules)), "Message": message}


def revoke_default_group_rules(events: dict, context: object) -> dict:
    """Revoke the planned rules (RuleIds) still present, inbound then outbound; rules added since are kept."""
    group_id = _group_id(events)
    planned = events.get("RuleIds")
    if not isinstance(planned, str) or not RULE_IDS.match(planned):
        raise ValueError(f"RuleIds must be comma-separated security group rule ids, got {planned!r}")
    ec2 = boto3.client("ec2")
    _default_group(ec2, group_id)
    rules = _rules(ec2, group_id)
    present = {k: v for k, v in rules.items() if k in set(planned.split(","))}
    inbound = sorted(k for k, v in present.items() if not v.get("IsEgress"))
    outbound = sorted(k for k, v in present.items() if v.get("IsEgress"))
    if inbound:
        ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=inbound)
    if outbound:
        ec2.revoke_security_group_egress(GroupId=group_id, SecurityGroupRuleIds=outbound)
    left = {k: v for k, v in rules.items() if k not in present}
    message = f"Revoked {len(inbound)} inbound and {len(outbound)} outbound rule(s) of {group_id}."
    if left:
        message += f" {len(left)} rule(s) added after the plan were kept: {', '.join(sorted(left))}."
    return {
        "GroupId": group_id,
        "Changed": bool(present),
        "RevokedRuleIds": ",".join(sorted(present)),
        "CurrentState": {"GroupId": group_id, **_state(left)},
        "Message": message,
    }
