"""Rule kms_key_deletion_not_scheduled: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import pytest

from config_rules.kms_key_deletion_not_scheduled import rule
from tests.config_events import RuleExamples, history_item, set_field, single_compliance
from tests.framework_requirements import both, rule_attribute_has

# FSBP KMS.3 "AWS KMS keys should not be deleted unintentionally": "The control fails if a KMS key is scheduled for
# deletion" (https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-3); it judges
# AWS::KMS::Key and the PendingDeletion state.
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "KMS.3"): both(
        rule_attribute_has("APPLICABLE_RESOURCES", "AWS::KMS::Key"),
        rule_attribute_has("SCHEDULED_STATES", "PendingDeletion"),
    ),
}

RULE = RuleExamples(rule)
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("example", "expected", "annotation"),
    [
        ("compliant", "COMPLIANT", "The key is not scheduled for deletion (Enabled)."),
        ("non_compliant", "NON_COMPLIANT", "The key is scheduled for deletion (key state PendingDeletion)."),
        ("aws_managed", "NOT_APPLICABLE", "An AWS managed key: its deletion cannot be scheduled."),
        ("deleted", "NOT_APPLICABLE", None),
    ],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected, annotation):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == KEY_ID
    assert result[0]["ComplianceResourceType"] == "AWS::KMS::Key"
    assert result[0].get("Annotation") == annotation
    # No KMS call: the configuration item carries the key state; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("PendingReplicaDeletion", "NON_COMPLIANT"),  # a multi-Region primary key scheduled, replicas remaining
        ("Disabled", "COMPLIANT"),
        ("PendingImport", "COMPLIANT"),
        ("Unavailable", "COMPLIANT"),
        ("Creating", "COMPLIANT"),
    ],
)
def test_only_a_scheduled_deletion_is_non_compliant(api_calls, state, expected):
    item = RULE.item("compliant")
    item["configuration"].update(keyState=state, enabled=False)

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == expected
    assert state in result[0]["Annotation"]


def test_an_aws_owned_key_is_not_applicable_even_if_its_state_says_pending_deletion(api_calls):
    item = RULE.item("non_compliant")
    item["configuration"]["keyManager"] = "AWS"

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NOT_APPLICABLE"


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("configuration", None, "configuration"),
        ("configuration", "not json", "configuration"),
        ("configuration.keyManager", None, "configuration.keyManager"),
        ("configuration.keyManager", 3, "configuration.keyManager"),
        ("configuration.keyState", None, "configuration.keyState"),
        ("configuration.keyState", ["PendingDeletion"], "configuration.keyState"),
        # A state or manager AWS does not document is unreadable, not "not scheduled".
        ("configuration.keyState", '"PendingDeletion"', "configuration.keyState"),
        ("configuration.keyState", "pendingdeletion", "configuration.keyState"),
        ("configuration.keyManager", "customer", "configuration.keyManager"),
    ],
)
def test_an_unreadable_item_is_non_compliant_naming_the_field(api_calls, path, value, named):
    item = set_field(RULE.item("compliant"), path, value)

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Not evaluated: configuration item field {named}")


@pytest.mark.parametrize(("state", "expected"), [("Enabled", "COMPLIANT"), ("PendingDeletion", "NON_COMPLIANT")])
def test_oversized_item_is_read_from_the_history(api_calls, state, expected):
    item = RULE.item("compliant")
    item["configuration"]["keyState"] = state
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(item)]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == expected
    assert api_calls.operations == ["GetResourceConfigHistory", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


def test_access_denied_on_the_history_fails_closed(api_calls):
    api_calls.fail("GetResourceConfigHistory", code="AccessDeniedException")

    result = RULE.evaluate(RULE.event("oversized"))

    # The item cannot be read: never COMPLIANT, the annotation names the failure.
    assert single_compliance(result) == "NON_COMPLIANT"
    assert "AccessDeniedException" in result[0]["Annotation"]
