"""Rule ec2_ebs_encryption_by_default: per-Region outcomes, failures, calls made."""

from __future__ import annotations

import boto3
import pytest
import rule_support

from config_rules.ec2_ebs_encryption_by_default import rule
from tests.config_events import RuleExamples, configuration_item
from tests.conftest import ACCOUNT_ID
from tests.framework_requirements import rule_attribute_has

# FSBP EC2.7 EBS default encryption enabled.
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "EC2.7"): rule_attribute_has("IAM_ACTIONS", "ec2:GetEbsEncryptionByDefault"),
}

RULE = RuleExamples(rule)
SCHEDULED = RULE.event("scheduled")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)


def _only(result: list[dict]) -> dict:
    assert isinstance(result, list), result
    assert len(result) == 1, result
    return result[0]


def test_encryption_by_default_on_is_compliant(api_calls):
    boto3.client("ec2").enable_ebs_encryption_by_default()
    api_calls.clear()

    evaluation = _only(RULE.evaluate(SCHEDULED))

    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert (evaluation["ComplianceResourceId"], evaluation["ComplianceResourceType"]) == (ACCOUNT_ID, "AWS::::Account")
    assert evaluation["OrderingTimestamp"] == "2026-11-27T09:00:05.000Z"
    assert api_calls.operations == ["GetEbsEncryptionByDefault", "PutEvaluations"]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))


def test_encryption_by_default_off_is_non_compliant(api_calls):
    evaluation = _only(RULE.evaluate(SCHEDULED))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith("EBS encryption by default is off in this Region")


def test_the_setting_of_another_region_does_not_count(api_calls):
    boto3.client("ec2", region_name="eu-central-1").enable_ebs_encryption_by_default()

    assert _only(RULE.evaluate(SCHEDULED))["ComplianceType"] == "NON_COMPLIANT"


@pytest.mark.parametrize("code", ["UnauthorizedOperation", "InternalError"])
def test_a_failed_read_is_non_compliant_never_compliant(api_calls, code):
    boto3.client("ec2").enable_ebs_encryption_by_default()
    api_calls.fail("GetEbsEncryptionByDefault", code=code)

    evaluation = _only(RULE.evaluate(SCHEDULED))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == f"Not evaluated: GetEbsEncryptionByDefault failed: {code}."


def test_throttling_is_retried_then_evaluated(api_calls):
    boto3.client("ec2").enable_ebs_encryption_by_default()
    api_calls.fail("GetEbsEncryptionByDefault", code="RequestLimitExceeded", times=2)

    assert _only(RULE.evaluate(SCHEDULED))["ComplianceType"] == "COMPLIANT"
    assert api_calls.operations.count("GetEbsEncryptionByDefault") == 3


@pytest.mark.parametrize("answer", [{}, {"EbsEncryptionByDefault": None}])
def test_an_answer_without_the_setting_is_non_compliant(api_calls, answer):
    api_calls.respond("GetEbsEncryptionByDefault", answer)

    evaluation = _only(RULE.evaluate(SCHEDULED))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == "Not evaluated: EbsEncryptionByDefault is None, expected true or false."


def test_change_notification_for_another_resource_type_is_not_applicable(api_calls):
    item = configuration_item("AWS::EC2::Volume", "vol-0123456789abcdef0", {"encrypted": False})

    result = RULE.evaluate(RULE.change_event(item))

    assert _only(result)["ComplianceType"] == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]
