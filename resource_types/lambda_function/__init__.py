"""AWS::Lambda::Function: the AWS Config resource id is the function name.

ARN: arn:<partition>:lambda:<region>:<account>:function:<name>, as Prowler reports it (ListFunctions'
FunctionArn, unqualified). AWS Config records a function under its name, what CloudFormation's Ref returns for the
type ("Ref returns the resource name":
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html); the
name is in the ARN, so no lookup is needed. A qualified ARN (a version or alias after the name) names a version,
not the function, and is refused.
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# A function name: letters, digits, hyphens and underscores, at most 64 characters
# (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html, FunctionName).
FUNCTION_NAME = r"[A-Za-z0-9_-]{1,64}"
_RESOURCE = re.compile(rf"^function:(?P<name>{FUNCTION_NAME})$")


def parse(arn: Arn) -> str:
    """arn:<partition>:lambda:<region>:<account>:function:<name> -> the function name."""
    valid = arn.service == "lambda" and arn.region and re.fullmatch(r"\d{12}", arn.account or "")
    match = _RESOURCE.match(arn.resource) if valid else None
    if not match:
        raise MalformedArnError(
            f"{arn.text!r} is not an unqualified Lambda function ARN "
            "(arn:aws:lambda:<region>:<account>:function:<name>)"
        )
    return match["name"]


def to_arn(key: str, *, partition: str = "aws", region: str = "", account: str = "") -> str:
    """The function's ARN in `region` of `account`."""
    return f"arn:{partition}:lambda:{region}:{account}:function:{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::Lambda::Function",
    asff_type="AwsLambdaFunction",
    ocsf_type="AWS::Lambda::Function",
    parse=parse,
    to_arn=to_arn,
    # list_awslambda.html in the Service Authorization Reference: GetPolicy, RemovePermission and AddPermission
    # take the function resource type.
    iam_scopes=(
        IamScope(
            actions=("lambda:GetPolicy", "lambda:RemovePermission", "lambda:AddPermission"),
            resources=("arn:{partition}:lambda:{region}:{account}:function:*",),
        ),
    ),
)
