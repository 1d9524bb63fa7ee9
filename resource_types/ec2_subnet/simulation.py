"""Subnets in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import ipaddress

import boto3

from resource_types.ec2_security_group.simulation import default_group, put_in_use
from resource_types.ec2_subnet import to_arn
from resource_types.simulation import lower_camel

# The demo subnets: Name tag -> MapPublicIpOnLaunch.
DEMO_SUBNETS = {"public-web-subnet": True, "private-app-subnet": False}


def configuration_item(subnet: dict, account: str, region: str) -> dict:
    """A DescribeSubnets entry as AWS Config's configuration item of the subnet: lowerCamelCase, with the state as
    {"value": ...} (AWS Config's resource schema for AWS::EC2::Subnet records configuration.state.value and
    configuration.mapPublicIpOnLaunch: https://github.com/awslabs/aws-config-resource-schema)."""
    configuration = lower_camel(subnet)
    configuration["state"] = {"value": subnet.get("State")}
    return {
        "resourceId": subnet["SubnetId"],
        "resourceName": subnet["SubnetId"],
        "ARN": to_arn(subnet["SubnetId"], region=region, account=account),
        "awsRegion": region,
        "availabilityZone": subnet["AvailabilityZone"],
        "configuration": configuration,
        "supplementaryConfiguration": {},
        "tags": {t["Key"]: t["Value"] for t in subnet.get("Tags", [])},
    }


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's subnets (resource id: the subnet id), DescribeSubnets' shape as AWS Config records it."""
    ec2 = boto3.client("ec2", region_name=region)
    return [
        configuration_item(subnet, account, region)
        for page in ec2.get_paginator("describe_subnets").paginate()
        for subnet in page["Subnets"]
    ]


def in_use(ec2: object, subnet_id: str) -> bool:
    """Whether a network interface is in the subnet (Prowler's vpc checks judge only such subnets, unless run with
    --scan-unused-services)."""
    filters = [{"Name": "subnet-id", "Values": [subnet_id]}]
    return bool(ec2.describe_network_interfaces(Filters=filters)["NetworkInterfaces"])


def put_subnet_in_use(ec2: object, subnet: dict) -> None:
    """A network interface in the subnet (with its VPC's default security group), unless it has one."""
    if not in_use(ec2, subnet["SubnetId"]):
        put_in_use(ec2, subnet["SubnetId"], default_group(ec2, subnet["VpcId"]))


def _free_block(ec2: object, vpc: dict) -> str:
    """The first /24 of the VPC's CIDR block that no subnet of the VPC overlaps."""
    filters = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    taken = [ipaddress.ip_network(s["CidrBlock"]) for s in ec2.describe_subnets(Filters=filters)["Subnets"]]
    for block in ipaddress.ip_network(vpc["CidrBlock"]).subnets(new_prefix=24):
        if not any(block.overlaps(t) for t in taken):
            return str(block)
    raise RuntimeError(f"no free /24 left in {vpc['VpcId']}")


def demo_subnets(region: str) -> dict[str, str]:
    """DEMO_SUBNETS, new subnets of the region's default VPC, each with a network interface: Name -> subnet id.
    In the default VPC, so that they bring no new network ACL or security group (the VPC's defaults are the
    network ACL and security group controls' own demo resources). Each call makes new ones."""
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    created = {}
    for name, public in DEMO_SUBNETS.items():
        tags = [{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": name}]}]
        cidr = _free_block(ec2, vpc)
        subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock=cidr, TagSpecifications=tags)["Subnet"]
        # CreateSubnet leaves MapPublicIpOnLaunch false outside a default subnet; set it as a public subnet has it.
        ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": public})
        put_subnet_in_use(ec2, subnet)
        created[name] = subnet["SubnetId"]
    return created


def subnets_assigning_public_ips(region: str) -> list[dict]:
    """The region's subnets with MapPublicIpOnLaunch true (AWS creates a default VPC's subnets so), by id."""
    ec2 = boto3.client("ec2", region_name=region)
    filters = [{"Name": "map-public-ip-on-launch", "Values": ["true"]}]
    subnets = [s for page in ec2.get_paginator("describe_subnets").paginate(Filters=filters) for s in page["Subnets"]]
    return sorted(subnets, key=lambda s: s["SubnetId"])


def stale_key(account: str, region: str) -> str:
    """A subnet id no seed creates (moto's ids are random): a finding naming it outlives its resource."""
    return "subnet-" + "0" * 17
