"""Rule dynamodb_table_point_in_time_recovery: outcomes per table's live PITR setting, and the API calls made."""

from __future__ import annotations

import pytest
import rule_support

from config_rules.dynamodb_table_point_in_time_recovery import rule
from resource_types.dynamodb_table.simulation import create_table
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.conftest import REGION
from tests.framework_requirements import rule_attribute_has

# FSBP DynamoDB.2 "DynamoDB tables should have point-in-time recovery enabled": a table passes only when its
# PointInTimeRecoveryStatus is ENABLED.
FRAMEWORK_REQUIREMENTS = {("aws_fsbp", "DynamoDB.2"): rule_attribute_has("PASSING_STATUSES", "ENABLED")}

RULE = RuleExamples(rule)
TABLE = "payments-ledger"


@pytest.mark.parametrize(
    ("pitr", "expected", "annotation"),
    [
        (True, "COMPLIANT", f"Point-in-time recovery of table {TABLE} is on."),
        (False, "NON_COMPLIANT", f"Point-in-time recovery of table {TABLE} is off (DISABLED)."),
    ],
)
def test_the_live_setting_decides(aws, api_calls, pitr, expected, annotation):
    create_table(REGION, TABLE, pitr)
    api_calls.clear()

    result = RULE.evaluate(RULE.event("table_changed"))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (TABLE, "AWS::DynamoDB::Table")
    assert api_calls.operations == ["DescribeContinuousBackups", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


def test_the_item_is_not_trusted_over_the_live_setting(aws, api_calls):
    # The example item records DISABLED; the table has PITR on since: the live answer wins.
    create_table(REGION, TABLE, True)

    assert single_compliance(RULE.evaluate(RULE.event("table_changed"))) == "COMPLIANT"


def test_no_status_reported_is_non_compliant(aws, api_calls):
    api_calls.respond(
        "DescribeContinuousBackups", {"ContinuousBackupsDescription": {"ContinuousBackupsStatus": "ENABLED"}}
    )

    result = RULE.evaluate(RULE.event("table_changed"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].endswith("is off (NOT REPORTED).")


@pytest.mark.parametrize("example", ["deleting", "deleted"])
def test_a_table_being_or_already_deleted_is_not_applicable_without_asking_dynamodb(aws, api_calls, example):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_a_table_gone_since_the_item_is_not_applicable(aws, api_calls):
    result = RULE.evaluate(RULE.event("table_changed"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == "The table no longer exists."
    assert api_calls.operations == ["DescribeContinuousBackups", "PutEvaluations"]


@pytest.mark.parametrize(
    ("value", "named"), [(None, "configuration"), ({"tableName": TABLE}, "configuration.tableStatus")]
)
def test_an_unreadable_item_is_non_compliant_naming_the_field(aws, api_calls, value, named):
    item = RULE.item("table_changed")
    item["configuration"] = value

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Not evaluated: configuration item field {named}")
    assert "DescribeContinuousBackups" not in api_calls.operations


def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_table(REGION, TABLE, False)
    api_calls.clear()
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(RULE.item("table_changed"))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert api_calls.operations == ["GetResourceConfigHistory", "DescribeContinuousBackups", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_an_api_error_is_reported_and_never_compliant(aws, api_calls, monkeypatch, code):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_table(REGION, TABLE, True)
    api_calls.fail("DescribeContinuousBackups", code=code)

    result = RULE.evaluate(RULE.event("table_changed"))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations
