"""S3 buckets in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.exceptions

from resource_types.s3_bucket import to_arn
from resource_types.simulation import lower_camel

# The demo buckets' settings (demo_buckets).
BPA_ALL = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
SSE_S3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
SSE_KMS = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]}
VERSIONING_ENABLED = {"Status": "Enabled"}
# The demo buckets (demo_buckets), by base name.
DEMO_BUCKETS = ("payments-ledger-exports", "marketing-static-site", "audit-archive-eu")


def _supplementary(s3: object, name: str) -> dict:
    supplementary: dict = {}
    try:
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        supplementary["PublicAccessBlockConfiguration"] = lower_camel(block)
    except botocore.exceptions.ClientError:
        pass  # AWS Config omits the key when the bucket has no bucket-level setting
    try:
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        supplementary["ServerSideEncryptionConfiguration"] = {
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": rule.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm"),
                        "kmsMasterKeyID": rule.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID"),
                    },
                    "bucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False)),
                }
                for rule in rules
            ]
        }
    except botocore.exceptions.ClientError:
        pass
    try:
        policy_text = s3.get_bucket_policy(Bucket=name)["Policy"]
    except botocore.exceptions.ClientError:
        policy_text = None  # NoSuchBucketPolicy
    # AWS Config records BucketPolicy for every bucket, policyText null when the bucket has none.
    supplementary["BucketPolicy"] = {"policyText": policy_text}
    # and BucketVersioningConfiguration, status "Off" for a bucket never versioned (GetBucketVersioning gives no
    # Status then).
    versioning = s3.get_bucket_versioning(Bucket=name)
    mfa_delete = versioning.get("MFADelete")
    supplementary["BucketVersioningConfiguration"] = {
        "status": versioning.get("Status") or "Off",
        "isMfaDeleteEnabled": None if mfa_delete is None else mfa_delete == "Enabled",
    }
    return supplementary


# Buckets read at once (each bucket takes five S3 reads; botocore clients are thread-safe).
READ_WORKERS = 8


def _item(s3: object, bucket: dict, region: str) -> dict | None:
    """The bucket's configuration item, or None if the bucket is in another region."""
    name = bucket["Name"]
    if (s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1") != region:
        return None  # AWS Config records a region's buckets in that region only
    try:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
    except botocore.exceptions.ClientError:
        tags = {}  # NoSuchTagSet
    return {
        "resourceId": name,
        "resourceName": name,
        "ARN": to_arn(name),
        "awsRegion": region,
        "configuration": {"name": name, "creationDate": lower_camel(bucket.get("CreationDate"))},
        "supplementaryConfiguration": _supplementary(s3, name),
        "tags": tags,
    }


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's buckets (resource id: the name), with their bucket-level settings and tags, in ListBuckets
    order; READ_WORKERS buckets are read at once."""
    s3 = boto3.client("s3", region_name=region)
    buckets = s3.list_buckets().get("Buckets", [])
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        items = list(pool.map(lambda bucket: _item(s3, bucket, region), buckets))
    return [item for item in items if item is not None]


def bucket_name(base: str, account: str, region: str) -> str:
    """Bucket names are global across accounts: each account and region seeds its own."""
    return f"{base}-{account}-{region}"


def create_bucket(s3: object, name: str, region: str) -> None:
    """CreateBucket in `region` (us-east-1 takes no LocationConstraint)."""
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)


def deny_insecure_transport_policy(name: str) -> str:
    """A bucket policy denying every request made without TLS
    (https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule)."""
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [to_arn(name), f"{to_arn(name)}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def create_hardened_bucket(s3: object, name: str, region: str) -> None:
    """A bucket another type's seed needs on the side (e.g. a trail's log bucket), made as a bank would make it, so
    that it is none of the S3 controls' problems: all four Block Public Access settings, SSE-KMS, a bucket
    policy denying requests without TLS, and versioning."""
    create_bucket(s3, name, region)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=VERSIONING_ENABLED)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BPA_ALL)
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=SSE_KMS)
    s3.put_bucket_policy(Bucket=name, Policy=deny_insecure_transport_policy(name))


def demo_buckets(account: str, region: str) -> None:
    """Create the buckets once: SSE-S3 without Block Public Access, Block Public Access for ACLs only without
    default encryption, and all four Block Public Access settings with SSE-KMS, a policy denying requests
    without TLS and versioning. Only the last has a bucket policy or versioning."""
    s3 = boto3.client("s3", region_name=region)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for base in DEMO_BUCKETS:
        name = bucket_name(base, account, region)
        if name in existing:
            continue
        create_bucket(s3, name, region)
        if base == "payments-ledger-exports":
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=SSE_S3)
        elif base == "marketing-static-site":
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True}
            )
        else:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BPA_ALL)
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=SSE_KMS)
            s3.put_bucket_policy(Bucket=name, Policy=deny_insecure_transport_policy(name))
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=VERSIONING_ENABLED)


def stale_key(account: str, region: str) -> str:
    """A bucket name no seed creates: a finding naming it outlives its resource (its runbook fails)."""
    return bucket_name("retired-exports", account, region)
