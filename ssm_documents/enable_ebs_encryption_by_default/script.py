"""Runbook script: turn on EBS encryption by default in this Region, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
The setting is per account and Region and affects only volumes created later ("Enabling encryption by default has
no effect on the encryption status of your existing volumes":
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableEbsEncryptionByDefault.html).
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "ec2:GetEbsEncryptionByDefault", "ec2:EnableEbsEncryptionByDefault")
ACCOUNT_ID = re.compile(r"^\d{12}$")


def _checked_account(events: dict) -> str:
    """AccountId, refused unless it is the account the runbook runs in (the setting belongs to one account)."""
    account_id = events.get("AccountId")
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        raise ValueError(f"AccountId must be a 12-digit AWS account id, got {account_id!r}")
    caller_account = boto3.client("sts").get_caller_identity()["Account"]
    if account_id != caller_account:
        raise ValueError(
            f"AccountId {account_id} is not the account this runbook runs in ({caller_account}); nothing changed"
        )
    return account_id


def _current_setting(ec2: object) -> bool:
    value = ec2.get_ebs_encryption_by_default().get("EbsEncryptionByDefault")
    if not isinstance(value, bool):
        raise ValueError(f"GetEbsEncryptionByDefault answered {value!r}, expected true or false; nothing changed")
    return value


def enable_ebs_encryption_by_default(events: dict, context: object) -> dict:
    """Turn on EBS encryption by default in this Region unless it already is.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    account_id = _checked_account(events)
    ec2 = boto3.client("ec2")
    region = ec2.meta.region_name
    previous = {"EbsEncryptionByDefault": _current_setting(ec2)}
    result = {"AccountId": account_id, "Region": region, "DryRun": dry_run, "PreviousState": previous}
    if previous["EbsEncryptionByDefault"]:
        message = f"EBS encryption by default was already on in {region}; nothing changed."
        return {
            **result,
            "WouldChange": False,
            "Changed": False,
            "PlannedState": previous,
            "CurrentState": previous,
            "Message": message,
        }
    target = {"EbsEncryptionByDefault": True}
    result = {**result, "WouldChange": True, "PlannedState": target}
    if dry_run:
        message = f"Dry run: would turn on EBS encryption by default in {region}; nothing changed."
        return {**result, "Changed": False, "CurrentState": previous, "Message": message}
    answer = ec2.enable_ebs_encryption_by_default()
    current = {"EbsEncryptionByDefault": answer.get("EbsEncryptionByDefault") is True}
    message = (
        f"Turned on EBS encryption by default in {region}: volumes created from now on are encrypted; "
        "existing volumes are unchanged."
    )
    return {**result, "Changed": True, "CurrentState": current, "Message": message}
