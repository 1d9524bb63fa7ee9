"""Demo seed: internal Application Load Balancers in the default VPC, two routing invalid header fields to their
targets (AWS's default, and explicitly false) and one dropping them."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.elbv2_load_balancer.simulation import create_load_balancer
from simulation.seeds import SeededResource

# Load balancer name -> (drop_invalid_header_fields as set or None for AWS's default, note)
LOAD_BALANCERS = {
    "payments-api": (None, "routes invalid header fields to its targets (AWS's default)"),
    "claims-portal": (False, "drop_invalid_header_fields explicitly false"),
    "customer-web": (True, "drops invalid header fields"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    seeded = []
    for name, (drop, note) in LOAD_BALANCERS.items():
        arn = create_load_balancer(region, name, drop_invalid=drop)
        seeded.append(
            SeededResource(control.id, kind.config_type, arn, kind.to_arn(arn), drop is not True, f"{name}: {note}")
        )
    return seeded
