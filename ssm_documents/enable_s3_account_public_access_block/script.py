"""Runbook script: turn on S3 Block Public Access at account level, recording the previous settings.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
S3 Control GetPublicAccessBlock/PutPublicAccessBlock, authorised as s3:GetAccountPublicAccessBlock and
s3:PutAccountPublicAccessBlock (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutPublicAccessBlock.html).
"""

import boto3
import botocore.exceptions

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, checked_account, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock")
SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _current_settings(s3control: object, account_id: str) -> dict[str, bool]:
    try:
        configuration = s3control.get_public_access_block(AccountId=account_id)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration":
            return dict.fromkeys(SETTINGS, False)
        raise
    recorded = configuration["PublicAccessBlockConfiguration"]
    return {name: recorded.get(name) is True for name in SETTINGS}


def enable_account_public_access_block(events: dict, context: object) -> dict:
    """Turn on all four account-level settings unless they already are.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    account_id = checked_account(events)
    s3control = boto3.client("s3control")
    previous = _current_settings(s3control, account_id)
    result = {"AccountId": account_id, "DryRun": dry_run, "PreviousState": previous}
    if all(previous.values()):
        message = "All four account-level Block Public Access settings were already on; nothing changed."
        return no_change(result, previous, message)
    target = dict.fromkeys(SETTINGS, True)
    turned_on = ", ".join(name for name in SETTINGS if not previous[name])
    if dry_run:
        message = f"Dry run: would turn on {turned_on} for account {account_id}; nothing changed."
        return would_change(result, previous, target, message)
    # One call sets the whole configuration: settings already on stay on.
    s3control.put_public_access_block(AccountId=account_id, PublicAccessBlockConfiguration=target)
    message = f"Turned on {turned_on} for account {account_id} (every bucket and access point, every Region)."
    return changed(result, target, target, message)
