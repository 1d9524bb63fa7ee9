"""Demo seed: manual DB snapshots of one instance, public, shared with one named account, and private."""

from __future__ import annotations

import resource_types
from catalogue import Control
from resource_types.rds_db_instance.simulation import create_postgres
from resource_types.rds_db_snapshot.simulation import snapshot_shared_with
from simulation.seeds import SeededResource

INSTANCE = "claims-archive-db"
# Snapshot identifier -> (who may restore it, note); "all" makes it public.
SNAPSHOTS = {
    "claims-archive-public-export": (["all"], "restorable by any AWS account"),
    "claims-archive-dr-copy": (["111122223333"], "shared with one named account (disaster recovery) only"),
    "claims-archive-nightly": ([], "not shared"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    kind = resource_types.get(control.resource_type)
    create_postgres(region, INSTANCE, in_process, PubliclyAccessible=False)
    seeded = []
    for identifier, (accounts, note) in SNAPSHOTS.items():
        snapshot = snapshot_shared_with(region, INSTANCE, identifier, accounts)
        seeded.append(
            SeededResource(
                control.id,
                kind.config_type,
                snapshot["DBSnapshotIdentifier"],
                kind.to_arn(snapshot["DBSnapshotIdentifier"], region=region, account=account),
                "all" in accounts,
                f"{identifier}: {note}",
            )
        )
    return seeded
