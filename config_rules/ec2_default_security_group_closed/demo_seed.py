"""Demo seed: default security groups, each used by a network interface: the default VPC's and a new VPC's with
the rules AWS gives a default group (all traffic from the group itself, all outbound), another VPC's with none."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.ec2_security_group.simulation import close_group, default_group, put_in_use, subnet
from simulation.seeds import SeededResource

# (VPC CIDR block or None for the region's default VPC, Name tag, the default group keeps its rules, note)
VPCS = (
    (None, "default-vpc", True, "the default VPC's default group, with the rules AWS creates it with"),
    ("10.20.0.0/16", "payments-vpc", True, "default group allows all traffic within the group and all outbound"),
    ("10.21.0.0/16", "ledger-vpc", False, "default group has no rules"),
)
ALL_TRAFFIC = "-1"


def _as_aws_creates_it(ec2: object, group_id: str) -> None:
    """The rules AWS gives a default group: all traffic from the group itself (moto's lacks it), all outbound."""
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    if not group["IpPermissions"]:
        itself = {"IpProtocol": ALL_TRAFFIC, "UserIdGroupPairs": [{"GroupId": group_id}]}
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[itself])
    if not group["IpPermissionsEgress"]:
        everywhere = {"IpProtocol": ALL_TRAFFIC, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[everywhere])


def _vpc_and_subnet(ec2: object, cidr: str | None, name: str) -> tuple[str, str]:
    """The default VPC and one of its default subnets, or a new VPC with a new subnet."""
    if cidr is None:
        vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
        return vpc_id, ec2.describe_subnets(Filters=filters)["Subnets"][0]["SubnetId"]
    tags = [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}]
    vpc_id = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=tags)["Vpc"]["VpcId"]
    return vpc_id, subnet(ec2, vpc_id, cidr.replace("0.0/16", "1.0/24"))


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    ec2 = boto3.client("ec2", region_name=region)
    kind = resource_types.get(control.resource_type)
    seeded = []
    for cidr, name, open_, note in VPCS:
        vpc_id, subnet_id = _vpc_and_subnet(ec2, cidr, name)
        group_id = default_group(ec2, vpc_id)
        if open_:
            _as_aws_creates_it(ec2, group_id)
        else:
            close_group(ec2, group_id)
        put_in_use(ec2, subnet_id, group_id)
        arn = kind.to_arn(group_id, region=region, account=account)
        seeded.append(SeededResource(control.id, kind.config_type, group_id, arn, open_, f"{name}: {note}"))
    return seeded
