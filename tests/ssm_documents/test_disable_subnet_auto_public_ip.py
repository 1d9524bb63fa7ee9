"""Runbook disable_subnet_auto_public_ip: stops one subnet assigning public IPv4 addresses on launch, leaves running
instances' addresses alone, is idempotent, refuses other accounts' and Regions' subnets, dry run."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.ec2_subnet.simulation import demo_subnets
from ssm_documents.disable_subnet_auto_public_ip import script
from tests.conftest import ACCOUNT_ID, REGION, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "disable_subnet_auto_public_ip"
EVENT = load_example(RUNBOOK / "events" / "disable_subnet_auto_public_ip.json")
ON, OFF = {"MapPublicIpOnLaunch": True}, {"MapPublicIpOnLaunch": False}


@pytest.fixture
def subnets(aws):
    """The demo VPC's subnets: Name -> id (public-web-subnet assigns public IPv4 addresses, private-app-subnet not)."""
    return demo_subnets(REGION)


def _event(subnet_id: str, **extra: object) -> dict:
    return {**EVENT, "SubnetId": subnet_id, **extra}


def _assigns(subnet_id: str, region: str = REGION) -> bool:
    ec2 = boto3.client("ec2", region_name=region)
    return ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["MapPublicIpOnLaunch"]


def test_stops_that_subnet_only_assigning_public_ips(subnets, api_calls):
    public = subnets["public-web-subnet"]
    default_subnet = boto3.client("ec2").describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    other = default_subnet["Subnets"][0]["SubnetId"]
    api_calls.clear()

    result = script.disable_auto_public_ip(_event(public), None)

    assert _assigns(public) is False
    assert _assigns(other) is True  # another subnet assigning them is left alone
    assert (result["Changed"], result["PreviousState"], result["CurrentState"]) == (True, ON, OFF)
    assert api_calls.mutating == ["ModifySubnetAttribute"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_the_message_says_running_instances_keep_their_addresses(subnets, api_calls):
    result = script.disable_auto_public_ip(_event(subnets["public-web-subnet"]), None)

    assert "Instances already running keep the public IPv4 addresses they have" in result["Message"]


def test_a_running_instance_keeps_its_public_address(subnets, api_calls):
    public = subnets["public-web-subnet"]
    ec2 = boto3.client("ec2")
    image = ec2.register_image(Name="remedy-test-image", RootDeviceName="/dev/xvda")["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=public)["Instances"][0]
    address = instance.get("PublicIpAddress")

    script.disable_auto_public_ip(_event(public), None)

    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert address and described.get("PublicIpAddress") == address


def test_second_run_makes_no_mutating_call(subnets, api_calls):
    public = subnets["public-web-subnet"]
    script.disable_auto_public_ip(_event(public), None)
    api_calls.clear()

    result = script.disable_auto_public_ip(_event(public), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert result["PreviousState"] == result["CurrentState"] == OFF
    assert api_calls.mutating == []


def test_a_compliant_subnet_is_left_alone(subnets, api_calls):
    private = subnets["private-app-subnet"]
    api_calls.clear()

    result = script.disable_auto_public_ip(_event(private), None)

    assert (result["Changed"], result["PreviousState"]) == (False, OFF)
    assert result["Message"].endswith("already did not assign public IPv4 addresses; nothing changed.")
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    "subnet_id",
    [None, "", "subnet-123", "subnet-0A1B2C3D4E5F67890", f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:subnet/subnet-0a1b2c3d"],
)
def test_anything_but_a_subnet_id_is_refused_before_any_call(aws, api_calls, subnet_id):
    with pytest.raises(ValueError, match="SubnetId must be a subnet id"):
        script.disable_auto_public_ip(_event(subnet_id), None)
    assert api_calls.operations == []


def test_a_subnet_of_another_region_is_refused(aws, api_calls):
    elsewhere = "eu-west-1" if REGION != "eu-west-1" else "us-west-2"
    far = demo_subnets(elsewhere)["public-web-subnet"]
    api_calls.clear()

    with pytest.raises(ValueError, match=rf"Subnet {far} does not exist in this Region \({REGION}\)"):
        script.disable_auto_public_ip(_event(far), None)

    assert api_calls.mutating == []
    assert _assigns(far, elsewhere) is True


def test_a_subnet_another_account_shares_is_refused(subnets, api_calls):
    public = subnets["public-web-subnet"]
    shared = boto3.client("ec2").describe_subnets(SubnetIds=[public])["Subnets"][0]
    # moto has no VPC sharing (AWS RAM): DescribeSubnets answers a subnet shared with this account with the owner's id.
    api_calls.respond("DescribeSubnets", {"Subnets": [{**shared, "OwnerId": "210987654321"}]})

    with pytest.raises(ValueError, match=r"belongs to account 210987654321 .* nothing changed"):
        script.disable_auto_public_ip(_event(public), None)

    assert api_calls.mutating == []
    assert _assigns(public) is True


def test_aws_error_fails_the_step_and_changes_nothing(subnets, api_calls):
    public = subnets["public-web-subnet"]
    api_calls.fail("ModifySubnetAttribute", code="UnauthorizedOperation")

    with pytest.raises(ClientError, match="UnauthorizedOperation"):
        script.disable_auto_public_ip(_event(public), None)

    assert _assigns(public) is True


def test_an_unreadable_setting_fails_without_any_change(subnets, api_calls):
    public = subnets["public-web-subnet"]
    subnet = boto3.client("ec2").describe_subnets(SubnetIds=[public])["Subnets"][0]
    api_calls.respond("DescribeSubnets", {"Subnets": [{k: v for k, v in subnet.items() if k != "MapPublicIpOnLaunch"}]})

    with pytest.raises(ValueError, match="DescribeSubnets gives MapPublicIpOnLaunch None, expected true or false"):
        script.disable_auto_public_ip(_event(public), None)
    assert api_calls.mutating == []


def test_dry_run_returns_the_plan_and_changes_nothing(subnets, api_calls):
    public = subnets["public-web-subnet"]
    api_calls.clear()

    result = script.disable_auto_public_ip(_event(public, DryRun="true"), None)

    assert api_calls.mutating == []
    assert _assigns(public) is True
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert (result["PreviousState"], result["PlannedState"], result["CurrentState"]) == (ON, OFF, ON)
    assert result["Message"].startswith(f"Dry run: would stop the subnet {public} (VPC ")
    assert "Instances already running keep the public IPv4 addresses they have" in result["Message"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.disable_auto_public_ip(_event("subnet-0a1b2c3d4e5f67890", DryRun="yes"), None)
    assert api_calls.operations == []
