"""Runbook disable_rds_instance_public_access: fixes, is idempotent, leaves private instances alone."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.rds_db_instance.simulation import create_postgres
from ssm_documents.disable_rds_instance_public_access import script
from tests.conftest import REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "disable_rds_instance_public_access" / "events" / "disable_public_access.json"
)


def _public(identifier: str) -> bool:
    rds = boto3.client("rds")
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["PubliclyAccessible"]


@pytest.fixture
def instances(aws):
    """A public and a private instance (moto's DbiResourceIds made unique, as AWS's are): {identifier: id}."""
    made = [
        create_postgres(REGION, "customer-portal-db", PubliclyAccessible=True),
        create_postgres(REGION, "ledger-db", PubliclyAccessible=False),
    ]
    return {i["DBInstanceIdentifier"]: i["DbiResourceId"] for i in made}


def _event(resource_id: str, **extra: object) -> dict:
    return {**EVENT, "DbiResourceId": resource_id, **extra}


def test_makes_the_public_instance_private_and_records_the_previous_setting(instances, api_calls):
    result = script.disable_public_access(_event(instances["customer-portal-db"]), None)

    assert api_calls.mutating == ["ModifyDBInstance"]
    modify = next(c for c in api_calls.calls if c.operation == "ModifyDBInstance")
    assert (modify.params["PubliclyAccessible"], modify.params["ApplyImmediately"]) == ("false", "true")
    api_calls.assert_within(script.IAM_ACTIONS)
    assert _public("customer-portal-db") is False
    assert _public("ledger-db") is False
    assert (result["Changed"], result["DBInstanceIdentifier"]) == (True, "customer-portal-db")
    assert result["PreviousState"] == {"PubliclyAccessible": True}
    assert result["CurrentState"] == result["PlannedState"] == {"PubliclyAccessible": False}


def test_only_the_named_instance_changes(instances, api_calls):
    create_postgres(REGION, "reporting-db", PubliclyAccessible=True)

    script.disable_public_access(_event(instances["customer-portal-db"]), None)

    assert _public("reporting-db") is True


def test_second_run_makes_no_mutating_call(instances, api_calls):
    script.disable_public_access(_event(instances["customer-portal-db"]), None)
    api_calls.clear()

    result = script.disable_public_access(_event(instances["customer-portal-db"]), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_private_instance_is_left_alone(instances, api_calls):
    result = script.disable_public_access(_event(instances["ledger-db"]), None)

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == {"PubliclyAccessible": False}
    assert result["Message"] == "DB instance ledger-db was not publicly accessible; nothing changed."
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(instances, api_calls):
    api_calls.fail("ModifyDBInstance", code="InvalidDBInstanceState", status=400)

    with pytest.raises(ClientError, match="InvalidDBInstanceState"):
        script.disable_public_access(_event(instances["customer-portal-db"]), None)

    assert _public("customer-portal-db") is True


def test_missing_instance_fails_without_any_change(aws, api_calls):
    with pytest.raises(ValueError, match="No DB instance with DbiResourceId db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        script.disable_public_access(dict(EVENT), None)
    assert api_calls.mutating == []


def test_a_resource_id_naming_two_instances_is_refused(aws, api_calls):
    """moto's own DbiResourceIds are all the same; AWS's are unique, so two matches are refused, not guessed."""
    boto3.client("rds").create_db_instance(
        DBInstanceIdentifier="one", Engine="postgres", DBInstanceClass="db.t3.micro", PubliclyAccessible=True
    )
    twin = boto3.client("rds").create_db_instance(
        DBInstanceIdentifier="two", Engine="postgres", DBInstanceClass="db.t3.micro", PubliclyAccessible=True
    )["DBInstance"]["DbiResourceId"]
    api_calls.clear()

    with pytest.raises(ValueError, match="more than one DB instance"):
        script.disable_public_access(_event(twin), None)
    assert api_calls.mutating == []


@pytest.mark.parametrize("resource_id", [None, "", "ledger-db", "db-lowercase", "arn:aws:rds:us-east-1:1:db:x"])
def test_a_malformed_resource_id_is_refused_before_any_call(aws, api_calls, resource_id):
    with pytest.raises(ValueError, match="DbiResourceId must be"):
        script.disable_public_access(_event(resource_id), None)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(instances, api_calls):
    result = script.disable_public_access(_event(instances["customer-portal-db"], DryRun=True), None)

    assert api_calls.mutating == []
    assert _public("customer-portal-db") is True
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"PubliclyAccessible": True}
    assert result["PlannedState"] == {"PubliclyAccessible": False}
    assert result["Message"] == (
        "Dry run: would set PubliclyAccessible to false on DB instance customer-portal-db; nothing changed."
    )
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.disable_public_access({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
