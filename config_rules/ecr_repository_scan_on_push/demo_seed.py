"""Demo seed: private repositories, two that do not scan images on push and one that does."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.ecr_repository.simulation import create_repository
from simulation.seeds import SeededResource

# Repository name -> (scan on push, note)
REPOSITORIES = {
    "payments-api": (False, "scan on push never turned on"),
    "claims/batch-worker": (False, "scan on push off in a namespaced repository"),
    "customer-portal": (True, "scans images on push"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    seeded = []
    for name, (scan_on_push, note) in REPOSITORIES.items():
        create_repository(region, name, scan_on_push)
        arn = kind.to_arn(name, region=region, account=account)
        seeded.append(SeededResource(control.id, kind.config_type, name, arn, not scan_on_push, f"{name}: {note}"))
    return seeded
