"""Runbook script: make one RDS DB instance not publicly accessible, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
Only PubliclyAccessible changes (to false, with ApplyImmediately): no data, subnet or security group is touched.
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("rds:DescribeDBInstances", "rds:ModifyDBInstance")
RESOURCE_ID_PATTERN = re.compile(r"^db-[A-Z0-9]{1,255}$")


def _find_instance(rds: object, resource_id: str) -> dict:
    """The instance whose DbiResourceId is `resource_id`, in this account and Region (the role's own)."""
    found = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [resource_id]}])["DBInstances"]
    if not found:
        raise ValueError(
            f"No DB instance with DbiResourceId {resource_id} in this account and Region; nothing changed."
        )
    if len(found) > 1:  # AWS's DbiResourceIds are unique in a Region: refuse rather than pick one
        names = ", ".join(sorted(i["DBInstanceIdentifier"] for i in found))
        raise ValueError(f"DbiResourceId {resource_id} names more than one DB instance ({names}); nothing changed.")
    return found[0]


def disable_public_access(events: dict, context: object) -> dict:
    """Set PubliclyAccessible false on the DB instance `events["DbiResourceId"]` unless it already is.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    resource_id = events.get("DbiResourceId")
    if not isinstance(resource_id, str) or not RESOURCE_ID_PATTERN.match(resource_id):
        raise ValueError(f"DbiResourceId must be an RDS DbiResourceId (db-...); got {resource_id!r}")
    rds = boto3.client("rds")
    instance = _find_instance(rds, resource_id)
    identifier = instance["DBInstanceIdentifier"]
    previous = {"PubliclyAccessible": instance.get("PubliclyAccessible") is True}
    target = {"PubliclyAccessible": False}
    result = {"DbiResourceId": resource_id, "DBInstanceIdentifier": identifier, "DryRun": dry_run}
    if not previous["PubliclyAccessible"]:
        return {
            **result,
            "WouldChange": False,
            "Changed": False,
            "PreviousState": previous,
            "PlannedState": previous,
            "CurrentState": previous,
            "Message": f"DB instance {identifier} was not publicly accessible; nothing changed.",
        }
    result = {**result, "WouldChange": True, "PreviousState": previous, "PlannedState": target}
    if dry_run:
        message = f"Dry run: would set PubliclyAccessible to false on DB instance {identifier}; nothing changed."
        return {**result, "Changed": False, "CurrentState": previous, "Message": message}
    # ApplyImmediately: not left for the next maintenance window
    # (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html).
    modified = rds.modify_db_instance(DBInstanceIdentifier=identifier, PubliclyAccessible=False, ApplyImmediately=True)
    current = {"PubliclyAccessible": modified["DBInstance"].get("PubliclyAccessible") is True}
    return {
        **result,
        "Changed": True,
        "CurrentState": current,
        "Message": (
            f"Set PubliclyAccessible to false on DB instance {identifier} (applied immediately); clients outside its "
            "VPC can no longer connect. Undo with ModifyDBInstance PubliclyAccessible=true."
        ),
    }
