"""Runbook script: encrypt an SNS topic at rest with a KMS key, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.

Safety:
- A topic that already has a KMS key is left alone: its key is never replaced.
- AWS services that publish to topics (CloudWatch alarms, S3 event notifications, EventBridge, ...) can publish to
  an encrypted topic only when the key's policy lets their service principal use it (kms:GenerateDataKey*,
  kms:Decrypt), which needs a customer managed key: the AWS managed key alias/aws/sns has a policy no one can
  change (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "Enable compatibility between event
  sources from AWS services and encrypted topics"). So with alias/aws/sns the runbook refuses a topic whose access
  policy admits an AWS service principal. A policy may not name every publisher (a CloudWatch alarm of the same
  account needs none), which is why the control is manual: a person checks the publishers and picks the key.
- A customer key must be enabled and a symmetric encryption key (SNS supports no other kind), checked with
  DescribeKey before the change.
- The topic ARN must name this account and Region: another account's topic is refused before any call to SNS.
"""

import json
import re

import boto3

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "kms:DescribeKey")
AWS_MANAGED_KEY = "alias/aws/sns"
# Same patterns as document.yaml's allowedPattern.
TOPIC_ARN = re.compile(
    r"^arn:aws[a-z-]*:sns:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<name>[A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo)$"
)
KMS_KEY = re.compile(r"^alias/aws/sns$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,128}$")


def _topic_arn(events: dict, account: str, region: str) -> str:
    arn = events.get("TopicArn")
    match = TOPIC_ARN.match(arn) if isinstance(arn, str) else None
    if not match:
        raise ValueError(f"TopicArn must be an SNS topic ARN, got {arn!r}")
    if (match["account"], match["region"]) != (account, region):
        raise ValueError(f"Topic {arn} is not in this account ({account}) and Region ({region}); nothing changed.")
    return arn


def _kms_key(events: dict) -> str:
    key = events.get("KmsKeyId", AWS_MANAGED_KEY)
    if not isinstance(key, str) or not KMS_KEY.match(key):
        raise ValueError(f"KmsKeyId must be {AWS_MANAGED_KEY} or a KMS key ARN, got {key!r}")
    return key


def _service_publishers(policy_text: str | None) -> list[str]:
    """The AWS service principals the topic's access policy allows (they cannot use alias/aws/sns)."""
    statements = (json.loads(policy_text) if policy_text else {}).get("Statement") or []
    services: set[str] = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if statement.get("Effect") == "Allow" else None
        named = principal.get("Service") if isinstance(principal, dict) else None
        services.update([named] if isinstance(named, str) else named or [])
    return sorted(services)


def _check_customer_key(key: str) -> None:
    metadata = boto3.client("kms").describe_key(KeyId=key)["KeyMetadata"]
    usable = metadata.get("Enabled") and metadata.get("KeyUsage") == "ENCRYPT_DECRYPT"
    if not usable or metadata.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        raise ValueError(f"KMS key {key} is not an enabled symmetric encryption key; nothing changed.")


def enable_topic_encryption(events: dict, context: object) -> dict:
    """Set KmsMasterKeyId of topic `events["TopicArn"]` to `events["KmsKeyId"]` unless the topic has a key.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    key = _kms_key(events)
    account = boto3.client("sts").get_caller_identity()["Account"]
    sns = boto3.client("sns")
    arn = _topic_arn(events, account, sns.meta.region_name)
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    previous = {"KmsMasterKeyId": attributes.get("KmsMasterKeyId") or ""}
    result = {"TopicArn": arn, "DryRun": dry_run, "PreviousState": previous}
    if previous["KmsMasterKeyId"]:
        message = f"Topic {arn} was already encrypted with KMS key {previous['KmsMasterKeyId']}; nothing changed."
        unchanged = {"WouldChange": False, "Changed": False, "PlannedState": previous, "CurrentState": previous}
        return {**result, **unchanged, "Message": message}
    if key == AWS_MANAGED_KEY:
        services = _service_publishers(attributes.get("Policy"))
        if services:
            raise ValueError(
                f"Topic {arn} admits AWS service publishers ({', '.join(services)}), which cannot use the AWS "
                f"managed key {AWS_MANAGED_KEY}: run again with a customer managed key whose policy allows them; "
                "nothing changed."
            )
    else:
        _check_customer_key(key)
    planned = {"KmsMasterKeyId": key}
    result = {**result, "WouldChange": True, "PlannedState": planned}
    if dry_run:
        message = f"Dry run: would encrypt topic {arn} with KMS key {key}; nothing changed."
        return {**result, "Changed": False, "CurrentState": previous, "Message": message}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=key)
    current = {"KmsMasterKeyId": sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("KmsMasterKeyId") or ""}
    message = f"Encrypted topic {arn} with KMS key {key}: messages published from now on are encrypted at rest."
    return {**result, "Changed": True, "CurrentState": current, "Message": message}
