"""AWS::EC2::Subnet: the AWS Config resource id is the subnet id, the ARN's last segment."""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# A subnet id is subnet- and 8 (older) or 17 hexadecimal digits; DescribeSubnets' SubnetArn (which Prowler reports)
# is arn:<partition>:ec2:<region>:<account>:subnet/<subnet id>.
_SUBNET = re.compile(r"^subnet/(?P<id>subnet-(?:[0-9a-f]{8}|[0-9a-f]{17}))$")


def parse(arn: Arn) -> str:
    """arn:<partition>:ec2:<region>:<account>:subnet/subnet-... -> the subnet id."""
    match = _SUBNET.match(arn.resource)
    if arn.service != "ec2" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not a subnet ARN (arn:aws:ec2:<region>:<account>:subnet/subnet-<8 or 17 hex digits>)"
        )
    return match["id"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The subnet's ARN in its account and region."""
    return f"arn:{partition}:ec2:{region}:{account}:subnet/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::EC2::Subnet",
    asff_type="AwsEc2Subnet",
    ocsf_type="AWS::EC2::Subnet",
    parse=parse,
    to_arn=to_arn,
    # ModifySubnetAttribute takes the subnet resource type
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html); DescribeSubnets takes
    # none (granted on "*").
    iam_scopes=(
        IamScope(
            actions=("ec2:ModifySubnetAttribute",),
            resources=("arn:{partition}:ec2:{region}:{account}:subnet/*",),
        ),
    ),
)
