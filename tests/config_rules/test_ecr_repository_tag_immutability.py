"""Rule ecr_repository_tag_immutability: outcomes from the configuration item, fail closed, calls made."""

from __future__ import annotations

import pytest
import rule_support

from config_rules.ecr_repository_tag_immutability import rule
from tests.config_events import RuleExamples, configuration_item, history_item, set_field, single_compliance
from tests.framework_requirements import rule_attribute_has

# FSBP ECR.2 "ECR private repositories should have tag immutability configured": "This control fails if a private
# ECR repository has tag immutability disabled. This rule passes if tag immutability is enabled and has the value
# IMMUTABLE." (https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html#ecr-2)
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "ECR.2"): rule_attribute_has("REQUIRED_SETTING", "ImageTagMutability", "IMMUTABLE"),
}

RULE = RuleExamples(rule)
NAME = "payments-api"


def _with(mutability: object) -> dict:
    return set_field(RULE.item("mutable"), "configuration.ImageTagMutability", mutability)


def test_immutable_tags_are_compliant(api_calls):
    result = RULE.evaluate(RULE.event("immutable"))

    assert single_compliance(result) == "COMPLIANT"
    assert result[0]["Annotation"] == "Repository customer-portal has immutable image tags."
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (
        "customer-portal",
        "AWS::ECR::Repository",
    )
    # The item carries the setting: no API call but the evaluation.
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(
    ("mutability", "annotation"),
    [
        ("MUTABLE", "ImageTagMutability MUTABLE: every tag can be overwritten."),
        (
            "MUTABLE_WITH_EXCLUSION",
            "ImageTagMutability MUTABLE_WITH_EXCLUSION: every tag its exclusion filters do not match can be",
        ),
        # ECR.2 passes only IMMUTABLE; Prowler's check passes this one (it fails MUTABLE alone).
        (
            "IMMUTABLE_WITH_EXCLUSION",
            "ImageTagMutability IMMUTABLE_WITH_EXCLUSION: the tags its exclusion filters match can be overwritten.",
        ),
        ("immutable", "ImageTagMutability 'immutable': a setting ECR does not document, so no tag is known to be"),
    ],
)
def test_any_other_setting_is_non_compliant(api_calls, mutability, annotation):
    result = RULE.evaluate(RULE.change_event(_with(mutability)))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Repository {NAME} has {annotation}")
    assert api_calls.operations == ["PutEvaluations"]


def test_an_item_without_the_setting_is_judged_on_the_default_mutable(api_calls):
    item = RULE.item("mutable")
    del item["configuration"]["ImageTagMutability"]

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"] == (
        f"Repository {NAME} has ImageTagMutability not set, so MUTABLE: every tag can be overwritten."
    )


def test_the_mutable_example_is_non_compliant(api_calls):
    assert single_compliance(RULE.evaluate(RULE.event("mutable"))) == "NON_COMPLIANT"


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("configuration.ImageTagMutability", True, "configuration.ImageTagMutability is bool"),
        ("configuration.ImageTagMutability", ["IMMUTABLE"], "configuration.ImageTagMutability is list"),
        ("configuration", "not json", "configuration"),
    ],
)
def test_an_unreadable_setting_is_non_compliant_naming_the_field(api_calls, path, value, named):
    result = RULE.evaluate(RULE.change_event(set_field(RULE.item("immutable"), path, value)))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Not evaluated: configuration item field {named}")


def test_a_deleted_repository_is_not_applicable(api_calls):
    item = configuration_item("AWS::ECR::Repository", NAME, {}, status="ResourceDeleted")

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(("mutability", "expected"), [("IMMUTABLE", "COMPLIANT"), ("MUTABLE", "NON_COMPLIANT")])
def test_an_oversized_item_is_read_from_the_configuration_history(api_calls, monkeypatch, mutability, expected):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(_with(mutability))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == expected
    assert api_calls.operations == ["GetResourceConfigHistory", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


def test_a_failed_history_read_is_never_compliant(api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException")

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "AccessDeniedException" in result[0]["Annotation"]
