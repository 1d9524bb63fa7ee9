"""Rule guardduty_enabled: per-Region outcomes (no detector, suspended, enabled), failures, calls made."""

from __future__ import annotations

import boto3
import pytest
import rule_support

from config_rules.guardduty_enabled import rule
from tests.config_events import RuleExamples, configuration_item
from tests.conftest import ACCOUNT_ID
from tests.framework_requirements import rule_attribute_has

# FSBP GuardDuty.1 "GuardDuty should be enabled": "This control checks whether Amazon GuardDuty is enabled in your
# GuardDuty account and Region" (https://docs.aws.amazon.com/securityhub/latest/userguide/guardduty-controls.html).
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "GuardDuty.1"): rule_attribute_has("IAM_ACTIONS", "guardduty:ListDetectors", "guardduty:GetDetector"),
}

RULE = RuleExamples(rule)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)


def _only(result: list[dict]) -> dict:
    assert isinstance(result, list), result
    assert len(result) == 1, result
    return result[0]


def _detector(enabled: bool, region: str | None = None) -> str:
    return boto3.client("guardduty", region_name=region).create_detector(Enable=enabled)["DetectorId"]


def test_an_enabled_detector_is_compliant(api_calls):
    detector_id = _detector(True)
    api_calls.clear()

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"] == f"GuardDuty is enabled in this Region (detector {detector_id})."
    assert (evaluation["ComplianceResourceId"], evaluation["ComplianceResourceType"]) == (ACCOUNT_ID, "AWS::::Account")
    assert evaluation["OrderingTimestamp"] == "2026-11-27T09:00:05.000Z"
    assert api_calls.operations == ["ListDetectors", "GetDetector", "PutEvaluations"]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))


def test_no_detector_is_non_compliant(api_calls):
    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == "GuardDuty is not enabled in this Region: the account has no detector."
    assert api_calls.operations == ["ListDetectors", "PutEvaluations"]


def test_a_suspended_detector_is_non_compliant(api_calls):
    detector_id = _detector(False)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == f"GuardDuty is suspended in this Region (detector {detector_id} is DISABLED)."


def test_the_detector_of_another_region_does_not_count(api_calls):
    _detector(True, region="eu-central-1")

    assert _only(RULE.evaluate(RULE.event("scheduled")))["ComplianceType"] == "NON_COMPLIANT"


def test_every_page_of_detector_ids_is_read(aws):
    # GuardDuty allows one detector per Region, but ListDetectors is paginated: a later page is read all the same.
    detector_id = _detector(True)
    guardduty = boto3.client("guardduty")
    pages = iter([{"DetectorIds": [], "NextToken": "next"}, {"DetectorIds": [detector_id]}])
    tokens: list[str | None] = []

    class PagedClient:
        def list_detectors(self, **kwargs):
            tokens.append(kwargs.get("NextToken"))
            return next(pages)

        get_detector = staticmethod(guardduty.get_detector)

    assert rule._statuses(PagedClient()) == {detector_id: "ENABLED"}
    assert tokens == [None, "next"]


@pytest.mark.parametrize("operation", ["ListDetectors", "GetDetector"])
@pytest.mark.parametrize("code", ["AccessDeniedException", "InternalServerErrorException"])
def test_a_failed_read_is_non_compliant_never_compliant(api_calls, operation, code):
    _detector(True)
    api_calls.fail(operation, code=code)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == f"Not evaluated: {operation} failed: {code}."


def test_throttling_is_retried_then_evaluated(api_calls):
    _detector(True)
    api_calls.fail("GetDetector", code="TooManyRequestsException", times=2)

    assert _only(RULE.evaluate(RULE.event("scheduled")))["ComplianceType"] == "COMPLIANT"
    assert api_calls.operations.count("GetDetector") == 3


@pytest.mark.parametrize(
    ("operation", "answer", "reason"),
    [
        ("ListDetectors", {}, "DetectorIds is None, expected a list of detector ids"),
        ("ListDetectors", {"DetectorIds": [""]}, "DetectorIds is [''], expected a list of detector ids"),
        ("GetDetector", {}, "detector {id} has Status None, expected ENABLED or DISABLED"),
        ("GetDetector", {"Status": "enabled"}, "detector {id} has Status 'enabled', expected ENABLED or DISABLED"),
    ],
)
def test_an_answer_without_the_expected_fields_is_non_compliant(api_calls, operation, answer, reason):
    detector_id = _detector(True)
    api_calls.respond(operation, answer)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == f"Not evaluated: {reason.format(id=detector_id)}."


def test_change_notification_for_another_resource_type_is_not_applicable(api_calls):
    item = configuration_item("AWS::EC2::Volume", "vol-0123456789abcdef0", {"encrypted": False})

    result = RULE.evaluate(RULE.change_event(item))

    assert _only(result)["ComplianceType"] == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]
