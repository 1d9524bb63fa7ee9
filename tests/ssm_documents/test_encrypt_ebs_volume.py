"""Runbook encrypt_ebs_volume: replaces an unencrypted volume safely, keeps the backup, never terminates.

The rendered document (script.py embedded) is run by simulation.ssm_automation.SsmAutomation, the
project's Automation interpreter (InputPayload templates, output selectors, the aws:branch, the wait
steps and onFailure), so the wiring between steps is tested too.
"""

from __future__ import annotations

import re
from collections import Counter

import boto3
import pytest
import yaml
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from catalogue import load_runbook
from infra.runbooks import render_document, runbook_iam_actions
from simulation.ssm_automation import SsmAutomation
from ssm_documents.encrypt_ebs_volume import script
from tests.conftest import ACCOUNT_ID, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "encrypt_ebs_volume"
DOCUMENT = yaml.safe_load((RUNBOOK / "document.yaml").read_text())
AZ = "us-east-1a"
IMAGE_ID = "ami-12c6146b"  # moto accepts it without loading its default AMIs
TAGS = [{"Key": "Name", "Value": "ledger-data"}, {"Key": "CostCentre", "Value": "42"}]
RENDERED = render_document(load_runbook("encrypt_ebs_volume"))
DOCUMENT_NAME = "Remedy-EncryptEbsVolume"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/remedy-encrypt-ebs-volume"
APPROVER = f"arn:aws:iam::{ACCOUNT_ID}:role/remedy-remediation-approver"


class StepFailed(Exception):
    """The automation ended Failed; `.cause` is the error of the step that failed."""

    def __init__(self, step: str, cause: Exception, outputs: dict):
        super().__init__(f"{step} failed: {cause}")
        self.step, self.cause, self.outputs = step, cause, outputs


def start(volume_id: str, automation: SsmAutomation, **parameters) -> str:
    """Start the rendered runbook (APPROVER the only approver); return the execution id."""
    automation.register(DOCUMENT_NAME, RENDERED)
    values = {"AutomationAssumeRole": ROLE, "VolumeId": volume_id, "Approvers": [APPROVER], **parameters}
    return automation.start_automation_execution(
        DocumentName=DOCUMENT_NAME,
        Parameters={
            name: v if isinstance(v, list) else [str(v).lower() if isinstance(v, bool) else str(v)]
            for name, v in values.items()
        },
    )


def run_document(volume_id: str, **parameters) -> dict:
    """Run the rendered runbook through SsmAutomation, its approval step approved; returns every step output
    ("Step.Output" -> value), raises StepFailed (the first failed step and its exception) when the execution
    does not succeed."""
    automation = SsmAutomation(approve=lambda step, inputs: True)
    execution_id = start(volume_id, automation, **parameters)
    execution = automation.executions[execution_id]
    outputs = execution.step_outputs
    if execution.status != "Success":
        failed = next(s for s in execution.step_executions if s["StepStatus"] != "Success")
        raise StepFailed(failed["StepName"], failed["Exception"], outputs)
    return outputs


EXECUTION_ID = "0123abcd-0123-4567-89ab-0123456789ab"


def up_to_the_swap(volume_id: str) -> dict:
    """The handlers without the document, up to the swap (as if approved); the swap's input payload."""
    plan = script.check_volume({"VolumeId": volume_id}, None)
    events = {"VolumeId": volume_id, "ExecutionId": EXECUTION_ID, "ApprovedState": plan["PreviousState"]}
    backup = script.back_up_volume(events, None)
    copy = script.copy_snapshot_encrypted({**events, "BackupSnapshotId": backup["BackupSnapshotId"]}, None)
    new = script.create_encrypted_volume({**events, "EncryptedSnapshotId": copy["EncryptedSnapshotId"]}, None)
    return {
        **events,
        "BackupSnapshotId": backup["BackupSnapshotId"],
        "NewVolumeId": new["NewVolumeId"],
        "LaunchTime": backup["LaunchTime"],
        "AttachTime": backup["AttachTime"],
    }


def _snapshots(ec2) -> list[dict]:
    return ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]


def _volume(ec2, volume_id: str) -> dict:
    return ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]


def _exists(ec2, volume_id: str) -> bool:
    try:
        _volume(ec2, volume_id)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "InvalidVolume.NotFound"
        return False
    return True


def _instance(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def _on_device(ec2, instance_id: str, device: str) -> dict:
    return next(m["Ebs"] for m in _instance(ec2, instance_id)["BlockDeviceMappings"] if m["DeviceName"] == device)


@pytest.fixture
def ec2(aws, recorded_in_config):  # the guard step reads the volume's tags from AWS Config
    return boto3.client("ec2")


@pytest.fixture
def volume_id(ec2):
    """An unencrypted, tagged gp3 volume."""
    return ec2.create_volume(
        AvailabilityZone=AZ,
        Size=20,
        VolumeType="gp3",
        Iops=4000,
        Throughput=250,
        TagSpecifications=[{"ResourceType": "volume", "Tags": TAGS}],
    )["VolumeId"]


@pytest.fixture
def instance_id(ec2, volume_id):
    """A running instance with the volume on /dev/sdf (DeleteOnTermination true)."""
    instance = ec2.run_instances(
        ImageId=IMAGE_ID, MinCount=1, MaxCount=1, InstanceType="t3.micro", Placement={"AvailabilityZone": AZ}
    )["Instances"][0]["InstanceId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance, Device="/dev/sdf")
    ec2.modify_instance_attribute(
        InstanceId=instance,
        BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"DeleteOnTermination": True}}],
    )
    return instance


def test_document_wires_every_handler_and_output():
    handlers = [s["inputs"]["Handler"] for s in DOCUMENT["mainSteps"] if s["action"] == "aws:executeScript"]
    assert handlers == list(script.STEP_WORST_CASE)
    assert all(callable(getattr(script, h)) for h in handlers)
    assert "BackUpVolume.BackupSnapshotId" in DOCUMENT["outputs"]
    assert list(DOCUMENT["parameters"]) == [
        "AutomationAssumeRole",
        "VolumeId",
        "KmsKeyId",
        "ForceReplaceManagedVolume",
        "DryRun",
        "Approvers",
        "ApprovalTopicArn",
    ]
    assert DOCUMENT["parameters"]["KmsKeyId"]["default"] == "alias/aws/ebs"
    assert DOCUMENT["parameters"]["ForceReplaceManagedVolume"]["type"] == "Boolean"
    assert DOCUMENT["parameters"]["ForceReplaceManagedVolume"]["default"] is False
    assert not any("*" in action for action in script.IAM_ACTIONS)
    for action in (
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKeyWithoutPlaintext",
    ):
        assert action in script.IAM_ACTIONS


def test_every_step_after_the_approval_restores_on_failure():
    steps = DOCUMENT["mainSteps"]
    names = [s["name"] for s in steps]
    changing = steps[names.index("BackUpVolume") : names.index("RestoreAfterFailure")]
    assert changing and all(s["onFailure"] == "step:RestoreAfterFailure" for s in changing)
    restore = steps[names.index("RestoreAfterFailure")]
    assert (restore["onFailure"], restore["isEnd"], restore["maxAttempts"]) == ("Abort", True, 3)
    # Its inputs come only from CheckVolume and the parameters: it runs whichever step failed.
    for value in restore["inputs"]["InputPayload"].values():
        assert not re.search(r"\{\{ (?!CheckVolume\.|VolumeId|automation:)", value), value


def test_every_step_finishes_within_its_timeout():
    for step in DOCUMENT["mainSteps"]:
        if step["action"] == "aws:executeScript":
            worst = script.worst_case_seconds(step["inputs"]["Handler"])
            assert worst <= step["timeoutSeconds"], (step["name"], worst, step["timeoutSeconds"])
    # The longest downtime the approval message states is the sum of the steps' timeouts while stopped.
    names = [s["name"] for s in DOCUMENT["mainSteps"]]
    stopped = DOCUMENT["mainSteps"][names.index("BackUpVolume") : names.index("RestoreAfterFailure")]
    assert sum(s["timeoutSeconds"] for s in stopped) == script.MAX_STOPPED_SECONDS


def test_worst_case_counts_every_call_and_wait_poll():
    calls, waits = script.STEP_WORST_CASE["back_up_volume"]
    expected = calls * script.CALL_SECONDS + sum(w["MaxAttempts"] * (w["Delay"] + script.CALL_SECONDS) for w in waits)
    assert script.worst_case_seconds("back_up_volume") == expected > 12 * 15  # the stop wait alone is 180 s
    config = script.CLIENT_CONFIG
    assert config.retries["max_attempts"] * (config.connect_timeout + config.read_timeout) <= script.CALL_SECONDS


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        (
            "VolumeId",
            ["vol-0123abcd", "vol-0123456789abcdef0"],
            ["vol-123", "vol-0123456789ABCDEF0", "i-0123abcd"],
        ),
        (
            "KmsKeyId",
            [
                "alias/aws/ebs",
                "alias/bank/ebs-key",
                "1234abcd-12ab-34cd-56ef-1234567890ab",
                "mrk-1234abcd12ab34cd56ef1234567890ab",
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "arn:aws:kms:eu-west-1:123456789012:alias/bank-ebs",
            ],
            ["", "aws/ebs", "alias/", "arn:aws:kms:eu-west-1:123456789012:key/*", "key; rm -rf"],
        ),
    ],
)
def test_document_patterns_match_the_script(name, good, bad):
    pattern = re.compile(DOCUMENT["parameters"][name]["allowedPattern"])
    script_pattern = script.VOLUME_ID if name == "VolumeId" else script.KMS_KEY_ID
    for value in good:
        assert pattern.match(value) and script_pattern.match(value), value
    for value in bad:
        assert not pattern.match(value) and not script_pattern.match(value), value


def test_unattached_volume_is_replaced_by_an_encrypted_one_and_no_unencrypted_copy_is_left(ec2, volume_id, api_calls):
    outputs = run_document(volume_id)

    new_id = outputs["CreateEncryptedVolume.NewVolumeId"]
    backup_id = outputs["BackUpVolume.BackupSnapshotId"]
    new = _volume(ec2, new_id)
    assert new["Encrypted"] is True
    assert (new["AvailabilityZone"], new["Size"], new["VolumeType"], new["Iops"], new["Throughput"]) == (
        AZ,
        20,
        "gp3",
        4000,
        250,
    )
    assert all(tag in new["Tags"] for tag in TAGS)
    assert {"Key": "remedy:replaces-volume-id", "Value": volume_id} in new["Tags"]
    assert not _exists(ec2, volume_id)
    snapshots = _snapshots(ec2)
    assert backup_id not in [s["SnapshotId"] for s in snapshots]  # the unencrypted backup is gone
    assert [s["SnapshotId"] for s in snapshots] == [outputs["CopySnapshotEncrypted.EncryptedSnapshotId"]]
    kept = {t["Key"]: t["Value"] for t in snapshots[0]["Tags"]}
    assert snapshots[0]["Encrypted"] is True
    assert kept["remedy:source-volume-id"] == volume_id
    assert kept["remedy:delete-after"] > outputs["CheckVolume.PreviousState"].get("Created", "")
    assert "RestoreAfterFailure.Message" not in outputs
    assert "StopInstances" not in api_calls.operations
    assert api_calls.operations.index("CreateVolume") < api_calls.operations.index("DeleteVolume")
    api_calls.assert_within(runbook_iam_actions(load_runbook("encrypt_ebs_volume")))  # the role, guard included


def test_kms_key_parameter_is_used_for_the_copy(ec2, volume_id, api_calls):
    key = "arn:aws:kms:us-east-1:123456789012:alias/bank-ebs"
    run_document(volume_id, KmsKeyId=key)

    copy = next(c for c in api_calls.calls if c.operation == "CopySnapshot")
    assert copy.params["KmsKeyId"] == key
    assert copy.params["Encrypted"] == "true"  # the serialized request


def test_attached_volume_is_swapped_on_the_same_device_and_the_instance_restarted(
    ec2, volume_id, instance_id, api_calls
):
    outputs = run_document(volume_id)

    new_id = outputs["CreateEncryptedVolume.NewVolumeId"]
    mapping = _on_device(ec2, instance_id, "/dev/sdf")
    assert mapping["VolumeId"] == new_id
    assert mapping["DeleteOnTermination"] is True
    assert _volume(ec2, new_id)["Encrypted"] is True
    assert _instance(ec2, instance_id)["State"]["Name"] == "running"
    assert not _exists(ec2, volume_id)
    assert outputs["CheckVolume.PreviousState"]["Attachments"] == [
        {"InstanceId": instance_id, "Device": "/dev/sdf", "DeleteOnTermination": True}
    ]
    ops = api_calls.operations
    # The instance is stopped before the backup, so no write after the snapshot can be lost.
    assert ops.index("StopInstances") < ops.index("CreateSnapshot")
    assert ops.index("AttachVolume") < ops.index("StartInstances") < ops.index("DeleteVolume")
    assert "TerminateInstances" not in ops
    assert all(s["Encrypted"] for s in _snapshots(ec2))
    api_calls.assert_within(runbook_iam_actions(load_runbook("encrypt_ebs_volume")))  # the role, guard included


def test_attached_volume_of_a_stopped_instance_stays_stopped(ec2, volume_id, instance_id, api_calls):
    ec2.stop_instances(InstanceIds=[instance_id])
    api_calls.clear()

    outputs = run_document(volume_id)

    assert _on_device(ec2, instance_id, "/dev/sdf")["VolumeId"] == outputs["CreateEncryptedVolume.NewVolumeId"]
    assert _instance(ec2, instance_id)["State"]["Name"] == "stopped"
    assert "StopInstances" not in api_calls.operations
    assert "StartInstances" not in api_calls.operations


@pytest.mark.parametrize(
    ("where", "tag"),
    [
        ("volume", {"Key": "ManagedBy", "Value": "Terraform"}),
        ("volume", {"Key": "managed-by", "Value": "pulumi"}),
        ("instance", {"Key": "aws:cloudformation:stack-name", "Value": "ledger"}),
    ],
)
def test_volume_managed_by_infrastructure_as_code_is_refused_unless_forced(
    ec2, volume_id, instance_id, api_calls, where, tag
):
    ec2.create_tags(Resources=[volume_id if where == "volume" else instance_id], Tags=[tag])
    api_calls.clear()

    with pytest.raises(StepFailed) as failed:
        run_document(volume_id)

    assert failed.value.step == "CheckVolume"
    assert f"{tag['Key']}={tag['Value']}" in str(failed.value.cause)
    assert "ForceReplaceManagedVolume=true" in str(failed.value.cause)
    assert api_calls.mutating == []
    outputs = run_document(volume_id, ForceReplaceManagedVolume=True)
    assert _on_device(ec2, instance_id, "/dev/sdf")["VolumeId"] == outputs["CreateEncryptedVolume.NewVolumeId"]


def test_encrypted_volume_is_left_alone(ec2, api_calls):
    encrypted = ec2.create_volume(AvailabilityZone=AZ, Size=8, Encrypted=True)["VolumeId"]
    api_calls.clear()

    outputs = run_document(encrypted)

    assert outputs["CheckVolume.WouldChange"] is False
    assert "already encrypted" in outputs["CheckVolume.Message"]
    assert "CopySnapshotEncrypted.EncryptedSnapshotId" not in outputs  # the branch ended the runbook
    assert api_calls.mutating == []
    assert _exists(ec2, encrypted)


def test_second_run_on_the_new_volume_changes_nothing(ec2, volume_id, instance_id, api_calls):
    new_id = run_document(volume_id)["CreateEncryptedVolume.NewVolumeId"]
    api_calls.clear()

    outputs = run_document(new_id)

    assert outputs["CheckVolume.WouldChange"] is False
    assert api_calls.mutating == []
    assert _instance(ec2, instance_id)["State"]["Name"] == "running"


def test_copy_denied_leaves_the_original_intact_restarts_the_instance_and_cleans_up(
    ec2, volume_id, instance_id, api_calls
):
    api_calls.fail("CopySnapshot", code="AccessDenied")

    with pytest.raises(StepFailed) as failed:
        run_document(volume_id)

    assert failed.value.step == "CopySnapshotEncrypted"
    assert isinstance(failed.value.cause, ClientError)
    assert "AccessDenied" in str(failed.value.cause)
    original = _volume(ec2, volume_id)
    assert original["Encrypted"] is False
    assert _on_device(ec2, instance_id, "/dev/sdf")["VolumeId"] == volume_id
    assert _instance(ec2, instance_id)["State"]["Name"] == "running"
    assert f"started instance {instance_id}" in failed.value.outputs["RestoreAfterFailure.Message"]
    assert _snapshots(ec2) == []  # the unencrypted backup is deleted: the original still holds the data
    assert not {"CreateVolume", "DetachVolume", "DeleteVolume", "TerminateInstances"} & set(api_calls.operations)


def test_attach_failure_puts_the_original_back(ec2, volume_id, instance_id, api_calls, before_call_hook):
    attaches = []

    def fail_attaching_the_new_volume(model, params, **_kwargs):
        if model.name == "AttachVolume":
            attaches.append(params["body"]["VolumeId"])
            if params["body"]["VolumeId"] != volume_id:
                parsed = {"Error": {"Code": "VolumeInUse", "Message": "denied by test"}}
                return AWSResponse("https://emulated.invalid", 400, {}, None), {
                    **parsed,
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                }
        return None

    before_call_hook(fail_attaching_the_new_volume)
    with pytest.raises(StepFailed) as failed:
        run_document(volume_id)

    assert failed.value.step == "SwapVolume"
    assert "VolumeInUse" in str(failed.value.cause)
    assert len(attaches) == 2 and attaches[1] == volume_id  # the new one failed, the original went back
    mapping = _on_device(ec2, instance_id, "/dev/sdf")
    assert (mapping["VolumeId"], mapping["DeleteOnTermination"]) == (volume_id, True)
    assert _volume(ec2, volume_id)["Encrypted"] is False
    assert _instance(ec2, instance_id)["State"]["Name"] == "running"
    deleted = [c.params["VolumeId"] for c in api_calls.calls if c.operation == "DeleteVolume"]
    assert volume_id not in deleted and len(deleted) == 1  # only the unused new volume


def _started_again(instance_id: str) -> None:
    """Someone starts the instance: AWS sets its LaunchTime (moto keeps the first one; set it as AWS does)."""
    from moto.ec2.models import ec2_backends

    instance = ec2_backends[ACCOUNT_ID]["us-east-1"].get_instance(instance_id)
    boto3.client("ec2").start_instances(InstanceIds=[instance_id])
    instance.launch_time = "2099-01-01T00:00:00.000Z"


def test_instance_started_after_the_backup_blocks_the_swap(ec2, volume_id, instance_id, api_calls):
    swap = up_to_the_swap(volume_id)
    _started_again(instance_id)
    boto3.client("ec2").stop_instances(InstanceIds=[instance_id])  # and stopped again: its writes are not backed up
    api_calls.clear()

    with pytest.raises(ValueError, match="may have written to the volume") as refused:
        script.swap_volume(swap, None)

    assert "was started at" in str(refused.value)
    assert api_calls.mutating == []
    assert _on_device(ec2, instance_id, "/dev/sdf")["VolumeId"] == volume_id


def test_volume_attached_again_after_the_backup_blocks_the_swap(ec2, volume_id, instance_id, api_calls):
    swap = up_to_the_swap(volume_id)
    ec2.detach_volume(VolumeId=volume_id, InstanceId=instance_id)
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdf")
    api_calls.clear()

    with pytest.raises(ValueError, match=r"the volume was attached at|changed since the plan was approved"):
        script.swap_volume({**swap, "AttachTime": "2000-01-01T00:00:00+00:00"}, None)
    assert api_calls.mutating == []


def test_snapshot_failure_restarts_the_instance_it_stopped(ec2, volume_id, instance_id, api_calls):
    api_calls.fail("CreateSnapshot", code="SnapshotCreationPerVolumeRateExceeded", status=400)

    with pytest.raises(StepFailed) as failed:
        run_document(volume_id)

    assert "SnapshotCreationPerVolumeRateExceeded" in str(failed.value.cause)
    assert api_calls.mutating == ["StopInstances", "CreateSnapshot", "StartInstances"]
    assert _instance(ec2, instance_id)["State"]["Name"] == "running"
    assert _volume(ec2, volume_id)["Attachments"][0]["InstanceId"] == instance_id


def test_create_refuses_snapshots_not_made_for_this_volume(ec2, volume_id, api_calls):
    other = ec2.create_volume(AvailabilityZone=AZ, Size=8)["VolumeId"]
    foreign_backup = ec2.create_snapshot(VolumeId=other)["SnapshotId"]
    foreign_copy = script.copy_snapshot_encrypted(
        {"VolumeId": other, "BackupSnapshotId": foreign_backup, "ExecutionId": EXECUTION_ID}, None
    )
    approved = script.check_volume({"VolumeId": volume_id}, None)["PreviousState"]
    api_calls.clear()

    with pytest.raises(ValueError, match="not a completed encrypted copy made for"):
        script.create_encrypted_volume(
            {
                "VolumeId": volume_id,
                "EncryptedSnapshotId": foreign_copy["EncryptedSnapshotId"],
                "ExecutionId": EXECUTION_ID,
                "ApprovedState": approved,
            },
            None,
        )
    with pytest.raises(ValueError, match="not a completed snapshot of"):
        script.copy_snapshot_encrypted(
            {"VolumeId": volume_id, "BackupSnapshotId": foreign_backup, "ExecutionId": EXECUTION_ID}, None
        )
    assert api_calls.mutating == []
    assert _exists(ec2, volume_id)


def test_missing_volume_fails_without_any_change(aws, api_calls):
    with pytest.raises(ClientError, match=r"InvalidVolume\.NotFound"):
        script.check_volume({"VolumeId": "vol-0123456789abcdef0"}, None)
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    ("handler", "payload", "message"),
    [
        ("check_volume", {}, "VolumeId must match"),
        ("check_volume", {"VolumeId": "vol-1; rm"}, "VolumeId must match"),
        ("check_volume", {"VolumeId": "vol-0123abcd", "KmsKeyId": "*"}, "KmsKeyId must match"),
        ("check_volume", {"VolumeId": "vol-0123abcd", "ForceReplaceManagedVolume": "yes"}, "ForceReplaceManaged"),
        ("check_volume", {"VolumeId": "vol-0123abcd", "DryRun": "maybe"}, "DryRun must be"),
        ("back_up_volume", {"VolumeId": "vol-0123abcd", "ExecutionId": "x"}, "ExecutionId"),
        ("copy_snapshot_encrypted", {"VolumeId": "vol-0123abcd", "BackupSnapshotId": ""}, "BackupSnapshotId"),
        ("create_encrypted_volume", {"VolumeId": "vol-0123abcd"}, "EncryptedSnapshotId"),
        ("swap_volume", {"VolumeId": "vol-0123abcd", "NewVolumeId": "snap-0123abcd"}, "NewVolumeId"),
        (
            "restore_after_failure",
            {"VolumeId": "vol-0123abcd", "InstanceId": "i-x", "ExecutionId": EXECUTION_ID},
            "InstanceId",
        ),
        ("restore_after_failure", {"VolumeId": "vol-0123abcd", "InstanceId": ""}, "ExecutionId"),
    ],
)
def test_bad_input_is_a_clear_error_with_no_call(aws, api_calls, handler, payload, message):
    with pytest.raises(ValueError, match=message):
        getattr(script, handler)(payload, None)
    assert api_calls.operations == []


def test_example_payloads_name_only_inputs_the_handlers_read():
    for handler in script.STEP_WORST_CASE:
        payload = load_example(RUNBOOK / "events" / f"{handler}.json")
        step = next(s for s in DOCUMENT["mainSteps"] if s["inputs"].get("Handler") == handler)
        assert set(payload) == set(step["inputs"]["InputPayload"]), handler


def test_restore_is_idempotent(ec2, volume_id, instance_id, api_calls):
    events = {"VolumeId": volume_id, "InstanceId": instance_id, "Device": "/dev/sdf", "WasRunning": True}
    events["ExecutionId"] = EXECUTION_ID
    ec2.stop_instances(InstanceIds=[instance_id])
    ec2.detach_volume(VolumeId=volume_id, InstanceId=instance_id)  # a swap stopped half way: the device is empty

    first = script.restore_after_failure({**events, "DeleteOnTermination": True}, None)
    api_calls.clear()
    second = script.restore_after_failure({**events, "DeleteOnTermination": True}, None)

    assert "reattached the original" in first["Message"] and f"started instance {instance_id}" in first["Message"]
    assert second["Changed"] is False
    assert api_calls.mutating == []
    assert _on_device(ec2, instance_id, "/dev/sdf")["VolumeId"] == volume_id
    assert _instance(ec2, instance_id)["State"]["Name"] == "running"


def test_dry_run_returns_the_plan_and_changes_nothing(ec2, volume_id, instance_id, api_calls):
    api_calls.clear()

    outputs = run_document(volume_id, DryRun=True)

    assert api_calls.mutating == []
    assert "BackUpVolume.BackupSnapshotId" not in outputs  # ended before the approval and every change
    assert _on_device(ec2, instance_id, "/dev/sdf")["VolumeId"] == volume_id
    assert _volume(ec2, volume_id)["Encrypted"] is False
    assert _instance(ec2, instance_id)["State"]["Name"] == "running"
    plan = outputs["CheckVolume.PlannedState"]
    assert (plan["StopInstanceId"], plan["SwapOn"], plan["DeleteVolumeId"]) == (
        instance_id,
        f"{instance_id}:/dev/sdf",
        volume_id,
    )
    assert plan["Steps"][0].startswith(f"1. STOP instance {instance_id} (it is running) until")
    assert plan["Steps"][-1] == f"7. DELETE the original volume {volume_id} and the unencrypted backup snapshot."
    assert outputs["CheckVolume.PreviousState"]["Attachments"] == [
        {"InstanceId": instance_id, "Device": "/dev/sdf", "DeleteOnTermination": True}
    ]
    assert outputs["CheckVolume.Message"].startswith("Dry run, nothing changed.")


def test_dry_run_makes_the_same_checks(ec2, volume_id, instance_id, api_calls):
    ec2.create_tags(Resources=[volume_id], Tags=[{"Key": "ManagedBy", "Value": "terraform"}])
    api_calls.clear()

    with pytest.raises(StepFailed) as failed:
        run_document(volume_id, DryRun=True)  # managed by Terraform: refused, as a real run is

    assert failed.value.step == "CheckVolume"
    assert "ForceReplaceManagedVolume" in str(failed.value.cause)
    assert api_calls.mutating == []


def test_nothing_changes_until_an_approver_approves_the_plan(ec2, volume_id, instance_id, api_calls):
    automation = SsmAutomation()  # no decision: the execution waits, as in SSM
    execution = automation.executions[start(volume_id, automation)]

    assert execution.status == "Waiting"
    assert api_calls.mutating == []
    approval = execution.step("ApproveReplacement")
    assert approval["Inputs"]["Approvers"] == [APPROVER]
    assert "NotificationArn" not in approval["Inputs"]  # ApprovalTopicArn empty: no notification
    message = approval["Inputs"]["Message"]
    assert len(message) <= script.APPROVAL_MESSAGE_MAX_CHARS
    assert f"REPLACE unencrypted EBS volume {volume_id}" in message
    assert f"DOWNTIME: instance {instance_id} is stopped for up to 4 h 50 min" in message
    assert f"attached to {instance_id} as /dev/sdf" in message
    assert f"DELETE the original volume {volume_id}" in message

    automation.send_automation_signal(AutomationExecutionId=execution.execution_id, SignalType="Approve")

    assert execution.status == "Success", execution.failure_message
    assert not _exists(ec2, volume_id)
    assert _instance(ec2, instance_id)["State"]["Name"] == "running"


def test_a_rejected_plan_changes_nothing(ec2, volume_id, instance_id, api_calls):
    automation = SsmAutomation()
    execution_id = start(volume_id, automation)

    automation.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Reject")

    execution = automation.executions[execution_id]
    assert (execution.status, execution.step("ApproveReplacement")["StepStatus"]) == ("Failed", "Failed")
    assert "BackUpVolume" not in [s["StepName"] for s in execution.step_executions]
    assert api_calls.mutating == []
    assert _on_device(ec2, instance_id, "/dev/sdf")["VolumeId"] == volume_id


def test_approval_request_goes_to_the_topic_when_one_is_set(ec2, volume_id, api_calls):
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:AutomationRemedyApprovals"
    automation = SsmAutomation()
    execution = automation.executions[start(volume_id, automation, ApprovalTopicArn=topic)]

    assert execution.step("ApproveReplacementNotified")["Inputs"]["NotificationArn"] == topic
    assert "DOWNTIME" not in execution.step("ApproveReplacementNotified")["Inputs"]["Message"]  # not attached
    assert api_calls.mutating == []


def test_a_volume_changed_after_approval_is_not_touched(ec2, volume_id, instance_id, api_calls):
    automation = SsmAutomation()
    execution_id = start(volume_id, automation)
    ec2.detach_volume(VolumeId=volume_id, InstanceId=instance_id)  # someone changes it while approval waits
    api_calls.clear()

    automation.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Approve")

    execution = automation.executions[execution_id]
    assert execution.status == "Failed"
    assert "changed since the plan was approved (Attachments)" in execution.step("BackUpVolume")["FailureMessage"]
    assert api_calls.mutating == []
    assert _exists(ec2, volume_id)


def test_approval_message_is_cut_to_the_documented_limit():
    state = {"VolumeId": "vol-0123abcd", "VolumeType": "gp3", "Size": 8, "AvailabilityZone": AZ, "Tags": []}
    state["Attachments"] = [{"InstanceId": "i-0123abcd", "Device": "/dev/sd" + "f" * 5000}]
    plan = {"Steps": ["1. " + "x" * 5000]}

    message = script._approval_message(plan, state)

    assert len(message) == script.APPROVAL_MESSAGE_MAX_CHARS
    assert message.endswith("[truncated: see the CheckVolume step output]")


def _calls_per_handler(monkeypatch) -> Counter:
    """The most API calls each handler made in one run of its step while the document runs."""
    from simulation import ssm_automation

    most, current = Counter(), {"handler": None, "calls": 0}
    original = ssm_automation._AutomationRun._execute_script

    def execute(self, step, inputs, record):
        current.update(handler=inputs.get("Handler"), calls=0)
        try:
            return original(self, step, inputs, record)
        finally:
            most[current["handler"]] = max(most[current["handler"]], current["calls"])
            current["handler"] = None

    def count(**_kwargs):
        if current["handler"]:
            current["calls"] += 1

    monkeypatch.setattr(ssm_automation._AutomationRun, "_execute_script", execute)
    boto3.DEFAULT_SESSION.events.register("before-call", count)
    return most


def test_no_handler_makes_more_calls_than_its_declared_worst_case(ec2, volume_id, instance_id, api_calls, monkeypatch):
    most = _calls_per_handler(monkeypatch)
    run_document(volume_id)
    api_calls.fail("DeleteSnapshot", code="RequestLimitExceeded", status=503)  # the last call: restore and clean up
    other = ec2.create_volume(AvailabilityZone=AZ, Size=8)["VolumeId"]
    ec2.attach_volume(VolumeId=other, InstanceId=instance_id, Device="/dev/sdg")
    with pytest.raises(StepFailed):
        run_document(other)

    assert set(script.STEP_WORST_CASE) <= set(most)  # every handler ran (the guard step's is not this script's)
    for handler, made in most.items():
        if handler not in script.STEP_WORST_CASE:
            continue
        calls, waits = script.STEP_WORST_CASE[handler]
        assert made <= calls + len(waits), (handler, made)  # moto's resources are ready at once: one poll a wait
