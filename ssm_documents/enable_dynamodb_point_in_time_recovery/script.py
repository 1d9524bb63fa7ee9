"""Runbook script: turn on point-in-time recovery of a DynamoDB table, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
UpdateContinuousBackups with PointInTimeRecoveryEnabled=true starts continuous backups; the recovery period is
DynamoDB's default, 35 days (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContinuousBackups.html).
It changes neither the table's data nor its availability
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery_Howitworks.html).
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups")
# A table name, never an ARN: the table is then always one of this account and Region.
TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
ENABLED = "ENABLED"


def _table_name(events: dict) -> str:
    name = events.get("TableName")
    if not isinstance(name, str) or not TABLE_NAME.match(name):
        raise ValueError(f"TableName must be a DynamoDB table name of this account and Region, got {name!r}")
    return name


def _state(description: dict) -> dict:
    """{"PointInTimeRecoveryEnabled": bool} from a ContinuousBackupsDescription."""
    status = (description.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
    return {"PointInTimeRecoveryEnabled": status == ENABLED}


def enable_point_in_time_recovery(events: dict, context: object) -> dict:
    """Turn on point-in-time recovery of table `events["TableName"]` unless it already is.

    With DryRun true it reads the same setting and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    name = _table_name(events)
    dynamodb = boto3.client("dynamodb")
    previous = _state(dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"])
    result = {"TableName": name, "DryRun": dry_run, "PreviousState": previous}
    if previous["PointInTimeRecoveryEnabled"]:
        return no_change(result, previous, f"Point-in-time recovery of table {name} was already on; nothing changed.")
    target = {"PointInTimeRecoveryEnabled": True}
    if dry_run:
        message = f"Dry run: would turn on point-in-time recovery of table {name}; nothing changed."
        return would_change(result, previous, target, message)
    answer = dynamodb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    current = _state(answer["ContinuousBackupsDescription"])
    message = (
        f"Turned on point-in-time recovery of table {name}: continuous backups start now (35-day recovery period)."
    )
    return changed(result, target, current, message)
