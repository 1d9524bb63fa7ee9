"""Test-data runbook script: enable S3 bucket versioning."""

import boto3

IAM_ACTIONS = ("s3:GetBucketVersioning", "s3:PutBucketVersioning")


def enable_versioning(events, context):
    s3 = boto3.client("s3")
    previous = s3.get_bucket_versioning(Bucket=events["BucketName"]).get("Status", "Disabled")
    dry_run = events.get("DryRun") in (True, "true")
    if previous != "Enabled" and not dry_run:
        s3.put_bucket_versioning(Bucket=events["BucketName"], VersioningConfiguration={"Status": "Enabled"})
    return {"PreviousState": previous, "PlannedState": "Enabled", "Changed": previous != "Enabled" and not dry_run}
