"""Demo seed: EBS encryption by default off in the Region (AWS's default for an account)."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from simulation.seeds import SeededResource


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    boto3.client("ec2", region_name=region).disable_ebs_encryption_by_default()
    kind = resource_types.get(control.resource_type)
    return [
        SeededResource(
            control.id,
            kind.config_type,
            account,
            kind.to_arn(account, region=region),
            True,
            f"EBS encryption by default off in {region}: new volumes may be created unencrypted",
        )
    ]
