"""Resource id resolvers: from a finding's resource ARN to the id AWS Config and the runbooks use.

A registry keyed by AWS Config resource type. Each resolver has a static `parse` step (ARN -> key, no
AWS call, raises MalformedArnError) that the bridge runs before it claims or changes anything, and an
optional `lookup` step (key -> resource id) for types whose AWS Config id is not in the ARN:
AWS::IAM::User is identified by its UserId (AIDA...), found with iam:GetUser.
Types without an entry use the DEFAULT: the last segment of the ARN's resource part after '/' or ':'.
A new resource type whose id is that last segment needs no code here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

# client(service_name) -> a boto3 client in the finding's account and region.
ClientFactory = Callable[[str], Any]

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]*):(?P<region>[a-z0-9-]*):"
    r"(?P<account>[^:]*):(?P<resource>.+)$"
)
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT = re.compile(r"^\d{12}$")
# AWS Config's own findings name the account resource this way (it has no ARN).
_CONFIG_ACCOUNT_ID = re.compile(r"^AWS::::Account:(?P<account>\d{12})$")
# S3's rules for general purpose bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
# 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP
# address, and none of the reserved prefixes and suffixes.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_IAM_USER = re.compile(r"^user/(?:[\x21-\x7e]+/)?(?P<name>[\w+=,.@-]{1,64})$", re.ASCII)
# An EBS volume id is vol- and 8 (older) or 17 hexadecimal digits.
_VOLUME = re.compile(r"^volume/(?P<id>vol-(?:[0-9a-f]{8}|[0-9a-f]{17}))$")
# ARNs are printable ASCII: anything else (control characters, spaces, other scripts) is refused before use.
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


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
        """The resource part's last segment after '/' or ':' (the DEFAULT resource id)."""
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


@dataclass(frozen=True)
class Resolver:
    """How to get the AWS Config resource id of one resource type from its ARN."""

    parse: Callable[[Arn], str]  # static; raises MalformedArnError
    lookup: Callable[[str, ClientFactory], str] | None = None  # API call(s) in the finding's account


RESOLVERS: dict[str, Resolver] = {}


def register(resource_type: str, parse: Callable[[Arn], str], lookup: Callable[..., str] | None = None) -> None:
    """Add or replace the resolver for an AWS Config resource type."""
    RESOLVERS[resource_type] = Resolver(parse, lookup)


def _default(arn: Arn) -> str:
    segment = arn.last_segment
    if not segment:
        raise MalformedArnError(f"ARN {arn.text!r} has an empty resource id")
    return segment


def bucket_name_problem(name: str) -> str | None:
    """Why `name` is not a valid general purpose bucket name under S3's naming rules; None if it is one."""
    if not _BUCKET.match(name):
        return "3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
    if ".." in name or _IP_ADDRESS.match(name):
        return "no two adjacent periods and not an IP address"
    if name.startswith(_BUCKET_RESERVED_PREFIXES) or name.endswith(_BUCKET_RESERVED_SUFFIXES):
        return "a prefix or suffix S3 reserves"
    return None


def _bucket(arn: Arn) -> str:
    problem = None if arn.service != "s3" or arn.region or arn.account else bucket_name_problem(arn.resource)
    if arn.service != "s3" or arn.region or arn.account or problem:
        raise MalformedArnError(f"{arn.text!r} is not an S3 bucket ARN (arn:aws:s3:::bucket-name): {problem}")
    return arn.resource


def _account(arn: Arn) -> str:
    if not arn.account:
        raise MalformedArnError(f"{arn.text!r} names no account")
    if arn.service and (arn.service != "iam" or arn.resource not in ("password-policy", "root", arn.account)):
        raise MalformedArnError(
            f"{arn.text!r} is not an account ARN (arn:aws:iam:[region]:<account>:password-policy | root | <account>)"
        )
    return arn.account


def _iam_user_name(arn: Arn) -> str:
    match = _IAM_USER.match(arn.resource)
    if arn.service != "iam" or arn.region or not arn.account or not match or "//" in arn.resource:
        raise MalformedArnError(f"{arn.text!r} is not an IAM user ARN (arn:aws:iam::<account>:user/[path/]name)")
    return match["name"]


def _iam_user_id(user_name: str, client: ClientFactory) -> str:
    try:
        return client("iam").get_user(UserName=user_name)["User"]["UserId"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            raise ResourceNotFoundError(f"IAM user {user_name!r} does not exist") from error
        raise


def _volume(arn: Arn) -> str:
    match = _VOLUME.match(arn.resource)
    if arn.service != "ec2" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not an EBS volume ARN (arn:aws:ec2:<region>:<account>:volume/vol-<8 or 17 hex digits>)"
        )
    return match["id"]


register("AWS::S3::Bucket", _bucket)
register("AWS::::Account", _account)
register("AWS::IAM::User", _iam_user_name, _iam_user_id)
register("AWS::EC2::Volume", _volume)
DEFAULT_RESOLVER = Resolver(_default)


def resource_key(arn: Arn, resource_type: str) -> str:
    """The static part of resolving: validates the ARN for `resource_type`, no AWS call."""
    return RESOLVERS.get(resource_type, DEFAULT_RESOLVER).parse(arn)


def needs_lookup(resource_type: str) -> bool:
    """Whether resolving `resource_type` calls an AWS API (after the static parse)."""
    return RESOLVERS.get(resource_type, DEFAULT_RESOLVER).lookup is not None


def resolve_resource_id(arn: Arn | str, resource_type: str, client: ClientFactory) -> str:
    """The AWS Config resource id of the resource `arn` names (iam:GetUser for IAM users)."""
    parsed = arn if isinstance(arn, Arn) else parse_arn(arn)
    resolver = RESOLVERS.get(resource_type, DEFAULT_RESOLVER)
    key = resolver.parse(parsed)
    return resolver.lookup(key, client) if resolver.lookup else key
