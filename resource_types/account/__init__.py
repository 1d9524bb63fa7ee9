"""AWS::::Account: the AWS Config resource id is the 12-digit account id.

Findings name it by an IAM ARN of the account (Prowler's synthetic `arn:aws:iam:<region>:<account>:password-policy`,
`...:root`, `...:<account>`) or, from AWS Config, `AWS::::Account:<account>` (resource_types/arn.py).
"""

from __future__ import annotations

from resource_types import ResourceType
from resource_types.arn import ACCOUNT_CONFIG_TYPE, Arn, MalformedArnError


def parse(arn: Arn) -> str:
    """An account ARN (or AWS Config's account name) -> the account id."""
    if not arn.account:
        raise MalformedArnError(f"{arn.text!r} names no account")
    if arn.service and (arn.service != "iam" or arn.resource not in ("password-policy", "root", arn.account)):
        raise MalformedArnError(
            f"{arn.text!r} is not an account ARN (arn:aws:iam:[region]:<account>:password-policy | root | <account>)"
        )
    return arn.account


def to_arn(key: str, *, partition: str = "aws", region: str, account: str = "") -> str:
    """The ARN Prowler gives the account's password policy, in the region it scanned."""
    return f"arn:{partition}:iam:{region}:{key}:password-policy"


RESOURCE_TYPE = ResourceType(
    config_type=ACCOUNT_CONFIG_TYPE,
    asff_type="AwsAccount",
    ocsf_type=ACCOUNT_CONFIG_TYPE,
    parse=parse,
    to_arn=to_arn,
)
