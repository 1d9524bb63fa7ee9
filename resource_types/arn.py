"""ARNs as findings carry them: split into parts, and the errors a resource type's parser raises.

Plain standard library: the bridge's Lambda asset ships this package (infra/bridge_resources.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# client(service_name) -> a boto3 client in the finding's account and region.
ClientFactory = Callable[[str], Any]

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]*):(?P<region>[a-z0-9-]*):"
    r"(?P<account>[^:]*):(?P<resource>.+)$"
)
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT = re.compile(r"^\d{12}$")
# AWS Config's resource type of an account; its own findings name the account resource `AWS::::Account:<id>`
# (it has no ARN), and Security Hub's OCSF findings give it this type.
ACCOUNT_CONFIG_TYPE = "AWS::::Account"
_CONFIG_ACCOUNT_ID = re.compile(r"^AWS::::Account:(?P<account>\d{12})$")
# ARNs are printable ASCII: anything else (control characters, spaces, other scripts) is refused before use.
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")
# An AWS-owned resource: account field exactly "aws", no region, as in an AWS managed policy's ARN
# arn:<partition>:iam::aws:policy/<name> (the pattern in
# https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_AttachedManagedPolicy.html).
_AWS_OWNED = re.compile(r"^arn:(?P<partition>aws[a-z-]*):[a-z0-9-]+::aws:[\x21-\x7e]+$")


class MalformedArnError(ValueError):
    """The finding's resource id is not an ARN of the shape its resource type needs."""


class ResourceNotFoundError(ValueError):
    """The resource named by the ARN does not exist (any more) in the finding's account."""


@dataclass(frozen=True)
class Arn:
    """The parts of an ARN; region and account are "" where the ARN carries none (S3 buckets, IAM)."""

    partition: str
    service: str
    region: str
    account: str
    resource: str
    text: str

    @property
    def last_segment(self) -> str:
        """The resource part's last segment after '/' or ':' (the default resource id)."""
        return re.split(r"[/:]", self.resource)[-1]


def parse_arn(value: object) -> Arn:
    """Split an ARN (or AWS Config's `AWS::::Account:<id>`) into parts; MalformedArnError if it is not one."""
    if not isinstance(value, str) or len(value) > 2048:
        raise MalformedArnError(f"resource id must be an ARN string; got {value!r:.200}")
    config_account = _CONFIG_ACCOUNT_ID.match(value)
    if config_account:
        account = config_account["account"]
        return Arn("", "", "", account, account, value)
    match = _ARN.match(value)
    if not match or not _PRINTABLE.match(value):
        raise MalformedArnError(f"resource id {value!r:.200} is not an ARN (arn:partition:service:region:account:...)")
    if match["region"] and not _REGION.match(match["region"]):
        raise MalformedArnError(f"ARN {value!r} has an invalid region {match['region']!r}")
    if match["account"] and not _ACCOUNT.match(match["account"]):
        raise MalformedArnError(f"ARN {value!r} has an invalid account {match['account']!r} (12 digits expected)")
    return Arn(match["partition"], match["service"], match["region"], match["account"], match["resource"], value)


def config_account_name(account: str) -> str:
    """AWS Config's name of the account resource (`AWS::::Account:<account>`), which parse_arn accepts."""
    return f"{ACCOUNT_CONFIG_TYPE}:{account}"


def finding_arn(resource_id: object, account: str, resource_type: str) -> Arn:
    """parse_arn of a finding's resource id, for a finding of `account` on a control of `resource_type`.

    An AWS-owned resource belongs to no customer account, so on a control of the account it stands for the
    finding's own account (Prowler's iam_support_role_created names the AWS managed policy AWSSupportAccess, not
    the account it audits): AWS Config's account resource, in the policy's partition. Anything else is parsed as it
    is (parse_arn refuses an account field that is not 12 digits; no other type accepts an AWS-owned ARN)."""
    owned = _AWS_OWNED.match(resource_id) if isinstance(resource_id, str) and len(resource_id) <= 2048 else None
    if owned and resource_type == ACCOUNT_CONFIG_TYPE:
        return Arn(owned["partition"], "", "", account, account, config_account_name(account))
    return parse_arn(resource_id)


def last_segment(arn: Arn) -> str:
    """The default resource key: the ARN's last segment after '/' or ':' (MalformedArnError if empty)."""
    segment = arn.last_segment
    if not segment:
        raise MalformedArnError(f"ARN {arn.text!r} has an empty resource id")
    return segment
