"""Demo data: for every catalogue control, a realistic mix of compliant and non-compliant resources.

One seed function per control id (a registry, like the catalogue's one entry per control); a test keeps
it complete. Each returns the resources it made, each with its ARN and whether it starts non-compliant.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3

BPA_ALL = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)


@dataclass(frozen=True)
class SeededResource:
    control_id: str
    resource_type: str  # AWS Config resource type
    resource_id: str  # AWS Config resource id
    arn: str
    non_compliant: bool
    note: str


def bucket_name(base: str, account: str, region: str) -> str:
    """Bucket names are global across accounts: each account and region seeds its own."""
    return f"{base}-{account}-{region}"


def _create_bucket(s3: object, name: str, region: str) -> None:
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)


def _buckets(account: str, region: str) -> None:
    """The buckets both S3 controls look at (created once)."""
    s3 = boto3.client("s3", region_name=region)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for base in ("payments-ledger-exports", "marketing-static-site", "audit-archive-eu"):
        name = bucket_name(base, account, region)
        if name in existing:
            continue
        _create_bucket(s3, name, region)
        if base == "payments-ledger-exports":
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            )
        elif base == "marketing-static-site":
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True}
            )
        else:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BPA_ALL)
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
            )


# What each bucket shows for each S3 control: (non-compliant, note).
_S3_NOTES = {
    "s3-bucket-kms-encryption": {
        "payments-ledger-exports": (True, "default encryption SSE-S3 (AES256), not KMS"),
        "marketing-static-site": (True, "no default encryption setting of its own"),
        "audit-archive-eu": (False, "default encryption SSE-KMS with a bucket key"),
    },
    "s3-bucket-level-public-access-block": {
        "payments-ledger-exports": (True, "no bucket-level Block Public Access"),
        "marketing-static-site": (True, "Block Public Access for ACLs only, not for policies"),
        "audit-archive-eu": (False, "all four Block Public Access settings on"),
    },
}


def _seed_s3(control_id: str, account: str, region: str) -> list[SeededResource]:
    _buckets(account, region)
    seeded = []
    for base, (non_compliant, note) in _S3_NOTES[control_id].items():
        name = bucket_name(base, account, region)
        seeded.append(SeededResource(control_id, "AWS::S3::Bucket", name, f"arn:aws:s3:::{name}", non_compliant, note))
    return seeded


def seed_s3_bucket_kms_encryption(account: str, region: str) -> list[SeededResource]:
    return _seed_s3("s3-bucket-kms-encryption", account, region)


def seed_s3_bucket_level_public_access_block(account: str, region: str) -> list[SeededResource]:
    return _seed_s3("s3-bucket-level-public-access-block", account, region)


def seed_iam_password_policy(account: str, region: str) -> list[SeededResource]:
    boto3.client("iam").update_account_password_policy(
        MinimumPasswordLength=8, RequireNumbers=True, RequireUppercaseCharacters=True, MaxPasswordAge=180
    )
    return [
        SeededResource(
            "iam-password-policy",
            "AWS::::Account",
            account,
            f"arn:aws:iam:{region}:{account}:password-policy",
            True,
            "length 8, no symbols or lower case required, no reuse prevention, 180-day expiry",
        )
    ]


@contextlib.contextmanager
def _moto_clock_shifted(days: int) -> Iterator[bool]:
    """Create IAM keys `days` in the past: only possible when moto runs in this process."""
    try:
        import moto.iam.models as iam_models
    except ImportError:  # pragma: no cover - moto is a development dependency
        yield False
        return
    original = iam_models.utcnow
    iam_models.utcnow = lambda: original() - timedelta(days=days)
    try:
        yield True
    finally:
        iam_models.utcnow = original


@contextlib.contextmanager
def realistic_iam_user_ids() -> Iterator[None]:
    """Moto makes lower-case user ids; AWS's are AIDA + 17 upper-case characters (the runbook checks the form)."""
    import random
    import string

    import moto.iam.models as iam_models

    original = iam_models.random_resource_id
    alphabet = string.ascii_uppercase + string.digits
    iam_models.random_resource_id = lambda size=20: "AIDA" + "".join(random.choices(alphabet, k=17))  # noqa: S311
    try:
        yield
    finally:
        iam_models.random_resource_id = original


def seed_iam_access_key_rotation(account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    iam = boto3.client("iam")
    seeded = []
    users = {
        "ci-deployer": (200, "Active", "active key created 200 days ago"),
        "etl-loader": (150, "Active", "active key created 150 days ago"),
        "legacy-batch": (400, "Inactive", "key 400 days old, already inactive"),
        "reporting-service": (0, "Active", "key created today"),
    }
    for name, (age, status, note) in users.items():
        with realistic_iam_user_ids() if in_process else contextlib.nullcontext():
            user = iam.create_user(UserName=name)["User"]
        shifted = age and in_process
        with _moto_clock_shifted(age) if shifted else contextlib.nullcontext(False):
            key = iam.create_access_key(UserName=name)["AccessKey"]
        if status == "Inactive":
            iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        created = key["CreateDate"]
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        old = (datetime.now(UTC) - created).days > 90
        seeded.append(
            SeededResource(
                "iam-access-key-rotation",
                "AWS::IAM::User",
                user["UserId"],
                user["Arn"],
                old and status == "Active",
                note if (shifted or not age) else f"{note} (clock not movable on this endpoint: key is new)",
            )
        )
    return seeded


def _attach_to_a_running_instance(ec2: object, volume_id: str, zone: str) -> None:
    """A running instance with the volume on /dev/sdf: the fix stops it, swaps the volume and starts it again."""
    instance = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        Placement={"AvailabilityZone": zone},
        # Its root volume is encrypted: the demo's one attached problem is the data volume.
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8, "Encrypted": True}}],
    )["Instances"][0]["InstanceId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance, Device="/dev/sdf")


def seed_ec2_ebs_volume_encryption(account: str, region: str) -> list[SeededResource]:
    ec2 = boto3.client("ec2", region_name=region)
    zone = f"{region}a"
    seeded = []
    for encrypted, name, note in (
        (False, "reporting-scratch", "unencrypted, not attached"),
        (False, "analytics-tmp", "unencrypted, not attached"),
        (False, "ledger-app-data", "unencrypted, attached to a running instance (stopped during the fix)"),
        (True, "ledger-db-data", "encrypted with the AWS managed key"),
    ):
        volume = ec2.create_volume(
            AvailabilityZone=zone,
            Size=20,
            VolumeType="gp3",
            Encrypted=encrypted,
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}],
        )
        volume_id = volume["VolumeId"]
        if name == "ledger-app-data":
            _attach_to_a_running_instance(ec2, volume_id, zone)
        seeded.append(
            SeededResource(
                "ec2-ebs-volume-encryption",
                "AWS::EC2::Volume",
                volume_id,
                f"arn:aws:ec2:{region}:{account}:volume/{volume_id}",
                not encrypted,
                f"{name}: {note}",
            )
        )
    return seeded


SEEDS: dict[str, Callable[..., list[SeededResource]]] = {
    "iam-password-policy": seed_iam_password_policy,
    "s3-bucket-kms-encryption": seed_s3_bucket_kms_encryption,
    "s3-bucket-level-public-access-block": seed_s3_bucket_level_public_access_block,
    "iam-access-key-rotation": seed_iam_access_key_rotation,
    "ec2-ebs-volume-encryption": seed_ec2_ebs_volume_encryption,
}


def seed_account(control_ids: list[str], account: str, region: str, in_process: bool) -> list[SeededResource]:
    """Seed every control; a control without a seed is an error naming it."""
    missing = [c for c in control_ids if c not in SEEDS]
    if missing:
        raise KeyError(f"no demo seed for control(s) {missing}: add one to simulation/seeds.py")
    seeded: list[SeededResource] = []
    for control_id in control_ids:
        seed = SEEDS[control_id]
        if seed is seed_iam_access_key_rotation:
            seeded += seed(account, region, in_process=in_process)
        else:
            seeded += seed(account, region)
    return seeded
