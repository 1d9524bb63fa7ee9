"""Rule ecr_repository_scan_on_push: outcomes from the configuration item, fail closed, calls made."""

from __future__ import annotations

import pytest
import rule_support

from config_rules.ecr_repository_scan_on_push import rule
from tests.config_events import RuleExamples, configuration_item, history_item, single_compliance
from tests.framework_requirements import rule_attribute_has

# FSBP ECR.1 "ECR private repositories should have image scanning configured": "The control fails if the private
# ECR repository isn't configured for scan on push or continuous scanning" (the rule reads scan on push).
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "ECR.1"): rule_attribute_has("REQUIRED_SETTINGS", "ImageScanningConfiguration.ScanOnPush"),
}

RULE = RuleExamples(rule)
NAME = "payments-api"


def _item(scanning: object = None, *, drop: bool = False) -> dict:
    item = RULE.item("repository_changed")
    if drop:
        del item["configuration"]["ImageScanningConfiguration"]
    elif scanning is not None:
        item["configuration"]["ImageScanningConfiguration"] = scanning
    return item


@pytest.mark.parametrize(
    ("scanning", "expected", "annotation"),
    [
        ({"ScanOnPush": True}, "COMPLIANT", f"Repository {NAME} scans images on push."),
        ({"ScanOnPush": False}, "NON_COMPLIANT", f"Repository {NAME} does not scan images on push (ScanOnPush false)."),
        ({}, "NON_COMPLIANT", f"Repository {NAME} does not scan images on push (ScanOnPush not set)."),
    ],
)
def test_the_items_scan_on_push_setting_decides(aws, api_calls, scanning, expected, annotation):
    result = RULE.evaluate(RULE.change_event(_item(scanning)))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (NAME, "AWS::ECR::Repository")
    # The item carries the setting: no API call but the evaluation.
    assert api_calls.operations == ["PutEvaluations"]


def test_no_scanning_configuration_is_non_compliant(aws, api_calls):
    # CloudFormation's (and so AWS Config's) default when the property is absent: false.
    assert single_compliance(RULE.evaluate(RULE.change_event(_item(drop=True)))) == "NON_COMPLIANT"


def test_the_example_event_is_non_compliant(aws, api_calls):
    assert single_compliance(RULE.evaluate(RULE.event("repository_changed"))) == "NON_COMPLIANT"


@pytest.mark.parametrize(
    ("scanning", "named"),
    [
        ({"ScanOnPush": "true"}, "configuration.ImageScanningConfiguration.ScanOnPush is str"),
        ({"ScanOnPush": 1}, "configuration.ImageScanningConfiguration.ScanOnPush is int"),
        ("scan", "configuration.ImageScanningConfiguration is str"),
    ],
)
def test_an_unreadable_setting_is_non_compliant_naming_the_field(aws, api_calls, scanning, named):
    result = RULE.evaluate(RULE.change_event(_item(scanning)))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Not evaluated: configuration item field {named}")


def test_a_deleted_repository_is_not_applicable(aws, api_calls):
    item = configuration_item("AWS::ECR::Repository", NAME, {}, status="ResourceDeleted")

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(_item())]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert api_calls.operations == ["GetResourceConfigHistory", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


def test_a_failed_history_read_is_never_compliant(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException")

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "AccessDeniedException" in result[0]["Annotation"]
