"""Runbook disable_rds_snapshot_public_access: ends public access, keeps named accounts, is idempotent."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.rds_db_instance.simulation import create_postgres
from resource_types.rds_db_snapshot.simulation import snapshot_shared_with
from ssm_documents.disable_rds_snapshot_public_access import script
from tests.conftest import REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "disable_rds_snapshot_public_access" / "events" / "remove_public_restore.json"
)
SNAPSHOT = EVENT["DBSnapshotIdentifier"]
PARTNER = "111122223333"


def _restore(identifier: str = SNAPSHOT) -> list[str]:
    result = boto3.client("rds").describe_db_snapshot_attributes(DBSnapshotIdentifier=identifier)
    return sorted(result["DBSnapshotAttributesResult"]["DBSnapshotAttributes"][0]["AttributeValues"])


@pytest.fixture
def snapshot(aws, api_calls):
    """Make the example's snapshot restorable by the accounts given; the recorder is cleared after."""
    create_postgres(REGION, "ledger-db", PubliclyAccessible=False)

    def make(accounts: list[str], identifier: str = SNAPSHOT) -> None:
        snapshot_shared_with(REGION, "ledger-db", identifier, accounts)
        api_calls.clear()

    return make


def test_ends_public_access_and_keeps_the_named_accounts(snapshot, api_calls):
    snapshot(["all", PARTNER])

    result = script.remove_public_restore(dict(EVENT), None)

    assert _restore() == [PARTNER]
    assert result["Changed"] is True
    assert result["PreviousState"] == {"RestoreAllowedFor": [PARTNER, "all"]}
    assert result["CurrentState"] == result["PlannedState"] == {"RestoreAllowedFor": [PARTNER]}
    assert api_calls.mutating == ["ModifyDBSnapshotAttribute"]
    modify = next(c for c in api_calls.calls if c.operation == "ModifyDBSnapshotAttribute")
    assert modify.params["AttributeName"] == "restore"
    assert [v for k, v in modify.params.items() if k.startswith("ValuesToRemove")] == ["all"]
    assert not any(k.startswith("ValuesToAdd") for k in modify.params)
    api_calls.assert_within(script.IAM_ACTIONS)


def test_only_the_named_snapshot_changes(snapshot, api_calls):
    snapshot(["all"])
    snapshot(["all"], identifier="ledger-db-other")

    script.remove_public_restore(dict(EVENT), None)

    assert _restore() == []
    assert _restore("ledger-db-other") == ["all"]


def test_second_run_makes_no_mutating_call(snapshot, api_calls):
    snapshot(["all"])
    script.remove_public_restore(dict(EVENT), None)
    api_calls.clear()

    result = script.remove_public_restore(dict(EVENT), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


@pytest.mark.parametrize("accounts", [[], [PARTNER]])
def test_snapshot_that_is_not_public_is_left_alone(snapshot, api_calls, accounts):
    snapshot(accounts)

    result = script.remove_public_restore(dict(EVENT), None)

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == {"RestoreAllowedFor": accounts}
    assert result["Message"] == f"DB snapshot {SNAPSHOT} was not public; nothing changed."
    assert api_calls.mutating == []
    assert _restore() == accounts


def test_aws_error_fails_the_step_and_changes_nothing(snapshot, api_calls):
    snapshot(["all"])
    api_calls.fail("ModifyDBSnapshotAttribute", code="InvalidDBSnapshotState", status=400)

    with pytest.raises(ClientError, match="InvalidDBSnapshotState"):
        script.remove_public_restore(dict(EVENT), None)

    assert _restore() == ["all"]


def test_missing_snapshot_fails_without_any_change(aws, api_calls):
    with pytest.raises(ClientError, match="DBSnapshotNotFound"):
        script.remove_public_restore(dict(EVENT), None)
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    "identifier",
    [None, "", "1starts-with-digit", "ends-with-", "two--hyphens", f"arn:aws:rds:us-east-1:{PARTNER}:snapshot:x"],
)
def test_a_malformed_identifier_or_an_arn_is_refused_before_any_call(aws, api_calls, identifier):
    """An ARN could name a snapshot another account shares with this one: only this account's are taken."""
    with pytest.raises(ValueError, match="DBSnapshotIdentifier must be"):
        script.remove_public_restore({**EVENT, "DBSnapshotIdentifier": identifier}, None)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(snapshot, api_calls):
    snapshot(["all", PARTNER])

    result = script.remove_public_restore({**EVENT, "DryRun": True}, None)

    assert api_calls.mutating == []
    assert _restore() == [PARTNER, "all"]
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"RestoreAllowedFor": [PARTNER, "all"]}
    assert result["PlannedState"] == {"RestoreAllowedFor": [PARTNER]}
    assert result["Message"] == (
        f"Dry run: would end public access to DB snapshot {SNAPSHOT} (accounts kept: {PARTNER}); nothing changed."
    )
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.remove_public_restore({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
