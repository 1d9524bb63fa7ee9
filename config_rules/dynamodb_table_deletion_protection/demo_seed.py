"""Demo seed: on-demand tables (point-in-time recovery on), two without deletion protection and one with it."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.dynamodb_table.simulation import create_table
from simulation.seeds import SeededResource

# Table name -> (deletion protection on, note)
TABLES = {
    "trade-blotter": (False, "deletion protection never turned on"),
    "policy-holders": (False, "deletion protection turned off"),
    "premium-schedule": (True, "deletion protection on"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    """The unprotected tables are what Prowler's dynamodb_table_deletion_protection_enabled fails on (it reads
    DescribeTable's DeletionProtectionEnabled, as the rule does)."""
    kind = resource_types.get(control.resource_type)
    dynamodb = boto3.client("dynamodb", region_name=region)
    seeded = []
    for name, (protected, note) in TABLES.items():
        create_table(region, name, True)
        dynamodb.update_table(TableName=name, DeletionProtectionEnabled=protected)
        arn = kind.to_arn(name, region=region, account=account)
        seeded.append(SeededResource(control.id, kind.config_type, name, arn, not protected, f"{name}: {note}"))
    return seeded
