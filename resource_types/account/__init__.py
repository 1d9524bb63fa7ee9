"""AWS::::Account: the AWS Config resource id is the 12-digit account id.

Findings name it by an IAM ARN of the account (Prowler's synthetic `arn:aws:iam:<region>:<account>:password-policy`,
`...:root`, `...:<account>`), by the synthetic account ARN Prowler gives a service's account-level settings
(`arn:aws:<service>:<region>:<account>:account`, its services' `account_arn_template`; for EBS encryption by default
`arn:aws:ec2:<region>:<account>:volume`, a volume ARN without a volume), by the Region's GuardDuty detector
(Prowler's guardduty_is_enabled reports `arn:aws:guardduty:<region>:<account>:detector/<id>`, or
`.../detector/unknown` where the Region has none; GuardDuty.1 is a control of AWS::::Account), by a CloudWatch Logs
log group for the account-level CloudTrail monitoring checks (`arn:aws:logs:<region>:<account>:log-group`, its logs
service's `log_group_arn_template`, when no log group has a matching metric filter; else the trail's log group,
`arn:aws:logs:<region>:<account>:log-group:<name>[:*]`) or, from AWS Config,
`AWS::::Account:<account>` (resource_types/arn.py). Prowler's iam_support_role_created names no account: it reports
the AWS managed policy's ARN `arn:aws:iam::aws:policy/AWSSupportAccess` (account field "aws"), which parse_arn
refuses; on a control of the account, arn.finding_arn reads such an AWS-owned ARN as the finding's own account
(`AWS::::Account:<AwsAccountId>`). Security Hub's own control finding for CIS 1.17 names `AWS::::Account:<account>`.
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import ACCOUNT_CONFIG_TYPE, Arn, MalformedArnError

# A GuardDuty detector id (1 to 300 characters:
# https://docs.aws.amazon.com/guardduty/latest/APIReference/API_GetDetector.html), or Prowler's "unknown" for a
# Region without a detector.
_DETECTOR = re.compile(r"^detector/[A-Za-z0-9]{1,300}$")


def parse(arn: Arn) -> str:
    """An account ARN (or AWS Config's account name) -> the account id."""
    if not arn.account:
        raise MalformedArnError(f"{arn.text!r} names no account")
    if arn.service and not _names_the_account(arn):
        raise MalformedArnError(
            f"{arn.text!r} is not an account ARN (arn:aws:iam:[region]:<account>:password-policy | root | <account>,"
            " arn:aws:<service>:<region>:<account>:account, arn:aws:ec2:<region>:<account>:volume,"
            " arn:aws:guardduty:<region>:<account>:detector/<id>,"
            " arn:aws:logs:<region>:<account>:log-group[:<name>])"
        )
    return arn.account


def _names_the_account(arn: Arn) -> bool:
    """Whether the ARN is one of the forms that stand for the account itself."""
    if arn.service == "iam":
        return arn.resource in ("password-policy", "root", arn.account)
    if not arn.region:
        return False
    if arn.service == "guardduty" and _DETECTOR.match(arn.resource):
        return True
    if arn.service == "logs":
        return arn.resource == "log-group" or arn.resource.startswith("log-group:")
    return arn.resource == "account" or (arn.service == "ec2" and arn.resource == "volume")


def to_arn(key: str, *, partition: str = "aws", region: str, account: str = "") -> str:
    """The ARN Prowler gives the account's password policy, in the region it scanned."""
    return f"arn:{partition}:iam:{region}:{key}:password-policy"


RESOURCE_TYPE = ResourceType(
    config_type=ACCOUNT_CONFIG_TYPE,
    asff_type="AwsAccount",
    ocsf_type=ACCOUNT_CONFIG_TYPE,
    parse=parse,
    to_arn=to_arn,
    # The account's AWS Support role (create_aws_support_role): roles of this account, and only the AWS managed
    # policy AWSSupportAccess may be attached or listed (iam:PolicyARN is a condition key of AttachRolePolicy; the
    # policy is ListEntitiesForPolicy's resource): list_awsidentityandaccessmanagementiam.html in the Service
    # Authorization Reference.
    iam_scopes=(
        IamScope(actions=("iam:CreateRole", "iam:GetRole"), resources=("arn:{partition}:iam::{account}:role/*",)),
        IamScope(
            actions=("iam:AttachRolePolicy",),
            resources=("arn:{partition}:iam::{account}:role/*",),
            conditions={"ArnEquals": {"iam:PolicyARN": "arn:{partition}:iam::aws:policy/AWSSupportAccess"}},
        ),
        IamScope(
            actions=("iam:ListEntitiesForPolicy",), resources=("arn:{partition}:iam::aws:policy/AWSSupportAccess",)
        ),
    ),
)
