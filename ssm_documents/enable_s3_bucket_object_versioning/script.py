"""Runbook script: enable versioning of an S3 bucket, recording the previous status.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.

Safety:
- Versioning is only ever enabled, never suspended; no object or version is deleted. From then on S3 keeps the
  earlier version of every object overwritten or deleted (a delete adds a delete marker), so storage grows; the
  runbook adds no lifecycle rule (expiring noncurrent versions deletes data: the bucket's owner decides).
  Readers and writers need no change: a GET without a version id returns the current version
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html).
- A bucket with S3 Object Lock is always versioned (Enabled) and is left alone like any other enabled bucket.
- A suspended bucket with MFA delete on is refused: changing its versioning state needs the root user's MFA code
  in the request (x-amz-mfa: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMFADelete.html), which no
  role has; the error says so and nothing changes.
- ExpectedBucketOwner: a bucket name that belongs to another account fails instead of being changed.
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "s3:GetBucketVersioning", "s3:PutBucketVersioning")
# Same pattern as document.yaml's allowedPattern.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
ENABLED = "Enabled"
NEVER_VERSIONED = "Off"


def _bucket_name(events: dict) -> str:
    name = events.get("BucketName")
    if not isinstance(name, str) or not BUCKET_NAME.match(name):
        raise ValueError(f"BucketName must be an S3 bucket name, got {name!r}")
    return name


def _state(s3: object, bucket: str, owner: str) -> dict:
    """{"Status": Enabled | Suspended | Off, "MFADelete": Enabled | Disabled (only when S3 reports it)}."""
    answer = s3.get_bucket_versioning(Bucket=bucket, ExpectedBucketOwner=owner)
    state = {"Status": answer.get("Status") or NEVER_VERSIONED}
    if answer.get("MFADelete"):
        state["MFADelete"] = answer["MFADelete"]
    return state


def enable_bucket_versioning(events: dict, context: object) -> dict:
    """Enable versioning of bucket `events["BucketName"]` unless it already is.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    bucket = _bucket_name(events)
    owner = boto3.client("sts").get_caller_identity()["Account"]
    s3 = boto3.client("s3")
    previous = _state(s3, bucket, owner)
    result = {"BucketName": bucket, "DryRun": dry_run, "PreviousState": previous}
    if previous["Status"] == ENABLED:
        message = f"Versioning of bucket {bucket} was already enabled; nothing changed."
        return no_change(result, previous, message)
    if previous.get("MFADelete") == ENABLED:
        raise RuntimeError(
            f"Bucket {bucket} has MFA delete on: only its account's root user, with an MFA code, can change its "
            f"versioning (status {previous['Status']}); nothing changed."
        )
    planned = {**previous, "Status": ENABLED}
    if dry_run:
        message = f"Dry run: would enable versioning of bucket {bucket} (now {previous['Status']}); nothing changed."
        return would_change(result, previous, planned, message)
    s3.put_bucket_versioning(Bucket=bucket, ExpectedBucketOwner=owner, VersioningConfiguration={"Status": ENABLED})
    current = _state(s3, bucket, owner)
    message = f"Enabled versioning of bucket {bucket} (was {previous['Status']}): S3 keeps earlier object versions."
    return changed(result, planned, current, message)
