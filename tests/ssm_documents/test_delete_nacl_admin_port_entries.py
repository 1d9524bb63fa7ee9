"""Runbook delete_nacl_admin_port_entries: deletes exactly the offending inbound entries after approval, records
them, restores them if a deletion fails, leaves compliant network ACLs alone."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.delete_nacl_admin_port_entries import script
from tests.conftest import REPO_ROOT, load_example

EVENTS = REPO_ROOT / "ssm_documents" / "delete_nacl_admin_port_entries" / "events"
CHECK_EVENT = load_example(EVENTS / "check_network_acl.json")
SSH_V4 = {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0",
          "PortRange": {"From": 22, "To": 22}}  # fmt: skip
SSH_V6 = {"RuleNumber": 105, "Protocol": "6", "RuleAction": "allow", "Egress": False, "Ipv6CidrBlock": "::/0",
          "PortRange": {"From": 22, "To": 22}}  # fmt: skip
HTTPS = {"RuleNumber": 110, "Protocol": "6", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0",
         "PortRange": {"From": 443, "To": 443}}  # fmt: skip
OUTBOUND = {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"}


@pytest.fixture
def ec2(aws):
    return boto3.client("ec2")


def _acl(ec2, *entries: dict) -> str:
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    acl_id = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for entry in entries:
        ec2.create_network_acl_entry(NetworkAclId=acl_id, **entry)
    return acl_id


def _entries(ec2, acl_id: str) -> list[dict]:
    found = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]["Entries"]
    return sorted(found, key=lambda e: (e["Egress"], e["RuleNumber"]))


def _run(acl_id: str, **extra: object) -> dict:
    """The document's path: check, then (approved) delete with the entries the check returned."""
    checked = script.check_network_acl({**CHECK_EVENT, "NetworkAclId": acl_id, **extra}, None)
    if not checked["WouldChange"] or checked["DryRun"]:
        return checked
    return script.delete_offending_entries({"NetworkAclId": acl_id, "ApprovedEntries": checked["Entries"]}, None)


def test_deletes_only_the_offending_entries_and_records_them(ec2, api_calls):
    acl_id = _acl(ec2, SSH_V4, SSH_V6, HTTPS, OUTBOUND)
    api_calls.clear()

    result = _run(acl_id)

    assert _entries(ec2, acl_id) == [HTTPS, OUTBOUND]
    assert result["Changed"] is True
    assert json.loads(result["PreviousState"]["OffendingEntries"]) == [SSH_V4, SSH_V6]
    assert api_calls.mutating == ["DeleteNetworkAclEntry", "DeleteNetworkAclEntry"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_recorded_entries_can_be_created_again_as_they_were(ec2, api_calls):
    acl_id = _acl(ec2, SSH_V4, SSH_V6, HTTPS)
    result = _run(acl_id)

    for entry in json.loads(result["PreviousState"]["OffendingEntries"]):
        ec2.create_network_acl_entry(NetworkAclId=acl_id, **entry)

    assert _entries(ec2, acl_id) == [SSH_V4, SSH_V6, HTTPS]


def test_the_default_allow_all_entry_is_deleted_and_the_approval_says_what_stops(ec2, api_calls):
    default = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    acl_id = default["NetworkAclId"]

    checked = script.check_network_acl({**CHECK_EVENT, "NetworkAclId": acl_id}, None)

    assert "rule 100 (all traffic from 0.0.0.0/0) admit(s) more than SSH and RDP" in checked["ApprovalMessage"]
    assert "stops ALL the inbound traffic" in checked["ApprovalMessage"]
    assert all(a["SubnetId"] in checked["ApprovalMessage"] for a in default["Associations"])
    script.delete_offending_entries({"NetworkAclId": acl_id, "ApprovedEntries": checked["Entries"]}, None)
    inbound = [e for e in _entries(ec2, acl_id) if not e["Egress"]]
    assert [e["RuleNumber"] for e in inbound] == [32767]  # moto keeps the default deny, as AWS does


def test_second_run_makes_no_mutating_call(ec2, api_calls):
    acl_id = _acl(ec2, SSH_V4, HTTPS)
    _run(acl_id)
    api_calls.clear()

    result = _run(acl_id)

    assert (result["WouldChange"], result["Changed"]) == (False, False)
    assert api_calls.mutating == []


def test_compliant_network_acl_is_left_alone(ec2, api_calls):
    deny_ssh = {**SSH_V4, "RuleNumber": 50, "RuleAction": "deny"}
    acl_id = _acl(ec2, deny_ssh, SSH_V4, HTTPS)
    api_calls.clear()

    result = _run(acl_id)

    assert result["WouldChange"] is False
    assert result["PreviousState"] == result["CurrentState"]
    assert api_calls.mutating == []


def test_entries_changed_since_approval_are_refused_unchanged(ec2, api_calls):
    acl_id = _acl(ec2, SSH_V4, HTTPS)
    checked = script.check_network_acl({**CHECK_EVENT, "NetworkAclId": acl_id}, None)
    ec2.create_network_acl_entry(NetworkAclId=acl_id, **SSH_V6)  # someone adds an entry while approval waits
    api_calls.clear()

    with pytest.raises(ValueError, match="changed since approval"):
        script.delete_offending_entries({"NetworkAclId": acl_id, "ApprovedEntries": checked["Entries"]}, None)

    assert api_calls.mutating == []


def test_a_failed_deletion_is_restored_and_fails_the_execution(ec2, api_calls):
    acl_id = _acl(ec2, SSH_V4, SSH_V6, HTTPS)
    checked = script.check_network_acl({**CHECK_EVENT, "NetworkAclId": acl_id}, None)
    approved = {"NetworkAclId": acl_id, "ApprovedEntries": checked["Entries"]}
    api_calls.fail("DeleteNetworkAclEntry", code="UnauthorizedOperation", after=1)

    with pytest.raises(ClientError, match="UnauthorizedOperation"):
        script.delete_offending_entries(approved, None)
    assert _entries(ec2, acl_id) == [SSH_V6, HTTPS]  # half: the first deletion went through
    with pytest.raises(RuntimeError, match=r"restored: rule 100 \(TCP 22-22 from 0.0.0.0/0\)"):
        script.restore_entries(approved, None)

    assert _entries(ec2, acl_id) == [SSH_V4, SSH_V6, HTTPS]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_aws_error_in_the_check_fails_without_any_change(ec2, api_calls):
    acl_id = _acl(ec2, SSH_V4)
    api_calls.fail("DescribeNetworkAcls", code="UnauthorizedOperation")

    with pytest.raises(ClientError, match="UnauthorizedOperation"):
        _run(acl_id)
    assert api_calls.mutating == []


def test_missing_network_acl_fails_without_any_change(ec2, api_calls):
    # AWS answers InvalidNetworkAclID.NotFound; moto answers InvalidRouteTableID.NotFound.
    with pytest.raises(ClientError, match="NotFound"):
        _run("acl-0000000000000000a")
    assert api_calls.mutating == []


def test_network_acl_of_another_account_is_refused(ec2, api_calls):
    acl_id = _acl(ec2, SSH_V4)
    shared = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
    api_calls.respond("DescribeNetworkAcls", {"NetworkAcls": [{**shared, "OwnerId": "210987654321"}]})

    with pytest.raises(ValueError, match="belongs to account 210987654321"):
        _run(acl_id)
    assert api_calls.mutating == []


def test_missing_network_acl_id_is_a_clear_error(aws, api_calls):
    with pytest.raises(ValueError, match="NetworkAclId is required"):
        script.check_network_acl({}, None)
    assert api_calls.operations == []


def test_approved_entries_must_be_the_checks_list(aws, api_calls):
    with pytest.raises(ValueError, match="ApprovedEntries is not the JSON list"):
        script.delete_offending_entries({"NetworkAclId": "acl-0a1b2c3d", "ApprovedEntries": "[]"}, None)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(ec2, api_calls):
    acl_id = _acl(ec2, SSH_V4, HTTPS)
    api_calls.clear()

    result = _run(acl_id, DryRun=True)

    assert api_calls.mutating == []
    assert _entries(ec2, acl_id) == [SSH_V4, HTTPS]
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert json.loads(result["PreviousState"]["OffendingEntries"]) == [SSH_V4]
    assert json.loads(result["PlannedState"]["OffendingEntries"]) == []
    assert result["CurrentState"] == result["PreviousState"]
    assert result["Message"] == (
        f"Dry run: would delete rule 100 (TCP 22-22 from 0.0.0.0/0) of {acl_id}; nothing changed yet."
    )
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.check_network_acl({**CHECK_EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
