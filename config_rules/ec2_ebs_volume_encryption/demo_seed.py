"""Demo seed: EBS volumes, unencrypted (one attached to a running instance) and encrypted."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.ec2_volume.simulation import attach_to_a_running_instance
from simulation.seeds import SeededResource

# (encrypted, Name tag, note); the one named ATTACHED is attached to a running instance (the fix stops it).
VOLUMES = (
    (False, "reporting-scratch", "unencrypted, not attached"),
    (False, "analytics-tmp", "unencrypted, not attached"),
    (False, "ledger-app-data", "unencrypted, attached to a running instance (stopped during the fix)"),
    (True, "ledger-db-data", "encrypted with the AWS managed key"),
)
ATTACHED = "ledger-app-data"


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    ec2 = boto3.client("ec2", region_name=region)
    kind = resource_types.get(control.resource_type)
    zone = f"{region}a"
    seeded = []
    for encrypted, name, note in VOLUMES:
        volume = ec2.create_volume(
            AvailabilityZone=zone,
            Size=20,
            VolumeType="gp3",
            Encrypted=encrypted,
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}],
        )
        volume_id = volume["VolumeId"]
        if name == ATTACHED:
            attach_to_a_running_instance(ec2, volume_id, zone)
        seeded.append(
            SeededResource(
                control.id,
                kind.config_type,
                volume_id,
                kind.to_arn(volume_id, region=region, account=account),
                not encrypted,
                f"{name}: {note}",
            )
        )
    return seeded
