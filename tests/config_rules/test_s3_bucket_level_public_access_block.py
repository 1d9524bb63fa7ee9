"""Rule s3_bucket_level_public_access_block: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import boto3
import pytest

from config_rules.s3_bucket_level_public_access_block import rule
from tests.config_events import RuleExamples, single_compliance
from tests.framework_requirements import BLOCK_PUBLIC_ACCESS_SETTINGS, rule_attribute_has

# CIS v3.0 2.1.4 "S3 buckets are configured with Block public access (bucket settings)"; FSBP S3.8 block public
# access at bucket level: all four settings.
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "2.1.4"): rule_attribute_has("SETTINGS", *BLOCK_PUBLIC_ACCESS_SETTINGS),
    ("aws_fsbp", "S3.8"): rule_attribute_has("SETTINGS", *BLOCK_PUBLIC_ACCESS_SETTINGS),
}

RULE = RuleExamples(rule)
ALL_ON = dict.fromkeys(rule.SETTINGS, True)


@pytest.mark.parametrize(
    ("example", "expected"),
    [("compliant", "COMPLIANT"), ("non_compliant", "NON_COMPLIANT"), ("deleted", "NOT_APPLICABLE")],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == "example-bucket"
    # No S3 call: the configuration item carried the data; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


def test_non_compliant_annotation_names_the_settings_that_are_off(api_calls):
    result = RULE.evaluate(RULE.event("non_compliant"))

    assert (
        result[0]["Annotation"]
        == "Bucket-level Block Public Access is off for: IgnorePublicAcls, RestrictPublicBuckets."
    )


def test_falls_back_to_s3_when_the_item_lacks_the_setting(api_calls):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="example-bucket")
    event = RULE.event("not_recorded_in_item")

    assert single_compliance(RULE.evaluate(event)) == "NON_COMPLIANT"

    s3.put_public_access_block(Bucket="example-bucket", PublicAccessBlockConfiguration=ALL_ON)
    api_calls.clear()
    assert single_compliance(RULE.evaluate(event)) == "COMPLIANT"
    assert api_calls.operations == ["GetPublicAccessBlock", "PutEvaluations"]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))


def test_access_denied_is_reported_as_such(api_calls):
    api_calls.fail("GetPublicAccessBlock", code="AccessDenied")
    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert result["customerErrorCode"] == "AccessDenied"
    assert "PutEvaluations" not in api_calls.operations
