"""RDS DB cluster deletion protection (FSBP RDS.7): which cluster a DbClusterResourceId names, and whether its
deletion protection is on.

Used by the rule rds_cluster_deletion_protection (when the configuration item does not record the setting) and the
runbook enable_rds_cluster_deletion_protection, so both find the cluster and judge it the same way. Given the RDS
client, so this module stays standard library only.

The cluster is found by listing DescribeDBClusters in the caller's account and Region and matching its
DbClusterResourceId, "the AWS Region-unique, immutable identifier for the DB cluster"
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html): a resource id never reaches a
cluster of another account or Region, and an identifier reused by a new cluster is not mistaken for the old one.
DescribeDBClusters also lists Neptune and DocumentDB clusters, which share the API and the DeletionProtection flag
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusters.html).
"""

import re

RESOURCE_ID_PATTERN = re.compile(r"^cluster-[A-Z0-9]{1,255}$")


def find_cluster(rds: object, resource_id: str) -> dict | None:
    """The DB cluster whose DbClusterResourceId is `resource_id` in this account and Region, or None.

    More than one is refused (AWS's ids are unique in a Region): nothing is acted on by guess."""
    found = [
        cluster
        for page in rds.get_paginator("describe_db_clusters").paginate()
        for cluster in page.get("DBClusters") or []
        if cluster.get("DbClusterResourceId") == resource_id
    ]
    if len(found) > 1:
        names = ", ".join(sorted(str(c.get("DBClusterIdentifier")) for c in found))
        raise ValueError(f"DbClusterResourceId {resource_id} names more than one DB cluster ({names}).")
    return found[0] if found else None


def is_protected(cluster: dict) -> bool:
    """Whether DeletionProtection is on (absent counts as off, RDS's default, as Prowler reads it)."""
    return cluster.get("DeletionProtection") is True
