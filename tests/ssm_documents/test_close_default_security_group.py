"""Runbook close_default_security_group: plans read-only, revokes exactly the planned rules, records them."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.close_default_security_group import script
from tests.conftest import REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "close_default_security_group" / "events" / "close_default_security_group.json"
)
SELF = {"IpProtocol": "-1"}  # the group itself as source is added per test (its id is random)
HTTPS_OUT = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}


@pytest.fixture
def ec2(aws):
    return boto3.client("ec2")


@pytest.fixture
def group(ec2):
    """A VPC's default group with AWS's default rules (all from itself, all outbound) and one interface using it."""
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    group_id = ec2.describe_security_groups(Filters=filters)["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group_id, IpPermissions=[{**SELF, "UserIdGroupPairs": [{"GroupId": group_id}]}]
    )
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_network_interface(SubnetId=subnet, Groups=[group_id])
    return group_id


def _rules(ec2, group_id: str) -> tuple[list, list]:
    found = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return found["IpPermissions"], found["IpPermissionsEgress"]


def _run(group_id: str, **extra) -> tuple[dict, dict | None]:
    """The document's steps as SSM runs them: the plan, then the revocation unless nothing is due or dry run."""
    plan = script.plan_default_group_closure({**EVENT, "GroupId": group_id, **extra}, None)
    if not plan["WouldChange"] or plan["DryRun"]:
        return plan, None
    return plan, script.revoke_default_group_rules({"GroupId": group_id, "RuleIds": plan["RuleIds"]}, None)


def test_revokes_every_rule_and_records_them(ec2, group, api_calls):
    before = _rules(ec2, group)
    api_calls.clear()

    plan, revoked = _run(group)

    assert _rules(ec2, group) == ([], [])
    assert api_calls.mutating == ["RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress"]
    api_calls.assert_within(script.IAM_ACTIONS)
    assert revoked["Changed"] is True and revoked["CurrentState"] == {
        "GroupId": group,
        "IngressRules": {},
        "EgressRules": {},
    }
    previous = plan["PreviousState"]
    assert [r["IpProtocol"] for r in previous["IngressRules"].values()] == ["-1"]
    assert [r["ReferencedGroupInfo"]["GroupId"] for r in previous["IngressRules"].values()] == [group]
    assert [r["CidrIpv4"] for r in previous["EgressRules"].values()] == ["0.0.0.0/0"]
    assert "1 network interface(s) use the group" in plan["Message"]
    assert before != ([], [])


def test_the_record_is_enough_to_restore_the_rules(ec2, group):
    before = _rules(ec2, group)
    plan, _revoked = _run(group)

    for rule in plan["PreviousState"]["IngressRules"].values():
        pair = {"GroupId": rule["ReferencedGroupInfo"]["GroupId"]}
        permission = {"IpProtocol": rule["IpProtocol"], "UserIdGroupPairs": [pair]}
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])
    for rule in plan["PreviousState"]["EgressRules"].values():
        permission = {"IpProtocol": rule["IpProtocol"], "IpRanges": [{"CidrIp": rule["CidrIpv4"]}]}
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[permission])

    restored = _rules(ec2, group)
    strip = lambda perms: [{k: v for k, v in p.items() if k != "UserIdGroupPairs"} for p in perms]  # noqa: E731
    assert (strip(restored[0]), strip(restored[1])) == (strip(before[0]), strip(before[1]))


def test_second_run_makes_no_mutating_call(ec2, group, api_calls):
    _run(group)
    api_calls.clear()

    plan, revoked = _run(group)

    assert plan["WouldChange"] is False and revoked is None
    assert plan["Message"] == f"The default security group {group} has no rules; nothing changed."
    assert api_calls.mutating == []


def test_an_interrupted_revocation_is_finished_by_the_retry(ec2, group, api_calls):
    plan = script.plan_default_group_closure({**EVENT, "GroupId": group}, None)
    api_calls.fail("RevokeSecurityGroupEgress", code="RequestLimitExceeded", status=503, times=1)
    with pytest.raises(ClientError, match="RequestLimitExceeded"):
        script.revoke_default_group_rules({"GroupId": group, "RuleIds": plan["RuleIds"]}, None)
    assert _rules(ec2, group)[0] == [] and _rules(ec2, group)[1] != []

    retry = script.revoke_default_group_rules({"GroupId": group, "RuleIds": plan["RuleIds"]}, None)

    assert _rules(ec2, group) == ([], [])
    assert retry["Message"] == f"Revoked 0 inbound and 1 outbound rule(s) of {group}."


def test_a_rule_added_after_the_plan_is_kept(ec2, group):
    plan = script.plan_default_group_closure({**EVENT, "GroupId": group}, None)
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[HTTPS_OUT])

    revoked = script.revoke_default_group_rules({"GroupId": group, "RuleIds": plan["RuleIds"]}, None)

    assert _rules(ec2, group)[1][0]["FromPort"] == 443
    assert "1 rule(s) added after the plan were kept" in revoked["Message"]


def test_a_group_that_is_not_a_default_group_is_refused(ec2, api_calls):
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]

    with pytest.raises(ValueError, match="not a VPC's default security group"):
        _run(other)
    with pytest.raises(ValueError, match="not a VPC's default security group"):
        script.revoke_default_group_rules({"GroupId": other, "RuleIds": "sgr-0123456789abcdef0"}, None)
    assert api_calls.mutating == []


def test_a_group_of_another_account_or_region_is_not_found(aws, api_calls):
    with pytest.raises(ClientError, match=r"InvalidGroup\.NotFound"):
        _run("sg-0123456789abcdef0")
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(ec2, group, api_calls):
    before = _rules(ec2, group)
    api_calls.fail("RevokeSecurityGroupIngress", code="UnauthorizedOperation")

    with pytest.raises(ClientError, match="UnauthorizedOperation"):
        _run(group)

    assert _rules(ec2, group) == before


def test_dry_run_returns_the_plan_and_changes_nothing(ec2, group, api_calls):
    before = _rules(ec2, group)
    api_calls.clear()

    plan, revoked = _run(group, DryRun=True)

    assert revoked is None and api_calls.mutating == []
    assert _rules(ec2, group) == before
    assert (plan["DryRun"], plan["WouldChange"]) == (True, True)
    assert plan["PlannedState"]["IngressRules"] == {} and plan["PlannedState"]["EgressRules"] == {}
    assert len(plan["PreviousState"]["IngressRules"]) == 1 and len(plan["PreviousState"]["EgressRules"]) == 1
    assert plan["Message"].startswith(
        f"Dry run: would revoke 1 inbound and 1 outbound rule(s) of the default security group {group}"
    )
    assert plan["Message"].endswith("Nothing changed.")
    api_calls.assert_within(script.IAM_ACTIONS)


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ({"GroupId": "default"}, "GroupId must be a security group id"),
        ({"GroupId": "sg-0123456789abcdef0", "DryRun": "yes"}, "DryRun must be true or false"),
    ],
)
def test_bad_inputs_are_refused_before_any_call(aws, api_calls, events, message):
    with pytest.raises(ValueError, match=message):
        script.plan_default_group_closure(events, None)
    with pytest.raises(ValueError, match="RuleIds must be"):
        script.revoke_default_group_rules({"GroupId": "sg-0123456789abcdef0", "RuleIds": "all"}, None)
    assert api_calls.operations == []
