"""The tests every runbook that turns one RDS DB instance setting on passes (deletion protection, automatic minor
version upgrades, IAM authentication, copying tags to snapshots): each runbook's own test module subclasses
SettingRunbookTests with its RUNBOOK and adds the tests of what is its own (DB cluster members, pending changes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.rds_db_instance.simulation import create_postgres
from tests.conftest import REGION


@dataclass(frozen=True)
class SettingRunbook:
    """One runbook's script and words."""

    run: Callable[[dict, object], dict]  # the script's handler
    event: dict  # the runbook's example event (events/*.json)
    setting: str  # the DescribeDBInstances flag
    create: str  # the CreateDBInstance / ModifyDBInstance parameter setting it
    words: str  # how its messages name the setting
    iam_actions: tuple[str, ...]  # the script's IAM_ACTIONS
    # When a DB instance class change is pending: whether the change waits for it (the message's words).
    with_other_changes_pending: str = "(now)"
    # Whether an Aurora DB cluster holds the setting for its members (the runbook refuses a member), or each
    # member holds its own (the runbook fixes it).
    held_by_aurora_cluster: bool = True

    def flag(self, identifier: str) -> bool:
        """The instance's setting as DescribeDBInstances reports it."""
        rds = boto3.client("rds")
        return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0][self.setting]

    def state(self, on: bool, pending: bool = False) -> dict:
        """The runbook's PreviousState / CurrentState / PlannedState shape."""
        return {self.setting: on, "PendingForMaintenanceWindow": pending}

    def event_for(self, resource_id: str | None, **extra: object) -> dict:
        return {**self.event, "DbiResourceId": resource_id, **extra}


def described(resource_id: str, **changes: object) -> dict:
    """DescribeDBInstances' answer for the instance, with `changes` (what moto cannot show) applied."""
    rds = boto3.client("rds")
    found = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [resource_id]}])["DBInstances"]
    return {"DBInstances": [{**found[0], **changes}]}


class SettingRunbookTests:
    """Fixes, is idempotent, leaves compliant and other instances alone, previews, refuses bad input."""

    RUNBOOK: ClassVar[SettingRunbook]

    @pytest.fixture
    def instances(self, aws) -> dict[str, str]:
        """An instance with the setting off and one with it on (moto's DbiResourceIds made unique, as AWS's are)."""
        made = [
            create_postgres(REGION, "settlement-db", **{self.RUNBOOK.create: False}),
            create_postgres(REGION, "ledger-db", **{self.RUNBOOK.create: True}),
        ]
        return {i["DBInstanceIdentifier"]: i["DbiResourceId"] for i in made}

    def test_turns_the_setting_on_and_records_the_previous_one(self, instances, api_calls):
        runbook = self.RUNBOOK
        result = runbook.run(runbook.event_for(instances["settlement-db"]), None)

        assert api_calls.mutating == ["ModifyDBInstance"]
        modify = next(c for c in api_calls.calls if c.operation == "ModifyDBInstance")
        assert (modify.params[runbook.create], modify.params["ApplyImmediately"]) == ("true", "true")
        api_calls.assert_within(runbook.iam_actions)
        assert runbook.flag("settlement-db") is True
        assert (result["Changed"], result["DBInstanceIdentifier"]) == (True, "settlement-db")
        assert result["PreviousState"] == runbook.state(False)
        assert result["CurrentState"] == result["PlannedState"] == runbook.state(True)

    def test_only_the_named_instance_changes(self, instances, api_calls):
        create_postgres(REGION, "reporting-db", **{self.RUNBOOK.create: False})

        self.RUNBOOK.run(self.RUNBOOK.event_for(instances["settlement-db"]), None)

        assert self.RUNBOOK.flag("reporting-db") is False

    def test_second_run_makes_no_mutating_call(self, instances, api_calls):
        event = self.RUNBOOK.event_for(instances["settlement-db"])
        self.RUNBOOK.run(event, None)
        api_calls.clear()

        result = self.RUNBOOK.run(event, None)

        assert (result["Changed"], result["WouldChange"]) == (False, False)
        assert api_calls.mutating == []

    def test_compliant_instance_is_left_alone(self, instances, api_calls):
        runbook = self.RUNBOOK
        result = runbook.run(runbook.event_for(instances["ledger-db"]), None)

        assert result["Changed"] is False
        assert result["PreviousState"] == result["CurrentState"] == runbook.state(True)
        assert result["Message"] == f"DB instance ledger-db had {runbook.words} enabled; nothing changed."
        assert api_calls.mutating == []

    def test_pending_modifications_are_not_pulled_forward(self, instances, api_calls):
        """ApplyImmediately would also apply a pending instance class change (a reboot): the runbook leaves it
        false. moto never reports pending modifications (it applies every change at once): the answer is AWS's
        shape."""
        runbook, resource_id = self.RUNBOOK, instances["settlement-db"]
        api_calls.respond("DescribeDBInstances", described(resource_id, PendingModifiedValues={"DBInstanceClass": "x"}))

        result = runbook.run(runbook.event_for(resource_id), None)

        modify = next(c for c in api_calls.calls if c.operation == "ModifyDBInstance")
        assert (modify.params[runbook.create], modify.params["ApplyImmediately"]) == ("true", "false")
        assert result["Changed"] is True
        assert result["Message"].startswith(
            f"Enabled {runbook.words} on DB instance settlement-db {runbook.with_other_changes_pending}."
        )

    def test_an_aurora_db_cluster_member_is_refused_where_the_cluster_holds_the_setting(self, instances, api_calls):
        runbook, resource_id = self.RUNBOOK, instances["settlement-db"]
        member = described(resource_id, Engine="aurora-postgresql", DBClusterIdentifier="ledger")
        api_calls.respond("DescribeDBInstances", member)

        if runbook.held_by_aurora_cluster:
            with pytest.raises(ValueError, match=r"is set on its DB cluster \(ledger\); nothing changed"):
                runbook.run(runbook.event_for(resource_id), None)
            assert api_calls.mutating == []
        else:  # the member's own setting (ModifyDBInstance takes it for members)
            assert runbook.run(runbook.event_for(resource_id), None)["Changed"] is True
            assert api_calls.mutating == ["ModifyDBInstance"]

    def test_aws_error_fails_the_step_and_changes_nothing(self, instances, api_calls):
        api_calls.fail("ModifyDBInstance", code="InvalidDBInstanceState", status=400)

        with pytest.raises(ClientError, match="InvalidDBInstanceState"):
            self.RUNBOOK.run(self.RUNBOOK.event_for(instances["settlement-db"]), None)

        assert self.RUNBOOK.flag("settlement-db") is False

    def test_missing_instance_fails_without_any_change(self, aws, api_calls):
        with pytest.raises(ValueError, match="No DB instance with DbiResourceId db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            self.RUNBOOK.run(dict(self.RUNBOOK.event), None)
        assert api_calls.mutating == []

    def test_a_resource_id_naming_two_instances_is_refused(self, aws, api_calls):
        """moto's own DbiResourceIds are all the same; AWS's are unique, so two matches are refused, not guessed."""
        rds = boto3.client("rds")
        rds.create_db_instance(DBInstanceIdentifier="one", Engine="postgres", DBInstanceClass="db.t3.micro")
        twin = rds.create_db_instance(DBInstanceIdentifier="two", Engine="postgres", DBInstanceClass="db.t3.micro")
        api_calls.clear()

        with pytest.raises(ValueError, match="more than one DB instance"):
            self.RUNBOOK.run(self.RUNBOOK.event_for(twin["DBInstance"]["DbiResourceId"]), None)
        assert api_calls.mutating == []

    @pytest.mark.parametrize("resource_id", [None, "", "ledger-db", "db-lowercase", "arn:aws:rds:us-east-1:1:db:x"])
    def test_a_malformed_resource_id_is_refused_before_any_call(self, aws, api_calls, resource_id):
        with pytest.raises(ValueError, match="DbiResourceId must be"):
            self.RUNBOOK.run(self.RUNBOOK.event_for(resource_id), None)
        assert api_calls.operations == []

    def test_dry_run_returns_the_plan_and_changes_nothing(self, instances, api_calls):
        runbook = self.RUNBOOK
        result = runbook.run(runbook.event_for(instances["settlement-db"], DryRun=True), None)

        assert api_calls.mutating == []
        assert runbook.flag("settlement-db") is False
        assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
        assert result["PreviousState"] == result["CurrentState"] == runbook.state(False)
        assert result["PlannedState"] == runbook.state(True)
        assert result["Message"] == (
            f"Dry run: would enable {runbook.words} on DB instance settlement-db (now); nothing changed."
        )
        api_calls.assert_within(runbook.iam_actions)

    def test_dry_run_must_be_a_boolean(self, aws, api_calls):
        with pytest.raises(ValueError, match="DryRun must be true or false"):
            self.RUNBOOK.run({**self.RUNBOOK.event, "DryRun": "yes"}, None)
        assert api_calls.operations == []
