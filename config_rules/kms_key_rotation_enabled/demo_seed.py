"""Demo seed: customer managed symmetric keys, automatic rotation off and on."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.kms_key.simulation import create_key
from simulation.seeds import SeededResource

# (rotation on, description)
KEYS = (
    (False, "payments-ledger data key, rotation never turned on"),
    (False, "customer-documents key, rotation turned off"),
    (True, "audit-archive key, rotated every year"),
)


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kms = boto3.client("kms", region_name=region)
    kind = resource_types.get(control.resource_type)
    seeded = []
    for rotation, description in KEYS:
        key_id = create_key(kms, description, rotation)
        arn = kind.to_arn(key_id, region=region, account=account)
        seeded.append(SeededResource(control.id, kind.config_type, key_id, arn, not rotation, description))
    return seeded
