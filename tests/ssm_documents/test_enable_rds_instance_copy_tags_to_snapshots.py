"""Runbook enable_rds_instance_copy_tags_to_snapshots: fixes, is idempotent, leaves compliant instances alone."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.rds_db_instance.simulation import create_postgres
from ssm_documents.enable_rds_instance_copy_tags_to_snapshots import script
from tests.conftest import REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT
    / "ssm_documents"
    / "enable_rds_instance_copy_tags_to_snapshots"
    / "events"
    / "enable_copy_tags_to_snapshots.json"
)
SETTING = script.SETTING  # the DescribeDBInstances flag
CREATE = "CopyTagsToSnapshot"  # the CreateDBInstance / ModifyDBInstance parameter setting it
WORDS = "copying tags to snapshots"
RUN = script.enable_copy_tags_to_snapshots


def _flag(identifier: str) -> bool:
    return boto3.client("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0][SETTING]


def _state(on: bool, pending: bool = False) -> dict:
    return {SETTING: on, "PendingForMaintenanceWindow": pending}


@pytest.fixture
def instances(aws):
    """An instance with the setting off and one with it on (moto's DbiResourceIds made unique, as AWS's are)."""
    made = [
        create_postgres(REGION, "settlement-db", **{CREATE: False}),
        create_postgres(REGION, "ledger-db", **{CREATE: True}),
    ]
    return {i["DBInstanceIdentifier"]: i["DbiResourceId"] for i in made}


def _event(resource_id: str, **extra: object) -> dict:
    return {**EVENT, "DbiResourceId": resource_id, **extra}


def _described(resource_id: str, **changes: object) -> dict:
    """DescribeDBInstances' answer for the instance, with `changes` (what moto cannot show) applied."""
    rds = boto3.client("rds")
    found = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [resource_id]}])["DBInstances"]
    return {"DBInstances": [{**found[0], **changes}]}


def test_turns_the_setting_on_and_records_the_previous_one(instances, api_calls):
    result = RUN(_event(instances["settlement-db"]), None)

    assert api_calls.mutating == ["ModifyDBInstance"]
    modify = next(c for c in api_calls.calls if c.operation == "ModifyDBInstance")
    assert (modify.params[CREATE], modify.params["ApplyImmediately"]) == ("true", "true")
    api_calls.assert_within(script.IAM_ACTIONS)
    assert _flag("settlement-db") is True
    assert (result["Changed"], result["DBInstanceIdentifier"]) == (True, "settlement-db")
    assert result["PreviousState"] == _state(False)
    assert result["CurrentState"] == result["PlannedState"] == _state(True)


def test_snapshots_taken_afterwards_carry_the_instance_tags(instances, api_calls):
    """What the setting is for: a snapshot made after the fix gets the instance's tags."""
    rds = boto3.client("rds")
    arn = rds.describe_db_instances(DBInstanceIdentifier="settlement-db")["DBInstances"][0]["DBInstanceArn"]
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "classification", "Value": "confidential"}])

    RUN(_event(instances["settlement-db"]), None)
    snapshot = rds.create_db_snapshot(DBInstanceIdentifier="settlement-db", DBSnapshotIdentifier="after-fix")

    tags = rds.list_tags_for_resource(ResourceName=snapshot["DBSnapshot"]["DBSnapshotArn"])["TagList"]
    assert {"Key": "classification", "Value": "confidential"} in tags


def test_only_the_named_instance_changes(instances, api_calls):
    create_postgres(REGION, "reporting-db", **{CREATE: False})

    RUN(_event(instances["settlement-db"]), None)

    assert _flag("reporting-db") is False


def test_second_run_makes_no_mutating_call(instances, api_calls):
    RUN(_event(instances["settlement-db"]), None)
    api_calls.clear()

    result = RUN(_event(instances["settlement-db"]), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_compliant_instance_is_left_alone(instances, api_calls):
    result = RUN(_event(instances["ledger-db"]), None)

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == _state(True)
    assert result["Message"] == f"DB instance ledger-db had {WORDS} enabled; nothing changed."
    assert api_calls.mutating == []


def test_pending_modifications_are_not_pulled_forward(instances, api_calls):
    """ApplyImmediately would also apply a pending instance class change (a reboot): the runbook leaves it false.
    moto never reports pending modifications (it applies every change at once): the answer is AWS's shape."""
    resource_id = instances["settlement-db"]
    api_calls.respond("DescribeDBInstances", _described(resource_id, PendingModifiedValues={"DBInstanceClass": "x"}))

    result = RUN(_event(resource_id), None)

    modify = next(c for c in api_calls.calls if c.operation == "ModifyDBInstance")
    assert (modify.params[CREATE], modify.params["ApplyImmediately"]) == ("true", "false")
    assert result["Changed"] is True
    assert result["Message"].startswith(f"Enabled {WORDS} on DB instance settlement-db (now).")


def test_a_db_cluster_member_is_refused_the_cluster_holds_the_setting(instances, api_calls):
    resource_id = instances["settlement-db"]
    api_calls.respond(
        "DescribeDBInstances", _described(resource_id, Engine="aurora-postgresql", DBClusterIdentifier="ledger")
    )

    with pytest.raises(ValueError, match=r"is set on its DB cluster \(ledger\); nothing changed"):
        RUN(_event(resource_id), None)
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(instances, api_calls):
    api_calls.fail("ModifyDBInstance", code="InvalidDBInstanceState", status=400)

    with pytest.raises(ClientError, match="InvalidDBInstanceState"):
        RUN(_event(instances["settlement-db"]), None)

    assert _flag("settlement-db") is False


def test_missing_instance_fails_without_any_change(aws, api_calls):
    with pytest.raises(ValueError, match="No DB instance with DbiResourceId db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        RUN(dict(EVENT), None)
    assert api_calls.mutating == []


def test_a_resource_id_naming_two_instances_is_refused(aws, api_calls):
    """moto's own DbiResourceIds are all the same; AWS's are unique, so two matches are refused, not guessed."""
    rds = boto3.client("rds")
    rds.create_db_instance(DBInstanceIdentifier="one", Engine="postgres", DBInstanceClass="db.t3.micro")
    twin = rds.create_db_instance(DBInstanceIdentifier="two", Engine="postgres", DBInstanceClass="db.t3.micro")
    api_calls.clear()

    with pytest.raises(ValueError, match="more than one DB instance"):
        RUN(_event(twin["DBInstance"]["DbiResourceId"]), None)
    assert api_calls.mutating == []


@pytest.mark.parametrize("resource_id", [None, "", "ledger-db", "db-lowercase", "arn:aws:rds:us-east-1:1:db:x"])
def test_a_malformed_resource_id_is_refused_before_any_call(aws, api_calls, resource_id):
    with pytest.raises(ValueError, match="DbiResourceId must be"):
        RUN(_event(resource_id), None)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(instances, api_calls):
    result = RUN(_event(instances["settlement-db"], DryRun=True), None)

    assert api_calls.mutating == []
    assert _flag("settlement-db") is False
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == _state(False)
    assert result["PlannedState"] == _state(True)
    assert result["Message"] == f"Dry run: would enable {WORDS} on DB instance settlement-db (now); nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        RUN({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
