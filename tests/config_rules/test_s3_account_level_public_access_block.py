"""Rule s3_account_level_public_access_block: account-level outcomes per configuration, failures, calls made."""

from __future__ import annotations

import boto3
import pytest
import rule_support

from config_rules.s3_account_level_public_access_block import rule
from tests.config_events import RuleExamples, configuration_item
from tests.conftest import ACCOUNT_ID
from tests.framework_requirements import BLOCK_PUBLIC_ACCESS_SETTINGS, both, rule_attribute_has

# CIS v3.0 2.1.4 is met by the account-level settings as well as the bucket-level ones (Security Hub lists it under
# S3.1 and S3.8); FSBP S3.1: the four Block Public Access settings at account level.
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "2.1.4"): rule_attribute_has("SETTINGS", *BLOCK_PUBLIC_ACCESS_SETTINGS),
    ("aws_fsbp", "S3.1"): both(
        rule_attribute_has("SETTINGS", *BLOCK_PUBLIC_ACCESS_SETTINGS),
        rule_attribute_has("APPLICABLE_RESOURCES", "AWS::::Account"),
    ),
}

RULE = RuleExamples(rule)
ALL_ON = dict.fromkeys(rule.SETTINGS, True)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)


def _only(result: list[dict]) -> dict:
    assert isinstance(result, list), result
    assert len(result) == 1, result
    return result[0]


def _configure(**settings: bool) -> None:
    boto3.client("s3control").put_public_access_block(AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration=settings)


def test_all_four_settings_on_is_compliant(api_calls):
    _configure(**ALL_ON)
    api_calls.clear()

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert (evaluation["ComplianceResourceId"], evaluation["ComplianceResourceType"]) == (ACCOUNT_ID, "AWS::::Account")
    assert evaluation["OrderingTimestamp"] == "2026-11-27T09:00:05.000Z"
    assert api_calls.operations == ["GetPublicAccessBlock", "PutEvaluations"]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))


def test_account_without_configuration_is_non_compliant(api_calls):
    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == (
        "Account-level S3 Block Public Access is off for: "
        "BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets."
    )


def test_annotation_names_exactly_the_settings_off(api_calls):
    _configure(BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=False, RestrictPublicBuckets=False)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].endswith("off for: BlockPublicPolicy, RestrictPublicBuckets.")


@pytest.mark.parametrize("code", ["AccessDenied", "InternalError"])
def test_a_failed_read_is_non_compliant_never_compliant(api_calls, code):
    _configure(**ALL_ON)
    api_calls.fail("GetPublicAccessBlock", code=code)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == f"Not evaluated: GetPublicAccessBlock failed: {code}."


def test_throttling_is_retried_then_evaluated(api_calls):
    _configure(**ALL_ON)
    api_calls.fail("GetPublicAccessBlock", code="Throttling", times=2)

    assert _only(RULE.evaluate(RULE.event("scheduled")))["ComplianceType"] == "COMPLIANT"
    assert api_calls.operations.count("GetPublicAccessBlock") == 3


@pytest.mark.parametrize("answer", [{"BlockPublicAcls": "true"}, None, []])
def test_an_answer_in_an_unexpected_shape_is_non_compliant(api_calls, answer):
    settings = {**ALL_ON, **answer} if isinstance(answer, dict) else answer
    api_calls.respond("GetPublicAccessBlock", {"PublicAccessBlockConfiguration": settings})

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith("Not evaluated: ")


def test_change_notification_for_another_resource_type_is_not_applicable(api_calls):
    item = configuration_item("AWS::S3::Bucket", "some-bucket", {"name": "some-bucket"})

    result = RULE.evaluate(RULE.change_event(item))

    assert _only(result)["ComplianceType"] == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]
