"""Demo seed: no IAM role has AWSSupportAccess, so no one can manage AWS Support cases through a role.

AWS has its managed policies in every account; moto holds none unless its server starts with
MOTO_IAM_LOAD_MANAGED_POLICIES=true (some 1,500 policies in every emulated account). The seed adds the one this
control attaches, from moto's own copy of AWS's managed policies, to the emulated account's IAM when moto runs in
this process (in-process or a ThreadedMotoServer), so that the runbook can attach it as in AWS.
"""

from __future__ import annotations

import json

import boto3
import botocore.exceptions

import resource_types
from catalogue import Control
from simulation.seeds import SeededResource

POLICY_NAME = "AWSSupportAccess"
PARTITION = "aws"
POLICY_ARN = f"arn:{PARTITION}:iam::aws:policy/{POLICY_NAME}"


def ensure_support_policy(account: str) -> None:
    """Make the AWS managed policy AWSSupportAccess exist in the emulated account, as it does in AWS."""
    iam = boto3.client("iam")
    try:
        iam.get_policy(PolicyArn=POLICY_ARN)
        return
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchEntity":
            raise
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy, iam_backends

    data = json.loads(aws_managed_policies_data)[POLICY_NAME]
    policy = AWSManagedPolicy.from_data(POLICY_NAME, account, PARTITION, data)
    iam_backends[account][PARTITION].managed_policies[policy.arn] = policy
    try:
        iam.get_policy(PolicyArn=POLICY_ARN)
    except botocore.exceptions.ClientError as error:
        raise RuntimeError(
            f"{POLICY_ARN} is missing from the emulated account {account} and moto runs in another process: start "
            "its server with MOTO_IAM_LOAD_MANAGED_POLICIES=true"
        ) from error


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    ensure_support_policy(account)
    kind = resource_types.get(control.resource_type)
    return [
        SeededResource(
            control.id,
            kind.config_type,
            account,
            kind.to_arn(account, region=region),
            True,
            f"no IAM role has {POLICY_NAME}: no role to manage incidents with AWS Support",
        )
    ]
