"""Rule dynamodb_table_deletion_protection: outcomes per table's deletion protection, and the API calls made."""

from __future__ import annotations

import json

import boto3
import pytest
import rule_support

from config_rules.dynamodb_table_deletion_protection import rule
from resource_types.dynamodb_table.simulation import create_table
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.conftest import REGION
from tests.framework_requirements import rule_attribute_has

# FSBP DynamoDB.6 "DynamoDB tables should have deletion protection enabled": the control fails if a table doesn't
# have deletion protection enabled (the rule reads DeletionProtectionEnabled).
FRAMEWORK_REQUIREMENTS = {("aws_fsbp", "DynamoDB.6"): rule_attribute_has("CHECKED_FIELDS", "deletionProtectionEnabled")}

RULE = RuleExamples(rule)
TABLE = "payments-ledger"


def _protected_table(protected: bool) -> None:
    create_table(REGION, TABLE, False)
    boto3.client("dynamodb", region_name=REGION).update_table(TableName=TABLE, DeletionProtectionEnabled=protected)


@pytest.mark.parametrize(
    ("example", "expected", "annotation"),
    [
        ("protected", "COMPLIANT", "Deletion protection of table claims-register is on."),
        (
            "table_changed",
            "NON_COMPLIANT",
            f"Deletion protection of table {TABLE} is off (DeletionProtectionEnabled is false).",
        ),
    ],
)
def test_the_configuration_item_decides_without_asking_dynamodb(aws, api_calls, example, expected, annotation):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert result[0]["ComplianceResourceType"] == "AWS::DynamoDB::Table"
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(("protected", "expected"), [(True, "COMPLIANT"), (False, "NON_COMPLIANT")])
def test_an_item_without_the_setting_is_decided_by_describe_table(aws, api_calls, protected, expected):
    _protected_table(protected)
    api_calls.clear()

    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == TABLE
    assert api_calls.operations == ["DescribeTable", "PutEvaluations"]
    assert json.loads(api_calls.calls[0].params)["TableName"] == TABLE  # DynamoDB's request body is JSON
    api_calls.assert_within(RULE.iam)


def test_describe_table_without_the_setting_counts_as_off(aws, api_calls):
    """DynamoDB's default is off: an answer without DeletionProtectionEnabled never passes."""
    api_calls.respond("DescribeTable", {"Table": {"TableName": TABLE, "TableStatus": "ACTIVE"}})

    assert single_compliance(RULE.evaluate(RULE.event("not_recorded_in_item"))) == "NON_COMPLIANT"


def test_a_table_gone_since_the_item_is_not_applicable(aws, api_calls):
    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == "The table no longer exists."
    assert api_calls.operations == ["DescribeTable", "PutEvaluations"]


def test_a_table_deleting_by_describe_table_is_not_applicable(aws, api_calls):
    api_calls.respond("DescribeTable", {"Table": {"TableName": TABLE, "TableStatus": "DELETING"}})

    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == "The table is being deleted."


@pytest.mark.parametrize("example", ["deleting", "deleted"])
def test_a_table_being_or_already_deleted_is_not_applicable_without_asking_dynamodb(aws, api_calls, example):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize("value", ["true", "false", 1, 0, [], {}])
def test_a_setting_that_is_not_a_boolean_is_non_compliant_naming_it(aws, api_calls, value):
    item = RULE.item("protected")
    item["configuration"]["deletionProtectionEnabled"] = value

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(
        "Not evaluated: configuration item field configuration.deletionProtectionEnabled"
    )
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(
    ("value", "named"), [(None, "configuration"), ({"tableName": TABLE}, "configuration.tableStatus")]
)
def test_an_unreadable_item_is_non_compliant_naming_the_field(aws, api_calls, value, named):
    item = RULE.item("protected")
    item["configuration"] = value

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Not evaluated: configuration item field {named}")
    assert "DescribeTable" not in api_calls.operations


@pytest.mark.parametrize(("protected", "expected"), [(True, "COMPLIANT"), (False, "NON_COMPLIANT")])
def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch, protected, expected):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    item = RULE.item("table_changed")  # the table the oversized notification names
    item["configuration"]["deletionProtectionEnabled"] = protected
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(item)]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == expected
    assert api_calls.operations == ["GetResourceConfigHistory", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_an_api_error_is_reported_and_never_compliant(aws, api_calls, monkeypatch, code):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    _protected_table(True)
    api_calls.fail("DescribeTable", code=code)

    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations
