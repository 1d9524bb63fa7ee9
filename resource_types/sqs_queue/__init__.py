"""AWS::SQS::Queue: the AWS Config resource id is the queue URL, built from the ARN's parts.

ARN: arn:<partition>:sqs:<region>:<account>:<queue name>, as Prowler reports it (built from ListQueues' URLs) and
GetQueueAttributes gives it (QueueArn). AWS Config records a queue under its URL, the type's primary identifier
("Ref returns the queue URL": https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sqs-queue.html),
in the service endpoint form https://sqs.<region>.<domain>/<account>/<name>; a URL in the legacy endpoint form
(https://<region>.queue.amazonaws.com/...) does not match AWS Config's ids
(https://github.com/cloud-custodian/cloud-custodian/pull/7765). The URL is the key: no lookup call.
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# "A queue name can have up to 80 characters. Valid values: alphanumeric characters, hyphens (-), and
# underscores (_)"; a FIFO queue's name ends in .fifo
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
QUEUE_NAME = r"(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)"
_NAME = re.compile(rf"^{QUEUE_NAME}$")
# The SQS service endpoint's domain per partition (https://docs.aws.amazon.com/general/latest/gr/sqs-service.html).
DOMAINS = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}
_URL = re.compile(
    rf"^https://sqs\.(?P<region>[a-z0-9-]+)\.(?P<domain>amazonaws\.com(?:\.cn)?)/(?P<account>\d{{12}})/"
    rf"(?P<name>{QUEUE_NAME})$"
)


def queue_url(partition: str, region: str, account: str, name: str) -> str:
    """The queue's URL in the service endpoint form AWS Config records."""
    return f"https://sqs.{region}.{DOMAINS.get(partition, 'amazonaws.com')}/{account}/{name}"


def parse(arn: Arn) -> str:
    """arn:<partition>:sqs:<region>:<account>:<name> -> the queue URL."""
    valid = arn.service == "sqs" and arn.region and re.fullmatch(r"\d{12}", arn.account or "")
    if not valid or not _NAME.match(arn.resource):
        raise MalformedArnError(f"{arn.text!r} is not an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)")
    return queue_url(arn.partition, arn.region, arn.account, arn.resource)


def to_arn(key: str, *, partition: str = "aws", region: str = "", account: str = "") -> str:
    """The ARN of the queue whose URL is `key` (the URL names its region and account)."""
    match = _URL.match(key)
    if not match:
        raise MalformedArnError(
            f"{key!r} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)"
        )
    return f"arn:{partition}:sqs:{match['region']}:{match['account']}:{match['name']}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::SQS::Queue",
    asff_type="AwsSqsQueue",
    ocsf_type="AWS::SQS::Queue",
    parse=parse,
    to_arn=to_arn,
    # list_amazonsqs.html in the Service Authorization Reference: both take the queue resource type.
    iam_scopes=(
        IamScope(
            actions=("sqs:GetQueueAttributes", "sqs:SetQueueAttributes"),
            resources=("arn:{partition}:sqs:{region}:{account}:*",),
        ),
    ),
)
