"""Runbook script: turn on automatic rotation of a customer managed symmetric KMS key, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
"Automatic key rotation is supported only on symmetric encryption KMS keys. You cannot enable automatic rotation of
asymmetric KMS keys, HMAC KMS keys, KMS keys with imported key material, or KMS keys in a custom key store. To enable
or disable automatic rotation of a set of related multi-Region keys, set the property on the primary key."
(https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html). Earlier key material stays to
decrypt what it encrypted (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation")
# A key id, never an ARN or alias: the key is then always one of this account and Region.
KEY_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")


def _key_id(events: dict) -> str:
    key_id = events.get("KeyId")
    if not isinstance(key_id, str) or not KEY_ID.match(key_id):
        raise ValueError(f"KeyId must be a KMS key id of this account and Region, got {key_id!r}")
    return key_id


def _unrotatable(metadata: dict) -> str | None:
    """Why AWS KMS cannot rotate this key automatically, or None if it can."""
    if metadata.get("KeyManager") != "CUSTOMER":
        return f"it is a {metadata.get('KeyManager')} managed key, whose rotation AWS manages"
    spec = metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec")
    if spec != "SYMMETRIC_DEFAULT":
        return f"it is a {spec} key; only symmetric encryption keys rotate automatically"
    if metadata.get("Origin") != "AWS_KMS":
        return f"its key material has origin {metadata.get('Origin')} (imported or in a custom key store)"
    regions = metadata.get("MultiRegionConfiguration") or {}
    if regions.get("MultiRegionKeyType") == "REPLICA":
        primary = (regions.get("PrimaryKey") or {}).get("Arn")
        return f"it is a multi-Region replica; turn rotation on at its primary key {primary}"
    if metadata.get("KeyState") != "Enabled":
        return f"it is {metadata.get('KeyState')}, not Enabled"
    return None


def enable_key_rotation(events: dict, context: object) -> dict:
    """Turn on automatic rotation of `events["KeyId"]` unless it already is.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    key_id = _key_id(events)
    kms = boto3.client("kms")
    reason = _unrotatable(kms.describe_key(KeyId=key_id)["KeyMetadata"])
    if reason:
        raise ValueError(f"Key {key_id} cannot be rotated automatically: {reason}; nothing changed")
    previous = {"KeyRotationEnabled": kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True}
    result = {"KeyId": key_id, "DryRun": dry_run, "PreviousState": previous}
    if previous["KeyRotationEnabled"]:
        message = f"Automatic rotation of key {key_id} was already on; nothing changed."
        return no_change(result, previous, message)
    target = {"KeyRotationEnabled": True}
    if dry_run:
        message = f"Dry run: would turn on automatic rotation of key {key_id}; nothing changed."
        return would_change(result, previous, target, message)
    kms.enable_key_rotation(KeyId=key_id)
    current = {"KeyRotationEnabled": kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True}
    message = f"Turned on automatic rotation of key {key_id}: AWS KMS rotates its key material every 365 days."
    return changed(result, target, current, message)
