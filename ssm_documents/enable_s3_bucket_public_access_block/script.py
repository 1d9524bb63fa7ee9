"""Runbook script: turn on S3 bucket-level Block Public Access, recording the previous settings.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
"""

import boto3
import botocore.exceptions

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock")
SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _current_settings(s3: object, bucket: str, owner: str) -> dict[str, bool]:
    try:
        configuration = s3.get_public_access_block(Bucket=bucket, ExpectedBucketOwner=owner)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration":
            return dict.fromkeys(SETTINGS, False)
        raise
    recorded = configuration["PublicAccessBlockConfiguration"]
    return {name: bool(recorded.get(name, False)) for name in SETTINGS}


def enable_bucket_public_access_block(events: dict, context: object) -> dict:
    """Turn on all four settings of `events["BucketName"]` unless they already are.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    bucket = events.get("BucketName")
    if not bucket or not isinstance(bucket, str):
        raise ValueError("BucketName is required")
    dry_run = _dry_run(events)
    owner = boto3.client("sts").get_caller_identity()["Account"]
    s3 = boto3.client("s3")
    # ExpectedBucketOwner: a bucket name that belongs to another account fails instead of being changed.
    previous = _current_settings(s3, bucket, owner)
    if all(previous.values()):
        return {
            "BucketName": bucket,
            "DryRun": dry_run,
            "WouldChange": False,
            "Changed": False,
            "PreviousState": previous,
            "PlannedState": previous,
            "CurrentState": previous,
            "Message": "All four bucket-level Block Public Access settings were already on; nothing changed.",
        }
    target = dict.fromkeys(SETTINGS, True)
    turned_on = ", ".join(name for name in SETTINGS if not previous[name])
    result = {"BucketName": bucket, "DryRun": dry_run, "WouldChange": True, "PreviousState": previous}
    if dry_run:
        message = f"Dry run: would turn on {turned_on} of bucket {bucket}; nothing changed."
        return {**result, "Changed": False, "PlannedState": target, "CurrentState": previous, "Message": message}
    s3.put_public_access_block(Bucket=bucket, ExpectedBucketOwner=owner, PublicAccessBlockConfiguration=target)
    return {
        **result,
        "Changed": True,
        "PlannedState": target,
        "CurrentState": target,
        "Message": f"Turned on {turned_on}.",
    }
