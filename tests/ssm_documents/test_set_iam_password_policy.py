"""Runbook set_iam_password_policy: tightens, never loosens, is idempotent, refuses a foreign account."""

from __future__ import annotations

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from config_rules.iam_password_policy import rule
from ssm_documents.set_iam_password_policy import script
from tests.conftest import REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "set_iam_password_policy"
EVENT = load_example(RUNBOOK / "events" / "set_account_password_policy.json")
CIS_POLICY = {
    "MinimumPasswordLength": 14,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "PasswordReusePrevention": 24,
    "MaxPasswordAge": 90,
}
WEAK_POLICY = {
    "MinimumPasswordLength": 8,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": False,
    "RequireSymbols": False,
    "RequireNumbers": True,
    "PasswordReusePrevention": 3,
    "MaxPasswordAge": 365,
    "AllowUsersToChangePassword": False,
    "HardExpiry": True,
}


@pytest.fixture
def iam(aws):
    return boto3.client("iam")


def _policy(iam) -> dict:
    return iam.get_account_password_policy()["PasswordPolicy"]


def _settings(iam) -> dict:
    policy = _policy(iam)
    return {name: policy.get(name) for name in script.SETTINGS}


def _run(**overrides) -> dict:
    return script.set_account_password_policy({**EVENT, **overrides}, None)


def test_account_without_policy_gets_the_requested_one(iam, api_calls):
    result = _run()

    assert _settings(iam) == {**CIS_POLICY, "AllowUsersToChangePassword": True, "HardExpiry": False}
    assert result["Changed"] is True
    assert result["PreviousState"] is None
    assert result["CurrentState"] == {
        **CIS_POLICY,
        "AllowUsersToChangePassword": True,
        "HardExpiry": False,
        "ExpirePasswords": True,
    }
    assert "Created" in result["Message"]
    assert api_calls.mutating == ["UpdateAccountPasswordPolicy"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_weak_policy_is_tightened_keeping_change_and_expiry_behaviour(iam, api_calls):
    iam.update_account_password_policy(**WEAK_POLICY)
    previous = _policy(iam)
    api_calls.clear()

    result = _run()

    assert _settings(iam) == {**CIS_POLICY, "AllowUsersToChangePassword": False, "HardExpiry": True}
    assert result["PreviousState"] == previous
    assert result["Message"] == (
        "Tightened MinimumPasswordLength, RequireLowercaseCharacters, RequireSymbols, "
        "PasswordReusePrevention, MaxPasswordAge; no setting was loosened."
    )
    assert api_calls.mutating == ["UpdateAccountPasswordPolicy"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_stricter_existing_policy_is_never_weakened(iam, api_calls):
    stricter = {
        **CIS_POLICY,
        "MinimumPasswordLength": 20,
        "PasswordReusePrevention": 24,
        "MaxPasswordAge": 30,
    }
    iam.update_account_password_policy(**stricter, AllowUsersToChangePassword=True)
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False
    assert api_calls.mutating == []
    assert {name: _policy(iam)[name] for name in stricter} == stricter


def test_stricter_settings_survive_when_another_setting_is_tightened(iam, api_calls):
    iam.update_account_password_policy(
        **{**CIS_POLICY, "MinimumPasswordLength": 20, "MaxPasswordAge": 30, "RequireSymbols": False}
    )

    result = _run()

    assert result["Changed"] is True
    assert _settings(iam) == {
        **CIS_POLICY,
        "MinimumPasswordLength": 20,
        "MaxPasswordAge": 30,
        "AllowUsersToChangePassword": False,
        "HardExpiry": False,
    }
    assert result["Message"] == "Tightened RequireSymbols; no setting was loosened."


def test_weaker_request_never_loosens_the_policy(iam, api_calls):
    iam.update_account_password_policy(**WEAK_POLICY)
    api_calls.clear()

    result = _run(
        MinimumPasswordLength=6,
        RequireUppercaseCharacters=False,
        RequireLowercaseCharacters=False,
        RequireSymbols=False,
        RequireNumbers=False,
        PasswordReusePrevention=1,
        MaxPasswordAge=1095,
    )

    assert result["Changed"] is False
    assert api_calls.mutating == []
    assert _settings(iam) == WEAK_POLICY


def test_policy_without_expiry_gets_the_requested_age_and_says_what_it_means(iam, api_calls):
    iam.update_account_password_policy(**{k: v for k, v in CIS_POLICY.items() if k != "MaxPasswordAge"})

    result = _run(MaxPasswordAge=60)

    assert _policy(iam)["MaxPasswordAge"] == 60
    assert _policy(iam)["ExpirePasswords"] is True
    assert "Passwords now expire after 60 days" in result["Message"]


def test_second_run_makes_no_mutating_call(iam, api_calls):
    _run()
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"]
    assert api_calls.mutating == []


def test_compliant_policy_is_left_alone(iam, api_calls):
    iam.update_account_password_policy(**CIS_POLICY)
    before = _policy(iam)
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False
    assert result["PreviousState"] == before
    assert api_calls.mutating == []
    assert _policy(iam) == before


def test_aws_error_fails_the_step_and_changes_nothing(iam, api_calls):
    iam.update_account_password_policy(**WEAK_POLICY)
    api_calls.fail("UpdateAccountPasswordPolicy", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        _run()

    assert _settings(iam) == WEAK_POLICY


def test_aws_error_on_an_account_without_policy_leaves_none(iam, api_calls):
    api_calls.fail("UpdateAccountPasswordPolicy", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        _run()

    with pytest.raises(ClientError, match="NoSuchEntity"):
        _policy(iam)


def test_read_error_other_than_no_policy_fails_without_change(iam, api_calls):
    api_calls.fail("GetAccountPasswordPolicy", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        _run()
    assert api_calls.mutating == []


def test_foreign_account_is_refused_without_any_change(iam, api_calls):
    with pytest.raises(ValueError, match="not the account this runbook runs in"):
        _run(AccountId="999999999999")

    assert api_calls.operations == ["GetCallerIdentity"]
    with pytest.raises(ClientError, match="NoSuchEntity"):
        _policy(iam)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"AccountId": None}, "AccountId"),
        ({"AccountId": "12345678901"}, "AccountId"),
        ({"AccountId": "arn:aws:iam::123456789012:root"}, "AccountId"),
        ({"MinimumPasswordLength": 5}, "MinimumPasswordLength"),
        ({"MinimumPasswordLength": 129}, "MinimumPasswordLength"),
        ({"MinimumPasswordLength": True}, "MinimumPasswordLength"),
        ({"MinimumPasswordLength": "14.0"}, "MinimumPasswordLength"),
        ({"PasswordReusePrevention": 0}, "PasswordReusePrevention"),
        ({"PasswordReusePrevention": 25}, "PasswordReusePrevention"),
        ({"MaxPasswordAge": 0}, "MaxPasswordAge"),
        ({"MaxPasswordAge": 1096}, "MaxPasswordAge"),
        ({"RequireSymbols": "yes"}, "RequireSymbols"),
        ({"RequireNumbers": 1}, "RequireNumbers"),
    ],
)
def test_bad_input_is_a_clear_error_with_no_call(aws, api_calls, overrides, message):
    with pytest.raises(ValueError, match=message):
        _run(**overrides)
    assert api_calls.operations == []


def test_string_values_as_ssm_may_pass_them_are_accepted(iam, api_calls):
    _run(MinimumPasswordLength="16", RequireSymbols="false", MaxPasswordAge="45")

    policy = _policy(iam)
    assert (policy["MinimumPasswordLength"], policy["RequireSymbols"], policy["MaxPasswordAge"]) == (
        16,
        False,
        45,
    )


def test_document_defaults_match_the_script_and_the_rule():
    document = yaml.safe_load((RUNBOOK / "document.yaml").read_text())
    parameters = document["parameters"]
    step = document["mainSteps"][0]

    assert list(parameters)[:2] == ["AutomationAssumeRole", "AccountId"]
    # The document's defaults, as the script reads them, are the rule's (an empty MaxPasswordAge is None).
    assert script.requested_settings({name: parameters[name]["default"] for name in rule.DEFAULTS}) == rule.DEFAULTS
    assert script.requested_settings({}) == rule.DEFAULTS
    assert callable(getattr(script, step["inputs"]["Handler"]))
    assert set(step["inputs"]["InputPayload"]) == {"AccountId", "DryRun", *rule.DEFAULTS}
    for name, spec in parameters.items():
        if spec["type"] == "String":
            assert "allowedPattern" in spec, name
        else:
            assert "allowedPattern" not in spec, name


def test_dry_run_returns_the_stricter_policy_and_changes_nothing(iam, api_calls):
    iam.update_account_password_policy(**WEAK_POLICY)
    previous = _policy(iam)
    api_calls.clear()

    result = _run(DryRun=True)

    assert api_calls.mutating == []
    assert _policy(iam) == previous
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == previous == result["CurrentState"]
    assert {name: result["PlannedState"][name] for name in CIS_POLICY} == CIS_POLICY
    assert result["Message"].startswith("Dry run, nothing changed. Would have: Tightened MinimumPasswordLength")


def test_dry_run_of_an_account_without_policy_creates_none(iam, api_calls):
    result = _run(DryRun="true")

    assert result["PreviousState"] is None and result["Changed"] is False
    assert "Created the account password policy" in result["Message"]
    assert api_calls.mutating == []
    with pytest.raises(ClientError, match="NoSuchEntity"):
        _policy(iam)


def test_dry_run_refuses_a_foreign_account_as_a_real_run_does(iam, api_calls):
    with pytest.raises(ValueError, match="is not the account"):
        _run(AccountId="999999999999", DryRun=True)
    assert api_calls.mutating == []


@pytest.mark.parametrize("given", [{}, {"MaxPasswordAge": ""}])
def test_no_max_password_age_sets_no_expiry(iam, api_calls, given):
    event = {k: v for k, v in EVENT.items() if k != "MaxPasswordAge"}
    api_calls.clear()

    result = script.set_account_password_policy({**event, **given}, None)

    assert result["Changed"] is True
    assert "expire" not in result["Message"]
    (update,) = [c.params for c in api_calls.calls if c.operation == "UpdateAccountPasswordPolicy"]
    assert "MaxPasswordAge" not in update
    assert not iam.get_account_password_policy()["PasswordPolicy"].get("MaxPasswordAge")


def test_no_max_password_age_keeps_a_current_expiry(iam, api_calls):
    iam.update_account_password_policy(**{**WEAK_POLICY, "MaxPasswordAge": 60})
    event = {k: v for k, v in EVENT.items() if k != "MaxPasswordAge"}

    script.set_account_password_policy(event, None)

    assert iam.get_account_password_policy()["PasswordPolicy"]["MaxPasswordAge"] == 60


@pytest.mark.parametrize(
    ("value", "accepted"), [("", True), ("1", True), ("90", True), ("1095", True), ("0", False), ("1096", False)]
)
def test_max_password_age_pattern_matches_iam_range(value, accepted):
    import re

    pattern = yaml.safe_load((RUNBOOK / "document.yaml").read_text())["parameters"]["MaxPasswordAge"]["allowedPattern"]
    assert bool(re.match(pattern, value)) is accepted
