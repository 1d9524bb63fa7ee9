"""Demo seed: IAM users with access keys of several ages, active and inactive."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import boto3

from catalogue import Control
from resource_types.iam_user.simulation import moto_clock_shifted, realistic_iam_user_ids
from simulation.seeds import SeededResource

# User name -> (key age in days, key status, note).
USERS = {
    "ci-deployer": (200, "Active", "active key created 200 days ago"),
    "etl-loader": (150, "Active", "active key created 150 days ago"),
    "legacy-batch": (400, "Inactive", "key 400 days old, already inactive"),
    "reporting-service": (0, "Active", "key created today"),
}


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    """Keys can be made old only when moto runs in this process; elsewhere they are new (the note says so)."""
    iam = boto3.client("iam")
    seeded = []
    for name, (age, status, note) in USERS.items():
        with realistic_iam_user_ids() if in_process else contextlib.nullcontext():
            user = iam.create_user(UserName=name)["User"]
        shifted = age and in_process
        with moto_clock_shifted(age) if shifted else contextlib.nullcontext(False):
            key = iam.create_access_key(UserName=name)["AccessKey"]
        if status == "Inactive":
            iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        created = key["CreateDate"]
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        old = (datetime.now(UTC) - created).days > 90
        seeded.append(
            SeededResource(
                control.id,
                control.resource_type,
                user["UserId"],
                user["Arn"],
                old and status == "Active",
                note if (shifted or not age) else f"{note} (clock not movable on this endpoint: key is new)",
            )
        )
    return seeded
