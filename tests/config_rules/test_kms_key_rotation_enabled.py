"""Rule kms_key_rotation_enabled: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import boto3
import pytest

from config_rules.kms_key_rotation_enabled import rule
from tests.config_events import RuleExamples, history_item, set_field, single_compliance
from tests.framework_requirements import rule_attribute_has

# CIS v3.0 3.6 "Ensure rotation for customer created symmetric CMKs is enabled"; FSBP KMS.4 "AWS KMS key rotation
# should be enabled": both judge AWS::KMS::Key.
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "3.6"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::KMS::Key"),
    ("aws_fsbp", "KMS.4"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::KMS::Key"),
}

RULE = RuleExamples(rule)
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def _not_recorded_for(key_id: str) -> dict:
    """The not_recorded_in_item example (no KeyRotationStatus), about `key_id`."""
    item = RULE.item("not_recorded_in_item")
    item["resourceId"] = item["resourceName"] = item["configuration"]["keyId"] = key_id
    return RULE.change_event(item)


@pytest.mark.parametrize(
    ("example", "expected", "annotation"),
    [
        ("compliant", "COMPLIANT", "Automatic key rotation is on."),
        ("non_compliant", "NON_COMPLIANT", "Automatic key rotation is off."),
        ("aws_managed", "NOT_APPLICABLE", "An AWS managed key: AWS rotates it, its rotation cannot be configured."),
        ("deleted", "NOT_APPLICABLE", None),
    ],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected, annotation):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == KEY_ID
    assert result[0]["ComplianceResourceType"] == "AWS::KMS::Key"
    assert result[0].get("Annotation") == annotation
    # No KMS call: the configuration item carried the data; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"keySpec": "RSA_2048", "customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}, "A RSA_2048 key"),
        ({"keySpec": "HMAC_256", "customerMasterKeySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"}, "HMAC_256"),
        ({"origin": "EXTERNAL"}, "origin EXTERNAL"),
        ({"origin": "AWS_CLOUDHSM"}, "origin AWS_CLOUDHSM"),
        ({"keyState": "PendingDeletion", "enabled": False}, "The key is PendingDeletion"),
        ({"keyState": "Disabled", "enabled": False}, "The key is Disabled"),
        ({"multiRegion": True, "multiRegionConfiguration": {"multiRegionKeyType": "REPLICA"}}, "replica"),
    ],
)
def test_keys_kms_cannot_rotate_automatically_are_not_applicable(api_calls, change, why):
    item = RULE.item("non_compliant")
    item["configuration"].update(change)

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert why in result[0]["Annotation"]
    assert api_calls.operations == ["PutEvaluations"]


def test_a_multi_region_primary_key_is_evaluated(api_calls):
    item = RULE.item("non_compliant")
    item["configuration"].update(multiRegion=True, multiRegionConfiguration={"multiRegionKeyType": "PRIMARY"})

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NON_COMPLIANT"


def test_an_item_with_key_spec_only_is_read(api_calls):
    item = RULE.item("non_compliant")
    del item["configuration"]["customerMasterKeySpec"]

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NON_COMPLIANT"


def test_falls_back_to_kms_when_the_item_lacks_the_rotation_status(api_calls):
    kms = boto3.client("kms")
    plain = kms.create_key()["KeyMetadata"]["KeyId"]
    rotated = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotated)
    api_calls.clear()

    assert single_compliance(RULE.evaluate(_not_recorded_for(plain))) == "NON_COMPLIANT"
    assert single_compliance(RULE.evaluate(_not_recorded_for(rotated))) == "COMPLIANT"
    assert api_calls.operations == ["GetKeyRotationStatus", "PutEvaluations"] * 2
    api_calls.assert_within(RULE.iam)


def test_fallback_on_a_key_that_no_longer_exists_is_not_applicable(api_calls):
    result = RULE.evaluate(_not_recorded_for("00000000-0000-4000-8000-000000000000"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["GetKeyRotationStatus", "PutEvaluations"]


def test_access_denied_fails_closed_and_reports_no_evaluation(api_calls):
    api_calls.fail("GetKeyRotationStatus", code="AccessDeniedException")

    result = RULE.evaluate(_not_recorded_for(KEY_ID))

    assert result["customerErrorCode"] == "AccessDeniedException"
    assert "PutEvaluations" not in api_calls.operations


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("supplementaryConfiguration", {"KeyRotationStatus": "TRUE"}, "supplementaryConfiguration.KeyRotationStatus"),
        ("supplementaryConfiguration", {"KeyRotationStatus": 1}, "supplementaryConfiguration.KeyRotationStatus"),
        ("supplementaryConfiguration", 7, "supplementaryConfiguration"),
        ("configuration", None, "configuration"),
        ("configuration", "not json", "configuration"),
        ("configuration.keyManager", None, "configuration.keyManager"),
        ("configuration.keyManager", 3, "configuration.keyManager"),
        ("configuration.keyState", None, "configuration.keyState"),
        ("configuration.origin", None, "configuration.origin"),
        ("configuration.multiRegionConfiguration", "REPLICA", "configuration.multiRegionConfiguration"),
    ],
)
def test_an_unreadable_item_is_non_compliant_naming_the_field(api_calls, path, value, named):
    item = set_field(RULE.item("compliant"), path, value)

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Not evaluated: configuration item field {named}")


def test_a_spec_missing_from_both_fields_is_named(api_calls):
    item = RULE.item("compliant")
    del item["configuration"]["keySpec"], item["configuration"]["customerMasterKeySpec"]

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "configuration.customerMasterKeySpec is missing" in result[0]["Annotation"]


@pytest.mark.parametrize(("status", "expected"), [(True, "COMPLIANT"), (False, "NON_COMPLIANT")])
def test_oversized_item_is_read_from_the_history_with_its_json_text(api_calls, status, expected):
    item = RULE.item("compliant")
    item["supplementaryConfiguration"]["KeyRotationStatus"] = status
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(item)]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == expected
    assert api_calls.operations == ["GetResourceConfigHistory", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)
