"""Demo seed: queues without encryption at rest, with SQS managed keys, and with a KMS key."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.sqs_queue import queue_url
from resource_types.sqs_queue.simulation import create_queue
from simulation.seeds import SeededResource

# Queue name -> (encryption, note)
QUEUES = {
    "payment-events": ("none", "SQS managed encryption (SSE-SQS) turned off, no KMS key"),
    "claims-intake": ("none", "created without encryption at rest"),
    "statement-requests": ("sse-sqs", "SQS managed encryption (SSE-SQS)"),
    "fraud-alerts": ("kms", "SSE-KMS with the AWS managed key alias/aws/sqs"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    seeded = []
    for name, (encryption, note) in QUEUES.items():
        create_queue(region, name, encryption)
        url = queue_url("aws", region, account, name)  # as AWS Config records it, whatever endpoint served
        non_compliant = encryption == "none"
        seeded.append(
            SeededResource(control.id, kind.config_type, url, kind.to_arn(url), non_compliant, f"{name}: {note}")
        )
    return seeded
