"""Runbook script: deactivate an IAM user's active access keys older than MaxAccessKeyAge days.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module. Which keys are too old,
and MaxAccessKeyAge's default and range, are the AWS Config rule's (compliance.iam_access_key_rotation, embedded too).
Keys are only ever set Inactive (reversible with iam:UpdateAccessKey Status=Active), never deleted.
Newer keys and keys already inactive are left untouched.
"""

import re
from datetime import UTC, datetime

import boto3
from compliance.iam_access_key_rotation import INTEGER_PARAMETERS, key_age_days, unrotated_keys

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("iam:ListUsers", "iam:ListAccessKeys", "iam:UpdateAccessKey")
USER_ID_PATTERN = re.compile(r"^AIDA[A-Z0-9]{4,128}$")
DEFAULT_MAX_ACCESS_KEY_AGE, MIN_MAX_ACCESS_KEY_AGE, MAX_MAX_ACCESS_KEY_AGE = INTEGER_PARAMETERS["MaxAccessKeyAge"]


def _now() -> datetime:
    """The current time (UTC). A function so tests can move the clock forward."""
    return datetime.now(UTC)


def _max_age(value: object) -> int:
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.strip().isdigit())
    ):
        raise ValueError(f"MaxAccessKeyAge must be a whole number of days; got {value!r}")
    days = int(value)
    if not MIN_MAX_ACCESS_KEY_AGE <= days <= MAX_MAX_ACCESS_KEY_AGE:
        raise ValueError(
            f"MaxAccessKeyAge must be from {MIN_MAX_ACCESS_KEY_AGE} to {MAX_MAX_ACCESS_KEY_AGE} days; got {days}"
        )
    return days


def _find_user(iam: object, user_id: str) -> dict:
    """The user whose UserId is `user_id` (AWS Config's resource id for AWS::IAM::User)."""
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            if user["UserId"] == user_id:
                return user
    raise ValueError(f"No IAM user with UserId {user_id} in this account; nothing changed.")


def _user_id(events: dict) -> str:
    user_id = events.get("IAMResourceId")
    if not isinstance(user_id, str) or not USER_ID_PATTERN.match(user_id):
        raise ValueError(f"IAMResourceId must be an IAM user id (AIDA...); got {user_id!r}")
    return user_id


def _key_states(iam: object, user_name: str, max_age: int) -> tuple[dict, list[str], dict]:
    """(each key's status and age now, the keys to deactivate, each key's state after deactivating them)."""
    keys = []
    for page in iam.get_paginator("list_access_keys").paginate(UserName=user_name):
        keys.extend(page["AccessKeyMetadata"])
    now = _now()
    previous = {
        key["AccessKeyId"]: {"Status": key["Status"], "AgeDays": key_age_days(key["CreateDate"], now)} for key in keys
    }
    to_deactivate = [key_id for key_id, _ in unrotated_keys(keys, max_age, now)]
    planned = {
        key_id: {**state, "Status": "Inactive" if key_id in to_deactivate else state["Status"]}
        for key_id, state in previous.items()
    }
    return previous, to_deactivate, planned


def _described(key_ids: list[str], previous: dict) -> str:
    return ", ".join(f"{key_id} ({previous[key_id]['AgeDays']} days old)" for key_id in key_ids)


def _deactivate(iam: object, user_name: str, to_deactivate: list[str]) -> list[str]:
    """Set each key Inactive in turn; a failure names the keys done and not yet done, and propagates."""
    deactivated: list[str] = []
    for key_id in to_deactivate:
        try:
            iam.update_access_key(UserName=user_name, AccessKeyId=key_id, Status="Inactive")
        except Exception as error:
            error.add_note(
                f"Deactivated before the failure: {', '.join(deactivated) or 'none'}. "
                f"Not yet deactivated: {', '.join(to_deactivate[len(deactivated) :])}. No key was deleted."
            )
            raise
        deactivated.append(key_id)
    return deactivated


def deactivate_unrotated_access_keys(events: dict, context: object) -> dict:
    """Set Inactive every Active access key of user `events["IAMResourceId"]` older than MaxAccessKeyAge days.

    Each key is deactivated by one UpdateAccessKey call, which either happens or not. If a call fails
    the step fails with that error: keys deactivated earlier in the run stay Inactive (the requested end
    state for them; the error notes which), no key is deleted, and a re-run finishes the rest without
    touching them again. With DryRun true it makes the same checks and returns the keys it would deactivate
    (KeysToDeactivate, PlannedState) without changing any.
    """
    dry_run = _dry_run(events)
    user_id = _user_id(events)
    max_age = _max_age(events.get("MaxAccessKeyAge", DEFAULT_MAX_ACCESS_KEY_AGE))
    iam = boto3.client("iam")
    user_name = _find_user(iam, user_id)["UserName"]
    previous, to_deactivate, planned = _key_states(iam, user_name, max_age)
    result = {
        "IAMResourceId": user_id,
        "UserName": user_name,
        "MaxAccessKeyAge": max_age,
        "DryRun": dry_run,
        "WouldChange": bool(to_deactivate),
        "KeysToDeactivate": to_deactivate,
        "PreviousState": previous,
        "PlannedState": planned,
    }
    if not to_deactivate or dry_run:
        message = (
            f"Dry run: would deactivate access key(s) of user {user_name} older than {max_age} days: "
            f"{_described(to_deactivate, previous)}. Nothing changed."
            if to_deactivate
            else f"User {user_name} has no active access key older than {max_age} days; nothing changed."
        )
        return {**result, "DeactivatedKeys": [], "CurrentState": previous, "Changed": False, "Message": message}
    deactivated = _deactivate(iam, user_name, to_deactivate)
    message = (
        f"Deactivated access key(s) of user {user_name} older than {max_age} days: {_described(deactivated, previous)}."
        " No key was deleted; reactivate with iam:UpdateAccessKey Status=Active if needed."
    )
    return {**result, "DeactivatedKeys": deactivated, "CurrentState": planned, "Changed": True, "Message": message}
