"""RDS DB instances in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import contextlib
import random
import string
from collections.abc import Iterator

import boto3

from resource_types.ec2_security_group.simulation import close_group, default_group
from resource_types.simulation import lower_camel


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's DB instances (resource id: the DbiResourceId, name: the identifier), DescribeDBInstances' shape
    in lowerCamelCase (as AWS Config records it: dBInstanceIdentifier, dbiResourceId, publiclyAccessible), with tags."""
    rds = boto3.client("rds", region_name=region)
    items = []
    for page in rds.get_paginator("describe_db_instances").paginate():
        for instance in page["DBInstances"]:
            items.append(
                {
                    "resourceId": instance["DbiResourceId"],
                    "resourceName": instance["DBInstanceIdentifier"],
                    "ARN": instance["DBInstanceArn"],
                    "awsRegion": region,
                    "availabilityZone": instance.get("AvailabilityZone", "Multiple Availability Zones"),
                    "configuration": lower_camel(instance),
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in instance.get("TagList", [])},
                }
            )
    return items


def public_subnet_group(region: str, name: str) -> tuple[str, str]:
    """A VPC (its default security group closed) whose subnets route 0.0.0.0/0 to an internet gateway, a DB subnet
    group of them, and a security group open to the Internet on PostgreSQL's port: (subnet group name, group id)."""
    ec2 = boto3.client("ec2", region_name=region)
    rds = boto3.client("rds", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    close_group(ec2, default_group(ec2, vpc))  # the new VPC's default group is none of the demo's problems
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    subnets = []
    for index, zone in enumerate(("a", "b")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{index}.0/24", AvailabilityZone=f"{region}{zone}")
        subnets.append(subnet["Subnet"]["SubnetId"])
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnets[-1])
    rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="public subnets", SubnetIds=subnets)
    group = ec2.create_security_group(GroupName=f"{name}-db", Description="PostgreSQL from anywhere", VpcId=vpc)
    ec2.authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    return name, group["GroupId"]


@contextlib.contextmanager
def unique_dbi_resource_ids() -> Iterator[bool]:
    """Moto 5.2.5 gives every DB instance the same DbiResourceId (db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U); AWS's is unique
    per instance and Region. Instances created inside get a unique one, when moto runs in this process (yields
    whether it does)."""
    try:
        from moto.rds.models import DBInstance
    except ImportError:  # pragma: no cover - moto is a development dependency
        yield False
        return
    original = DBInstance.__init__
    alphabet = string.ascii_uppercase + string.digits

    def init(self: object, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        self.dbi_resource_id = "db-" + "".join(random.choices(alphabet, k=26))  # noqa: S311 (an id, not a secret)

    DBInstance.__init__ = init
    try:
        yield True
    finally:
        DBInstance.__init__ = original


def create_postgres(region: str, identifier: str, in_process: bool = True, **settings: object) -> dict:
    """A small PostgreSQL DB instance; `settings` go to CreateDBInstance (PubliclyAccessible, subnet group...).
    With moto in this process, its DbiResourceId is unique, as in AWS (unique_dbi_resource_ids)."""
    with unique_dbi_resource_ids() if in_process else contextlib.nullcontext(False):
        return boto3.client("rds", region_name=region).create_db_instance(
            DBInstanceIdentifier=identifier,
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="dbadmin",
            MasterUserPassword="demo-only-not-a-secret",
            **settings,
        )["DBInstance"]


def stale_key(account: str, region: str) -> None:
    """None: the bridge's lookup (rds:DescribeDBInstances) refuses a missing instance before any run starts."""
    return None
