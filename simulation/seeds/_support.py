"""What the seed modules share: the demo buckets' seeds, one SeededResource per bucket with the control's note."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.s3_bucket.simulation import bucket_name, demo_buckets
from simulation.seeds import SeededResource


def seed_demo_buckets(
    control: Control, account: str, region: str, notes: dict[str, tuple[bool, str]]
) -> list[SeededResource]:
    """Create the demo buckets (once) and return them as `notes` says: base name -> (non-compliant, note)."""
    demo_buckets(account, region)
    kind = resource_types.get(control.resource_type)
    seeded = []
    for base, (non_compliant, note) in notes.items():
        name = bucket_name(base, account, region)
        seeded.append(SeededResource(control.id, kind.config_type, name, kind.to_arn(name), non_compliant, note))
    return seeded
