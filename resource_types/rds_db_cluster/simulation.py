"""RDS DB clusters in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.simulation import lower_camel


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's DB clusters (resource id: the DbClusterResourceId, name: the identifier), DescribeDBClusters'
    shape in lowerCamelCase (as AWS Config records it: dBClusterIdentifier, dbClusterResourceId, deletionProtection),
    with tags."""
    rds = boto3.client("rds", region_name=region)
    items = []
    for page in rds.get_paginator("describe_db_clusters").paginate():
        for cluster in page["DBClusters"]:
            items.append(
                {
                    "resourceId": cluster["DbClusterResourceId"],
                    "resourceName": cluster["DBClusterIdentifier"],
                    "ARN": cluster["DBClusterArn"],
                    "awsRegion": region,
                    "availabilityZone": "Multiple Availability Zones",
                    "configuration": lower_camel(cluster),
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in cluster.get("TagList", [])},
                }
            )
    return items


def create_aurora_postgres(region: str, identifier: str, **settings: object) -> dict:
    """An Aurora PostgreSQL DB cluster (no instances: the setting under test is the cluster's); `settings` go to
    CreateDBCluster (DeletionProtection...)."""
    return boto3.client("rds", region_name=region).create_db_cluster(
        DBClusterIdentifier=identifier,
        Engine="aurora-postgresql",
        MasterUsername="dbadmin",
        MasterUserPassword="demo-only-not-a-secret",
        **settings,
    )["DBCluster"]


def stale_key(account: str, region: str) -> None:
    """None: the bridge's lookup (rds:DescribeDBClusters) refuses a missing cluster before any run starts."""
    return None
