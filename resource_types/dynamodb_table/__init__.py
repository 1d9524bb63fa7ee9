"""AWS::DynamoDB::Table: the AWS Config resource id is the table name, the ARN's last part (table/<name>).

ARN: arn:<partition>:dynamodb:<region>:<account>:table/<name>, as Prowler and DescribeTable (TableArn) give it. AWS
Config's own remediation runbook for this type, AWSConfigRemediation-EnablePITRForDynamoDbTable, takes the resource
as TableName (https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-enable-pitr-ddb.html).
A stream or index ARN (table/<name>/stream/..., table/<name>/index/...) is not a table ARN.
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# Table names: 3 to 255 characters, a-z, A-Z, 0-9, "_", "-" and "."
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
TABLE_NAME = r"[A-Za-z0-9_.-]{3,255}"
_TABLE = re.compile(rf"^table/(?P<name>{TABLE_NAME})$")


def parse(arn: Arn) -> str:
    """arn:<partition>:dynamodb:<region>:<account>:table/<name> -> the table name."""
    match = _TABLE.match(arn.resource)
    if arn.service != "dynamodb" or not arn.region or not arn.account or not match:
        raise MalformedArnError(
            f"{arn.text!r} is not a DynamoDB table ARN (arn:aws:dynamodb:<region>:<account>:table/<name>)"
        )
    return match["name"]


def to_arn(key: str, *, partition: str = "aws", region: str, account: str) -> str:
    """The ARN of the table named `key` in its account and region."""
    return f"arn:{partition}:dynamodb:{region}:{account}:table/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::DynamoDB::Table",
    asff_type="AwsDynamoDbTable",
    ocsf_type="AWS::DynamoDB::Table",
    parse=parse,
    to_arn=to_arn,
    # list_amazondynamodb.html in the Service Authorization Reference: all four take the table resource type.
    iam_scopes=(
        IamScope(
            actions=(
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DescribeTable",
                "dynamodb:UpdateTable",
            ),
            resources=("arn:{partition}:dynamodb:{region}:{account}:table/*",),
        ),
    ),
)
