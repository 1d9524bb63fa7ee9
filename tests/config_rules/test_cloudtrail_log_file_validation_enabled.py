"""Rule cloudtrail_log_file_validation_enabled: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import json

import boto3
import pytest

from config_rules.cloudtrail_log_file_validation_enabled import rule
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.framework_requirements import rule_attribute_has

# CIS v3.0 3.2 "Ensure CloudTrail log file validation is enabled"; FSBP CloudTrail.4 "CloudTrail log file validation
# should be enabled": both judge AWS::CloudTrail::Trail.
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "3.2"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::CloudTrail::Trail"),
    ("aws_fsbp", "CloudTrail.4"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::CloudTrail::Trail"),
}

RULE = RuleExamples(rule)
NAME = "management-events"


@pytest.mark.parametrize(
    ("example", "expected", "annotation"),
    [
        ("compliant", "COMPLIANT", f"Trail {NAME} validates its log files."),
        (
            "non_compliant",
            "NON_COMPLIANT",
            f"Trail {NAME} has log file validation off: changed or deleted log files go unnoticed.",
        ),
        ("deleted", "NOT_APPLICABLE", None),
    ],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected, annotation):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == NAME
    assert result[0]["ComplianceResourceType"] == "AWS::CloudTrail::Trail"
    assert result[0].get("Annotation") == annotation
    assert api_calls.operations == ["PutEvaluations"]


def test_an_organization_trail_of_another_account_is_not_applicable(api_calls):
    result = RULE.evaluate(RULE.event("organization_trail_of_another_account"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == (
        "A trail of account 111111111111 (an organization trail): judged and changed there, in us-east-1."
    )
    assert api_calls.operations == ["PutEvaluations"]


def test_a_multi_region_trail_outside_its_home_region_is_not_applicable(api_calls):
    item = RULE.item("non_compliant")
    item["awsRegion"] = "eu-west-1"

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == "A multi-Region trail whose home Region is us-east-1: judged and changed there."


def test_an_organization_trail_in_its_owner_account_is_evaluated(api_calls):
    item = RULE.item("non_compliant")
    item["configuration"]["isOrganizationTrail"] = True

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NON_COMPLIANT"


def test_falls_back_to_cloudtrail_when_the_item_lacks_the_setting(api_calls):
    boto3.client("s3").create_bucket(Bucket="trail-logs")
    cloudtrail = boto3.client("cloudtrail")
    plain = cloudtrail.create_trail(Name=NAME, S3BucketName="trail-logs")["TrailARN"]
    api_calls.clear()

    assert single_compliance(RULE.evaluate(RULE.event("not_recorded_in_item"))) == "NON_COMPLIANT"
    cloudtrail.update_trail(Name=plain, EnableLogFileValidation=True)
    assert single_compliance(RULE.evaluate(RULE.event("not_recorded_in_item"))) == "COMPLIANT"
    assert [c for c in api_calls.operations if c != "UpdateTrail"] == ["GetTrail", "PutEvaluations"] * 2
    assert json.loads(api_calls.calls[0].params)["Name"] == plain


def test_fallback_on_a_trail_that_no_longer_exists_is_not_applicable(api_calls):
    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["GetTrail", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


def test_access_denied_fails_closed_and_reports_no_evaluation(api_calls):
    api_calls.fail("GetTrail", code="AccessDeniedException")

    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert result["customerErrorCode"] == "AccessDeniedException"
    assert "PutEvaluations" not in api_calls.operations


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("logFileValidationEnabled", "true", "configuration.logFileValidationEnabled"),
        ("logFileValidationEnabled", 1, "configuration.logFileValidationEnabled"),
        ("trailARN", None, "configuration.trailARN"),
        ("trailARN", "arn:aws:s3:::bucket", "configuration.trailARN"),
        ("homeRegion", None, "configuration.homeRegion"),
        ("homeRegion", ["us-east-1"], "configuration.homeRegion"),
    ],
)
def test_an_unreadable_item_is_non_compliant_naming_the_field(api_calls, key, value, named):
    item = RULE.item("compliant")
    item["configuration"][key] = value

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Not evaluated: configuration item field {named}")


@pytest.mark.parametrize("configuration", [None, "not json", []])
def test_an_unreadable_configuration_is_non_compliant(api_calls, configuration):
    item = RULE.item("compliant")
    item["configuration"] = configuration

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith("Not evaluated: configuration item field configuration")


@pytest.mark.parametrize(("enabled", "expected"), [(True, "COMPLIANT"), (False, "NON_COMPLIANT")])
def test_oversized_item_is_read_from_the_history(api_calls, enabled, expected):
    item = RULE.item("compliant")
    item["configuration"]["logFileValidationEnabled"] = enabled
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(item)]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == expected
    assert api_calls.operations == ["GetResourceConfigHistory", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)
