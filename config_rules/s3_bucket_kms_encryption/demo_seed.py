"""Demo seed: the demo buckets, judged for default encryption with AWS KMS."""

from __future__ import annotations

from catalogue import Control
from simulation.seeds import SeededResource
from simulation.seeds._support import seed_demo_buckets

NOTES = {
    "payments-ledger-exports": (True, "default encryption SSE-S3 (AES256), not KMS"),
    "marketing-static-site": (True, "no default encryption setting of its own"),
    "audit-archive-eu": (False, "default encryption SSE-KMS with a bucket key"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    return seed_demo_buckets(control, account, region, NOTES)
