"""AWS::IAM::User: the AWS Config resource id is the user's UserId (AIDA...), which the ARN does not carry.

The ARN gives the user name; iam:GetUser turns it into the UserId
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html).
"""

from __future__ import annotations

import re

import botocore.exceptions

from resource_types import IamScope, LookupGrant, ResourceType
from resource_types.arn import Arn, ClientFactory, MalformedArnError, ResourceNotFoundError

_IAM_USER = re.compile(r"^user/(?:[\x21-\x7e]+/)?(?P<name>[\w+=,.@-]{1,64})$", re.ASCII)


def parse(arn: Arn) -> str:
    """arn:<partition>:iam::<account>:user/[path/]name -> the user name."""
    match = _IAM_USER.match(arn.resource)
    if arn.service != "iam" or arn.region or not arn.account or not match or "//" in arn.resource:
        raise MalformedArnError(f"{arn.text!r} is not an IAM user ARN (arn:aws:iam::<account>:user/[path/]name)")
    return match["name"]


def lookup(user_name: str, client: ClientFactory) -> str:
    """The user's UserId (iam:GetUser); ResourceNotFoundError if the user does not exist."""
    try:
        return client("iam").get_user(UserName=user_name)["User"]["UserId"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            raise ResourceNotFoundError(f"IAM user {user_name!r} does not exist") from error
        raise


def to_arn(key: str, *, partition: str = "aws", region: str = "", account: str) -> str:
    """The ARN of the user named `key` on the default path "/" (a user's path is not part of its key)."""
    return f"arn:{partition}:iam::{account}:user/{key}"


RESOURCE_TYPE = ResourceType(
    config_type="AWS::IAM::User",
    asff_type="AwsIamUser",
    ocsf_type="AWS::IAM::User",
    parse=parse,
    to_arn=to_arn,
    lookup=lookup,
    lookup_grants=(LookupGrant(actions=("iam:GetUser",), resources=("arn:{partition}:iam::{account}:user/*",)),),
    # list_awsidentityandaccessmanagementiam.html (user) in the Service Authorization Reference
    iam_scopes=(
        IamScope(
            actions=("iam:ListAccessKeys", "iam:UpdateAccessKey"), resources=("arn:{partition}:iam::{account}:user/*",)
        ),
    ),
)
