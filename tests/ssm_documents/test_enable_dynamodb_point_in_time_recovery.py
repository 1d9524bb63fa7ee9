"""Runbook enable_dynamodb_point_in_time_recovery: fixes, is idempotent, leaves a compliant table alone."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.dynamodb_table.simulation import create_table
from ssm_documents.enable_dynamodb_point_in_time_recovery import script
from tests.conftest import REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT
    / "ssm_documents"
    / "enable_dynamodb_point_in_time_recovery"
    / "events"
    / "enable_point_in_time_recovery.json"
)
TABLE = EVENT["TableName"]


@pytest.fixture
def dynamodb(aws):
    return boto3.client("dynamodb")


def _run(**extra: object) -> dict:
    return script.enable_point_in_time_recovery({**EVENT, **extra}, None)


def _pitr(dynamodb) -> str:
    description = dynamodb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    return description["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]


def test_turns_pitr_on_and_records_the_previous_setting(dynamodb, api_calls):
    create_table(REGION, TABLE, False)
    api_calls.clear()

    result = _run()

    assert _pitr(dynamodb) == "ENABLED"
    assert result["Changed"] is True
    assert result["PreviousState"] == {"PointInTimeRecoveryEnabled": False}
    assert result["CurrentState"] == result["PlannedState"] == {"PointInTimeRecoveryEnabled": True}
    assert api_calls.mutating == ["UpdateContinuousBackups"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_second_run_makes_no_mutating_call(dynamodb, api_calls):
    create_table(REGION, TABLE, False)
    _run()
    api_calls.clear()

    result = _run()

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_compliant_table_is_left_alone(dynamodb, api_calls):
    create_table(REGION, TABLE, True)
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == {"PointInTimeRecoveryEnabled": True}
    assert api_calls.operations == ["DescribeContinuousBackups"]


def test_aws_error_fails_the_step_and_changes_nothing(dynamodb, api_calls):
    create_table(REGION, TABLE, False)
    api_calls.fail("UpdateContinuousBackups", code="AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDeniedException"):
        _run()
    assert _pitr(dynamodb) == "DISABLED"


def test_missing_table_fails_without_any_change(dynamodb, api_calls):
    with pytest.raises(ClientError, match="TableNotFoundException"):
        _run()
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    "name", [None, "", "ab", "payments ledger", "arn:aws:dynamodb:us-east-1:210987654321:table/payments-ledger"]
)
def test_anything_but_a_table_name_is_refused_before_any_call(aws, api_calls, name):
    with pytest.raises(ValueError, match="TableName must be a DynamoDB table name"):
        _run(TableName=name)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(dynamodb, api_calls):
    create_table(REGION, TABLE, False)
    api_calls.clear()

    result = _run(DryRun=True)

    assert api_calls.mutating == []
    assert _pitr(dynamodb) == "DISABLED"
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"PointInTimeRecoveryEnabled": False}
    assert result["PlannedState"] == {"PointInTimeRecoveryEnabled": True}
    assert result["Message"] == f"Dry run: would turn on point-in-time recovery of table {TABLE}; nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run(DryRun="yes")
    assert api_calls.operations == []
