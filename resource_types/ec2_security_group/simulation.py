"""Security groups in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.ec2_security_group import to_arn
from resource_types.simulation import lower_camel


def _recorded_permission(permission: dict) -> dict:
    """One IpPermissions entry as AWS Config records it: lowerCamelCase, IPv4 ranges both as `ipv4Ranges`
    (objects) and `ipRanges` (strings), as in AWS Config's security group items."""
    recorded = lower_camel({k: v for k, v in permission.items() if k != "IpRanges"})
    ranges = permission.get("IpRanges", [])
    recorded["ipv4Ranges"] = lower_camel(ranges)
    recorded["ipRanges"] = [r["CidrIp"] for r in ranges]
    for key in ("ipv6Ranges", "prefixListIds", "userIdGroupPairs"):
        recorded.setdefault(key, [])
    return recorded


def configuration_item(group: dict, account: str, region: str) -> dict:
    """A DescribeSecurityGroups entry as AWS Config's configuration item of the group."""
    configuration = lower_camel({k: v for k, v in group.items() if k not in ("IpPermissions", "IpPermissionsEgress")})
    configuration["ipPermissions"] = [_recorded_permission(p) for p in group.get("IpPermissions", [])]
    configuration["ipPermissionsEgress"] = [_recorded_permission(p) for p in group.get("IpPermissionsEgress", [])]
    return {
        "resourceId": group["GroupId"],
        "resourceName": group["GroupName"],
        "ARN": to_arn(group["GroupId"], region=region, account=account),
        "awsRegion": region,
        "availabilityZone": "Not Applicable",
        "configuration": configuration,
        "supplementaryConfiguration": {},
        "tags": {t["Key"]: t["Value"] for t in group.get("Tags", [])},
    }


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's security groups (resource id: the group id), DescribeSecurityGroups' shape as AWS Config
    records it (lowerCamelCase; ipPermissions carry ipv4Ranges and ipRanges)."""
    ec2 = boto3.client("ec2", region_name=region)
    return [
        configuration_item(group, account, region)
        for page in ec2.get_paginator("describe_security_groups").paginate()
        for group in page["SecurityGroups"]
    ]


def default_group(ec2: object, vpc_id: str) -> str:
    """The id of the VPC's default security group."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    return ec2.describe_security_groups(Filters=filters)["SecurityGroups"][0]["GroupId"]


def close_group(ec2: object, group_id: str) -> None:
    """Revoke every rule of the group (a bank closes the default group of each VPC it creates: FSBP EC2.2)."""
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    if group["IpPermissions"]:
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
    if group["IpPermissionsEgress"]:
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=group["IpPermissionsEgress"])


def subnet(ec2: object, vpc_id: str, cidr: str) -> str:
    """A new subnet of the VPC; its id."""
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"]


def put_in_use(ec2: object, subnet_id: str, group_id: str) -> str:
    """A network interface in the subnet using the group: Prowler's security group checks look only at groups
    with a network interface, in a VPC with one. Returns the interface id."""
    return ec2.create_network_interface(SubnetId=subnet_id, Groups=[group_id])["NetworkInterface"]["NetworkInterfaceId"]


def stale_key(account: str, region: str) -> str:
    """A group id no seed creates (moto's ids are random): a finding naming it outlives its resource."""
    return "sg-" + "0" * 17
