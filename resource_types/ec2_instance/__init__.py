"""AWS::EC2::Instance: the AWS Config resource id is the instance id, the ARN's last segment."""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# An EC2 instance id is i- and 8 (older) or 17 hexadecimal digits.
_INSTANCE = re.compile(r"^instance/(?P<id>i-(?:[0-9a-f]{8}|[0-9a-f]{17}))$")


def parse(arn: Arn) -> str:
    """arn:<partition>:ec2:<region>:<account>:instance/i-... -> the instance id."""
    match = _INSTANCE.match(arn.resource)
    if arn.service != "ec2" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not an EC2 instance ARN (arn:aws:ec2:<region>:<account>:instance/i-<8 or 17 hex digits>)"
        )
    return match["id"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The instance's ARN in its account and region."""
    return f"arn:{partition}:ec2:{region}:{account}:instance/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::EC2::Instance",
    asff_type="AwsEc2Instance",
    ocsf_type="AWS::EC2::Instance",
    parse=parse,
    to_arn=to_arn,
    # ModifyInstanceMetadataOptions takes the instance resource (list_amazonec2.html in the Service Authorization
    # Reference); DescribeInstances takes none and is granted on "*".
    iam_scopes=(
        IamScope(
            actions=("ec2:ModifyInstanceMetadataOptions",),
            resources=("arn:{partition}:ec2:{region}:{account}:instance/*",),
        ),
    ),
)
