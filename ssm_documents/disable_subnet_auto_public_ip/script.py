"""Runbook script: stop a subnet assigning public IPv4 addresses on launch, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.

Safety:
- Only MapPublicIpOnLaunch changes, from true to false (ModifySubnetAttribute,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySubnetAttribute.html); a subnet that already does
  not assign them is left alone, and the runbook never sets it back to true. Whether a subnet is non-compliant is
  decided as the rule decides it (compliance.ec2_subnet_no_auto_public_ip).
- The attribute decides for "network interfaces attached to instances created in the specified subnet" (the API
  reference above), at their creation: instances already running keep the public IPv4 addresses they have.
  Instances launched later get none unless their launch asks for one (AssociatePublicIpAddress); one that relies on
  the subnet's default loses internet reachability (an outage), which is why the control is manual. Reverting is
  setting the attribute to true again (the output records the previous value).
- The subnet must be one of this account in this Region: DescribeSubnets answers only for this Region (a subnet of
  another Region is InvalidSubnetID.NotFound), and a subnet another account owns and shares with this one is refused.
"""

import re

import boto3
import botocore.exceptions
from compliance.ec2_subnet_no_auto_public_ip import SETTING, assigns_public_ip

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "ec2:DescribeSubnets",
    "ec2:ModifySubnetAttribute",
)
# Same pattern as document.yaml's allowedPattern (resource_types/ec2_subnet): subnet- and 8 or 17 hex digits.
SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
EXISTING_INSTANCES = "Instances already running keep the public IPv4 addresses they have"


def _subnet_id(events: dict) -> str:
    subnet_id = events.get("SubnetId")
    if not isinstance(subnet_id, str) or not SUBNET_ID.match(subnet_id):
        raise ValueError(f"SubnetId must be a subnet id (subnet- and 8 or 17 hex digits), got {subnet_id!r}")
    return subnet_id


def _subnet(ec2: object, subnet_id: str, account: str) -> dict:
    """The subnet, refused if it is not in this Region or another account owns it."""
    region = ec2.meta.region_name
    try:
        (subnet,) = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "InvalidSubnetID.NotFound":
            raise ValueError(
                f"Subnet {subnet_id} does not exist in this Region ({region}) for this account; nothing changed."
            ) from None
        raise
    owner = subnet.get("OwnerId")
    if owner != account:
        raise ValueError(
            f"Subnet {subnet_id} belongs to account {owner} (shared with this one), not this account ({account}); "
            "nothing changed."
        )
    return subnet


def _state(subnet: dict) -> dict:
    return {SETTING: assigns_public_ip(subnet.get(SETTING), "DescribeSubnets")}


def disable_auto_public_ip(events: dict, context: object) -> dict:
    """Set MapPublicIpOnLaunch to false on subnet `events["SubnetId"]` unless it already is.

    With DryRun true it reads the same setting and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    subnet_id = _subnet_id(events)
    account = boto3.client("sts").get_caller_identity()["Account"]
    ec2 = boto3.client("ec2")
    subnet = _subnet(ec2, subnet_id, account)
    previous = _state(subnet)
    where = f"subnet {subnet_id} (VPC {subnet.get('VpcId')})"
    result = {"SubnetId": subnet_id, "VpcId": subnet.get("VpcId"), "DryRun": dry_run, "PreviousState": previous}
    if not previous[SETTING]:
        message = f"The {where} already did not assign public IPv4 addresses; nothing changed."
        return no_change(result, previous, message)
    target = {SETTING: False}
    if dry_run:
        message = (
            f"Dry run: would stop the {where} assigning public IPv4 addresses on launch; nothing changed. "
            f"{EXISTING_INSTANCES}."
        )
        return would_change(result, previous, target, message)
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": False})
    current = _state(_subnet(ec2, subnet_id, account))
    message = (
        f"The {where} no longer assigns public IPv4 addresses on launch. {EXISTING_INSTANCES}; instances launched "
        "from now on get one only if their launch asks for it (AssociatePublicIpAddress)."
    )
    return changed(result, target, current, message)
