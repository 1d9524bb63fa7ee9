"""Demo seed: the demo buckets, judged for versioning."""

from __future__ import annotations

from catalogue import Control
from simulation.seeds import SeededResource
from simulation.seeds._support import seed_demo_buckets

NOTES = {
    "payments-ledger-exports": (True, "never versioned: an overwrite or delete loses the data"),
    "marketing-static-site": (True, "never versioned"),
    "audit-archive-eu": (False, "versioning enabled"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    return seed_demo_buckets(control, account, region, NOTES)
