"""RDS DB snapshots in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.simulation import lower_camel


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's DB snapshots of this account (resource id and name: the snapshot identifier),
    DescribeDBSnapshots' shape in lowerCamelCase, with tags. Who may restore a snapshot is not in this shape: the
    rule reads it with DescribeDBSnapshotAttributes."""
    rds = boto3.client("rds", region_name=region)
    items = []
    for page in rds.get_paginator("describe_db_snapshots").paginate():
        for snapshot in page["DBSnapshots"]:
            items.append(
                {
                    "resourceId": snapshot["DBSnapshotIdentifier"],
                    "resourceName": snapshot["DBSnapshotIdentifier"],
                    "ARN": snapshot["DBSnapshotArn"],
                    "awsRegion": region,
                    "availabilityZone": snapshot.get("AvailabilityZone", "Not Applicable"),
                    "configuration": lower_camel(snapshot),
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in snapshot.get("TagList", [])},
                }
            )
    return items


def snapshot_shared_with(region: str, instance: str, identifier: str, accounts: list[str]) -> dict:
    """A manual DB snapshot of `instance` that `accounts` may restore ("all": anyone, i.e. public)."""
    rds = boto3.client("rds", region_name=region)
    snapshot = rds.create_db_snapshot(DBSnapshotIdentifier=identifier, DBInstanceIdentifier=instance)["DBSnapshot"]
    if accounts:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier=identifier, AttributeName="restore", ValuesToAdd=accounts)
    return snapshot


def stale_key(account: str, region: str) -> str:
    """A snapshot identifier no seed creates: a finding naming it outlives its resource."""
    return "remedy-deleted-snapshot"
