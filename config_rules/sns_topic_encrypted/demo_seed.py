"""Demo seed: topics without a KMS key and one encrypted with the AWS managed key."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.sns_topic.simulation import create_topic
from simulation.seeds import SeededResource

# Topic name -> (KMS key or None, note)
TOPICS = {
    "payment-notifications": (None, "no KMS key: messages stored unencrypted"),
    "claims-status": (None, "no KMS key"),
    "customer-alerts": ("alias/aws/sns", "encrypted with the AWS managed key alias/aws/sns"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    seeded = []
    for name, (key, note) in TOPICS.items():
        arn = create_topic(region, name, key)
        seeded.append(
            SeededResource(control.id, kind.config_type, arn, kind.to_arn(arn), key is None, f"{name}: {note}")
        )
    return seeded
