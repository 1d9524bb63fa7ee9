"""Runbook script: turn on S3 bucket-level Block Public Access, recording the previous settings.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
"""

from __future__ import annotations

import boto3
import botocore.exceptions

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
    """Turn on all four settings of `events["BucketName"]` unless they already are."""
    bucket = events.get("BucketName")
    if not bucket or not isinstance(bucket, str):
        raise ValueError("BucketName is required")
    owner = boto3.client("sts").get_caller_identity()["Account"]
    s3 = boto3.client("s3")
    # ExpectedBucketOwner: a bucket name that belongs to another account fails instead of being changed.
    previous = _current_settings(s3, bucket, owner)
    if all(previous.values()):
        return {
            "BucketName": bucket,
            "Changed": False,
            "PreviousState": previous,
            "CurrentState": previous,
            "Message": "All four bucket-level Block Public Access settings were already on; nothing changed.",
        }
    target = dict.fromkeys(SETTINGS, True)
    s3.put_public_access_block(Bucket=bucket, ExpectedBucketOwner=owner, PublicAccessBlockConfiguration=target)
    turned_on = [name for name in SETTINGS if not previous[name]]
    return {
        "BucketName": bucket,
        "Changed": True,
        "PreviousState": previous,
        "CurrentState": target,
        "Message": f"Turned on {', '.join(turned_on)}.",
    }
