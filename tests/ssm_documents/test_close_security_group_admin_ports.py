"""Runbook close_security_group_admin_ports: revokes only the internet's SSH/RDP rules, records them."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.close_security_group_admin_ports import script
from tests.conftest import REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT
    / "ssm_documents"
    / "close_security_group_admin_ports"
    / "events"
    / "close_security_group_admin_ports.json"
)
OFFICE = {"CidrIp": "10.0.0.0/8"}
SSH_WORLD = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}, OFFICE]}
RDP_WORLD_V6 = {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
HTTPS_WORLD = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
ALL_PORTS_WORLD = {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@pytest.fixture
def ec2(aws):
    return boto3.client("ec2")


def _group(ec2, *permissions: dict) -> str:
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    group_id = ec2.create_security_group(GroupName="bastion", Description="bastion", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(permissions))
    return group_id


def _inbound(ec2, group_id: str) -> list[dict]:
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissions"]


def _run(group_id: str, **extra) -> dict:
    return script.close_admin_ports({**EVENT, "GroupId": group_id, **extra}, None)


def test_revokes_only_the_internet_sources_and_records_them(ec2, api_calls):
    group = _group(ec2, SSH_WORLD, RDP_WORLD_V6, HTTPS_WORLD)
    api_calls.clear()

    result = _run(group)

    inbound = {(p["FromPort"], p["IpProtocol"]): p for p in _inbound(ec2, group)}
    assert set(inbound) == {(22, "tcp"), (443, "tcp")}
    assert inbound[(22, "tcp")]["IpRanges"] == [OFFICE]  # the office range of the same permission stays
    assert inbound[(443, "tcp")]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    assert api_calls.mutating == ["RevokeSecurityGroupIngress"]
    api_calls.assert_within(script.IAM_ACTIONS)
    assert result["Changed"] is True
    recorded = sorted(
        (r["FromPort"], r.get("CidrIpv4") or r.get("CidrIpv6")) for r in result["PreviousState"]["OpenRules"].values()
    )
    assert recorded == [(22, "0.0.0.0/0"), (3389, "::/0")]
    assert result["CurrentState"] == {"GroupId": group, "OpenRules": {}}


def test_the_record_is_enough_to_restore_the_rules(ec2):
    group = _group(ec2, SSH_WORLD, RDP_WORLD_V6)
    before = _inbound(ec2, group)
    result = _run(group)

    for rule in result["PreviousState"]["OpenRules"].values():
        source = {"IpRanges": [{"CidrIp": rule["CidrIpv4"]}]} if "CidrIpv4" in rule else {}
        source = source or {"Ipv6Ranges": [{"CidrIpv6": rule["CidrIpv6"]}]}
        permission = {"IpProtocol": rule["IpProtocol"], "FromPort": rule["FromPort"], "ToPort": rule["ToPort"]}
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{**permission, **source}])

    def ranges(permissions):
        return {
            (p["FromPort"], c.get("CidrIp") or c.get("CidrIpv6"))
            for p in permissions
            for c in p["IpRanges"] + p["Ipv6Ranges"]
        }

    assert ranges(_inbound(ec2, group)) == ranges(before)


def test_second_run_makes_no_mutating_call(ec2, api_calls):
    group = _group(ec2, SSH_WORLD)
    _run(group)
    api_calls.clear()

    result = _run(group)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_compliant_group_is_left_alone(ec2, api_calls):
    group = _group(ec2, HTTPS_WORLD, {**SSH_WORLD, "IpRanges": [OFFICE]})
    api_calls.clear()

    result = _run(group)

    assert result["Changed"] is False and result["PreviousState"] == result["CurrentState"]
    assert (
        result["Message"] == f"No inbound rule of {group} admits 0.0.0.0/0 or ::/0 to port 22 or 3389; nothing changed."
    )
    assert api_calls.mutating == []


def test_a_wider_rule_is_kept_and_named_unless_revoking_it_is_asked(ec2, api_calls):
    group = _group(ec2, SSH_WORLD, ALL_PORTS_WORLD)

    result = _run(group)

    assert [p["FromPort"] for p in _inbound(ec2, group) if {"CidrIp": "0.0.0.0/0"} in p["IpRanges"]] == [0]
    assert "Kept rule(s) that also open other ports, revoked only with RevokeWideRanges=true" in result["Message"]
    assert "tcp 0-65535 from 0.0.0.0/0" in result["Message"]
    assert len(result["CurrentState"]["OpenRules"]) == 1

    with pytest.raises(ValueError, match=r"Refusing, nothing changed: .* has only wider rules"):
        _run(group)

    _run(group, RevokeWideRanges=True)
    assert all({"CidrIp": "0.0.0.0/0"} not in p["IpRanges"] for p in _inbound(ec2, group))


def test_all_traffic_from_the_internet_is_a_wider_rule(ec2):
    group = _group(ec2, {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})

    with pytest.raises(ValueError, match="has only wider rules"):
        _run(group)
    assert _run(group, RevokeWideRanges="true")["Changed"] is True
    assert _inbound(ec2, group) == []


def test_a_group_of_another_account_or_region_is_not_found(aws, api_calls):
    with pytest.raises(ClientError, match=r"InvalidGroup\.NotFound"):
        _run("sg-0123456789abcdef0")
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(ec2, api_calls):
    group = _group(ec2, SSH_WORLD, RDP_WORLD_V6)
    before = _inbound(ec2, group)
    api_calls.fail("RevokeSecurityGroupIngress", code="UnauthorizedOperation")

    with pytest.raises(ClientError, match="UnauthorizedOperation"):
        _run(group)

    assert _inbound(ec2, group) == before


def test_dry_run_returns_the_plan_and_changes_nothing(ec2, api_calls):
    group = _group(ec2, SSH_WORLD, ALL_PORTS_WORLD)
    before = _inbound(ec2, group)
    api_calls.clear()

    result = _run(group, DryRun=True)

    assert api_calls.mutating == [] and _inbound(ec2, group) == before
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert len(result["PreviousState"]["OpenRules"]) == 2 and len(result["PlannedState"]["OpenRules"]) == 1
    assert result["CurrentState"] == result["PreviousState"]
    assert result["Message"].startswith("Dry run: would revoke sgr-") and result["Message"].endswith("Nothing changed.")
    api_calls.assert_within(script.IAM_ACTIONS)


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ({"GroupId": "bastion"}, "GroupId must be a security group id"),
        ({"GroupId": "sg-0123456789abcdef0", "DryRun": "yes"}, "DryRun must be true or false"),
        ({"GroupId": "sg-0123456789abcdef0", "RevokeWideRanges": "all"}, "RevokeWideRanges must be true or false"),
    ],
)
def test_bad_inputs_are_refused_before_any_call(aws, api_calls, events, message):
    with pytest.raises(ValueError, match=message):
        script.close_admin_ports(events, None)
    assert api_calls.operations == []
