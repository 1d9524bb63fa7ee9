"""The EBS volume demo's instance has the volume as its one problem: root volume encrypted, IMDSv2 required
(other controls judge the same instance, and their demos must not count it as theirs)."""

from __future__ import annotations

import boto3

from resource_types.ec2_volume.simulation import attach_to_a_running_instance
from tests.conftest import REGION


def test_the_instance_a_demo_volume_is_attached_to_has_no_other_problem(aws):
    ec2 = boto3.client("ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]

    attach_to_a_running_instance(ec2, volume, f"{REGION}a")

    instance_id = ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["Attachments"][0]["InstanceId"]
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    root = next(m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == "/dev/sda1")
    assert ec2.describe_volumes(VolumeIds=[root["Ebs"]["VolumeId"]])["Volumes"][0]["Encrypted"] is True
