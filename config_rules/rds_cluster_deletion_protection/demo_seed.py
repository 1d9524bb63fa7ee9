"""Demo seed: Aurora DB clusters, two without deletion protection and one with it."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.rds_db_cluster.simulation import create_aurora_postgres
from simulation.seeds import SeededResource

# Cluster identifier -> (deletion protection at creation, turned off afterwards, note)
CLUSTERS = {
    "claims-ledger": (False, False, "deletion protection never turned on"),
    "payments-core": (True, True, "deletion protection turned off"),
    "policy-archive": (True, False, "deletion protection on"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    """The unprotected clusters are what Prowler's rds_cluster_deletion_protection fails on (it reads
    DescribeDBClusters' DeletionProtection, as the rule does)."""
    kind = resource_types.get(control.resource_type)
    rds = boto3.client("rds", region_name=region)
    seeded = []
    for identifier, (at_creation, turned_off, note) in CLUSTERS.items():
        cluster = create_aurora_postgres(region, identifier, DeletionProtection=at_creation)
        if turned_off:
            rds.modify_db_cluster(DBClusterIdentifier=identifier, DeletionProtection=False)
        protected = at_creation and not turned_off
        arn = kind.to_arn(identifier, region=region, account=account)
        seeded.append(
            SeededResource(
                control.id,
                kind.config_type,
                cluster["DbClusterResourceId"],
                arn,
                not protected,
                f"{identifier}: {note}",
            )
        )
    return seeded
