"""Runbook enable_rds_cluster_deletion_protection: fixes, is idempotent, leaves a compliant cluster alone."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.rds_db_cluster.simulation import create_aurora_postgres
from ssm_documents.enable_rds_cluster_deletion_protection import script
from tests.conftest import REGION, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "enable_rds_cluster_deletion_protection"
EVENT = load_example(RUNBOOK / "events" / "enable_deletion_protection.json")
NAME = "ledger-cluster"


@pytest.fixture
def rds(aws):
    return boto3.client("rds", region_name=REGION)


def _cluster(protected: bool, name: str = NAME) -> str:
    """A cluster in the emulated account: its DbClusterResourceId."""
    return create_aurora_postgres(REGION, name, DeletionProtection=protected)["DbClusterResourceId"]


def _run(resource_id: str, **extra: object) -> dict:
    return script.enable_deletion_protection({**EVENT, "DbClusterResourceId": resource_id, **extra}, None)


def _protected(rds, name: str = NAME) -> bool:
    return rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]["DeletionProtection"]


def test_turns_deletion_protection_on_and_records_the_previous_setting(rds, api_calls):
    resource_id = _cluster(False)
    api_calls.clear()

    result = _run(resource_id)

    assert _protected(rds) is True
    assert (result["Changed"], result["DBClusterIdentifier"], result["DbClusterResourceId"]) == (
        True,
        NAME,
        resource_id,
    )
    assert result["PreviousState"] == {"DeletionProtection": False}
    assert result["CurrentState"] == result["PlannedState"] == {"DeletionProtection": True}
    assert api_calls.mutating == ["ModifyDBCluster"]
    api_calls.assert_within(script.IAM_ACTIONS)
    with pytest.raises(ClientError):  # what the protection is for
        rds.delete_db_cluster(DBClusterIdentifier=NAME, SkipFinalSnapshot=True)


def test_only_deletion_protection_is_asked_for_and_nothing_pending_is_applied_now(rds, api_calls):
    """Turning deletion protection on applies at once without ApplyImmediately, which would also apply modifications
    left pending for the maintenance window (ApplyImmediately in
    https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html)."""
    resource_id = _cluster(False)
    api_calls.clear()

    _run(resource_id)

    modify = next(c for c in api_calls.calls if c.operation == "ModifyDBCluster")
    sent = {k: v for k, v in modify.params.items() if k not in ("Action", "Version")}
    assert sent == {"DBClusterIdentifier": NAME, "DeletionProtection": "true"}


def test_only_the_named_cluster_changes(rds, api_calls):
    _cluster(False, "claims-cluster")
    resource_id = _cluster(False)

    _run(resource_id)

    assert _protected(rds, "claims-cluster") is False


def test_second_run_makes_no_mutating_call(rds, api_calls):
    resource_id = _cluster(False)
    _run(resource_id)
    api_calls.clear()

    result = _run(resource_id)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_compliant_cluster_is_left_alone(rds, api_calls):
    resource_id = _cluster(True)
    api_calls.clear()

    result = _run(resource_id)

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == {"DeletionProtection": True}
    assert result["Message"] == f"Deletion protection of DB cluster {NAME} was already on; nothing changed."
    assert api_calls.operations == ["DescribeDBClusters"]


def test_aws_error_fails_the_step_and_changes_nothing(rds, api_calls):
    resource_id = _cluster(False)
    api_calls.fail("ModifyDBCluster", code="InvalidDBClusterStateFault", status=400)

    with pytest.raises(ClientError, match="InvalidDBClusterStateFault"):
        _run(resource_id)
    assert _protected(rds) is False


def test_a_cluster_not_in_this_account_and_region_is_refused_without_any_change(rds, api_calls):
    _cluster(False)
    api_calls.clear()

    with pytest.raises(ValueError, match=r"No DB cluster with DbClusterResourceId .* in this account and Region"):
        _run("cluster-ZZZZZZZZZZZZZZZZZZZZZZZZZZ")
    assert api_calls.mutating == []
    assert _protected(rds) is False


def test_two_clusters_with_one_resource_id_are_refused(rds, api_calls):
    resource_id = "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    clusters = [{"DBClusterIdentifier": n, "DbClusterResourceId": resource_id} for n in ("first", "second")]
    api_calls.respond("DescribeDBClusters", {"DBClusters": clusters})

    with pytest.raises(ValueError, match="names more than one DB cluster"):
        _run(resource_id)
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    "resource_id",
    [
        None,
        "",
        NAME,
        "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "cluster-abc",
        "arn:aws:rds:us-east-1:210987654321:cluster:ledger-cluster",
    ],
)
def test_anything_but_a_cluster_resource_id_is_refused_before_any_call(aws, api_calls, resource_id):
    with pytest.raises(ValueError, match="DbClusterResourceId must be the resource id"):
        _run(resource_id)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(rds, api_calls):
    resource_id = _cluster(False)
    api_calls.clear()

    result = _run(resource_id, DryRun=True)

    assert api_calls.mutating == []
    assert _protected(rds) is False
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"DeletionProtection": False}
    assert result["PlannedState"] == {"DeletionProtection": True}
    assert result["Message"] == f"Dry run: would turn on deletion protection of DB cluster {NAME}; nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run("cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ", DryRun="yes")
    assert api_calls.operations == []
