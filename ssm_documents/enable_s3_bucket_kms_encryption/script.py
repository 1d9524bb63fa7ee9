"""Runbook script: make SSE-KMS the default encryption of an S3 bucket, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.

Safety:
- A bucket that already encrypts with AWS KMS (aws:kms or aws:kms:dsse) is left alone, even when it
  uses a different key than requested: switching customer keys can lock out readers and writers whose
  permissions are on the old key.
- A customer key is checked first (DescribeKey: enabled, symmetric, for encryption) and pinned by its
  key ARN: S3 resolves a bare key id or alias in the *requester's* account, so cross-account writers
  would otherwise encrypt with a key of their own.
- Only one mutating call (PutBucketEncryption): if it fails, the bucket keeps its previous encryption.
- Only new objects are affected; existing objects keep the encryption they were written with.
- A bucket that must stay on SSE-S3 is left alone, with the reason in the output: one whose bucket policy lets
  Elastic Load Balancing deliver access logs (only SSE-S3 is supported there:
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html) or S3 server
  access logs (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html), or one
  tagged KEEP_SSE_S3_TAG=true by its owner.
"""

import json
import re

import boto3
import botocore.exceptions

from ssm_documents._support.controls import _dry_run

# Every action this script calls; the runbook's IAM role grants exactly these. GetBucketEncryption /
# PutBucketEncryption are authorised by s3:Get/PutEncryptionConfiguration. No KMS data-key action: "Amazon S3
# does not validate the KMS key ID provided in PutBucketEncryption requests"
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html); the bucket's writers and
# readers need kms:GenerateDataKey and kms:Decrypt on the key, not this runbook.
IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:GetBucketPolicy",
    "s3:GetBucketTagging",
    "kms:DescribeKey",
)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
AWS_MANAGED_KEY = "the AWS managed key aws/s3"
# A bucket tagged with this key and the value "true" stays on SSE-S3 (its owner knows a reader or writer needs it).
KEEP_SSE_S3_TAG = "remedy:keep-sse-s3"
# Log delivery principals whose target bucket must use SSE-S3: ELB access logs (the service principal of newer
# regions, and the Elastic Load Balancing account of each older region, from the ALB access-logging page) and
# S3 server access logs.
LOG_DELIVERY_SERVICES = ("logdelivery.elasticloadbalancing.amazonaws.com", "logging.s3.amazonaws.com")
ELB_ACCOUNTS = (
    "127311923021",  # us-east-1
    "033677994240",  # us-east-2
    "027434742980",  # us-west-1
    "797873946194",  # us-west-2
    "985666609251",  # ca-central-1
    "054676820928",  # eu-central-1
    "156460612806",  # eu-west-1
    "652711504416",  # eu-west-2
    "009996457667",  # eu-west-3
    "897822967062",  # eu-north-1
    "635631232127",  # eu-south-1
    "098369216593",  # af-south-1
    "076674570225",  # me-south-1
    "754344448648",  # ap-east-1
    "582318560864",  # ap-northeast-1
    "600734575887",  # ap-northeast-2
    "383597477331",  # ap-northeast-3
    "114774131450",  # ap-southeast-1
    "783225319266",  # ap-southeast-2
    "718504428378",  # ap-south-1
    "507241528517",  # sa-east-1
    "048591011584",  # us-gov-west-1
    "190560391635",  # us-gov-east-1
    "638102146993",  # cn-north-1
    "037604701340",  # cn-northwest-1
)
# Same patterns as document.yaml's allowedPattern (a test keeps them identical).
BUCKET_NAME_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
KMS_KEY_ID_PATTERN = (
    r"^$"
    r"|^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/)?(mrk-[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$"
    r"|^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?alias/[a-zA-Z0-9/_-]{1,250}$"
)


def _current_rules(s3: object, bucket: str, owner: str) -> list[dict] | None:
    """The bucket's encryption rules, or None when it has no default encryption."""
    try:
        configuration = s3.get_bucket_encryption(Bucket=bucket, ExpectedBucketOwner=owner)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "ServerSideEncryptionConfigurationNotFoundError":
            return None
        raise
    return configuration["ServerSideEncryptionConfiguration"].get("Rules") or None


def _default_encryption(rules: list[dict] | None) -> dict:
    """ApplyServerSideEncryptionByDefault of the first rule that sets it ({} if none)."""
    for rule in rules or []:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm"):
            return default
    return {}


def _same_reference(current: str, requested: str) -> bool:
    """True when two key references are textually the same key (an ARN and its key id or alias)."""
    return (
        current == requested
        or current.endswith((":" + requested, "/" + requested))
        or requested.endswith((":" + current, "/" + current))
    )


def _same_key(current: str | None, requested: str) -> bool:
    """True when the bucket's key (None: aws/s3) is recognisably the requested one (resolved read-only)."""
    if current is None:
        return requested.endswith("alias/aws/s3")
    if _same_reference(current, requested):
        return True
    try:
        requested_arn = boto3.client("kms").describe_key(KeyId=requested)["KeyMetadata"]["Arn"]
    except botocore.exceptions.ClientError:
        return False  # only decides the wording of the message; the bucket is left alone either way
    return _same_reference(current, requested_arn)


def _key_arn(key_id: str) -> str:
    """ARN of the customer key `key_id`, after checking S3 can use it as a default encryption key."""
    metadata = boto3.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    if metadata.get("KeyState") != "Enabled":
        raise ValueError(f"KMS key {key_id} is {metadata.get('KeyState')}, not Enabled; S3 could not use it.")
    spec = metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec")
    if spec != "SYMMETRIC_DEFAULT" or metadata.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        raise ValueError(f"KMS key {key_id} is {spec}; S3 default encryption needs a symmetric encryption key.")
    return metadata["Arn"]


def _principals(statement: dict) -> list[str]:
    """Every principal string a bucket policy statement names (service names and AWS ARNs or account ids)."""
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return [principal] if isinstance(principal, str) else []
    names = []
    for value in principal.values():
        names += [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]
    return names


def _log_delivery_grant(s3: object, bucket: str, owner: str) -> str | None:
    """The log delivery principal the bucket's policy allows (its target must stay SSE-S3), or None."""
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=owner)["Policy"])
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return None
        raise
    statements = policy.get("Statement") or []
    for statement in [statements] if isinstance(statements, dict) else statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        for name in _principals(statement):
            if name in LOG_DELIVERY_SERVICES:
                return name
            account = re.fullmatch(r"(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::root)?", name)
            if account and account.group(1) in ELB_ACCOUNTS:
                return name
    return None


def _keep_tag(s3: object, bucket: str, owner: str) -> bool:
    """True when the bucket's owner tagged it to stay on SSE-S3."""
    try:
        tags = s3.get_bucket_tagging(Bucket=bucket, ExpectedBucketOwner=owner).get("TagSet") or []
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchTagSet":
            return False
        raise
    return any(t.get("Key") == KEEP_SSE_S3_TAG and str(t.get("Value", "")).lower() == "true" for t in tags)


def _must_stay_sse_s3(s3: object, bucket: str, owner: str) -> str | None:
    """Why the bucket must keep SSE-S3, or None."""
    principal = _log_delivery_grant(s3, bucket, owner)
    if principal:
        return f"its bucket policy lets {principal} deliver logs, and log delivery to this bucket supports SSE-S3 only"
    if _keep_tag(s3, bucket, owner):
        return f"it is tagged {KEEP_SSE_S3_TAG}=true"
    return None


def _requested(events: dict) -> tuple[str, str]:
    """(BucketName, KmsKeyId or "") of the request, each checked against its pattern."""
    bucket = events.get("BucketName")
    if not bucket or not isinstance(bucket, str):
        raise ValueError("BucketName is required")
    if not re.match(BUCKET_NAME_PATTERN, bucket):
        raise ValueError(f"BucketName {bucket!r} is not a valid S3 bucket name")
    requested_key = events.get("KmsKeyId") or ""
    if not isinstance(requested_key, str) or not re.match(KMS_KEY_ID_PATTERN, requested_key):
        raise ValueError(
            f"KmsKeyId {requested_key!r} must be empty (AWS managed key aws/s3) or a KMS key ARN, "
            "alias ARN, key id or alias/name"
        )
    return bucket, requested_key


def _already_kms_message(default: dict, requested_key: str) -> str:
    """Why a bucket already on SSE-KMS is left as it is, even on another key than the requested one."""
    current_key = default.get("KMSMasterKeyID") or None
    described = current_key or AWS_MANAGED_KEY
    message = f"Default encryption is already {default['SSEAlgorithm']} with {described}; nothing changed."
    if requested_key and not _same_key(current_key, requested_key):
        message += (
            f" It is not recognisably the requested key {requested_key}: the bucket was left on its"
            " current key because switching keys can break readers and writers whose permissions are"
            " on the current key. Change keys deliberately, after granting them on the new key."
        )
    return message


def _unchanged(bucket: str, dry_run: bool, previous: list, message: str, **extra: object) -> dict:
    return {
        "BucketName": bucket,
        "DryRun": dry_run,
        "WouldChange": False,
        "Changed": False,
        **extra,
        "PreviousState": previous,
        "PlannedState": previous,
        "CurrentState": previous,
        "Message": message,
    }


def enable_bucket_kms_encryption(events: dict, context: object) -> dict:
    """Make SSE-KMS (with Bucket Keys) the default encryption of `events["BucketName"]` unless it uses KMS.

    With DryRun true it makes the same checks (the key included) and returns the plan without changing anything.
    """
    dry_run = _dry_run(events)
    bucket, requested_key = _requested(events)
    owner = boto3.client("sts").get_caller_identity()["Account"]
    s3 = boto3.client("s3")
    # ExpectedBucketOwner: a bucket name that belongs to another account fails instead of being changed.
    previous = _current_rules(s3, bucket, owner)
    default = _default_encryption(previous)
    algorithm = default.get("SSEAlgorithm")
    if algorithm in KMS_ALGORITHMS:
        return _unchanged(bucket, dry_run, previous, _already_kms_message(default, requested_key))
    reason = _must_stay_sse_s3(s3, bucket, owner)
    if reason:
        message = f"Left on {algorithm or 'its default encryption'}: {reason}; nothing changed."
        return _unchanged(bucket, dry_run, previous, message, Skipped=True)
    by_default = {"SSEAlgorithm": "aws:kms"}
    if requested_key:
        by_default["KMSMasterKeyID"] = _key_arn(requested_key)
    # Bucket Keys cut KMS request volume (and cost) by deriving per-object keys from a bucket-level key.
    target = [{"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": True}]
    result = {"BucketName": bucket, "DryRun": dry_run, "WouldChange": True, "PreviousState": previous}
    message = _change_message(algorithm, by_default, requested_key, "would change" if dry_run else "changed")
    if dry_run:
        message = f"Dry run: {message} Nothing changed."
        return {**result, "Changed": False, "PlannedState": target, "CurrentState": previous, "Message": message}
    s3.put_bucket_encryption(
        Bucket=bucket, ExpectedBucketOwner=owner, ServerSideEncryptionConfiguration={"Rules": target}
    )
    return {**result, "Changed": True, "PlannedState": target, "CurrentState": target, "Message": message}


def _change_message(algorithm: str | None, by_default: dict, requested_key: str, verb: str) -> str:
    """What the change does (verb "changed") or would do ("would change"), for the operator."""
    before = algorithm or "no default encryption"
    key = by_default.get("KMSMasterKeyID", AWS_MANAGED_KEY)
    message = (
        f"Default encryption {verb} from {before} to aws:kms with {key} and S3 Bucket Keys enabled."
        " New objects only: existing objects keep their encryption."
    )
    if not requested_key:
        message += " Principals of other accounts cannot decrypt objects encrypted with aws/s3."
    return message
