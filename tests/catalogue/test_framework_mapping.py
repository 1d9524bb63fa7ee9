"""Each control's CIS v3.0 and FSBP ids, and its Prowler checks, hold for what its rule actually tests.

The requirements are the frameworks' documented ones (not the catalogue's), declared beside each rule's tests
(`FRAMEWORK_REQUIREMENTS`, `PROWLER_REQUIREMENTS` in tests/config_rules/test_<rule>.py; tests/framework_requirements.py
says how). A control claiming an id must use a rule that states the requirement, with parameters (as the rule parses
them, defaults included) at least that strict. An id its rule does not state fails: its mapping is then unchecked.
"""

from __future__ import annotations

import dataclasses
import importlib

import pytest

from catalogue import Control, load_catalogue

CATALOGUE = load_catalogue()


def _rule_and_parameters(control: Control) -> tuple[object, dict]:
    """The rule module and the parameters as it parses the control's (its defaults for those not given)."""
    rule = importlib.import_module(f"config_rules.{control.detection.rule}.rule")
    rule_class = next(
        v
        for v in vars(rule).values()
        if isinstance(v, type) and hasattr(v, "evaluate_parameters") and v.__module__ == rule.__name__
    )
    return rule, rule_class().evaluate_parameters(dict(control.detection.parameters))


def _rule_tests(control: Control) -> object:
    """The rule's test module, which states the framework requirements the rule can test."""
    return importlib.import_module(f"tests.config_rules.test_{control.detection.rule}")


def _check_framework_claims(control: Control) -> None:
    """Every CIS v3.0 and FSBP id the control claims is one its rule states, and holds for its parameters."""
    rule, parameters = _rule_and_parameters(control)
    stated = getattr(_rule_tests(control), "FRAMEWORK_REQUIREMENTS", {})
    for framework in ("cis_aws_v3.0", "aws_fsbp"):
        for requirement_id in control.frameworks.get(framework, ()):
            holds = stated.get((framework, requirement_id))
            assert holds, f"{framework} {requirement_id}: not a requirement rule {control.detection.rule} states"
            assert holds(parameters, rule), f"{framework} {requirement_id} is weaker than required: {parameters}"


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_cis_and_fsbp_ids_hold_for_what_the_rule_tests(control):
    _check_framework_claims(control)


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_every_mapped_prowler_check_is_one_the_control_enforces(control):
    rule, parameters = _rule_and_parameters(control)
    stated = getattr(_rule_tests(control), "PROWLER_REQUIREMENTS", {})
    for check in (*control.prowler_checks, *control.prowler_legacy_checks):
        requirement = stated.get(check)
        if requirement is not None:
            assert requirement(parameters, rule), f"{check} maps here but the control does not enforce it"


def test_a_claim_the_rule_does_not_state_fails():
    control = CATALOGUE.control("iam-password-policy")
    claimed = {**control.frameworks, "aws_fsbp": (*control.frameworks.get("aws_fsbp", ()), "S3.1")}
    with pytest.raises(AssertionError, match=r"S3\.1: not a requirement rule iam_password_policy states"):
        _check_framework_claims(dataclasses.replace(control, frameworks=claimed))


def test_a_weaker_parameter_fails():
    control = CATALOGUE.control("iam-password-policy")
    weaker = dataclasses.replace(
        control, detection=dataclasses.replace(control.detection, parameters={"MinimumPasswordLength": "8"})
    )
    with pytest.raises(AssertionError, match=r"1\.8 is weaker than required"):
        _check_framework_claims(weaker)


def test_password_expiry_is_not_enforced_and_its_prowler_check_is_not_mapped():
    control = CATALOGUE.control("iam-password-policy")
    _rule, parameters = _rule_and_parameters(control)
    prowler = _rule_tests(control).PROWLER_REQUIREMENTS

    assert parameters["MaxPasswordAge"] is None
    assert "iam_password_policy_expires_passwords_within_90_days_or_less" not in CATALOGUE.prowler_check_map()
    # A deployment that wants expiry sets MaxPasswordAge: the requirement then holds and the check may map.
    assert prowler["check111"]({**parameters, "MaxPasswordAge": 90}, None)
