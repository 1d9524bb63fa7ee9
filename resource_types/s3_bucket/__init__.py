"""AWS::S3::Bucket: the AWS Config resource id is the bucket name, the ARN's resource part."""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# S3's rules for general purpose bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
# 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP
# address, and none of the reserved prefixes and suffixes.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why `name` is not a valid general purpose bucket name under S3's naming rules; None if it is one."""
    if not _BUCKET.match(name):
        return "3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
    if ".." in name or _IP_ADDRESS.match(name):
        return "no two adjacent periods and not an IP address"
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return "a prefix or suffix S3 reserves"
    return None


def parse(arn: Arn) -> str:
    """arn:<partition>:s3:::<bucket> -> the bucket name (no region or account in a bucket ARN)."""
    problem = None if arn.service != "s3" or arn.region or arn.account else bucket_name_problem(arn.resource)
    if arn.service != "s3" or arn.region or arn.account or problem:
        raise MalformedArnError(f"{arn.text!r} is not an S3 bucket ARN (arn:aws:s3:::bucket-name): {problem}")
    return arn.resource


def to_arn(key: str, *, partition: str = "aws", region: str = "", account: str = "") -> str:
    """The bucket's ARN (region and account are not part of it)."""
    return f"arn:{partition}:s3:::{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::S3::Bucket",
    asff_type="AwsS3Bucket",
    ocsf_type="AWS::S3::Bucket",
    parse=parse,
    to_arn=to_arn,
    # Bucket ARNs carry no account: aws:ResourceAccount pins the bucket to this account
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html,
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount).
    iam_scopes=(
        IamScope(
            actions=(
                "s3:GetEncryptionConfiguration",
                "s3:PutEncryptionConfiguration",
                "s3:GetBucketPublicAccessBlock",
                "s3:PutBucketPublicAccessBlock",
                "s3:GetBucketPolicy",
                "s3:PutBucketPolicy",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:PutBucketVersioning",
            ),
            resources=("arn:{partition}:s3:::*",),
            conditions={"StringEquals": {"aws:ResourceAccount": "{account}"}},
        ),
    ),
)
