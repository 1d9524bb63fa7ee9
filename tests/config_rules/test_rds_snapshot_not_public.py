"""Rule rds_snapshot_not_public: outcomes per DB snapshot's restore attribute, and the API calls made."""

from __future__ import annotations

import pytest
import rule_support

from config_rules.rds_snapshot_not_public import rule
from resource_types.rds_db_instance.simulation import create_postgres
from resource_types.rds_db_snapshot.simulation import snapshot_shared_with
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.conftest import REGION
from tests.framework_requirements import rule_attribute_has

# FSBP RDS.1 "RDS snapshot should be private": no public (restore: all) DB snapshot.
FRAMEWORK_REQUIREMENTS = {("aws_fsbp", "RDS.1"): rule_attribute_has("PUBLIC_RESTORE_VALUES", "all")}

RULE = RuleExamples(rule)
RULE_IAM = (*rule.IAM_ACTIONS, "config:PutEvaluations")
SNAPSHOT = "ledger-db-export-2026-11"


@pytest.fixture
def snapshot(aws):
    """Make the example's snapshot with the restore values given; returns the maker."""
    create_postgres(REGION, "ledger-db", PubliclyAccessible=False)

    def make(accounts: list[str]) -> None:
        snapshot_shared_with(REGION, "ledger-db", SNAPSHOT, accounts)

    return make


@pytest.mark.parametrize(
    ("accounts", "expected", "annotation"),
    [
        (["all"], "NON_COMPLIANT", f"DB snapshot {SNAPSHOT} is public: any AWS account can restore it."),
        (
            ["111122223333", "all"],
            "NON_COMPLIANT",
            f"DB snapshot {SNAPSHOT} is public: any AWS account can restore it.",
        ),
        (["111122223333"], "COMPLIANT", f"DB snapshot {SNAPSHOT} is not public (shared with 1 named account(s) only)."),
        ([], "COMPLIANT", f"DB snapshot {SNAPSHOT} is not public (not shared)."),
    ],
)
def test_the_restore_attribute_decides(snapshot, api_calls, accounts, expected, annotation):
    snapshot(accounts)
    api_calls.clear()

    result = RULE.evaluate(RULE.event("snapshot_changed"))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (
        SNAPSHOT,
        "AWS::RDS::DBSnapshot",
    )
    assert api_calls.operations == ["DescribeDBSnapshotAttributes", "PutEvaluations"]
    api_calls.assert_within(RULE_IAM)


def test_a_deleted_snapshot_item_is_not_applicable_without_asking_rds(aws, api_calls):
    result = RULE.evaluate(RULE.event("deleted"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_a_snapshot_gone_since_the_item_is_not_applicable(aws, api_calls):
    result = RULE.evaluate(RULE.event("snapshot_changed"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["DescribeDBSnapshotAttributes", "PutEvaluations"]


def test_an_oversized_item_is_read_from_the_configuration_history(snapshot, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    snapshot(["all"])
    api_calls.clear()
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(RULE.item("snapshot_changed"))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert api_calls.operations[:2] == ["GetResourceConfigHistory", "DescribeDBSnapshotAttributes"]


def test_an_oversized_item_that_cannot_be_read_is_non_compliant(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException")

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "AccessDeniedException" in result[0]["Annotation"]


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling"])
def test_an_api_error_is_reported_and_never_compliant(snapshot, api_calls, monkeypatch, code):
    snapshot([])
    api_calls.fail("DescribeDBSnapshotAttributes", code=code)

    result = RULE.evaluate(RULE.event("snapshot_changed"))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations


def test_restore_values_rds_does_not_give_as_a_list_fail_closed(aws, api_calls):
    api_calls.respond(
        "DescribeDBSnapshotAttributes",
        {"DBSnapshotAttributesResult": {"DBSnapshotAttributes": [{"AttributeName": "restore"}]}},
    )

    with pytest.raises(rule_support.RuleEvaluationError, match="no restore values"):
        RULE.evaluate(RULE.event("snapshot_changed"))
    assert "PutEvaluations" not in api_calls.operations
