"""AWS::CloudTrail::Trail: the AWS Config resource id is the trail name, the ARN's last segment (trail/<name>).

A trail's ARN names its home Region and the account that owns it: an organization trail seen from a member account,
or a multi-Region trail's shadow copy in another Region, carries the owner's account and home Region, so only
the owner, in the home Region, can change it (UpdateTrail "must be called from the Region in which the trail was
created": https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html).
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# CloudTrail's trail name rules (the Name parameter of
# https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html): 3-128 ASCII letters,
# digits, '.', '_' and '-', starting and ending with a letter or digit, no two of '.', '_', '-' adjacent, not an IP
# address.
TRAIL_NAME = r"(?![\d.]+$)(?!.*[._-]{2})[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]"
_TRAIL = re.compile(rf"^trail/(?P<name>{TRAIL_NAME})$")


def parse(arn: Arn) -> str:
    """arn:<partition>:cloudtrail:<home region>:<account>:trail/<name> -> the trail name."""
    match = _TRAIL.match(arn.resource)
    if arn.service != "cloudtrail" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not a CloudTrail trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>)"
        )
    return match["name"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The ARN of the trail named `key`, whose home Region is `region`."""
    return f"arn:{partition}:cloudtrail:{region}:{account}:trail/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::CloudTrail::Trail",
    asff_type="AwsCloudTrailTrail",
    ocsf_type="AWS::CloudTrail::Trail",
    parse=parse,
    to_arn=to_arn,
    # Both take the trail resource (list_awscloudtrail.html in the Service Authorization Reference): only trails of
    # this account whose home Region is this one.
    iam_scopes=(
        IamScope(
            actions=("cloudtrail:GetTrail", "cloudtrail:UpdateTrail"),
            resources=("arn:{partition}:cloudtrail:{region}:{account}:trail/*",),
        ),
    ),
)
