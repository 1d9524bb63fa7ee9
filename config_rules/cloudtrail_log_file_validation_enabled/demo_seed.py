"""Demo seed: trails delivering to one log bucket, log file validation off and on."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.s3_bucket.simulation import bucket_name, create_hardened_bucket
from simulation.seeds import SeededResource

# (validation on, trail name, multi-Region, note)
TRAILS = (
    (False, "management-events", True, "multi-Region trail, log file validation off"),
    (False, "payments-data-events", False, "single-Region trail, log file validation off"),
    (True, "security-audit", True, "multi-Region trail, log files validated"),
)


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    cloudtrail = boto3.client("cloudtrail", region_name=region)
    kind = resource_types.get(control.resource_type)
    bucket = bucket_name("cloudtrail-logs", account, region)
    create_hardened_bucket(boto3.client("s3", region_name=region), bucket, region)
    seeded = []
    for validation, name, multi_region, note in TRAILS:
        trail = cloudtrail.create_trail(
            Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi_region, EnableLogFileValidation=validation
        )
        cloudtrail.start_logging(Name=trail["TrailARN"])
        seeded.append(SeededResource(control.id, kind.config_type, name, trail["TrailARN"], not validation, note))
    return seeded
