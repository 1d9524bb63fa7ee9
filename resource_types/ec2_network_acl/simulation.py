"""Network ACLs in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.ec2_network_acl import to_arn
from resource_types.ec2_security_group.simulation import close_group, default_group
from resource_types.simulation import lower_camel

DEMO_VPC_NAME = "remedy-demo-network"
# The demo VPC's network ACLs: Name tag -> its inbound entries (rule number, protocol, action, CIDR, ports).
DEMO_NETWORK_ACLS = {
    "bastion-subnet-acl": [
        (100, "6", "allow", "0.0.0.0/0", (22, 22)),
        (105, "6", "allow", "::/0", (22, 22)),
        (110, "6", "allow", "0.0.0.0/0", (443, 443)),
    ],
    "rdp-jump-acl": [
        (100, "6", "allow", "10.0.0.0/8", (3389, 3389)),
        (120, "6", "allow", "::/0", (3389, 3389)),
    ],
    "app-subnet-acl": [
        (90, "-1", "deny", "0.0.0.0/0", None),
        (100, "6", "allow", "10.0.0.0/8", (22, 22)),
        (110, "6", "allow", "0.0.0.0/0", (443, 443)),
    ],
}


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's network ACLs (resource id: the ACL id), DescribeNetworkAcls' shape in lowerCamelCase
    (entries with ruleNumber, protocol, ruleAction, egress, cidrBlock or ipv6CidrBlock, portRange), with tags."""
    ec2 = boto3.client("ec2", region_name=region)
    items = []
    for page in ec2.get_paginator("describe_network_acls").paginate():
        for acl in page["NetworkAcls"]:
            items.append(
                {
                    "resourceId": acl["NetworkAclId"],
                    "resourceName": acl["NetworkAclId"],
                    "ARN": to_arn(acl["NetworkAclId"], region=region, account=account),
                    "awsRegion": region,
                    "configuration": lower_camel(acl),
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in acl.get("Tags", [])},
                }
            )
    return items


def _add_entry(ec2: object, acl_id: str, entry: tuple) -> None:
    number, protocol, action, cidr, ports = entry
    block = {"Ipv6CidrBlock": cidr} if ":" in cidr else {"CidrBlock": cidr}
    ranges = {"PortRange": {"From": ports[0], "To": ports[1]}} if ports else {}
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id, RuleNumber=number, Protocol=protocol, RuleAction=action, Egress=False, **block, **ranges
    )


def demo_network_acls(region: str) -> tuple[str, dict[str, str]]:
    """A new demo VPC (IPv4 and IPv6) with one subnet per demo network ACL: (the VPC's default network ACL,
    Name -> ACL id in DEMO_NETWORK_ACLS' order). Each call makes new ones, as an EBS volume seed does."""
    ec2 = boto3.client("ec2", region_name=region)
    tags = [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": DEMO_VPC_NAME}]}]
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16", AmazonProvidedIpv6CidrBlock=True, TagSpecifications=tags)["Vpc"]
    close_group(ec2, default_group(ec2, vpc["VpcId"]))  # the VPC's default security group is none of its problems
    default_filter = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "default", "Values": ["true"]}]
    default_acl = ec2.describe_network_acls(Filters=default_filter)["NetworkAcls"][0]["NetworkAclId"]
    created = {}
    for index, (name, entries) in enumerate(DEMO_NETWORK_ACLS.items()):
        acl_tags = [{"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": name}]}]
        acl_id = ec2.create_network_acl(VpcId=vpc["VpcId"], TagSpecifications=acl_tags)["NetworkAcl"]["NetworkAclId"]
        for entry in entries:
            _add_entry(ec2, acl_id, entry)
        subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock=f"10.20.{index}.0/24")["Subnet"]["SubnetId"]
        _associate(ec2, subnet, acl_id)
        created[name] = acl_id
    return default_acl, created


def has_default_allow_all(acl: dict) -> bool:
    """Whether a default network ACL still has AWS's inbound rule 100 allowing all traffic from 0.0.0.0/0
    (https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html)."""
    return any(
        not e["Egress"] and e["RuleNumber"] == 100 and e["Protocol"] == "-1" and e["RuleAction"] == "allow"
        for e in acl.get("Entries", [])
        if e.get("CidrBlock") == "0.0.0.0/0"
    )


def _associate(ec2: object, subnet: str, acl_id: str) -> None:
    """Move the subnet from its VPC's default network ACL to `acl_id`."""
    filters = [{"Name": "association.subnet-id", "Values": [subnet]}]
    for acl in ec2.describe_network_acls(Filters=filters)["NetworkAcls"]:
        for association in acl["Associations"]:
            if association["SubnetId"] == subnet:
                ec2.replace_network_acl_association(
                    AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id
                )


def stale_key(account: str, region: str) -> str:
    """A network ACL id no seed creates (moto's ids are random): a finding naming it outlives its resource."""
    return "acl-" + "0" * 17
