"""Runbook script: cancel the scheduled deletion of a customer managed KMS key, recording its previous state.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
"When this operation succeeds, the key state of the KMS key is Disabled. To enable the KMS key, use EnableKey."
(https://docs.aws.amazon.com/kms/latest/APIReference/API_CancelKeyDeletion.html). The runbook does not enable the
key: ScheduleKeyDeletion accepts a key that was already disabled, and nothing records the state before deletion was
scheduled, so only a person can tell whether the key should be used again. The output says the key is Disabled.
CancelKeyDeletion works in the PendingDeletion state and, for a multi-Region primary key waiting for its replicas'
deletion, in PendingReplicaDeletion (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("kms:DescribeKey", "kms:CancelKeyDeletion")
# A key id, never an ARN or alias: the key is then always one of this account and Region.
KEY_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")
# Key states of a key whose deletion is scheduled (and can be cancelled).
SCHEDULED_STATES = ("PendingDeletion", "PendingReplicaDeletion")


def _key_id(events: dict) -> str:
    key_id = events.get("KeyId")
    if not isinstance(key_id, str) or not KEY_ID.match(key_id):
        raise ValueError(f"KeyId must be a KMS key id of this account and Region, got {key_id!r}")
    return key_id


def _state(metadata: dict) -> dict:
    """The key's state and, when scheduled, the date AWS KMS deletes it."""
    state = {"KeyState": metadata.get("KeyState")}
    if metadata.get("DeletionDate"):
        state["DeletionDate"] = metadata["DeletionDate"].isoformat()
    return state


def cancel_key_deletion(events: dict, context: object) -> dict:
    """Cancel the scheduled deletion of `events["KeyId"]`, leaving the key Disabled, unless it is not scheduled.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    key_id = _key_id(events)
    kms = boto3.client("kms")
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    if metadata.get("KeyManager") != "CUSTOMER":
        manager = metadata.get("KeyManager")
        raise ValueError(f"Key {key_id} is an {manager} managed key, whose deletion AWS manages; nothing changed")
    previous = _state(metadata)
    result = {"KeyId": key_id, "DryRun": dry_run, "PreviousState": previous}
    if previous["KeyState"] not in SCHEDULED_STATES:
        message = f"Key {key_id} is not scheduled for deletion ({previous['KeyState']}); nothing changed."
        return no_change(result, previous, message)
    target = {"KeyState": "Disabled"}
    if dry_run:
        message = f"Dry run: would cancel the deletion of key {key_id}, leaving it Disabled; nothing changed."
        return would_change(result, previous, target, message)
    kms.cancel_key_deletion(KeyId=key_id)
    current = _state(kms.describe_key(KeyId=key_id)["KeyMetadata"])
    message = (
        f"Cancelled the deletion of key {key_id}; it is now {current['KeyState']}. The runbook does not enable it: "
        "enable it (EnableKey) if it was in use before its deletion was scheduled."
    )
    return changed(result, target, current, message)
