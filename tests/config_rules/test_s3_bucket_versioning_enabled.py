"""Rule s3_bucket_versioning_enabled: outcomes per configuration item (or S3's answer), and the API calls made."""

from __future__ import annotations

import json

import boto3
import pytest
import rule_support

from config_rules.s3_bucket_versioning_enabled import rule
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.framework_requirements import rule_attribute_has

# FSBP S3.14 "S3 general purpose buckets should have versioning enabled": a bucket passes only when its versioning
# status is Enabled.
FRAMEWORK_REQUIREMENTS = {("aws_fsbp", "S3.14"): rule_attribute_has("PASSING_STATUSES", "Enabled")}

RULE = RuleExamples(rule)
BUCKET = "example-bucket"


def _item_with(supplementary: object) -> dict:
    item = RULE.item("compliant")
    item["supplementaryConfiguration"] = supplementary
    return item


@pytest.mark.parametrize(
    ("example", "expected", "annotation"),
    [
        ("compliant", "COMPLIANT", "Versioning is enabled."),
        ("non_compliant", "NON_COMPLIANT", "Versioning is not enabled (status Off)."),
        ("suspended", "NON_COMPLIANT", "Versioning is not enabled (status Suspended)."),
    ],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected, annotation):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (BUCKET, "AWS::S3::Bucket")
    assert api_calls.operations == ["PutEvaluations"]


def test_a_deleted_bucket_is_not_applicable(api_calls):
    assert single_compliance(RULE.evaluate(RULE.event("deleted"))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_a_json_string_setting_is_read(api_calls):
    # The configuration history API serialises supplementary values as JSON strings.
    item = _item_with({"BucketVersioningConfiguration": json.dumps({"status": "Enabled", "isMfaDeleteEnabled": None})})

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "COMPLIANT"


@pytest.mark.parametrize(
    ("supplementary", "named"),
    [
        ({"BucketVersioningConfiguration": {"isMfaDeleteEnabled": None}}, "BucketVersioningConfiguration.status"),
        ({"BucketVersioningConfiguration": {"status": True}}, "BucketVersioningConfiguration.status"),
        ({"BucketVersioningConfiguration": ["Enabled"]}, "BucketVersioningConfiguration"),
        ("not an object", "supplementaryConfiguration"),
    ],
)
def test_an_unreadable_setting_is_non_compliant_naming_the_field(api_calls, supplementary, named):
    result = RULE.evaluate(RULE.change_event(_item_with(supplementary)))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith("Not evaluated: configuration item field ")
    assert named in result[0]["Annotation"]
    assert "GetBucketVersioning" not in api_calls.operations


def test_falls_back_to_s3_when_the_item_lacks_the_setting(api_calls):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    event = RULE.event("not_recorded_in_item")
    api_calls.clear()

    # Never versioned: GetBucketVersioning gives no Status.
    result = RULE.evaluate(event)
    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"] == "Versioning is not enabled (status Off)."
    assert api_calls.operations == ["GetBucketVersioning", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)

    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    assert single_compliance(RULE.evaluate(event)) == "COMPLIANT"
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    assert single_compliance(RULE.evaluate(event)) == "NON_COMPLIANT"


def test_an_object_lock_bucket_is_versioned_and_compliant(api_calls):
    boto3.client("s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)

    assert single_compliance(RULE.evaluate(RULE.event("not_recorded_in_item"))) == "COMPLIANT"


def test_an_oversized_item_is_read_from_the_configuration_history(api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(RULE.item("non_compliant"))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert api_calls.operations == ["GetResourceConfigHistory", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


@pytest.mark.parametrize("code", ["AccessDenied", "SlowDown"])
def test_an_api_error_is_reported_and_never_compliant(api_calls, monkeypatch, code):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    api_calls.fail("GetBucketVersioning", code=code)

    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations
