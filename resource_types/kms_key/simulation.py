"""KMS keys in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3
import botocore.exceptions

from resource_types.kms_key import to_arn
from resource_types.simulation import lower_camel


def _rotation(kms: object, key_id: str) -> dict:
    """supplementaryConfiguration: KeyRotationStatus (AWS Config's schema for AWS::KMS::Key records it there), left
    out where GetKeyRotationStatus does not answer for the key."""
    try:
        return {"KeyRotationStatus": kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]}
    except botocore.exceptions.ClientError:
        return {}


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's keys (resource id: the key id), DescribeKey's KeyMetadata in lowerCamelCase."""
    kms = boto3.client("kms", region_name=region)
    items = []
    for page in kms.get_paginator("list_keys").paginate():
        for listed in page["Keys"]:
            metadata = kms.describe_key(KeyId=listed["KeyId"])["KeyMetadata"]
            tags = kms.list_resource_tags(KeyId=listed["KeyId"]).get("Tags", [])
            items.append(
                {
                    "resourceId": metadata["KeyId"],
                    "resourceName": metadata["KeyId"],
                    "ARN": to_arn(metadata["KeyId"], region=region, account=account),
                    "awsRegion": region,
                    "configuration": lower_camel(metadata),
                    "supplementaryConfiguration": _rotation(kms, metadata["KeyId"]),
                    "tags": {t["TagKey"]: t["TagValue"] for t in tags},
                }
            )
    return items


def create_key(kms: object, description: str, rotation: bool, **options: object) -> str:
    """A customer managed key (symmetric unless `options` say otherwise), rotation on or off; its key id."""
    key_id = kms.create_key(Description=description, **options)["KeyMetadata"]["KeyId"]
    if rotation:
        kms.enable_key_rotation(KeyId=key_id)
    return key_id


def stale_key(account: str, region: str) -> str:
    """A key id no seed creates (moto's ids are random UUIDs): a finding naming it outlives its resource."""
    return "00000000-0000-4000-8000-000000000000"
