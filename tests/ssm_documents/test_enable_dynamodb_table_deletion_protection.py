"""Runbook enable_dynamodb_table_deletion_protection: fixes, is idempotent, leaves a compliant table alone."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.dynamodb_table.simulation import create_table
from ssm_documents.enable_dynamodb_table_deletion_protection import script
from tests.conftest import REGION, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "enable_dynamodb_table_deletion_protection"
EVENT = load_example(RUNBOOK / "events" / "enable_deletion_protection.json")
TABLE = EVENT["TableName"]


@pytest.fixture
def dynamodb(aws):
    return boto3.client("dynamodb")


def _table(dynamodb, protected: bool, name: str = TABLE) -> None:
    create_table(REGION, name, False)
    dynamodb.update_table(TableName=name, DeletionProtectionEnabled=protected)


def _run(**extra: object) -> dict:
    return script.enable_deletion_protection({**EVENT, **extra}, None)


def _protected(dynamodb, name: str = TABLE) -> bool:
    return dynamodb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"]


def test_turns_deletion_protection_on_and_records_the_previous_setting(dynamodb, api_calls):
    _table(dynamodb, False)
    api_calls.clear()

    result = _run()

    assert _protected(dynamodb) is True
    assert result["Changed"] is True
    assert result["PreviousState"] == {"DeletionProtectionEnabled": False}
    assert result["CurrentState"] == result["PlannedState"] == {"DeletionProtectionEnabled": True}
    assert api_calls.mutating == ["UpdateTable"]
    api_calls.assert_within(script.IAM_ACTIONS)
    with pytest.raises(ClientError):  # what the protection is for
        dynamodb.delete_table(TableName=TABLE)


def test_only_the_named_table_changes(dynamodb, api_calls):
    _table(dynamodb, False)
    _table(dynamodb, False, "customer-sessions")

    _run()

    assert _protected(dynamodb, "customer-sessions") is False


def test_second_run_makes_no_mutating_call(dynamodb, api_calls):
    _table(dynamodb, False)
    _run()
    api_calls.clear()

    result = _run()

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_compliant_table_is_left_alone(dynamodb, api_calls):
    _table(dynamodb, True)
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == {"DeletionProtectionEnabled": True}
    assert result["Message"] == f"Deletion protection of table {TABLE} was already on; nothing changed."
    assert api_calls.operations == ["DescribeTable"]


def test_aws_error_fails_the_step_and_changes_nothing(dynamodb, api_calls):
    _table(dynamodb, False)
    api_calls.fail("UpdateTable", code="ResourceInUseException", status=400)

    with pytest.raises(ClientError, match="ResourceInUseException"):
        _run()
    assert _protected(dynamodb) is False


def test_missing_table_fails_without_any_change(dynamodb, api_calls):
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
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
    _table(dynamodb, False)
    api_calls.clear()

    result = _run(DryRun=True)

    assert api_calls.mutating == []
    assert _protected(dynamodb) is False
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"DeletionProtectionEnabled": False}
    assert result["PlannedState"] == {"DeletionProtectionEnabled": True}
    assert result["Message"] == f"Dry run: would turn on deletion protection of table {TABLE}; nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run(DryRun="yes")
    assert api_calls.operations == []
