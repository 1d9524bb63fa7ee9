"""AWS::EC2::SecurityGroup: the AWS Config resource id is the group id, the ARN's last segment."""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# A security group id is sg- and 8 (older) or 17 hexadecimal digits.
_GROUP = re.compile(r"^security-group/(?P<id>sg-(?:[0-9a-f]{8}|[0-9a-f]{17}))$")


def parse(arn: Arn) -> str:
    """arn:<partition>:ec2:<region>:<account>:security-group/sg-... -> the group id."""
    match = _GROUP.match(arn.resource)
    if arn.service != "ec2" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not a security group ARN "
            "(arn:aws:ec2:<region>:<account>:security-group/sg-<8 or 17 hex digits>)"
        )
    return match["id"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The security group's ARN in its account and region."""
    return f"arn:{partition}:ec2:{region}:{account}:security-group/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::EC2::SecurityGroup",
    asff_type="AwsEc2SecurityGroup",
    ocsf_type="AWS::EC2::SecurityGroup",
    parse=parse,
    to_arn=to_arn,
    # RevokeSecurityGroupIngress and RevokeSecurityGroupEgress take the group (resource type security-group*); the
    # Describe actions take none: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
    iam_scopes=(
        IamScope(
            actions=("ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"),
            resources=("arn:{partition}:ec2:{region}:{account}:security-group/*",),
        ),
    ),
)
