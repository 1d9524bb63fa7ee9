"""Demo seed: the demo buckets, judged for bucket-level Block Public Access."""

from __future__ import annotations

from catalogue import Control
from simulation.seeds import SeededResource
from simulation.seeds._support import seed_demo_buckets

NOTES = {
    "payments-ledger-exports": (True, "no bucket-level Block Public Access"),
    "marketing-static-site": (True, "Block Public Access for ACLs only, not for policies"),
    "audit-archive-eu": (False, "all four Block Public Access settings on"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    return seed_demo_buckets(control, account, region, NOTES)
