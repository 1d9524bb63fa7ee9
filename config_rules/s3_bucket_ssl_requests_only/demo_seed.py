"""Demo seed: the demo buckets, judged for a bucket policy denying requests without TLS."""

from __future__ import annotations

from catalogue import Control
from simulation.seeds import SeededResource
from simulation.seeds._support import seed_demo_buckets

NOTES = {
    "payments-ledger-exports": (True, "no bucket policy: S3 accepts plain HTTP requests"),
    "marketing-static-site": (True, "no bucket policy; a website bucket (its website endpoint serves HTTP only)"),
    "audit-archive-eu": (False, "bucket policy denies s3:* when aws:SecureTransport is false"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    return seed_demo_buckets(control, account, region, NOTES)
