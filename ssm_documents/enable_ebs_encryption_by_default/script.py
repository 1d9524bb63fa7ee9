"""Runbook script: turn on EBS encryption by default in this Region, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
The setting is per account and Region and affects only volumes created later ("Enabling encryption by default has
no effect on the encryption status of your existing volumes":
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableEbsEncryptionByDefault.html).
"""

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, checked_account, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "ec2:GetEbsEncryptionByDefault", "ec2:EnableEbsEncryptionByDefault")


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
    account_id = checked_account(events)
    ec2 = boto3.client("ec2")
    region = ec2.meta.region_name
    previous = {"EbsEncryptionByDefault": _current_setting(ec2)}
    result = {"AccountId": account_id, "Region": region, "DryRun": dry_run, "PreviousState": previous}
    if previous["EbsEncryptionByDefault"]:
        return no_change(result, previous, f"EBS encryption by default was already on in {region}; nothing changed.")
    target = {"EbsEncryptionByDefault": True}
    if dry_run:
        message = f"Dry run: would turn on EBS encryption by default in {region}; nothing changed."
        return would_change(result, previous, target, message)
    answer = ec2.enable_ebs_encryption_by_default()
    current = {"EbsEncryptionByDefault": answer.get("EbsEncryptionByDefault") is True}
    message = (
        f"Turned on EBS encryption by default in {region}: volumes created from now on are encrypted; "
        "existing volumes are unchanged."
    )
    return changed(result, target, current, message)
