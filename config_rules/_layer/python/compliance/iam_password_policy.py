"""The IAM account password policy control (CIS 1.8/1.9, FSBP IAM.7): its parameters and which settings are weaker.

Used by the rule iam_password_policy and the runbook set_iam_password_policy (see this package's docstring).
Each setting is a minimum (length, reuse count, required character classes) or a maximum (password age).
"""

CHARACTER_CLASSES = (
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
    "RequireSymbols",
    "RequireNumbers",
)
# name -> (default, lowest accepted, highest accepted); the ranges are the ones IAM itself accepts
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html). MaxPasswordAge
# defaults to None, "no expiry required": CIS v3.0 and FSBP IAM.7 require none; empty or absent means the same.
INTEGER_PARAMETERS: dict[str, tuple[int | None, int, int]] = {
    "MinimumPasswordLength": (14, 6, 128),
    "PasswordReusePrevention": (24, 1, 24),
    "MaxPasswordAge": (None, 1, 1095),
}
BOOLEAN_PARAMETERS: dict[str, bool] = dict.fromkeys(CHARACTER_CLASSES, True)
DEFAULTS: dict[str, int | bool | None] = {
    **{name: spec[0] for name, spec in INTEGER_PARAMETERS.items()},
    **BOOLEAN_PARAMETERS,
}


def normalised(policy: dict | None) -> dict:
    """The compliance settings of a GetAccountPasswordPolicy answer (None: no policy), absent ones made explicit.

    IAM omits MaxPasswordAge when passwords never expire (moto reports 0): 0 means no expiry."""
    policy = policy or {}
    return {
        "MinimumPasswordLength": int(policy.get("MinimumPasswordLength") or 0),
        **{name: bool(policy.get(name, False)) for name in CHARACTER_CLASSES},
        "PasswordReusePrevention": int(policy.get("PasswordReusePrevention") or 0),
        "MaxPasswordAge": int(policy.get("MaxPasswordAge") or 0),
    }


def _below(name: str, current: dict, required: dict) -> str:
    """The finding for a minimum setting below its requirement, "" when it is not."""
    return f"{name} {current[name]} (min {required[name]})" if current[name] < required[name] else ""


def weaker_settings(policy: dict, required: dict) -> list[str]:
    """Human-readable list of the settings of `policy` that are weaker than `required` (empty: compliant)."""
    current = normalised(policy)
    findings = [_below("MinimumPasswordLength", current, required)]
    findings.extend(f"{name} off" for name in CHARACTER_CLASSES if required[name] and not current[name])
    findings.append(_below("PasswordReusePrevention", current, required))
    findings = [finding for finding in findings if finding]
    age, wanted = current["MaxPasswordAge"], required["MaxPasswordAge"]
    if wanted is None:
        return findings  # no expiry required
    if age == 0:
        findings.append(f"MaxPasswordAge never expires (max {wanted})")
    elif age > wanted:
        findings.append(f"MaxPasswordAge {age} (max {wanted})")
    return findings
