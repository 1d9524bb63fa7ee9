"""Demo seed: private repositories, two whose image tags can be overwritten and one whose tags are immutable."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.ecr_repository.simulation import create_repository
from simulation.seeds import SeededResource

# Repository name -> (image tag mutability, note). Each scans on push, so only its tags are in question.
REPOSITORIES = {
    "ledger-service": ("MUTABLE", "tags can be overwritten (CreateRepository's default)"),
    "risk/model-runner": ("MUTABLE", "tags can be overwritten in a namespaced repository"),
    "core-banking-api": ("IMMUTABLE", "every tag is immutable"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    seeded = []
    for name, (mutability, note) in REPOSITORIES.items():
        create_repository(region, name, scan_on_push=True, tag_mutability=mutability)
        arn = kind.to_arn(name, region=region, account=account)
        non_compliant = mutability != "IMMUTABLE"
        seeded.append(SeededResource(control.id, kind.config_type, name, arn, non_compliant, f"{name}: {note}"))
    return seeded
