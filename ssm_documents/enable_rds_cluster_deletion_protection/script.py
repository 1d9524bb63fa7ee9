"""Runbook script: turn on deletion protection of one RDS DB cluster (FSBP RDS.7), recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module. The cluster is named by its
DbClusterResourceId (AWS Config's resource id), never by an ARN, and found among this account's and Region's clusters
(compliance/rds_cluster_deletion_protection.py): a cluster of another account or Region is never reached.

ModifyDBCluster with DeletionProtection=true changes nothing else: "Some modifications, such as turning on deletion
protection ..., are applied immediately—regardless of when you choose to apply them"
(ApplyImmediately in https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html). So the
call leaves ApplyImmediately at its default (false): modifications someone left pending for the maintenance window
stay there. What then fails is DeleteDBCluster, until someone turns the protection off; the cluster's DB instances
can still be deleted one by one ("DB instances in a DB cluster can be deleted even when deletion protection is
enabled for the DB cluster", DeletionProtection in
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html). Every kind of DB cluster holds
the flag itself: Aurora (provisioned or Serverless), Multi-AZ DB clusters, and each member cluster of a global
database in its own Region (the global database's own DeletionProtection, ModifyGlobalCluster, is another resource).
"""

import boto3
from compliance.rds_cluster_deletion_protection import RESOURCE_ID_PATTERN, find_cluster, is_protected

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("rds:DescribeDBClusters", "rds:ModifyDBCluster")


def _resource_id(events: dict) -> str:
    resource_id = events.get("DbClusterResourceId")
    if not isinstance(resource_id, str) or not RESOURCE_ID_PATTERN.match(resource_id):
        raise ValueError(
            f"DbClusterResourceId must be the resource id (cluster-...) of a DB cluster of this account and Region, "
            f"got {resource_id!r}"
        )
    return resource_id


def enable_deletion_protection(events: dict, context: object) -> dict:
    """Turn on deletion protection of the cluster `events["DbClusterResourceId"]` unless it already is.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    resource_id = _resource_id(events)
    rds = boto3.client("rds")
    cluster = find_cluster(rds, resource_id)
    if cluster is None:
        raise ValueError(
            f"No DB cluster with DbClusterResourceId {resource_id} in this account and Region; nothing changed."
        )
    identifier = cluster["DBClusterIdentifier"]
    previous = {"DeletionProtection": is_protected(cluster)}
    result = {
        "DbClusterResourceId": resource_id,
        "DBClusterIdentifier": identifier,
        "DryRun": dry_run,
        "PreviousState": previous,
    }
    if previous["DeletionProtection"]:
        return no_change(
            result, previous, f"Deletion protection of DB cluster {identifier} was already on; nothing changed."
        )
    target = {"DeletionProtection": True}
    if dry_run:
        message = f"Dry run: would turn on deletion protection of DB cluster {identifier}; nothing changed."
        return would_change(result, previous, target, message)
    modified = rds.modify_db_cluster(DBClusterIdentifier=identifier, DeletionProtection=True)["DBCluster"]
    current = {"DeletionProtection": is_protected(modified)}
    message = (
        f"Turned on deletion protection of DB cluster {identifier}: DeleteDBCluster now fails until it is turned off "
        "(ModifyDBCluster DeletionProtection=false)."
    )
    return changed(result, target, current, message)
