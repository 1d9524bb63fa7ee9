"""Demo seed: on-demand tables, two without point-in-time recovery and one with it."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.dynamodb_table.simulation import create_table
from simulation.seeds import SeededResource

# Table name -> (point-in-time recovery on, note)
TABLES = {
    "payments-ledger": (False, "point-in-time recovery never turned on"),
    "customer-sessions": (False, "point-in-time recovery turned off"),
    "claims-register": (True, "point-in-time recovery on (35-day recovery period)"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    seeded = []
    for name, (pitr, note) in TABLES.items():
        create_table(region, name, pitr)
        arn = kind.to_arn(name, region=region, account=account)
        seeded.append(SeededResource(control.id, kind.config_type, name, arn, not pitr, f"{name}: {note}"))
    return seeded
