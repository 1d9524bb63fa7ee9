"""Rule iam_password_policy: account-level outcomes per password policy, parameters, API calls made."""

from __future__ import annotations

import json

import boto3
import pytest

from config_rules.iam_password_policy import rule
from tests.config_events import RuleExamples, configuration_item
from tests.conftest import ACCOUNT_ID
from tests.framework_requirements import all_true, at_least, at_most, both

CHARACTER_CLASSES = ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireSymbols", "RequireNumbers")
# CIS v3.0 1.8 "minimum length of 14 or greater", 1.9 "prevents password reuse" (24); FSBP IAM.7 the four character
# classes and MinimumPasswordLength 8 by default (https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-7).
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "1.8"): at_least("MinimumPasswordLength", 14),
    ("cis_aws_v3.0", "1.9"): at_least("PasswordReusePrevention", 24),
    ("aws_fsbp", "IAM.7"): both(all_true(*CHARACTER_CLASSES), at_least("MinimumPasswordLength", 8)),
}
PROWLER_REQUIREMENTS = {
    "iam_password_policy_minimum_length_14": at_least("MinimumPasswordLength", 14),
    "check19": at_least("MinimumPasswordLength", 14),
    "iam_password_policy_reuse_24": at_least("PasswordReusePrevention", 24),
    "check110": at_least("PasswordReusePrevention", 24),
    "iam_password_policy_uppercase": all_true("RequireUppercaseCharacters"),
    "check15": all_true("RequireUppercaseCharacters"),
    "iam_password_policy_lowercase": all_true("RequireLowercaseCharacters"),
    "check16": all_true("RequireLowercaseCharacters"),
    "iam_password_policy_symbol": all_true("RequireSymbols"),
    "check17": all_true("RequireSymbols"),
    "iam_password_policy_number": all_true("RequireNumbers"),
    "check18": all_true("RequireNumbers"),
    "iam_password_policy_expires_passwords_within_90_days_or_less": at_most("MaxPasswordAge", 90),
    "check111": at_most("MaxPasswordAge", 90),
}

RULE = RuleExamples(rule)
CIS_POLICY = {
    "MinimumPasswordLength": 14,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "PasswordReusePrevention": 24,
    "MaxPasswordAge": 90,
}


def _only(result: list[dict]) -> dict:
    assert isinstance(result, list), result
    assert len(result) == 1, result
    return result[0]


def _set_policy(**settings) -> None:
    boto3.client("iam").update_account_password_policy(**settings)


def _with_parameters(**parameters) -> dict:
    event = RULE.event("scheduled")
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", **parameters})
    return event


def test_policy_meeting_the_defaults_is_compliant(api_calls):
    _set_policy(**CIS_POLICY)
    api_calls.clear()

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["ComplianceResourceId"] == ACCOUNT_ID
    assert evaluation["ComplianceResourceType"] == "AWS::::Account"
    assert evaluation["OrderingTimestamp"] == "2026-11-27T09:00:05.000Z"
    # One read, one report: no clean-up of old evaluations (GetComplianceDetailsByConfigRule).
    assert api_calls.operations == ["GetAccountPasswordPolicy", "PutEvaluations"]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))


def test_stricter_policy_is_compliant(api_calls):
    _set_policy(**{**CIS_POLICY, "MinimumPasswordLength": 20, "MaxPasswordAge": 30})

    assert _only(RULE.evaluate(RULE.event("scheduled")))["ComplianceType"] == "COMPLIANT"


def test_account_without_policy_is_non_compliant(api_calls):
    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["ComplianceResourceId"] == ACCOUNT_ID
    assert "no IAM password policy" in evaluation["Annotation"]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))


def test_annotation_lists_exactly_the_weaker_settings(api_calls):
    _set_policy(**{**CIS_POLICY, "MinimumPasswordLength": 8, "RequireSymbols": False, "MaxPasswordAge": 180})

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == ("Weaker than required: MinimumPasswordLength 8 (min 14); RequireSymbols off.")


def test_passwords_that_never_expire_and_missing_reuse_prevention_are_named(api_calls):
    policy = {k: v for k, v in CIS_POLICY.items() if k not in ("MaxPasswordAge", "PasswordReusePrevention")}
    _set_policy(**policy)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    # Expiry is required only when MaxPasswordAge is given (CIS v3.0 and FSBP IAM.7 require none).
    assert evaluation["Annotation"] == "Weaker than required: PasswordReusePrevention 0 (min 24)."
    assert rule.weaker_settings(policy, {**rule.DEFAULTS, "MaxPasswordAge": 90}) == [
        "PasswordReusePrevention 0 (min 24)",
        "MaxPasswordAge never expires (max 90)",
    ]


@pytest.mark.parametrize("raw", ["", "  "])
def test_empty_max_password_age_means_no_expiry_required(raw):
    valid = rule.IamPasswordPolicy().evaluate_parameters({"MaxPasswordAge": raw})

    assert valid["MaxPasswordAge"] is None
    assert rule.weaker_settings({**CIS_POLICY, "MaxPasswordAge": 0}, valid) == []


def test_annotation_for_every_setting_weaker_is_not_truncated():
    required = {**rule.DEFAULTS, "MinimumPasswordLength": 128, "MaxPasswordAge": 1094}
    findings = rule.weaker_settings({}, required)

    annotation = f"Weaker than required: {'; '.join(findings)}."
    assert len(findings) == 7
    assert len(annotation) <= 256


def test_custom_parameters_relax_the_requirement(api_calls):
    weak_but_accepted = {
        "MinimumPasswordLength": 8,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "RequireSymbols": False,
        "RequireNumbers": True,
        "PasswordReusePrevention": 5,
        "MaxPasswordAge": 365,
    }
    _set_policy(**weak_but_accepted)
    event = RULE.event("scheduled_custom_parameters")

    assert _only(RULE.evaluate(event))["ComplianceType"] == "COMPLIANT"
    # The same policy fails the defaults.
    assert _only(RULE.evaluate(RULE.event("scheduled")))["ComplianceType"] == "NON_COMPLIANT"


def test_boolean_parameters_accept_any_case():
    assert rule.IamPasswordPolicy().evaluate_parameters({"RequireSymbols": "FALSE"})["RequireSymbols"] is False


def test_change_notification_for_another_resource_type_is_not_applicable(api_calls):
    item = configuration_item("AWS::IAM::User", "AIDAEXAMPLE", {"userName": "alice"})
    result = RULE.evaluate(RULE.change_event(item))

    assert _only(result)["ComplianceType"] == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MinimumPasswordLength", "5"),
        ("MinimumPasswordLength", "129"),
        ("MinimumPasswordLength", "fourteen"),
        ("MinimumPasswordLength", "-14"),
        ("PasswordReusePrevention", "0"),
        ("PasswordReusePrevention", "25"),
        ("MaxPasswordAge", "0"),
        ("MaxPasswordAge", "1096"),
        ("MaxPasswordAge", "90.5"),
        ("RequireSymbols", "yes"),
        ("RequireNumbers", "1"),
    ],
)
def test_bad_parameter_value_is_a_customer_error_and_evaluates_nothing(api_calls, name, value):
    result = RULE.evaluate(_with_parameters(**{name: value}))

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert name in result["customerErrorMessage"]
    assert api_calls.operations == []


def test_access_denied_is_reported_as_such(api_calls):
    api_calls.fail("GetAccountPasswordPolicy", code="AccessDenied")

    result = RULE.evaluate(RULE.event("scheduled"))

    assert result["customerErrorCode"] == "AccessDenied"
    assert "PutEvaluations" not in api_calls.operations


def test_old_evaluations_are_not_cleaned_up(api_calls):
    # If clean-up ran, this canned old evaluation would come back as an extra NOT_APPLICABLE result.
    api_calls.respond(
        "GetComplianceDetailsByConfigRule",
        {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {
                        "EvaluationResultQualifier": {
                            "ResourceId": "111111111111",
                            "ResourceType": "AWS::::Account",
                        }
                    }
                }
            ]
        },
    )

    result = RULE.evaluate(RULE.event("scheduled"))

    assert rule.IamPasswordPolicy.delete_old_evaluations_on_scheduled_notification is False
    assert _only(result)["ComplianceResourceId"] == ACCOUNT_ID
    assert "GetComplianceDetailsByConfigRule" not in api_calls.operations
