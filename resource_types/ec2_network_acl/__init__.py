"""AWS::EC2::NetworkAcl: the AWS Config resource id is the network ACL id, the ARN's last segment."""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# A network ACL id is acl- and 8 (older) or 17 hexadecimal digits.
_NETWORK_ACL = re.compile(r"^network-acl/(?P<id>acl-(?:[0-9a-f]{8}|[0-9a-f]{17}))$")


def parse(arn: Arn) -> str:
    """arn:<partition>:ec2:<region>:<account>:network-acl/acl-... -> the network ACL id."""
    match = _NETWORK_ACL.match(arn.resource)
    if arn.service != "ec2" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not a network ACL ARN "
            "(arn:aws:ec2:<region>:<account>:network-acl/acl-<8 or 17 hex digits>)"
        )
    return match["id"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The network ACL's ARN in its account and region."""
    return f"arn:{partition}:ec2:{region}:{account}:network-acl/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::EC2::NetworkAcl",
    asff_type="AwsEc2NetworkAcl",
    ocsf_type="AWS::EC2::NetworkAcl",
    parse=parse,
    to_arn=to_arn,
    # CreateNetworkAclEntry and DeleteNetworkAclEntry take the network-acl resource type
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html); DescribeNetworkAcls
    # takes none (granted on "*").
    iam_scopes=(
        IamScope(
            actions=("ec2:DeleteNetworkAclEntry", "ec2:CreateNetworkAclEntry"),
            resources=("arn:{partition}:ec2:{region}:{account}:network-acl/*",),
        ),
    ),
)
