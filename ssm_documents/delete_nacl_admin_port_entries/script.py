"""Runbook script: delete the inbound network ACL entries that admit SSH or RDP from the whole internet.

Embedded into document.yaml's aws:executeScript steps at synth; unit-tested as a module. Which entries offend is
decided as the rule config_rules/ec2_network_acl_admin_ports_closed decides it (tests hold the two to the same
answers): in rule-number order, for 0.0.0.0/0 and ::/0, TCP and UDP, ports 22 and 3389, every allow entry met
before the first deny (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html).

Entries are recorded exactly as CreateNetworkAclEntry takes them (PreviousState.OffendingEntries), so a person
can put any of them back; if a deletion fails, restore_entries puts back every approved entry that is gone.
"""

import json

import boto3

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "ec2:DescribeNetworkAcls",
    "ec2:DeleteNetworkAclEntry",
    "ec2:CreateNetworkAclEntry",
)
ADMIN_PORTS = (22, 3389)
WHOLE_INTERNET = ("0.0.0.0/0", "::/0")
ALL_PROTOCOLS = "-1"
PORT_PROTOCOLS = {"6": "TCP", "17": "UDP"}
# The fields of an entry CreateNetworkAclEntry takes back (IcmpTypeCode never: ICMP entries do not offend).
ENTRY_FIELDS = ("RuleNumber", "Protocol", "RuleAction", "Egress", "CidrBlock", "Ipv6CidrBlock", "PortRange")


def _source(entry: dict) -> str | None:
    return entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")


def _covers(entry: dict, protocol: str, port: int) -> bool:
    if entry["Protocol"] == ALL_PROTOCOLS:
        return True
    ports = entry.get("PortRange") or {}
    return entry["Protocol"] == protocol and ports.get("From", 0) <= port <= ports.get("To", 65535)


def offending_entries(entries: list[dict]) -> list[dict]:
    """The inbound allow entries admitting port 22 or 3389 from 0.0.0.0/0 or ::/0, as CreateNetworkAclEntry
    takes them, in rule-number order."""
    inbound = sorted((e for e in entries if not e["Egress"]), key=lambda e: e["RuleNumber"])
    offending: dict[int, dict] = {}
    for source in WHOLE_INTERNET:
        for protocol in PORT_PROTOCOLS:
            for port in ADMIN_PORTS:
                for entry in inbound:
                    if _source(entry) != source or not _covers(entry, protocol, port):
                        continue
                    if entry["RuleAction"] == "deny":
                        break
                    offending[entry["RuleNumber"]] = {k: entry[k] for k in ENTRY_FIELDS if k in entry}
    return [offending[number] for number in sorted(offending)]


def describe(entry: dict) -> str:
    """'rule 100 (all traffic from 0.0.0.0/0)' / 'rule 110 (TCP 22-22 from ::/0)'."""
    if entry["Protocol"] == ALL_PROTOCOLS:
        what = "all traffic"
    else:
        ports = entry.get("PortRange") or {}
        what = f"{PORT_PROTOCOLS[entry['Protocol']]} {ports.get('From', 0)}-{ports.get('To', 65535)}"
    return f"rule {entry['RuleNumber']} ({what} from {_source(entry)})"


def _network_acl(ec2: object, acl_id: str, account: str) -> dict:
    """The network ACL, refused if another account owns it (a VPC shared with this one)."""
    acl = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
    if acl.get("OwnerId") != account:
        raise ValueError(f"network ACL {acl_id} belongs to account {acl.get('OwnerId')}, not {account}")
    return acl


def _acl_id(events: dict) -> str:
    acl_id = events.get("NetworkAclId")
    if not acl_id or not isinstance(acl_id, str):
        raise ValueError("NetworkAclId is required")
    return acl_id


def _state(acl_id: str, entries: list[dict]) -> dict:
    return {"NetworkAclId": acl_id, "OffendingEntries": json.dumps(entries, sort_keys=True)}


def _approval_message(acl: dict, offending: list[dict]) -> str:
    subnets = ", ".join(a["SubnetId"] for a in acl.get("Associations", [])) or "none"
    wide = [describe(e) for e in offending if e["Protocol"] == ALL_PROTOCOLS or _ports_beyond_admin(e)]
    warning = (
        f" {'; '.join(wide)} admit(s) more than SSH and RDP: deleting them stops ALL the inbound traffic they admit"
        " (unless a later entry admits it)."
        if wide
        else ""
    )
    return (
        f"Delete inbound entries of network ACL {acl['NetworkAclId']} (VPC {acl.get('VpcId')}, default "
        f"{acl.get('IsDefault')}, subnets: {subnets}): {', '.join(describe(e) for e in offending)}.{warning} "
        "Administrators reaching instances over SSH or RDP from the internet lose access. The execution output "
        "PreviousState.OffendingEntries records each entry as CreateNetworkAclEntry takes it back."
    )


def _ports_beyond_admin(entry: dict) -> bool:
    ports = entry.get("PortRange") or {}
    return (ports.get("From", 0), ports.get("To", 65535)) not in ((22, 22), (3389, 3389))


def check_network_acl(events: dict, context: object) -> dict:
    """Read-only: the entries that offend, the plan, and the message the approver reads. With DryRun true this is
    the whole run (the document ends after it)."""
    acl_id = _acl_id(events)
    dry_run = _dry_run(events)
    account = boto3.client("sts").get_caller_identity()["Account"]
    acl = _network_acl(boto3.client("ec2"), acl_id, account)
    offending = offending_entries(acl.get("Entries", []))
    previous, planned = _state(acl_id, offending), _state(acl_id, [])
    result = {"NetworkAclId": acl_id, "DryRun": dry_run, "Changed": False, "PreviousState": previous}
    if not offending:
        message = "No inbound entry admits port 22 or 3389 from 0.0.0.0/0 or ::/0; nothing changed."
        unchanged = {"PlannedState": previous, "CurrentState": previous, "Entries": "[]", "ApprovalMessage": ""}
        return {**result, **unchanged, "WouldChange": False, "Message": message}
    listed = ", ".join(describe(e) for e in offending)
    verb = "Dry run: would delete" if dry_run else "Plan: delete"
    return {
        **result,
        "WouldChange": True,
        "PlannedState": planned,
        "CurrentState": previous,
        "Entries": json.dumps(offending, sort_keys=True),
        "ApprovalMessage": _approval_message(acl, offending)[:4096],
        "Message": f"{verb} {listed} of {acl_id}; nothing changed yet.",
    }


def _approved(events: dict) -> list[dict]:
    try:
        approved = json.loads(events.get("ApprovedEntries") or "")
    except ValueError:
        raise ValueError("ApprovedEntries is not the JSON list CheckNetworkAcl returned") from None
    if not isinstance(approved, list) or not approved:
        raise ValueError("ApprovedEntries is not the JSON list CheckNetworkAcl returned")
    return approved


def delete_offending_entries(events: dict, context: object) -> dict:
    """Delete the approved entries, only if the offending entries are still exactly those approved."""
    acl_id, approved = _acl_id(events), _approved(events)
    account = boto3.client("sts").get_caller_identity()["Account"]
    ec2 = boto3.client("ec2")
    current = offending_entries(_network_acl(ec2, acl_id, account).get("Entries", []))
    if json.dumps(current, sort_keys=True) != json.dumps(approved, sort_keys=True):
        raise ValueError(
            f"the offending entries of {acl_id} changed since approval ({', '.join(map(describe, current)) or 'none'}"
            "); nothing changed: run the runbook again for a new plan"
        )
    for entry in approved:
        ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=entry["RuleNumber"], Egress=False)
    return {
        "NetworkAclId": acl_id,
        "Changed": True,
        "PreviousState": _state(acl_id, approved),
        "CurrentState": _state(acl_id, []),
        "Message": f"Deleted {', '.join(map(describe, approved))}; PreviousState records them.",
    }


def restore_entries(events: dict, context: object) -> dict:
    """Only after a failed deletion: create again every approved entry whose rule number is free, then fail the
    execution (the deletion did not complete)."""
    acl_id, approved = _acl_id(events), _approved(events)
    account = boto3.client("sts").get_caller_identity()["Account"]
    ec2 = boto3.client("ec2")
    taken = {e["RuleNumber"] for e in _network_acl(ec2, acl_id, account).get("Entries", []) if not e["Egress"]}
    restored = []
    for entry in approved:
        if entry["RuleNumber"] not in taken:
            ec2.create_network_acl_entry(NetworkAclId=acl_id, **entry)
            restored.append(describe(entry))
    raise RuntimeError(
        f"Deleting the entries of {acl_id} failed; restored: {', '.join(restored) or 'nothing was deleted'}."
    )
