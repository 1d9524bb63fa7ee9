"""Demo seed: security groups in the default VPC (no new VPC, whose default group would be another finding), each
used by a network interface: SSH or RDP open to the internet
(one beside an office range that stays), and groups admitting the internet only to HTTPS or SSH only from inside."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.ec2_security_group.simulation import put_in_use
from simulation.seeds import SeededResource

OFFICE = {"CidrIp": "10.0.0.0/8", "Description": "office"}
# (group name, inbound permissions, non-compliant, note)
GROUPS = (
    (
        "payments-bastion",
        [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}, OFFICE]}],
        True,
        "SSH from 0.0.0.0/0 (and from the office range, which stays)",
    ),
    (
        "ledger-rdp-jump",
        [{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
        True,
        "RDP from ::/0",
    ),
    (
        "web-tier",
        [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [OFFICE]},
        ],
        False,
        "HTTPS from the internet, SSH only from the office range",
    ),
)


def _free_name(ec2: object, vpc_id: str, name: str) -> str:
    """`name`, or `name-<n>` when an earlier seed in this account already took it (names are unique per VPC)."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    taken = {g["GroupName"] for g in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]}
    candidates = (name if n == 0 else f"{name}-{n}" for n in range(len(taken) + 1))
    return next(c for c in candidates if c not in taken)


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    ec2 = boto3.client("ec2", region_name=region)
    kind = resource_types.get(control.resource_type)
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnet_id = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"][0]["SubnetId"]
    seeded = []
    for name, permissions, open_, note in GROUPS:
        group_name = _free_name(ec2, vpc_id, name)
        group_id = ec2.create_security_group(GroupName=group_name, Description=note, VpcId=vpc_id)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
        put_in_use(ec2, subnet_id, group_id)
        arn = kind.to_arn(group_id, region=region, account=account)
        seeded.append(SeededResource(control.id, kind.config_type, group_id, arn, open_, f"{group_name}: {note}"))
    return seeded
