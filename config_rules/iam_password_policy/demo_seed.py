"""Demo seed: a password policy below the baseline."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from simulation.seeds import SeededResource


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    boto3.client("iam").update_account_password_policy(
        MinimumPasswordLength=8, RequireNumbers=True, RequireUppercaseCharacters=True, MaxPasswordAge=180
    )
    kind = resource_types.get(control.resource_type)
    return [
        SeededResource(
            control.id,
            kind.config_type,
            account,
            kind.to_arn(account, region=region),
            True,
            "length 8, no symbols or lower case required, no reuse prevention, 180-day expiry",
        )
    ]
