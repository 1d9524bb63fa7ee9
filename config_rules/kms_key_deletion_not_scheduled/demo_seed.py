"""Demo seed: customer managed keys, one scheduled for deletion, one in use."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.kms_key.simulation import create_key
from simulation.seeds import SeededResource

# (deletion scheduled, description)
KEYS = (
    (True, "claims-archive key, deletion scheduled by a clean-up script"),
    (False, "policy-documents key, in use"),
)


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kms = boto3.client("kms", region_name=region)
    kind = resource_types.get(control.resource_type)
    seeded = []
    for scheduled, description in KEYS:
        key_id = create_key(kms, description, rotation=True)
        if scheduled:
            # The shortest waiting period AWS KMS allows (7 to 30 days).
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        arn = kind.to_arn(key_id, region=region, account=account)
        seeded.append(SeededResource(control.id, kind.config_type, key_id, arn, scheduled, description))
    return seeded
