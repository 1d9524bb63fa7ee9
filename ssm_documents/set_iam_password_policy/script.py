"""Runbook script: make the IAM account password policy at least as strict as requested, never weaker.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module. The parameters (names,
defaults, IAM's ranges) and what "weaker" means are the rule's (compliance.iam_password_policy, embedded too).
The target policy is, setting by setting, the STRICTER of the current policy and the request, so a
policy that is already stricter than the request (say length 20, max age 30) is never loosened.
AllowUsersToChangePassword and HardExpiry are not compliance settings: they are kept as they are.
"""

import re

import boto3
import botocore.exceptions
from compliance.iam_password_policy import (
    BOOLEAN_PARAMETERS,
    CHARACTER_CLASSES,
    INTEGER_PARAMETERS,
    normalised,
    weaker_settings,
)

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy")

# The settings UpdateAccountPasswordPolicy takes (it has no partial update: all are sent every time).
SETTINGS = (
    "MinimumPasswordLength",
    *CHARACTER_CLASSES,
    "PasswordReusePrevention",
    "MaxPasswordAge",
    "AllowUsersToChangePassword",
    "HardExpiry",
)
# What IAM applies to settings that are absent when no policy exists at all.
NO_POLICY_KEPT_SETTINGS = {"AllowUsersToChangePassword": True, "HardExpiry": False}
ACCOUNT_ID = re.compile(r"^\d{12}$")


def _integer(events: dict, name: str) -> int | None:
    default, low, high = INTEGER_PARAMETERS[name]
    raw = events.get(name, default)
    if default is None and (raw is None or (isinstance(raw, str) and not raw.strip())):
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    # bool is a subclass of int: True must not pass as 1.
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    if not low <= raw <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {raw}")
    return raw


def _boolean(events: dict, name: str) -> bool:
    raw = events.get(name, BOOLEAN_PARAMETERS[name])
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    if not isinstance(raw, bool):
        raise ValueError(f"{name} must be true or false, got {raw!r}")
    return raw


def requested_settings(events: dict) -> dict:
    """The validated request: the seven compliance settings (defaults for those not given)."""
    requested: dict[str, int | bool] = {name: _integer(events, name) for name in INTEGER_PARAMETERS}
    requested.update({name: _boolean(events, name) for name in CHARACTER_CLASSES})
    return requested


def _normalised(policy: dict | None) -> dict:
    """The SETTINGS of a GetAccountPasswordPolicy answer (None: no policy), absent values made explicit."""
    settings = normalised(policy)
    for name, default in NO_POLICY_KEPT_SETTINGS.items():
        settings[name] = bool(policy.get(name, default)) if policy else default
    return settings


def stricter_policy(current: dict, requested: dict) -> dict:
    """Setting by setting, the stricter of `current` (normalised) and `requested`: never weaker than now."""
    target = dict(current)
    target["MinimumPasswordLength"] = max(current["MinimumPasswordLength"], requested["MinimumPasswordLength"])
    for name in CHARACTER_CLASSES:
        target[name] = current[name] or requested[name]
    target["PasswordReusePrevention"] = max(current["PasswordReusePrevention"], requested["PasswordReusePrevention"])
    age, wanted = current["MaxPasswordAge"], requested["MaxPasswordAge"]
    if wanted is not None:
        target["MaxPasswordAge"] = min(age, wanted) if age else wanted
    return target


def _update_arguments(target: dict) -> dict:
    """UpdateAccountPasswordPolicy's arguments: MaxPasswordAge 0 (no expiry) is expressed by leaving it out."""
    return {name: value for name, value in target.items() if not (name == "MaxPasswordAge" and not value)}


def _current_policy(iam: object) -> dict | None:
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchEntity":
            return None
        raise


def _as_policy(settings: dict) -> dict:
    """`settings` in the shape GetAccountPasswordPolicy reports them."""
    return {**settings, "ExpirePasswords": settings["MaxPasswordAge"] > 0}


def set_account_password_policy(events: dict, context: object) -> dict:
    """Raise the account password policy to at least the requested settings; change nothing if it is there.

    With DryRun true it makes the same checks and returns the policy it would set (PlannedState), changing nothing.
    """
    dry_run = _dry_run(events)
    account_id = events.get("AccountId")
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        raise ValueError(f"AccountId must be a 12-digit AWS account id, got {account_id!r}")
    requested = requested_settings(events)

    caller_account = boto3.client("sts").get_caller_identity()["Account"]
    if account_id != caller_account:
        # The password policy is per account: a run meant for another account must not change this one.
        raise ValueError(
            f"AccountId {account_id} is not the account this runbook runs in ({caller_account}); nothing changed"
        )

    iam = boto3.client("iam")
    previous = _current_policy(iam)
    current = _normalised(previous)
    target = stricter_policy(current, requested)
    if previous is not None and not weaker_settings(previous, requested):
        return {
            "AccountId": account_id,
            "DryRun": dry_run,
            "WouldChange": False,
            "Changed": False,
            "PreviousState": previous,
            "PlannedState": previous,
            "CurrentState": previous,
            "Message": "The password policy already meets every requested setting; nothing changed.",
        }

    result = {"AccountId": account_id, "DryRun": dry_run, "WouldChange": True, "PreviousState": previous}
    planned = _as_policy(target)
    if dry_run:
        message = f"Dry run, nothing changed. Would have: {_change_message(previous, current, target)}"
        return {**result, "Changed": False, "PlannedState": planned, "CurrentState": previous, "Message": message}
    # One call, applied by IAM as a whole: either the new policy is in force or the old one still is.
    iam.update_account_password_policy(**_update_arguments(target))
    message = _change_message(previous, current, target)
    return {**result, "Changed": True, "PlannedState": planned, "CurrentState": planned, "Message": message}


def _change_message(previous: dict | None, current: dict, target: dict) -> str:
    """What setting the policy to `target` does, for the operator."""
    if previous is None:
        message = "Created the account password policy (there was none)."
    else:
        raised = [name for name in SETTINGS if target[name] != current[name]]
        message = f"Tightened {', '.join(raised)}; no setting was loosened."
    if not current["MaxPasswordAge"] and target["MaxPasswordAge"]:
        message += (
            f" Passwords now expire after {target['MaxPasswordAge']} days: older ones expire at once and"
            " must be changed at the next console sign-in"
            + (" (HardExpiry is on: by an administrator)." if target["HardExpiry"] else ".")
        )
    return message
