"""Runbook script: replace an unencrypted EBS volume with an encrypted copy, keeping a backup snapshot.

EBS cannot encrypt a volume in place, so the runbook goes volume -> backup snapshot -> encrypted copy
of the snapshot -> new encrypted volume, and swaps the new volume in for the old one. The steps are
separate aws:executeScript handlers because snapshots can take hours; the document waits for them
between steps with aws:waitForAwsResourceProperty.

Safety:
- The first step only reads: it checks the volume and returns the plan and the state before. With DryRun
  the runbook ends there. Otherwise the plan is the message of an aws:approve step, and nothing changes
  until an approver approves it; the next step refuses to go on if the volume changed in the meantime.
- An attached volume is refused unless AllowAttachedVolume is true.
- When it is allowed and the instance is running, the instance is stopped BEFORE the backup snapshot
  is taken: otherwise writes made between the snapshot and the swap would be lost. The instance stays
  stopped until the swap and is then started again (or restarted by the failure handler).
- The original volume is deleted only at the very end, after the new volume is attached and the
  backup snapshot (which keeps the original data) is confirmed completed. The backup snapshot is never
  deleted by this runbook. No instance is ever terminated.

Embedded into document.yaml's aws:executeScript steps at synth; unit-tested as a module.
"""

from __future__ import annotations

import re

import boto3
import botocore.exceptions

from ssm_documents._support.controls import _dry_run

# Every action this script calls, plus those EBS needs on the caller's behalf: CreateTags (tags set at
# creation) and the KMS actions EBS uses to encrypt the copy and create/attach the volume with the key.
IAM_ACTIONS = (
    "ec2:DescribeVolumes",
    "ec2:DescribeInstances",
    "ec2:DescribeSnapshots",
    "ec2:StopInstances",
    "ec2:StartInstances",
    "ec2:CreateSnapshot",
    "ec2:CopySnapshot",
    "ec2:CreateVolume",
    "ec2:CreateTags",
    "ec2:DetachVolume",
    "ec2:AttachVolume",
    "ec2:ModifyInstanceAttribute",
    "ec2:DeleteVolume",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)

VOLUME_ID = re.compile(r"^vol-[0-9a-f]{8,17}$")
SNAPSHOT_ID = re.compile(r"^snap-[0-9a-f]{8,17}$")
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
_KEY_ID = r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
_ALIAS = r"alias/[a-zA-Z0-9/_-]{1,250}"
KMS_KEY_ID = re.compile(rf"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{{12}}:(key/{_KEY_ID}|{_ALIAS})|{_KEY_ID}|{_ALIAS})$")
SOURCE_TAG = "remedy:source-volume-id"
PURPOSE_TAG = "remedy:purpose"
REPLACES_TAG = "remedy:replaces-volume-id"
# Bounded botocore waiters: every executeScript step must finish within its 600 s limit.
STOP_WAIT = {"Delay": 15, "MaxAttempts": 24}
VOLUME_WAIT = {"Delay": 5, "MaxAttempts": 24}
# aws:approve's Message is at most 4096 characters (AWS Systems Manager User Guide, aws:approve).
APPROVAL_MESSAGE_MAX_CHARS = 4096


def _volume_id(events: dict) -> str:
    volume_id = events.get("VolumeId")
    if not isinstance(volume_id, str) or not VOLUME_ID.match(volume_id):
        raise ValueError(f"VolumeId must match {VOLUME_ID.pattern}, got {volume_id!r}")
    return volume_id


def _snapshot_id(events: dict, name: str) -> str:
    snapshot_id = events.get(name)
    if not isinstance(snapshot_id, str) or not SNAPSHOT_ID.match(snapshot_id):
        raise ValueError(f"{name} must match {SNAPSHOT_ID.pattern}, got {snapshot_id!r}")
    return snapshot_id


def _optional_instance_id(events: dict, name: str) -> str:
    instance_id = events.get(name) or ""
    if instance_id and (not isinstance(instance_id, str) or not INSTANCE_ID.match(instance_id)):
        raise ValueError(f"{name} must be empty or match {INSTANCE_ID.pattern}, got {instance_id!r}")
    return instance_id


def _allow_attached(events: dict) -> bool:
    value = events.get("AllowAttachedVolume", False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"AllowAttachedVolume must be true or false, got {value!r}")


def _describe_volume(ec2: object, volume_id: str) -> dict:
    """The volume; DescribeVolumes only sees volumes of this account and region (else NotFound)."""
    return ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]


def _instance(ec2: object, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def _user_tags(tags: list[dict] | None) -> list[dict]:
    """Tags that can be copied (the reserved aws: prefix cannot be set by callers)."""
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags or [] if not t["Key"].startswith("aws:")]


def _previous_state(ec2: object, volume: dict) -> dict:
    """What the volume looked like, enough to rebuild it and to audit the change."""
    attachments = []
    for attachment in volume.get("Attachments", []):
        delete_on_termination = attachment.get("DeleteOnTermination")
        if delete_on_termination is None:
            mappings = _instance(ec2, attachment["InstanceId"]).get("BlockDeviceMappings", [])
            delete_on_termination = any(
                m.get("Ebs", {}).get("VolumeId") == volume["VolumeId"] and m["Ebs"].get("DeleteOnTermination")
                for m in mappings
            )
        attachments.append(
            {
                "InstanceId": attachment["InstanceId"],
                "Device": attachment["Device"],
                "DeleteOnTermination": bool(delete_on_termination),
            }
        )
    state = {
        "VolumeId": volume["VolumeId"],
        "Encrypted": bool(volume.get("Encrypted")),
        "Size": volume["Size"],
        "VolumeType": volume["VolumeType"],
        "AvailabilityZone": volume["AvailabilityZone"],
        "Tags": _user_tags(volume.get("Tags")),
        "Attachments": attachments,
        "MultiAttachEnabled": bool(volume.get("MultiAttachEnabled", False)),
    }
    for optional in ("Iops", "Throughput", "OutpostArn"):
        if volume.get(optional) is not None:
            state[optional] = volume[optional]
    return state


def _check_attachments(state: dict, allow_attached: bool) -> dict | None:
    """The single attachment to swap, or None; refuses what the runbook must not touch."""
    attachments = state["Attachments"]
    if len(attachments) > 1:
        instances = ", ".join(a["InstanceId"] for a in attachments)
        raise ValueError(f"Volume {state['VolumeId']} is multi-attached ({instances}); replace it manually.")
    if attachments and not allow_attached:
        attachment = attachments[0]
        raise ValueError(
            f"Volume {state['VolumeId']} is attached to instance {attachment['InstanceId']} as "
            f"{attachment['Device']}. Replacing it needs the instance stopped; rerun with "
            "AllowAttachedVolume=true to allow that, or detach the volume first."
        )
    return attachments[0] if attachments else None


def _start_quietly(ec2: object, instance_id: str) -> None:
    """Best-effort start while another error is being raised (that error is the one reported)."""
    try:
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance_id], WaiterConfig=STOP_WAIT)
        ec2.start_instances(InstanceIds=[instance_id])
    except (botocore.exceptions.ClientError, botocore.exceptions.WaiterError):
        pass  # The instance stays stopped with its original volume attached: safe, and said in the docs.


def _kms_key_id(events: dict) -> str:
    kms_key_id = events.get("KmsKeyId", "alias/aws/ebs")
    if not isinstance(kms_key_id, str) or not KMS_KEY_ID.match(kms_key_id):
        raise ValueError(f"KmsKeyId must be a KMS key id, key ARN, alias name or alias ARN, got {kms_key_id!r}")
    return kms_key_id


def _instance_state(ec2: object, attachment: dict | None) -> str:
    """State of the instance the volume is attached to ("" if none); refuses one neither running nor stopped."""
    if not attachment:
        return ""
    state = _instance(ec2, attachment["InstanceId"])["State"]["Name"]
    if state not in ("running", "stopped"):
        raise ValueError(f"Instance {attachment['InstanceId']} is {state}; retry when it is running or stopped.")
    return state


def _plan(state: dict, attachment: dict | None, instance_state: str, kms_key_id: str) -> dict:
    """What the runbook will do to this volume, in order (the dry-run output and the approval request)."""
    volume_id = state["VolumeId"]
    steps = []
    if instance_state == "running":
        steps.append(f"Stop instance {attachment['InstanceId']} (it is running).")
    steps += [
        f"Take backup snapshot of {volume_id} (kept; holds the original data).",
        f"Copy the backup into a snapshot encrypted with {kms_key_id}.",
        f"Create an encrypted {state['VolumeType']} volume of {state['Size']} GiB in {state['AvailabilityZone']}"
        f" with the same tags.",
    ]
    if attachment:
        steps.append(
            f"Detach {volume_id} from {attachment['InstanceId']} and attach the new volume as {attachment['Device']}."
        )
    if instance_state == "running":
        steps.append(f"Start instance {attachment['InstanceId']} again.")
    steps.append(f"DELETE the original volume {volume_id}.")
    return {
        "VolumeId": volume_id,
        "KmsKeyId": kms_key_id,
        "StopInstanceId": attachment["InstanceId"] if instance_state == "running" else "",
        "SwapOn": f"{attachment['InstanceId']}:{attachment['Device']}" if attachment else "",
        "DeleteVolumeId": volume_id,
        "Steps": [f"{number}. {text}" for number, text in enumerate(steps, 1)],
    }


def _approval_message(plan: dict, state: dict) -> str:
    """The plan and the state before, as the approver reads it; at most APPROVAL_MESSAGE_MAX_CHARS."""
    attached = ", ".join(f"{a['InstanceId']} as {a['Device']}" for a in state["Attachments"]) or "nothing"
    text = "\n".join(
        [
            f"Remedy encrypt_ebs_volume asks to REPLACE unencrypted EBS volume {state['VolumeId']}.",
            f"Now: {state['VolumeType']}, {state['Size']} GiB, {state['AvailabilityZone']}, attached to {attached},"
            f" {len(state['Tags'])} tag(s).",
            "Plan:",
            *plan["Steps"],
            "Approve to run these steps; reject to change nothing.",
        ]
    )
    if len(text) > APPROVAL_MESSAGE_MAX_CHARS:
        note = "\n[truncated: see the CheckVolume step output]"
        text = text[: APPROVAL_MESSAGE_MAX_CHARS - len(note)] + note
    return text


def check_volume(events: dict, context: object) -> dict:
    """Step 1 (read-only): verify the volume is unencrypted and may be replaced; return the plan and the state.

    The dry run ends after this step; otherwise the plan is what the approvers are asked to approve.
    """
    volume_id = _volume_id(events)
    allow_attached = _allow_attached(events)
    kms_key_id = _kms_key_id(events)
    dry_run = _dry_run(events)
    ec2 = boto3.client("ec2")
    state = _previous_state(ec2, _describe_volume(ec2, volume_id))
    result = {"VolumeId": volume_id, "DryRun": dry_run, "Changed": False, "PreviousState": state, "Device": ""}
    if state["Encrypted"]:
        message = f"Volume {volume_id} is already encrypted; nothing changed."
        return {**result, "WouldChange": False, "PlannedState": {}, "ApprovalMessage": "", "Message": message}
    attachment = _check_attachments(state, allow_attached)
    plan = _plan(state, attachment, _instance_state(ec2, attachment), kms_key_id)
    message = (
        f"Dry run, nothing changed. Would replace {volume_id}: " + " ".join(plan["Steps"])
        if dry_run
        else f"Volume {volume_id} will be replaced once approved: " + " ".join(plan["Steps"])
    )
    return {
        **result,
        "WouldChange": True,
        "PlannedState": plan,
        "ApprovalMessage": _approval_message(plan, state),
        "Device": attachment["Device"] if attachment else "",
        "Message": message,
    }


def _same_as_approved(state: dict, approved: object) -> None:
    """Refuse when the volume changed since its plan was made (and approved): the approval was for that state."""
    if not isinstance(approved, dict) or not approved:
        raise ValueError("ApprovedState (the PreviousState of the CheckVolume step) is required")
    keys = ("VolumeId", "Encrypted", "Size", "VolumeType", "AvailabilityZone", "Attachments")
    changed = [key for key in keys if state.get(key) != approved.get(key)]
    if changed:
        raise ValueError(
            f"Volume {state['VolumeId']} changed since the plan was approved ({', '.join(changed)}); "
            "nothing changed. Rerun the runbook to plan and approve again."
        )


def back_up_volume(events: dict, context: object) -> dict:
    """Step 2 (after approval): re-check the volume against the approved state; stop its instance; snapshot it."""
    volume_id = _volume_id(events)
    allow_attached = _allow_attached(events)
    ec2 = boto3.client("ec2")
    state = _previous_state(ec2, _describe_volume(ec2, volume_id))
    _same_as_approved(state, events.get("ApprovedState"))
    attachment = _check_attachments(state, allow_attached)
    instance_state = _instance_state(ec2, attachment)
    stopped_instance = ""
    if instance_state == "running":
        # Stop before the snapshot so that no write made after it is lost when the volume is swapped.
        ec2.stop_instances(InstanceIds=[attachment["InstanceId"]])
        stopped_instance = attachment["InstanceId"]
    try:
        if stopped_instance:
            ec2.get_waiter("instance_stopped").wait(InstanceIds=[stopped_instance], WaiterConfig=STOP_WAIT)
        snapshot = ec2.create_snapshot(
            VolumeId=volume_id,
            Description=f"Remedy encrypt_ebs_volume: pre-remediation backup of unencrypted {volume_id}",
            TagSpecifications=[
                {
                    "ResourceType": "snapshot",
                    "Tags": [
                        {"Key": SOURCE_TAG, "Value": volume_id},
                        {
                            "Key": PURPOSE_TAG,
                            "Value": "Pre-remediation backup of the unencrypted volume (its original data).",
                        },
                    ],
                }
            ],
        )
    except Exception:
        if stopped_instance:
            # Nothing else changed: put the instance back as it was before failing the step.
            _start_quietly(ec2, stopped_instance)
        raise
    stopped_note = (
        f" Stopped instance {stopped_instance} first; it restarts after the swap." if stopped_instance else ""
    )
    return {
        "VolumeId": volume_id,
        "Changed": True,
        "BackupSnapshotId": snapshot["SnapshotId"],
        "StoppedInstanceId": stopped_instance,
        "Device": attachment["Device"] if attachment else "",
        "Message": (
            f"Started backup snapshot {snapshot['SnapshotId']} of unencrypted volume {volume_id}.{stopped_note}"
        ),
    }


def copy_snapshot_encrypted(events: dict, context: object) -> dict:
    """Step 5: copy the completed backup snapshot into an encrypted snapshot with the chosen KMS key."""
    volume_id = _volume_id(events)
    backup_id = _snapshot_id(events, "BackupSnapshotId")
    kms_key_id = _kms_key_id(events)
    ec2 = boto3.client("ec2")
    backup = ec2.describe_snapshots(SnapshotIds=[backup_id])["Snapshots"][0]
    if backup.get("VolumeId") != volume_id or backup["State"] != "completed":
        raise ValueError(f"Snapshot {backup_id} is not a completed snapshot of {volume_id} (state {backup['State']}).")
    copy = ec2.copy_snapshot(
        SourceSnapshotId=backup_id,
        SourceRegion=ec2.meta.region_name,
        Encrypted=True,
        KmsKeyId=kms_key_id,
        Description=f"Remedy encrypt_ebs_volume: encrypted copy of {backup_id} ({volume_id})",
        TagSpecifications=[
            {
                "ResourceType": "snapshot",
                "Tags": [
                    {"Key": SOURCE_TAG, "Value": volume_id},
                    {"Key": PURPOSE_TAG, "Value": "Encrypted copy used to create the replacement volume."},
                ],
            }
        ],
    )
    return {
        "VolumeId": volume_id,
        "BackupSnapshotId": backup_id,
        "EncryptedSnapshotId": copy["SnapshotId"],
        "Changed": True,
        "Message": (
            f"Started encrypted copy {copy['SnapshotId']} of backup snapshot {backup_id} with key {kms_key_id}."
        ),
    }


def _new_volume_arguments(state: dict, encrypted_snapshot_id: str) -> dict:
    tags = state["Tags"]
    if len(tags) < 50:  # EC2 allows 50 tags per resource.
        tags = [*tags, {"Key": REPLACES_TAG, "Value": state["VolumeId"]}]
    arguments = {
        "AvailabilityZone": state["AvailabilityZone"],
        "SnapshotId": encrypted_snapshot_id,
        "VolumeType": state["VolumeType"],
        "Size": state["Size"],
        "TagSpecifications": [{"ResourceType": "volume", "Tags": tags}],
    }
    if state["VolumeType"] in ("io1", "io2", "gp3") and "Iops" in state:
        arguments["Iops"] = state["Iops"]
    if state["VolumeType"] == "gp3" and "Throughput" in state:
        arguments["Throughput"] = state["Throughput"]
    if state["MultiAttachEnabled"]:
        arguments["MultiAttachEnabled"] = True
    if "OutpostArn" in state:
        arguments["OutpostArn"] = state["OutpostArn"]
    return arguments


def _swap_attachment(ec2: object, attachment: dict, volume_id: str, new_volume_id: str) -> None:
    """Detach the original and attach the new volume on the same device; on failure, reattach the original."""
    instance_id, device = attachment["InstanceId"], attachment["Device"]
    ec2.detach_volume(VolumeId=volume_id, InstanceId=instance_id, Device=device)
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=VOLUME_WAIT)
    try:
        ec2.attach_volume(VolumeId=new_volume_id, InstanceId=instance_id, Device=device)
        ec2.get_waiter("volume_in_use").wait(VolumeIds=[new_volume_id], WaiterConfig=VOLUME_WAIT)
    except Exception:
        # Put the original back so the instance keeps its data; the unused new volume stays, tagged.
        ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device=device)
        raise
    if attachment["DeleteOnTermination"]:
        # A new attachment starts with DeleteOnTermination false: restore what the original had.
        ec2.modify_instance_attribute(
            InstanceId=instance_id,
            BlockDeviceMappings=[{"DeviceName": device, "Ebs": {"DeleteOnTermination": True}}],
        )


def replace_volume(events: dict, context: object) -> dict:
    """Step 7: create the encrypted volume, swap it in, restart the instance, delete the original."""
    volume_id = _volume_id(events)
    backup_id = _snapshot_id(events, "BackupSnapshotId")
    encrypted_id = _snapshot_id(events, "EncryptedSnapshotId")
    stopped_instance = _optional_instance_id(events, "StoppedInstanceId")
    allow_attached = _allow_attached(events)
    if backup_id == encrypted_id:
        raise ValueError("BackupSnapshotId and EncryptedSnapshotId must be different snapshots.")
    ec2 = boto3.client("ec2")

    # Re-check everything before the first change: time has passed since step 1.
    volume = _describe_volume(ec2, volume_id)
    state = _previous_state(ec2, volume)
    if state["Encrypted"]:
        raise ValueError(f"Volume {volume_id} is already encrypted; refusing to replace it.")
    attachment = _check_attachments(state, allow_attached)
    snapshots = {s["SnapshotId"]: s for s in ec2.describe_snapshots(SnapshotIds=[backup_id, encrypted_id])["Snapshots"]}
    backup, encrypted = snapshots[backup_id], snapshots[encrypted_id]
    if backup.get("VolumeId") != volume_id or backup["State"] != "completed":
        raise ValueError(f"Backup snapshot {backup_id} is not a completed snapshot of {volume_id}; nothing changed.")
    source_tag = {t["Key"]: t["Value"] for t in encrypted.get("Tags", [])}.get(SOURCE_TAG)
    if not encrypted.get("Encrypted") or encrypted["State"] != "completed" or source_tag != volume_id:
        raise ValueError(
            f"Snapshot {encrypted_id} is not a completed encrypted copy made for {volume_id}; nothing changed."
        )
    if attachment:
        instance_state = _instance(ec2, attachment["InstanceId"])["State"]["Name"]
        if instance_state != "stopped":
            # Started again after the backup: writes since then are not in the snapshot. Do not swap.
            raise ValueError(
                f"Instance {attachment['InstanceId']} is {instance_state}, not stopped: it may have written "
                f"data after backup snapshot {backup_id} was taken. Nothing changed; rerun the runbook."
            )

    new_volume_id = ec2.create_volume(**_new_volume_arguments(state, encrypted_id))["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[new_volume_id], WaiterConfig=VOLUME_WAIT)
    restarted = ""
    if attachment:
        _swap_attachment(ec2, attachment, volume_id, new_volume_id)
        if stopped_instance == attachment["InstanceId"]:
            ec2.start_instances(InstanceIds=[stopped_instance])
            restarted = stopped_instance
    # Last: the original goes only once the replacement is in place; the completed backup keeps its data.
    ec2.delete_volume(VolumeId=volume_id)

    where = f" on {attachment['InstanceId']} as {attachment['Device']}" if attachment else ""
    restart_note = f" Restarted instance {restarted}." if restarted else ""
    return {
        "VolumeId": volume_id,
        "NewVolumeId": new_volume_id,
        "BackupSnapshotId": backup_id,
        "EncryptedSnapshotId": encrypted_id,
        "PreviousState": state,
        "Changed": True,
        "Message": (
            f"Replaced unencrypted volume {volume_id} with encrypted volume {new_volume_id}{where} and "
            f"deleted the original.{restart_note} Backup snapshot {backup_id} keeps the original data; "
            f"delete it (and the encrypted copy {encrypted_id}) once the new volume is verified."
        ),
    }


def restart_instance_after_failure(events: dict, context: object) -> dict:
    """On failure of a later step: start the instance step 1 stopped, if its volume is on the device again.

    It is started only when the original or the new volume is attached on the recorded device, so an
    instance is never booted without its data volume. The step itself reports the failure afterwards.
    """
    instance_id = _optional_instance_id(events, "StoppedInstanceId")
    device = events.get("Device") or ""
    if not instance_id:
        return {"Changed": False, "Message": "No instance was stopped by this runbook; nothing to restart."}
    ec2 = boto3.client("ec2")
    instance = _instance(ec2, instance_id)
    if instance["State"]["Name"] != "stopped":
        return {
            "Changed": False,
            "Message": f"Instance {instance_id} is {instance['State']['Name']}; left as is.",
        }
    on_device = [m for m in instance.get("BlockDeviceMappings", []) if m.get("DeviceName") == device]
    if not on_device:
        return {
            "Changed": False,
            "Message": (
                f"Instance {instance_id} has no volume on {device}; not restarted. Reattach the original "
                "volume (or restore it from the backup snapshot) before starting it."
            ),
        }
    ec2.start_instances(InstanceIds=[instance_id])
    return {
        "Changed": True,
        "Message": f"Restarted instance {instance_id} (volume {on_device[0]['Ebs']['VolumeId']} on {device})",
    }
