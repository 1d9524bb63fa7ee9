"""EC2 instances in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.ec2_instance import to_arn
from resource_types.simulation import lower_camel

# AWS Config stops recording an instance once it is terminated; moto keeps it listed for a while.
_GONE = ("terminated",)


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's instances (resource id: the instance id), DescribeInstances' instance shape in lowerCamelCase
    (so metadataOptions.httpTokens, as in AWS Config's AWS::EC2::Instance items), with tags."""
    ec2 = boto3.client("ec2", region_name=region)
    items = []
    for page in ec2.get_paginator("describe_instances").paginate():
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                if instance.get("State", {}).get("Name") in _GONE:
                    continue
                items.append(
                    {
                        "resourceId": instance["InstanceId"],
                        "resourceName": instance["InstanceId"],
                        "ARN": to_arn(instance["InstanceId"], region=region, account=account),
                        "awsRegion": region,
                        "availabilityZone": instance.get("Placement", {}).get("AvailabilityZone", ""),
                        "configuration": lower_camel(instance),
                        "supplementaryConfiguration": {},
                        "tags": {t["Key"]: t["Value"] for t in instance.get("Tags", [])},
                    }
                )
    return items


def launch(ec2: object, name: str, http_tokens: str, zone: str) -> str:
    """A running t3.micro named `name` with the given HttpTokens (its root volume encrypted); its id."""
    return ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        Placement={"AvailabilityZone": zone},
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8, "Encrypted": True}}],
        MetadataOptions={"HttpTokens": http_tokens, "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
    )["Instances"][0]["InstanceId"]


def stale_key(account: str, region: str) -> str:
    """An instance id no seed creates (moto's ids are random): a finding naming it outlives its resource."""
    return "i-" + "0" * 17
