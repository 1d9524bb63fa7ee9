"""IAM users in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

import boto3

from resource_types.simulation import lower_camel


def configuration_items(account: str, region: str) -> list[dict]:
    """IAM users as AWS Config records them (resource id: the user id, region "global"), with their tags."""
    iam = boto3.client("iam", region_name=region)
    items = []
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            tags = iam.list_user_tags(UserName=user["UserName"])["Tags"]
            items.append(
                {
                    "resourceId": user["UserId"],
                    "resourceName": user["UserName"],
                    "ARN": user["Arn"],
                    "awsRegion": "global",
                    "configuration": lower_camel(user),
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in tags},
                }
            )
    return items


@contextlib.contextmanager
def moto_clock_shifted(days: int) -> Iterator[bool]:
    """Create IAM keys `days` in the past: only possible when moto runs in this process (yields whether it is)."""
    try:
        import moto.iam.models as iam_models
    except ImportError:  # pragma: no cover - moto is a development dependency
        yield False
        return
    original = iam_models.utcnow
    iam_models.utcnow = lambda: original() - timedelta(days=days)
    try:
        yield True
    finally:
        iam_models.utcnow = original


@contextlib.contextmanager
def realistic_iam_user_ids() -> Iterator[None]:
    """Moto makes lower-case user ids; AWS's are AIDA + 17 upper-case characters (the runbook checks the form)."""
    import random
    import string

    import moto.iam.models as iam_models

    original = iam_models.random_resource_id
    alphabet = string.ascii_uppercase + string.digits
    iam_models.random_resource_id = lambda size=20: "AIDA" + "".join(random.choices(alphabet, k=17))  # noqa: S311
    try:
        yield
    finally:
        iam_models.random_resource_id = original


def stale_key(account: str, region: str) -> None:
    """None: the bridge's lookup (iam:GetUser) refuses a missing user before any run starts."""
    return None
