"""AWS::KMS::Key: the AWS Config resource id is the key id, the ARN's last segment (key/<key id>)."""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# A key id is a UUID, or mrk- and 32 hexadecimal digits for a multi-Region key
# (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-id).
KEY_ID = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_KEY = re.compile(rf"^key/(?P<id>{KEY_ID})$")


def parse(arn: Arn) -> str:
    """arn:<partition>:kms:<region>:<account>:key/<key id> -> the key id (an alias ARN is not a key ARN)."""
    match = _KEY.match(arn.resource)
    if arn.service != "kms" or not arn.region or not arn.account or not match:
        raise MalformedArnError(f"{arn.text!r} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)")
    return match["id"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The key's ARN in its account and region."""
    return f"arn:{partition}:kms:{region}:{account}:key/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::KMS::Key",
    asff_type="AwsKmsKey",
    ocsf_type="AWS::KMS::Key",
    parse=parse,
    to_arn=to_arn,
    # All take the key resource (list_awskeymanagementservice.html in the Service Authorization Reference): only
    # keys of this account and region. kms:DescribeKey is left unscoped here on purpose: other runbooks need it on
    # keys of other accounts (a bucket's or volume's key), and a scope here would narrow it for them too.
    iam_scopes=(
        IamScope(
            actions=("kms:EnableKeyRotation", "kms:GetKeyRotationStatus", "kms:CancelKeyDeletion"),
            resources=("arn:{partition}:kms:{region}:{account}:key/*",),
        ),
    ),
)
