"""Each control's CIS v3.0 and FSBP ids, and its Prowler checks, hold for what its rule actually tests.

The requirements below are the frameworks' documented ones (not the catalogue's): a control claiming an id must
use the rule that can test it, with parameters (as the rule parses them, defaults included) at least that strict.
An id without a requirement here fails: its mapping is then unchecked.

- CIS AWS Foundations Benchmark v3.0.0: 1.8 "minimum length of 14 or greater", 1.9 "prevents password reuse"
  (24), 1.14 "access keys are rotated every 90 days or less", 2.1.4 "S3 buckets are configured with Block
  public access (bucket settings)".
- FSBP (https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html): IAM.7 (the four character
  classes and MinimumPasswordLength 8 by default,
  https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-7), IAM.3 (keys rotated every
  90 days or less), S3.8 (block public access at bucket level), S3.17 (encrypted at rest with AWS KMS keys),
  EC2.3 (attached EBS volumes encrypted at rest).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest

from catalogue import Control, load_catalogue

CATALOGUE = load_catalogue()
CHARACTER_CLASSES = ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireSymbols", "RequireNumbers")


def _at_least(name: str, minimum: int) -> Callable[[dict, object], bool]:
    return lambda params, _rule: params.get(name) is not None and params[name] >= minimum


def _at_most(name: str, maximum: int) -> Callable[[dict, object], bool]:
    return lambda params, _rule: params.get(name) is not None and 0 < params[name] <= maximum


def _all_true(*names: str) -> Callable[[dict, object], bool]:
    return lambda params, _rule: all(params.get(n) is True for n in names)


# (framework, id) -> (rule module that can test it, requirement on the rule's parsed parameters and module)
REQUIREMENTS: dict[tuple[str, str], tuple[str, Callable[[dict, object], bool]]] = {
    ("cis_aws_v3.0", "1.8"): ("iam_password_policy", _at_least("MinimumPasswordLength", 14)),
    ("cis_aws_v3.0", "1.9"): ("iam_password_policy", _at_least("PasswordReusePrevention", 24)),
    ("aws_fsbp", "IAM.7"): (
        "iam_password_policy",
        lambda p, r: _all_true(*CHARACTER_CLASSES)(p, r) and _at_least("MinimumPasswordLength", 8)(p, r),
    ),
    ("cis_aws_v3.0", "1.14"): ("iam_access_key_rotation", _at_most("MaxAccessKeyAge", 90)),
    ("aws_fsbp", "IAM.3"): ("iam_access_key_rotation", _at_most("MaxAccessKeyAge", 90)),
    ("cis_aws_v3.0", "2.1.4"): (
        "s3_bucket_level_public_access_block",
        lambda _p, rule: (
            set(rule.SETTINGS) == {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}
        ),
    ),
    ("aws_fsbp", "S3.8"): (
        "s3_bucket_level_public_access_block",
        lambda _p, rule: (
            set(rule.SETTINGS) == {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}
        ),
    ),
    ("aws_fsbp", "S3.17"): ("s3_bucket_kms_encryption", lambda _p, rule: "aws:kms" in rule.KMS_ALGORITHMS),
    ("aws_fsbp", "EC2.3"): (
        "ec2_ebs_volume_encryption",
        lambda _p, rule: "AWS::EC2::Volume" in rule.APPLICABLE_RESOURCES,
    ),
}
# Prowler checks (current and v2 ids) -> what the control must enforce for a failed check to be fixed by its runbook.
PROWLER_REQUIREMENTS: dict[str, Callable[[dict, object], bool]] = {
    "iam_password_policy_minimum_length_14": _at_least("MinimumPasswordLength", 14),
    "check19": _at_least("MinimumPasswordLength", 14),
    "iam_password_policy_reuse_24": _at_least("PasswordReusePrevention", 24),
    "check110": _at_least("PasswordReusePrevention", 24),
    "iam_password_policy_uppercase": _all_true("RequireUppercaseCharacters"),
    "check15": _all_true("RequireUppercaseCharacters"),
    "iam_password_policy_lowercase": _all_true("RequireLowercaseCharacters"),
    "check16": _all_true("RequireLowercaseCharacters"),
    "iam_password_policy_symbol": _all_true("RequireSymbols"),
    "check17": _all_true("RequireSymbols"),
    "iam_password_policy_number": _all_true("RequireNumbers"),
    "check18": _all_true("RequireNumbers"),
    "iam_password_policy_expires_passwords_within_90_days_or_less": _at_most("MaxPasswordAge", 90),
    "check111": _at_most("MaxPasswordAge", 90),
    "iam_rotate_access_key_90_days": _at_most("MaxAccessKeyAge", 90),
    "check14": _at_most("MaxAccessKeyAge", 90),
}


def _rule_and_parameters(control: Control) -> tuple[object, dict]:
    """The rule module and the parameters as it parses the control's (its defaults for those not given)."""
    rule = importlib.import_module(f"config_rules.{control.detection.rule}.rule")
    rule_class = next(
        v
        for v in vars(rule).values()
        if isinstance(v, type) and hasattr(v, "evaluate_parameters") and v.__module__ == rule.__name__
    )
    return rule, rule_class().evaluate_parameters(dict(control.detection.parameters))


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_cis_and_fsbp_ids_hold_for_what_the_rule_tests(control):
    rule, parameters = _rule_and_parameters(control)
    for framework in ("cis_aws_v3.0", "aws_fsbp"):
        for requirement_id in control.frameworks.get(framework, ()):
            assert (framework, requirement_id) in REQUIREMENTS, f"{framework} {requirement_id}: requirement unknown"
            rule_name, holds = REQUIREMENTS[(framework, requirement_id)]
            assert control.detection.rule == rule_name, f"{framework} {requirement_id} needs rule {rule_name}"
            assert holds(parameters, rule), f"{framework} {requirement_id} is weaker than required: {parameters}"


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_every_mapped_prowler_check_is_one_the_control_enforces(control):
    rule, parameters = _rule_and_parameters(control)
    for check in (*control.prowler_checks, *control.prowler_legacy_checks):
        requirement = PROWLER_REQUIREMENTS.get(check)
        if requirement is not None:
            assert requirement(parameters, rule), f"{check} maps here but the control does not enforce it"


def test_password_expiry_is_not_enforced_and_its_prowler_check_is_not_mapped():
    control = CATALOGUE.control("iam-password-policy")
    _rule, parameters = _rule_and_parameters(control)

    assert parameters["MaxPasswordAge"] is None
    assert "iam_password_policy_expires_passwords_within_90_days_or_less" not in CATALOGUE.prowler_check_map()
    # A deployment that wants expiry sets MaxPasswordAge: the requirement then holds and the check may map.
    assert PROWLER_REQUIREMENTS["check111"]({**parameters, "MaxPasswordAge": 90}, None)
