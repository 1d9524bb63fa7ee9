"""AWS::SNS::Topic: the AWS Config resource id is the topic ARN itself.

ARN: arn:<partition>:sns:<region>:<account>:<topic name>, as Prowler reports it (ListTopics' TopicArn). AWS Config
records a topic under its ARN, the type's primary identifier ("Ref returns the topic ARN":
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html). A subscription
ARN (<topic name>:<subscription id>) is not a topic ARN.
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens,
# and must be between 1 and 256 characters long"; a FIFO topic's name ends in .fifo
# (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html).
TOPIC_NAME = r"(?:[A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo)"
_NAME = re.compile(rf"^{TOPIC_NAME}$")


def parse(arn: Arn) -> str:
    """arn:<partition>:sns:<region>:<account>:<name> -> the same ARN (AWS Config's resource id)."""
    valid = arn.service == "sns" and arn.region and re.fullmatch(r"\d{12}", arn.account or "")
    if not valid or not _NAME.match(arn.resource):
        raise MalformedArnError(f"{arn.text!r} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)")
    return arn.text


def to_arn(key: str, *, partition: str = "aws", region: str = "", account: str = "") -> str:
    """The topic's ARN: the key is the ARN."""
    return key


RESOURCE_TYPE = ResourceType(
    config_type="AWS::SNS::Topic",
    asff_type="AwsSnsTopic",
    ocsf_type="AWS::SNS::Topic",
    parse=parse,
    to_arn=to_arn,
    # list_amazonsns.html in the Service Authorization Reference: both take the topic resource type.
    iam_scopes=(
        IamScope(
            actions=("sns:GetTopicAttributes", "sns:SetTopicAttributes"),
            resources=("arn:{partition}:sns:{region}:{account}:*",),
        ),
    ),
)
