"""AWS::EC2::Volume: the AWS Config resource id is the volume id, the ARN's last segment."""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# An EBS volume id is vol- and 8 (older) or 17 hexadecimal digits.
_VOLUME = re.compile(r"^volume/(?P<id>vol-(?:[0-9a-f]{8}|[0-9a-f]{17}))$")


def parse(arn: Arn) -> str:
    """arn:<partition>:ec2:<region>:<account>:volume/vol-... -> the volume id."""
    match = _VOLUME.match(arn.resource)
    if arn.service != "ec2" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not an EBS volume ARN (arn:aws:ec2:<region>:<account>:volume/vol-<8 or 17 hex digits>)"
        )
    return match["id"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The volume's ARN in its account and region."""
    return f"arn:{partition}:ec2:{region}:{account}:volume/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::EC2::Volume",
    asff_type="AwsEc2Volume",
    ocsf_type="AWS::EC2::Volume",
    parse=parse,
    to_arn=to_arn,
    # Replacing a volume touches the volume, its instance and the snapshot between them; snapshot ARNs carry no
    # account (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
    iam_scopes=(
        IamScope(
            actions=(
                "ec2:StopInstances",
                "ec2:StartInstances",
                "ec2:CreateSnapshot",
                "ec2:CopySnapshot",
                "ec2:CreateVolume",
                "ec2:DetachVolume",
                "ec2:AttachVolume",
                "ec2:ModifyInstanceAttribute",
                "ec2:DeleteVolume",
            ),
            resources=(
                "arn:{partition}:ec2:{region}:{account}:volume/*",
                "arn:{partition}:ec2:{region}:{account}:instance/*",
                "arn:{partition}:ec2:{region}::snapshot/*",
            ),
        ),
    ),
)
