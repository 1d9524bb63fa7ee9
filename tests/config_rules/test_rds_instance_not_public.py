"""Rule rds_instance_not_public: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import json

import pytest
import rule_support

from config_rules.rds_instance_not_public import rule
from resource_types.rds_db_instance.simulation import create_postgres
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.conftest import REGION
from tests.framework_requirements import rule_attribute_has

# FSBP RDS.2 "RDS DB Instances should prohibit public access, as determined by the PubliclyAccessible
# configuration"; CIS v3.0 2.3.3 "Ensure that public access is not given to RDS Instance".
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "RDS.2"): rule_attribute_has("CHECKED_FIELDS", "publiclyAccessible"),
    ("cis_aws_v3.0", "2.3.3"): rule_attribute_has("CHECKED_FIELDS", "publiclyAccessible"),
}

RULE = RuleExamples(rule)
RULE_IAM = (*rule.IAM_ACTIONS, "config:PutEvaluations")
RESOURCE_ID = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _event_for(resource_id: str, name: str = "ledger-db") -> dict:
    """The not_recorded_in_item example (no publiclyAccessible), about the instance `resource_id`."""
    item = RULE.item("not_recorded_in_item")
    item["resourceId"] = item["configuration"]["dbiResourceId"] = resource_id
    item["resourceName"] = name
    return RULE.change_event(item)


@pytest.mark.parametrize(
    ("example", "expected"),
    [("compliant", "COMPLIANT"), ("non_compliant", "NON_COMPLIANT"), ("deleted", "NOT_APPLICABLE")],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == RESOURCE_ID
    assert result[0]["ComplianceResourceType"] == "AWS::RDS::DBInstance"
    # No RDS call: the configuration item carried the data; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


def test_annotations_name_the_instance(api_calls):
    assert RULE.evaluate(RULE.event("non_compliant"))[0]["Annotation"] == (
        "DB instance ledger-db is publicly accessible (PubliclyAccessible is true)."
    )
    assert RULE.evaluate(RULE.event("compliant"))[0]["Annotation"] == (
        "DB instance ledger-db is not publicly accessible."
    )


@pytest.mark.parametrize("value", ["false", "true", 0, 1, [], {}])
def test_a_publicly_accessible_that_is_not_a_boolean_is_non_compliant_naming_it(api_calls, value):
    item = RULE.item("compliant")
    item["configuration"]["publiclyAccessible"] = value

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(
        "Not evaluated: configuration item field configuration.publiclyAccessible"
    )
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize("configuration", ["not json", "[]", 7])
def test_an_unreadable_configuration_is_non_compliant(api_calls, configuration):
    item = RULE.item("compliant")
    item["configuration"] = configuration

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "configuration" in result[0]["Annotation"]


def test_a_configuration_given_as_a_json_string_is_read_as_the_object(api_calls):
    """GetResourceConfigHistory serialises the configuration as a JSON string; the result is the same."""
    for example in ("compliant", "non_compliant"):
        item = RULE.item(example)
        item["configuration"] = json.dumps(item["configuration"])
        stringified = RULE.evaluate(RULE.change_event(item))
        assert stringified == RULE.evaluate(RULE.event(example))


@pytest.mark.parametrize("example", ["compliant", "non_compliant"])
def test_an_oversized_item_is_read_from_the_configuration_history(api_calls, monkeypatch, example):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(RULE.item(example))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert result == RULE.evaluate(RULE.event(example))
    assert api_calls.operations[0] == "GetResourceConfigHistory"


def test_an_oversized_item_that_cannot_be_read_is_non_compliant(api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException")

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "AccessDeniedException" in result[0]["Annotation"]


def test_falls_back_to_rds_when_the_item_lacks_the_setting(api_calls):
    public = create_postgres(REGION, "customer-portal-db", PubliclyAccessible=True)
    private = create_postgres(REGION, "ledger-db", PubliclyAccessible=False)
    api_calls.clear()

    result = RULE.evaluate(_event_for(public["DbiResourceId"], "customer-portal-db"))
    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["ComplianceResourceId"] == public["DbiResourceId"]

    assert single_compliance(RULE.evaluate(_event_for(private["DbiResourceId"]))) == "COMPLIANT"
    assert api_calls.operations == ["DescribeDBInstances", "PutEvaluations"] * 2
    asked = str(api_calls.calls[0].params)  # the query-protocol body: the filter by DbiResourceId
    assert "dbi-resource-id" in asked and public["DbiResourceId"] in asked
    api_calls.assert_within(RULE_IAM)


def test_fallback_on_an_instance_that_no_longer_exists_is_not_applicable(api_calls):
    result = RULE.evaluate(_event_for(RESOURCE_ID))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["DescribeDBInstances", "PutEvaluations"]


def test_access_denied_is_reported_as_such_and_never_compliant(api_calls):
    api_calls.fail("DescribeDBInstances", code="AccessDenied")
    result = RULE.evaluate(_event_for(RESOURCE_ID))

    assert result["customerErrorCode"] == "AccessDenied"
    assert "PutEvaluations" not in api_calls.operations
