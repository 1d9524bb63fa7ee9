"""Runbook script: replace an unencrypted EBS volume with an encrypted copy, losing no data, never leaving it half done.

EBS cannot encrypt a volume in place, so the runbook goes volume -> backup snapshot -> encrypted copy
of the snapshot -> new encrypted volume, and swaps the new volume in for the old one. The steps are
separate aws:executeScript handlers because snapshots can take hours; the document waits for them
between steps with aws:waitForAwsResourceProperty.

Safety:
- The first step only reads: it checks the volume and returns the plan and the state before. With DryRun
  the runbook ends there. Otherwise the plan is the message of an aws:approve step (for an attached volume
  it says the instance is stopped, and for how long at most), and nothing changes until an approver
  approves it; the next step refuses to go on if the volume changed in the meantime.
- A volume managed by infrastructure as code (CloudFormation's aws:cloudformation:* tags, Terraform-,
  Pulumi- or CDK-style "managed by" tags) or attached to an Auto Scaling instance is refused unless
  ForceReplaceManagedVolume is true: the replacement has a new id and cannot carry aws: tags, so the
  stack would drift.
- A running instance is stopped BEFORE the backup snapshot, and the swap happens only if the instance
  has not been started since and the volume not re-attached since (LaunchTime and AttachTime unchanged,
  and not after the snapshot's StartTime): otherwise writes made after the backup would be lost.
- The original volume is deleted only after the encrypted volume is in place; the unencrypted backup
  snapshot is deleted then too (the encrypted copy keeps the original data, encrypted, tagged with
  its expiry). No instance is ever terminated.
- Every step after the approval goes, on failure or timeout, to RestoreAfterFailure: it reattaches the
  original if the device is empty, restarts the instance if it was running, and deletes what this execution
  created and nothing needs (the unencrypted backup, an unattached new volume, a replaced original).
- Each handler's worst case (its API calls and bounded waits, STEP_WORST_CASE) fits its step's timeout.

Embedded into document.yaml's aws:executeScript steps at synth; unit-tested as a module.
"""

import datetime
import re

import boto3
import botocore.exceptions
from botocore.config import Config

from ssm_documents._support.controls import _dry_run, _flag

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
    "ec2:DeleteSnapshot",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)

VOLUME_ID = re.compile(r"^vol-[0-9a-f]{8,17}$")
SNAPSHOT_ID = re.compile(r"^snap-[0-9a-f]{8,17}$")
INSTANCE_ID = re.compile(r"^(i-[0-9a-f]{8,17})?$")  # empty: the volume was not attached
EXECUTION_ID = re.compile(r"^[0-9a-f-]{36}$")
_KEY_ID = r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
_ALIAS = r"alias/[a-zA-Z0-9/_-]{1,250}"
KMS_KEY_ID = re.compile(rf"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{{12}}:(key/{_KEY_ID}|{_ALIAS})|{_KEY_ID}|{_ALIAS})$")
SOURCE_TAG = "remedy:source-volume-id"
PURPOSE_TAG = "remedy:purpose"
REPLACES_TAG = "remedy:replaces-volume-id"
EXECUTION_TAG = "remedy:execution-id"  # what this execution created: RestoreAfterFailure finds it by this tag
DELETE_AFTER_TAG = "remedy:delete-after"
VERIFICATION_DAYS = 14  # the encrypted copy of the original data is kept this long, then may be deleted
MAX_TAGS = 50  # EC2 allows 50 tags per resource
# Tags that say infrastructure as code owns the volume (or its instance): replacing it makes the stack drift.
# aws: tags cannot be set by callers (so cannot be copied):
# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
MANAGED_TAG_PREFIXES = ("aws:cloudformation:", "aws:autoscaling:", "aws:servicecatalog:", "terraform", "tf:")
MANAGED_BY_KEYS = ("managedby", "managed-by", "managed_by", "provisioner")
MANAGED_BY_TOOLS = ("terraform", "pulumi", "cloudformation", "cdk", "opentofu")
# Bounded API calls: 2 s to connect, 5 s to read, at most 2 attempts (standard retry mode; its backoff before
# the second attempt is at most 1 s:
# https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html).
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 2})
CALL_SECONDS = 2 * (2 + 5) + 1  # one API call's worst case under CLIENT_CONFIG
# Bounded botocore waiters (each poll is an API call too).
STOP_WAIT = {"Delay": 15, "MaxAttempts": 12}
RESTORE_STOP_WAIT = {"Delay": 15, "MaxAttempts": 6}
VOLUME_WAIT = {"Delay": 5, "MaxAttempts": 8}
# handler -> (API calls outside waits, at most; the waits it may run). A unit test checks each step's worst case,
# calls x CALL_SECONDS + attempts x (Delay + CALL_SECONDS) per wait, against its timeoutSeconds, and the fault
# matrix checks no step makes more calls than declared here.
STEP_WORST_CASE = {
    "check_volume": (2, ()),
    "back_up_volume": (4, (STOP_WAIT,)),
    "copy_snapshot_encrypted": (2, ()),
    "create_encrypted_volume": (2, ()),
    "swap_volume": (10, (VOLUME_WAIT, VOLUME_WAIT)),
    "restore_after_failure": (14, (RESTORE_STOP_WAIT, VOLUME_WAIT)),
}
# The longest the instance stays stopped: the timeouts of the steps from BackUpVolume to SwapVolume
# (a unit test keeps it equal to document.yaml's).
MAX_STOPPED_SECONDS = 600 + 7200 + 600 + 7200 + 600 + 600 + 600
# aws:approve's Message is at most 4096 characters (AWS Systems Manager User Guide, aws:approve).
APPROVAL_MESSAGE_MAX_CHARS = 4096


def worst_case_seconds(handler: str) -> int:
    """The longest `handler` can run: every call and every wait poll at its worst (STEP_WORST_CASE)."""
    calls, waits = STEP_WORST_CASE[handler]
    return calls * CALL_SECONDS + sum(w["MaxAttempts"] * (w["Delay"] + CALL_SECONDS) for w in waits)


def _ec2() -> object:
    return boto3.client("ec2", config=CLIENT_CONFIG)


# An id input matching `pattern` (`default` when absent); anything else is refused.
def _id(events: dict, name: str, pattern: re.Pattern, default: str = "") -> str:
    value = events.get(name, default)
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"{name} must match {pattern.pattern}, got {value!r}")
    return value


# The volume; DescribeVolumes only sees volumes of this account and region (else NotFound).
def _describe_volume(ec2: object, volume_id: str) -> dict:
    return ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]


def _instance(ec2: object, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


# Tags that can be copied (the reserved aws: prefix cannot be set by callers).
def _user_tags(tags: list[dict] | None) -> list[dict]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags or [] if not t["Key"].startswith("aws:")]


# The tags saying infrastructure as code (or Auto Scaling) owns the resource, as "key=value".
def _managed_by(tags: list[dict] | None) -> list[str]:
    found = []
    for tag in tags or []:
        key, value = tag["Key"].lower(), str(tag.get("Value", "")).lower()
        if key.startswith(MANAGED_TAG_PREFIXES) or (
            key in MANAGED_BY_KEYS and any(tool in value for tool in MANAGED_BY_TOOLS)
        ):
            found.append(f"{tag['Key']}={tag.get('Value', '')}")
    return found


# An API timestamp as ISO text (how it travels between steps); "" when absent.
def _time(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime.datetime) else str(value or "")


# What the volume looked like, enough to rebuild it and to audit the change (`instance`: its instance).
def _previous_state(volume: dict, instance: dict | None) -> dict:
    attachments = []
    for attachment in volume.get("Attachments", []):
        delete_on_termination = attachment.get("DeleteOnTermination")
        if delete_on_termination is None and instance:
            delete_on_termination = any(
                m.get("Ebs", {}).get("VolumeId") == volume["VolumeId"] and m["Ebs"].get("DeleteOnTermination")
                for m in instance.get("BlockDeviceMappings", [])
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


# (the volume, the instance it is attached to or None, its previous state); refuses a multi-attached one.
def _read_volume(ec2: object, volume_id: str) -> tuple[dict, dict | None, dict]:
    volume = _describe_volume(ec2, volume_id)
    attachments = volume.get("Attachments", [])
    if len(attachments) > 1:
        instances = ", ".join(a["InstanceId"] for a in attachments)
        raise ValueError(f"Volume {volume_id} is multi-attached ({instances}); replace it manually.")
    instance = _instance(ec2, attachments[0]["InstanceId"]) if attachments else None
    return volume, instance, _previous_state(volume, instance)


# Refuse a volume that infrastructure as code or Auto Scaling owns, unless forced.
def _check_managed(volume: dict, instance: dict | None, force: bool) -> None:
    managed = _managed_by(volume.get("Tags")) + _managed_by((instance or {}).get("Tags"))
    if managed and not force:
        raise ValueError(
            f"Volume {volume['VolumeId']} (or its instance) is managed by infrastructure as code or Auto Scaling "
            f"({', '.join(managed)}): its replacement gets a new id and no aws: tags, so the stack would drift "
            "(or Auto Scaling would replace the stopped instance). Change it in its template, or rerun with "
            "ForceReplaceManagedVolume=true."
        )


# State of the volume's instance ("" if none); refuses one neither running nor stopped.
def _instance_state(instance: dict | None) -> str:
    if not instance:
        return ""
    state = instance["State"]["Name"]
    if state not in ("running", "stopped"):
        raise ValueError(f"Instance {instance['InstanceId']} is {state}; retry when it is running or stopped.")
    return state


def _hours(seconds: int) -> str:
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


# What the runbook will do to this volume, in order (the dry-run output and the approval request).
def _plan(state: dict, instance_state: str, kms_key_id: str) -> dict:
    volume_id = state["VolumeId"]
    attachment = state["Attachments"][0] if state["Attachments"] else None
    steps = []
    if instance_state == "running":
        steps.append(
            f"STOP instance {attachment['InstanceId']} (it is running) until the encrypted volume is attached: "
            f"the time EBS takes to snapshot and copy {state['Size']} GiB, at most {_hours(MAX_STOPPED_SECONDS)}."
        )
    steps += [
        f"Take a backup snapshot of {volume_id}.",
        f"Copy the backup into a snapshot encrypted with {kms_key_id} (kept {VERIFICATION_DAYS} days, tagged "
        f"{DELETE_AFTER_TAG}).",
        f"Create an encrypted {state['VolumeType']} volume of {state['Size']} GiB in {state['AvailabilityZone']}"
        f" with the same {len(state['Tags'])} tag(s).",
    ]
    if attachment:
        steps.append(
            f"Detach {volume_id} from {attachment['InstanceId']} and attach the new volume as {attachment['Device']}"
            " (only if the instance was not started and the volume not re-attached since the backup)."
        )
    if instance_state == "running":
        steps.append(f"Start instance {attachment['InstanceId']} again.")
    steps.append(f"DELETE the original volume {volume_id} and the unencrypted backup snapshot.")
    return {
        "VolumeId": volume_id,
        "KmsKeyId": kms_key_id,
        "StopInstanceId": attachment["InstanceId"] if instance_state == "running" else "",
        "SwapOn": f"{attachment['InstanceId']}:{attachment['Device']}" if attachment else "",
        "MaxStoppedSeconds": MAX_STOPPED_SECONDS if instance_state == "running" else 0,
        "DeleteVolumeId": volume_id,
        "Steps": [f"{number}. {text}" for number, text in enumerate(steps, 1)],
    }


# The plan and the state before, as the approver reads it; at most APPROVAL_MESSAGE_MAX_CHARS.
def _approval_message(plan: dict, state: dict) -> str:
    attached = ", ".join(f"{a['InstanceId']} as {a['Device']}" for a in state["Attachments"]) or "nothing"
    downtime = (
        [f"DOWNTIME: instance {plan['StopInstanceId']} is stopped for up to {_hours(plan['MaxStoppedSeconds'])}."]
        if plan.get("StopInstanceId")
        else []
    )
    text = "\n".join(
        [
            f"Remedy encrypt_ebs_volume asks to REPLACE unencrypted EBS volume {state['VolumeId']}.",
            *downtime,
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


# The dry run ends after this step; otherwise the plan is what the approvers are asked to approve.
def check_volume(events: dict, context: object) -> dict:
    """Step 1 (read-only): verify the volume is unencrypted and may be replaced; return the plan and the state."""
    volume_id = _id(events, "VolumeId", VOLUME_ID)
    force = _flag(events, "ForceReplaceManagedVolume")
    kms_key_id = _id(events, "KmsKeyId", KMS_KEY_ID, "alias/aws/ebs")
    dry_run = _dry_run(events)
    ec2 = _ec2()
    volume, instance, state = _read_volume(ec2, volume_id)
    attachment = state["Attachments"][0] if state["Attachments"] else {}
    result = {
        "VolumeId": volume_id,
        "DryRun": dry_run,
        "Changed": False,
        "PreviousState": state,
        "InstanceId": attachment.get("InstanceId", ""),
        "Device": attachment.get("Device", ""),
        "DeleteOnTermination": bool(attachment.get("DeleteOnTermination")),
        "WasRunning": False,
    }
    if state["Encrypted"]:
        message = f"Volume {volume_id} is already encrypted; nothing changed."
        return {**result, "WouldChange": False, "PlannedState": {}, "ApprovalMessage": "", "Message": message}
    _check_managed(volume, instance, force)
    instance_state = _instance_state(instance)
    plan = _plan(state, instance_state, kms_key_id)
    head = "Dry run, nothing changed. Would replace" if dry_run else "Once approved, will replace"
    message = f"{head} {volume_id}: {' '.join(plan['Steps'])}"
    return {
        **result,
        "WouldChange": True,
        "WasRunning": instance_state == "running",
        "PlannedState": plan,
        "ApprovalMessage": _approval_message(plan, state),
        "Message": message,
    }


# Refuse when the volume changed since its plan was made (and approved): the approval was for that state.
def _same_as_approved(volume: dict, approved: object) -> None:
    if not isinstance(approved, dict) or not isinstance(approved.get("Attachments"), list):
        raise ValueError("ApprovedState (the PreviousState of the CheckVolume step) is required")
    now = {key: volume.get(key) for key in ("VolumeId", "Size", "VolumeType", "AvailabilityZone")}
    now["Encrypted"] = bool(volume.get("Encrypted"))
    changed = [key for key, value in now.items() if approved.get(key) != value]
    if _attached(volume.get("Attachments", [])) != _attached(approved["Attachments"]):
        changed.append("Attachments")
    if changed:
        raise ValueError(
            f"Volume {volume['VolumeId']} changed since the plan was approved ({', '.join(changed)}); "
            "nothing changed. Rerun the runbook to plan and approve again."
        )


def _attached(attachments: list) -> list[tuple]:
    return [(a.get("InstanceId"), a.get("Device")) for a in attachments if isinstance(a, dict)]


# The volume, unchanged since the approval, and its instance (None when detached).
def _approved_volume(ec2: object, events: dict, volume_id: str) -> tuple[dict, dict | None]:
    volume = _describe_volume(ec2, volume_id)
    _same_as_approved(volume, events.get("ApprovedState"))
    attachments = volume.get("Attachments", [])
    return volume, _instance(ec2, attachments[0]["InstanceId"]) if attachments else None


def _created_tags(volume_id: str, execution_id: str, purpose: str, delete_after_days: int) -> list[dict]:
    delete_after = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=delete_after_days)
    return [
        {"Key": SOURCE_TAG, "Value": volume_id},
        {"Key": PURPOSE_TAG, "Value": purpose},
        {"Key": EXECUTION_TAG, "Value": execution_id},
        {"Key": DELETE_AFTER_TAG, "Value": delete_after.isoformat()},
    ]


# No error handling here: on any failure or timeout RestoreAfterFailure starts the instance again.
def back_up_volume(events: dict, context: object) -> dict:
    """After approval: re-check the volume against the approved state; stop its running instance; snapshot it."""
    volume_id = _id(events, "VolumeId", VOLUME_ID)
    execution_id = _id(events, "ExecutionId", EXECUTION_ID)
    ec2 = _ec2()
    volume, instance = _approved_volume(ec2, events, volume_id)
    instance_state = _instance_state(instance)
    attachment = volume["Attachments"][0] if volume.get("Attachments") else {}
    if instance_state == "running":
        ec2.stop_instances(InstanceIds=[instance["InstanceId"]])
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance["InstanceId"]], WaiterConfig=STOP_WAIT)
    snapshot = ec2.create_snapshot(
        VolumeId=volume_id,
        Description=f"Remedy encrypt_ebs_volume: pre-remediation backup of unencrypted {volume_id}",
        TagSpecifications=[
            {
                "ResourceType": "snapshot",
                "Tags": _created_tags(volume_id, execution_id, "Unencrypted backup; deleted once replaced.", 1),
            }
        ],
    )
    stopped_note = f" Stopped instance {instance['InstanceId']} first." if instance_state == "running" else ""
    return {
        "VolumeId": volume_id,
        "Changed": True,
        "BackupSnapshotId": snapshot["SnapshotId"],
        "LaunchTime": _time((instance or {}).get("LaunchTime")),
        "AttachTime": _time(attachment.get("AttachTime")),
        "Message": f"Started backup snapshot {snapshot['SnapshotId']} of unencrypted volume {volume_id}.{stopped_note}",
    }


def copy_snapshot_encrypted(events: dict, context: object) -> dict:
    """Copy the completed backup snapshot into an encrypted snapshot with the chosen KMS key."""
    volume_id = _id(events, "VolumeId", VOLUME_ID)
    backup_id = _id(events, "BackupSnapshotId", SNAPSHOT_ID)
    kms_key_id = _id(events, "KmsKeyId", KMS_KEY_ID, "alias/aws/ebs")
    execution_id = _id(events, "ExecutionId", EXECUTION_ID)
    ec2 = _ec2()
    backup = ec2.describe_snapshots(SnapshotIds=[backup_id])["Snapshots"][0]
    if backup.get("VolumeId") != volume_id or backup["State"] != "completed":
        raise ValueError(f"Snapshot {backup_id} is not a completed snapshot of {volume_id} (state {backup['State']}).")
    purpose = "Encrypted copy of the original data (the backup); the replacement volume is made from it."
    copy = ec2.copy_snapshot(
        SourceSnapshotId=backup_id,
        SourceRegion=ec2.meta.region_name,
        Encrypted=True,
        KmsKeyId=kms_key_id,
        Description=f"Remedy encrypt_ebs_volume: encrypted copy of {backup_id} ({volume_id})",
        TagSpecifications=[
            {"ResourceType": "snapshot", "Tags": _created_tags(volume_id, execution_id, purpose, VERIFICATION_DAYS)}
        ],
    )
    return {
        "VolumeId": volume_id,
        "BackupSnapshotId": backup_id,
        "EncryptedSnapshotId": copy["SnapshotId"],
        "Changed": True,
        "Message": f"Started encrypted copy {copy['SnapshotId']} of backup snapshot {backup_id} with key {kms_key_id}.",
    }


# CreateVolume's arguments: the original's shape and every user tag, then Remedy's tags while there is room.
def _new_volume_arguments(state: dict, encrypted_snapshot_id: str, execution_id: str) -> dict:
    tags = list(state["Tags"])
    for key, value in ((EXECUTION_TAG, execution_id), (REPLACES_TAG, state["VolumeId"])):
        if len(tags) < MAX_TAGS:
            tags.append({"Key": key, "Value": value})
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


def create_encrypted_volume(events: dict, context: object) -> dict:
    """Create the encrypted volume from the completed encrypted copy (the document waits for it to be available)."""
    volume_id = _id(events, "VolumeId", VOLUME_ID)
    encrypted_id = _id(events, "EncryptedSnapshotId", SNAPSHOT_ID)
    execution_id = _id(events, "ExecutionId", EXECUTION_ID)
    state = events.get("ApprovedState")
    if not isinstance(state, dict) or state.get("VolumeId") != volume_id or state.get("Encrypted") is not False:
        raise ValueError("ApprovedState must be the PreviousState of the CheckVolume step for this volume")
    ec2 = _ec2()
    encrypted = ec2.describe_snapshots(SnapshotIds=[encrypted_id])["Snapshots"][0]
    source_tag = {t["Key"]: t["Value"] for t in encrypted.get("Tags", [])}.get(SOURCE_TAG)
    if not encrypted.get("Encrypted") or encrypted["State"] != "completed" or source_tag != volume_id:
        raise ValueError(
            f"Snapshot {encrypted_id} is not a completed encrypted copy made for {volume_id}; nothing changed."
        )
    new_volume_id = ec2.create_volume(**_new_volume_arguments(state, encrypted_id, execution_id))["VolumeId"]
    return {
        "VolumeId": volume_id,
        "NewVolumeId": new_volume_id,
        "Changed": True,
        "Message": f"Created encrypted volume {new_volume_id} from {encrypted_id}.",
    }


# Refuse the swap if anything could have written to the original since the backup snapshot began.
#
# EC2 API reference: Instance.LaunchTime is the time the instance was last launched (a start sets it),
# VolumeAttachment.AttachTime when the attachment began, Snapshot.StartTime when the snapshot began
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Instance.html, API_VolumeAttachment.html,
# API_Snapshot.html). Both must be as BackUpVolume recorded them and not after the snapshot's start.
def _not_written_since_backup(instance: dict | None, attachment: dict, backup: dict, events: dict) -> None:
    started = backup["StartTime"]
    if instance is None:
        return
    launch, attach = instance.get("LaunchTime"), attachment.get("AttachTime")
    problems = []
    if instance["State"]["Name"] != "stopped":
        problems.append(f"it is {instance['State']['Name']}")
    if _time(launch) != events.get("LaunchTime") or (launch and launch > started):
        problems.append(f"it was started at {_time(launch)}, after the backup began at {_time(started)}")
    if _time(attach) != events.get("AttachTime") or (attach and attach > started):
        problems.append(f"the volume was attached at {_time(attach)}, after the backup began")
    if problems:
        raise ValueError(
            f"Instance {instance['InstanceId']} may have written to the volume after backup snapshot "
            f"{backup['SnapshotId']} ({'; '.join(problems)}). Nothing swapped; rerun the runbook."
        )


# Swap the new volume in on the original's device, if nothing could have written to the original since the
# backup. A failure or timeout part-way is undone by RestoreAfterFailure (the original goes back).
def swap_volume(events: dict, context: object) -> dict:
    """Swap the new volume in on the original's device, if nothing could have written to the original since."""
    volume_id = _id(events, "VolumeId", VOLUME_ID)
    new_volume_id = _id(events, "NewVolumeId", VOLUME_ID)
    backup_id = _id(events, "BackupSnapshotId", SNAPSHOT_ID)
    ec2 = _ec2()
    volume, instance = _approved_volume(ec2, events, volume_id)
    backup = ec2.describe_snapshots(SnapshotIds=[backup_id])["Snapshots"][0]
    if backup.get("VolumeId") != volume_id or backup["State"] != "completed":
        raise ValueError(f"Backup snapshot {backup_id} is not a completed snapshot of {volume_id}; nothing changed.")
    if instance is None:
        message = _finish(ec2, events, volume_id, new_volume_id, backup_id)
        return {"VolumeId": volume_id, "NewVolumeId": new_volume_id, "Changed": True, "Message": message}
    attachment = volume["Attachments"][0]
    _not_written_since_backup(instance, attachment, backup, events)
    instance_id, device = instance["InstanceId"], attachment["Device"]
    ec2.detach_volume(VolumeId=volume_id, InstanceId=instance_id, Device=device)
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=VOLUME_WAIT)
    ec2.attach_volume(VolumeId=new_volume_id, InstanceId=instance_id, Device=device)
    ec2.get_waiter("volume_in_use").wait(VolumeIds=[new_volume_id], WaiterConfig=VOLUME_WAIT)
    if _flag(events, "DeleteOnTermination"):
        ec2.modify_instance_attribute(
            InstanceId=instance_id,
            BlockDeviceMappings=[{"DeviceName": device, "Ebs": {"DeleteOnTermination": True}}],
        )
    message = _finish(ec2, events, volume_id, new_volume_id, backup_id)
    return {"VolumeId": volume_id, "NewVolumeId": new_volume_id, "Changed": True, "Message": message}


# Last, once the replacement is in place: start the instance if it was running; delete the original and the
# unencrypted backup (the encrypted copy and the new volume hold their data).
def _finish(ec2: object, events: dict, volume_id: str, new_volume_id: str, backup_id: str) -> str:
    instance_id = _id(events, "InstanceId", INSTANCE_ID)
    restarted = ""
    if instance_id and _flag(events, "WasRunning"):
        ec2.start_instances(InstanceIds=[instance_id])
        restarted = f" Restarted instance {instance_id}."
    if _describe_volume(ec2, volume_id).get("Attachments"):
        raise ValueError(f"Original volume {volume_id} is attached again; not deleted.")
    ec2.delete_volume(VolumeId=volume_id)
    ec2.delete_snapshot(SnapshotId=backup_id)
    return (
        f"Replaced unencrypted volume {volume_id} with encrypted volume {new_volume_id}; deleted the original "
        f"and the unencrypted backup {backup_id}.{restarted}"
    )


# The id of the volume on `device` of the instance ("" if the device is empty).
def _volume_on(instance: dict, device: str) -> str:
    for mapping in instance.get("BlockDeviceMappings", []):
        if mapping.get("DeviceName") == device:
            return mapping.get("Ebs", {}).get("VolumeId", "")
    return ""


# Idempotent: an empty device gets the original back (if it is available), a device holding the original or
# the new volume is left as is (its DeleteOnTermination restored), and an instance that was running when the
# plan was approved is started again once its device holds a volume. It never starts an instance whose device
# is empty. No instance: nothing to do.
def _restore(ec2: object, events: dict, volume_id: str) -> list[str]:
    instance_id = _id(events, "InstanceId", INSTANCE_ID)
    device = events.get("Device") or ""
    if not instance_id:
        return []
    instance = _instance(ec2, instance_id)
    if instance["State"]["Name"] == "stopping":
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance_id], WaiterConfig=RESTORE_STOP_WAIT)
        instance = _instance(ec2, instance_id)
    done = []
    on_device = _volume_on(instance, device)
    stopped = instance["State"]["Name"] == "stopped"
    if not on_device and stopped and _describe_volume(ec2, volume_id)["State"] == "available":
        ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device=device)
        ec2.get_waiter("volume_in_use").wait(VolumeIds=[volume_id], WaiterConfig=VOLUME_WAIT)
        on_device = volume_id
        done.append(f"reattached the original {volume_id} as {device}")
    if on_device and (done or on_device != volume_id) and _flag(events, "DeleteOnTermination"):
        ec2.modify_instance_attribute(
            InstanceId=instance_id, BlockDeviceMappings=[{"DeviceName": device, "Ebs": {"DeleteOnTermination": True}}]
        )
    if on_device and _flag(events, "WasRunning") and instance["State"]["Name"] == "stopped":
        ec2.start_instances(InstanceIds=[instance_id])
        done.append(f"started instance {instance_id}")
    if not on_device:
        done.append(f"left instance {instance_id} as is: nothing on {device} and the original is not available")
    return done


def restore_after_failure(events: dict, context: object) -> dict:
    """After a failed or timed-out step: restore the device and the instance, then clean up (both idempotent)."""
    volume_id = _id(events, "VolumeId", VOLUME_ID)
    execution_id = _id(events, "ExecutionId", EXECUTION_ID)
    ec2 = _ec2()
    done = _restore(ec2, events, volume_id)
    deleted = _clean_up(ec2, volume_id, execution_id)
    if deleted:
        done.append(f"deleted {', '.join(deleted)}")
    return {"Changed": bool(done), "Message": "Restore: " + ("; ".join(done) or "nothing to do") + "."}


# The unencrypted backup goes when the original volume still exists or this execution's new volume is in use
# (either holds the data); a new volume not in use and its encrypted source go when the original exists; the
# original goes when it is detached and this execution's new volume is in use (the swap was made).
def _clean_up(ec2: object, volume_id: str, execution_id: str) -> list[str]:
    mine = [{"Name": f"tag:{EXECUTION_TAG}", "Values": [execution_id]}]
    new_volumes = ec2.describe_volumes(Filters=mine)["Volumes"]
    snapshots = ec2.describe_snapshots(OwnerIds=["self"], Filters=mine)["Snapshots"]
    try:
        original = _describe_volume(ec2, volume_id)
    except botocore.exceptions.ClientError as error:
        if "NotFound" not in error.response["Error"]["Code"]:
            raise
        original = None
    in_use = any(v["State"] == "in-use" for v in new_volumes)
    deleted = []
    if in_use and original is not None and original["State"] == "available":
        ec2.delete_volume(VolumeId=volume_id)
        deleted.append(volume_id)
    if original is not None:
        for volume in new_volumes:
            if volume["State"] == "available":
                ec2.delete_volume(VolumeId=volume["VolumeId"])
                deleted.append(volume["VolumeId"])
    for snapshot in snapshots:
        unencrypted_backup = not snapshot.get("Encrypted")
        if (unencrypted_backup and (original is not None or in_use)) or (
            not unencrypted_backup and original is not None and not in_use
        ):
            ec2.delete_snapshot(SnapshotId=snapshot["SnapshotId"])
            deleted.append(snapshot["SnapshotId"])
    return deleted
