"""Runbook script: end public access to one RDS DB snapshot, keeping its sharing with named accounts.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
Only "all" leaves the snapshot's restore attribute (ModifyDBSnapshotAttribute ValuesToRemove); the snapshot and the
accounts it is shared with stay as they are.
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("rds:DescribeDBSnapshotAttributes", "rds:ModifyDBSnapshotAttribute")
IDENTIFIER_PATTERN = re.compile(r"^(?:(?:rds|awsbackup):)?[A-Za-z](?:-?[A-Za-z0-9]){0,254}$")
# "all" in the restore attribute: "any Amazon Web Services account" may copy or restore the manual DB snapshot
# (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html).
RESTORE, PUBLIC = "restore", "all"


def _restore_values(result: dict) -> list[str]:
    """The restore attribute's values in a DBSnapshotAttributesResult, sorted."""
    attributes = result["DBSnapshotAttributesResult"].get("DBSnapshotAttributes") or []
    return sorted(v for a in attributes if a.get("AttributeName") == RESTORE for v in a.get("AttributeValues") or [])


def remove_public_restore(events: dict, context: object) -> dict:
    """Remove "all" from the restore attribute of DB snapshot `events["DBSnapshotIdentifier"]` unless absent.

    The identifier names a snapshot of this account and Region only (an ARN, which could name another account's
    shared snapshot, is refused). With DryRun true it makes the same checks and returns the plan (PlannedState)
    without changing anything.
    """
    dry_run = _dry_run(events)
    identifier = events.get("DBSnapshotIdentifier")
    if not isinstance(identifier, str) or not IDENTIFIER_PATTERN.match(identifier):
        raise ValueError(f"DBSnapshotIdentifier must be a DB snapshot identifier; got {identifier!r}")
    rds = boto3.client("rds")
    before = _restore_values(rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=identifier))
    previous = {"RestoreAllowedFor": before}
    planned = {"RestoreAllowedFor": [value for value in before if value != PUBLIC]}
    result = {"DBSnapshotIdentifier": identifier, "DryRun": dry_run, "PreviousState": previous}
    if PUBLIC not in before:
        return no_change(result, previous, f"DB snapshot {identifier} was not public; nothing changed.")
    kept = ", ".join(planned["RestoreAllowedFor"]) or "none"
    if dry_run:
        message = (
            f"Dry run: would end public access to DB snapshot {identifier} (accounts kept: {kept}); nothing changed."
        )
        return would_change(result, previous, planned, message)
    after = rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier=identifier, AttributeName=RESTORE, ValuesToRemove=[PUBLIC]
    )
    current = {"RestoreAllowedFor": _restore_values(after)}
    message = f"Ended public access to DB snapshot {identifier}; accounts it stays shared with: {kept}."
    return changed(result, planned, current, message)
