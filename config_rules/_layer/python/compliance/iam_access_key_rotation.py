"""The access key rotation control (CIS 1.14, FSBP IAM.3): its parameter and which access keys are too old.

Used by the rule iam_access_key_rotation and the runbook deactivate_unrotated_iam_access_keys (see this package's
docstring). Only Active keys count: an Inactive key cannot authenticate.
"""

from datetime import UTC, datetime

# name -> (default, lowest accepted, highest accepted): whole days.
INTEGER_PARAMETERS: dict[str, tuple[int, int, int]] = {"MaxAccessKeyAge": (90, 1, 3650)}


def key_age_days(create_date: datetime, now: datetime) -> int:
    """Whole days elapsed since `create_date` (UTC if it names no zone)."""
    if create_date.tzinfo is None:
        create_date = create_date.replace(tzinfo=UTC)
    return (now - create_date).days


def too_old(age_days: int, max_age: int) -> bool:
    """True when an active key `age_days` old breaks the control: older than `max_age` whole days."""
    return age_days > max_age


def unrotated_keys(keys: list[dict], max_age: int, now: datetime) -> list[tuple[str, int]]:
    """(AccessKeyId, age in days) of the Active keys of ListAccessKeys' `keys` that are too old, by key id."""
    return sorted(
        (key["AccessKeyId"], key_age_days(key["CreateDate"], now))
        for key in keys
        if key["Status"] == "Active" and too_old(key_age_days(key["CreateDate"], now), max_age)
    )
