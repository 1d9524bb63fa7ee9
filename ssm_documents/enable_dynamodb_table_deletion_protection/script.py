"""Runbook script: turn on deletion protection of a DynamoDB table (FSBP DynamoDB.6), recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
UpdateTable with DeletionProtectionEnabled=true changes nothing else of the table
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html): reads and writes go on as
before, and only DeleteTable fails until someone turns the protection off
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection).
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("dynamodb:DescribeTable", "dynamodb:UpdateTable")
# A table name, never an ARN: the table is then always one of this account and Region.
TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


def _table_name(events: dict) -> str:
    name = events.get("TableName")
    if not isinstance(name, str) or not TABLE_NAME.match(name):
        raise ValueError(f"TableName must be a DynamoDB table name of this account and Region, got {name!r}")
    return name


def _state(table: dict) -> dict:
    """{"DeletionProtectionEnabled": bool} from a TableDescription (absent: off, DynamoDB's default)."""
    return {"DeletionProtectionEnabled": table.get("DeletionProtectionEnabled") is True}


def enable_deletion_protection(events: dict, context: object) -> dict:
    """Turn on deletion protection of table `events["TableName"]` unless it already is.

    With DryRun true it reads the same setting and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    name = _table_name(events)
    dynamodb = boto3.client("dynamodb")
    previous = _state(dynamodb.describe_table(TableName=name)["Table"])
    result = {"TableName": name, "DryRun": dry_run, "PreviousState": previous}
    if previous["DeletionProtectionEnabled"]:
        return no_change(result, previous, f"Deletion protection of table {name} was already on; nothing changed.")
    target = {"DeletionProtectionEnabled": True}
    if dry_run:
        message = f"Dry run: would turn on deletion protection of table {name}; nothing changed."
        return would_change(result, previous, target, message)
    current = _state(dynamodb.update_table(TableName=name, DeletionProtectionEnabled=True)["TableDescription"])
    message = (
        f"Turned on deletion protection of table {name}: DeleteTable now fails until it is turned off "
        "(UpdateTable DeletionProtectionEnabled=false)."
    )
    return changed(result, target, current, message)
