"""EBS volumes in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.ec2_volume import to_arn
from resource_types.simulation import lower_camel


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's volumes (resource id: the volume id), DescribeVolumes' shape in lowerCamelCase, with tags."""
    ec2 = boto3.client("ec2", region_name=region)
    items = []
    for page in ec2.get_paginator("describe_volumes").paginate():
        for volume in page["Volumes"]:
            items.append(
                {
                    "resourceId": volume["VolumeId"],
                    "resourceName": volume["VolumeId"],
                    "ARN": to_arn(volume["VolumeId"], region=region, account=account),
                    "awsRegion": region,
                    "availabilityZone": volume["AvailabilityZone"],
                    "configuration": lower_camel(volume),
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in volume.get("Tags", [])},
                }
            )
    return items


def attach_to_a_running_instance(ec2: object, volume_id: str, zone: str) -> None:
    """A running instance with the volume on /dev/sdf (its root volume encrypted and IMDSv2 required, so the
    volume is its one problem)."""
    instance = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        Placement={"AvailabilityZone": zone},
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8, "Encrypted": True}}],
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
    )["Instances"][0]["InstanceId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance, Device="/dev/sdf")


def stale_key(account: str, region: str) -> str:
    """A volume id no seed creates (moto's ids are random): a finding naming it outlives its resource."""
    return "vol-" + "0" * 17
