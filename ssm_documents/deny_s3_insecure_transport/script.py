"""Runbook script: add a statement denying requests without TLS to an S3 bucket policy, keeping every other statement.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module. Which statement denies
requests without TLS comes from compliance.s3_bucket_ssl_requests_only, which the rule imports too.
"""

import json

import boto3
import botocore.exceptions
from compliance.s3_bucket_ssl_requests_only import as_list, deny_statement, statement_denies_insecure_transport

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "s3:GetBucketPolicy", "s3:PutBucketPolicy")
SID = "RemedyDenyInsecureTransport"
# "Bucket policies are limited to 20 KB in size."
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html)
MAX_POLICY_BYTES = 20 * 1024


class PolicyRefused(ValueError):
    """The policy cannot be changed safely (unreadable, too large once extended, Sid taken): nothing changed."""


def _current_policy(s3: object, bucket: str, owner: str) -> str:
    """The bucket policy's text, "" when the bucket has none."""
    try:
        return s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=owner)["Policy"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return ""
        raise


def _parsed(text: str) -> dict:
    if not text:
        return {"Version": "2012-10-17", "Statement": []}
    try:
        policy = json.loads(text)
    except ValueError:
        raise PolicyRefused("the bucket policy is not JSON; nothing changed") from None
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), dict | list):
        raise PolicyRefused("the bucket policy has no Statement list; nothing changed")
    return policy


def extended_policy(text: str, bucket_arn: str) -> str | None:
    """The policy with the deny statement appended (every other statement kept as it is), or None if it already
    denies insecure transport. PolicyRefused if it cannot be extended safely."""
    policy = _parsed(text)
    statements = as_list(policy["Statement"])
    if any(statement_denies_insecure_transport(s, bucket_arn) for s in statements):
        return None
    if any(isinstance(s, dict) and s.get("Sid") == SID for s in statements):
        raise PolicyRefused(f"a statement with Sid {SID} exists but does not deny insecure transport; nothing changed")
    new_text = json.dumps(
        {**policy, "Statement": [*statements, deny_statement(bucket_arn, SID)]}, separators=(",", ":")
    )
    size = len(new_text.encode("utf-8"))
    if size > MAX_POLICY_BYTES:
        raise PolicyRefused(
            f"the policy with the deny statement would be {size} bytes, over S3's {MAX_POLICY_BYTES}-byte limit; "
            "nothing changed"
        )
    return new_text


def _state(text: str, denies: bool) -> dict:
    return {"Policy": text, "DeniesInsecureTransport": denies}


def deny_insecure_transport(events: dict, context: object) -> dict:
    """Append the deny statement to the policy of `events["BucketName"]` unless the policy already denies requests
    made without TLS. With DryRun true it makes the same checks and returns the plan without changing anything.

    S3 has no conditional PutBucketPolicy: the read and the write are one step, moments apart."""
    bucket = events.get("BucketName")
    if not bucket or not isinstance(bucket, str):
        raise ValueError("BucketName is required")
    dry_run = _dry_run(events)
    identity = boto3.client("sts").get_caller_identity()
    owner, partition = identity["Account"], identity["Arn"].split(":")[1]
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    s3 = boto3.client("s3")
    # ExpectedBucketOwner: a bucket name that belongs to another account fails instead of being changed.
    previous = _current_policy(s3, bucket, owner)
    planned = extended_policy(previous, bucket_arn)
    result = {"BucketName": bucket, "DryRun": dry_run, "WouldChange": planned is not None}
    if planned is None:
        state = _state(previous, True)
        message = "The bucket policy already denies requests made without TLS; nothing changed."
        states = {"PreviousState": state, "PlannedState": state, "CurrentState": state}
        return {**result, **states, "Changed": False, "Message": message}
    result |= {"PreviousState": _state(previous, False), "PlannedState": _state(planned, True)}
    if dry_run:
        message = f"Dry run: would add statement {SID} denying requests without TLS to {bucket}; nothing changed."
        return {**result, "Changed": False, "CurrentState": result["PreviousState"], "Message": message}
    s3.put_bucket_policy(Bucket=bucket, Policy=planned, ExpectedBucketOwner=owner)
    message = f"Added statement {SID} denying requests without TLS; every other statement is unchanged."
    return {**result, "Changed": True, "CurrentState": _state(planned, True), "Message": message}
