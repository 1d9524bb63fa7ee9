"""simulation.ssm_automation: the real runbooks end to end against moto; every feature on small documents."""

from __future__ import annotations

import functools
import os
from datetime import timedelta

import boto3
import pytest

from catalogue import load_catalogue
from infra.runbooks import document_name, render_document
from simulation.ssm_automation import SsmAutomation
from tests.conftest import ACCOUNT_ID, REGION

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/remedy-runbook"
AZ = f"{REGION}a"
BUCKET = "ledger-exports"
APPROVER = f"arn:aws:iam::{ACCOUNT_ID}:role/remedy-remediation-approver"
OTHER_APPROVER = f"arn:aws:iam::{ACCOUNT_ID}:role/second-approver"


@functools.cache
def rendered_runbooks() -> dict[str, dict]:
    """Deployed document name -> rendered document, for every runbook of the catalogue."""
    catalogue = load_catalogue()
    return {document_name("remedy", runbook): render_document(runbook) for runbook in catalogue.runbooks.values()}


@pytest.fixture
def automation(aws) -> SsmAutomation:
    simulator = SsmAutomation()
    for name, document in rendered_runbooks().items():
        simulator.register(name, document)
    return simulator


def _run(automation: SsmAutomation, document: str, **parameters):
    """Start `document` with parameters given as plain values; return the AutomationExecution."""
    converted = {
        name: value if isinstance(value, list) else [str(value).lower() if isinstance(value, bool) else str(value)]
        for name, value in {"AutomationAssumeRole": ROLE, **parameters}.items()
    }
    execution_id = automation.start_automation_execution(DocumentName=document, Parameters=converted)
    return automation.executions[execution_id]


def _document(*steps: dict, parameters: dict | None = None, outputs: list[str] | None = None) -> dict:
    return {
        "schemaVersion": "0.3",
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {"AutomationAssumeRole": {"type": "String"}, **(parameters or {})},
        "outputs": outputs or [],
        "mainSteps": list(steps),
    }


def _script_step(name: str, source: str, payload: dict | None = None, **extra) -> dict:
    return {
        "name": name,
        "action": "aws:executeScript",
        "inputs": {"Runtime": "python3.11", "Handler": "handler", "Script": source, "InputPayload": payload or {}},
        **extra,
    }


def _inline(automation: SsmAutomation, document: dict, **parameters):
    automation.register("Test-Inline", document)
    return _run(automation, "Test-Inline", **parameters)


def _ran(execution) -> list[str]:
    return [step["StepName"] for step in execution.step_executions]


ECHO = "def handler(events, context):\n    return events\n"
FAIL = "def handler(events, context):\n    raise ValueError('boom: ' + events.get('Why', ''))\n"


# --- the real runbooks -----------------------------------------------------------------------------------------


def test_s3_public_access_block_is_fixed_and_a_second_run_changes_nothing(automation, api_calls):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    api_calls.clear()

    first = _run(automation, "Remedy-EnableS3BucketPublicAccessBlock", BucketName=BUCKET)

    assert first.status == "Success", first.failure_message
    settings = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert set(settings.values()) == {True} and len(settings) == 4
    result = first.outputs["EnableBucketPublicAccessBlock.Result"]
    assert result["Changed"] is True
    assert set(result["PreviousState"].values()) == {False}
    assert api_calls.mutating == ["PutPublicAccessBlock"]
    api_calls.clear()

    second = _run(automation, "Remedy-EnableS3BucketPublicAccessBlock", BucketName=BUCKET)

    assert second.status == "Success"
    assert second.outputs["EnableBucketPublicAccessBlock.Result"]["Changed"] is False
    assert api_calls.mutating == []
    assert "AssumeRole" not in api_calls.operations


def test_s3_kms_encryption_runbook_sets_sse_kms(automation, api_calls):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)

    execution = _run(automation, "Remedy-EnableS3BucketKmsEncryption", BucketName=BUCKET)

    assert execution.status == "Success", execution.failure_message
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert execution.outputs["EnableBucketKmsEncryption.Result"]["Changed"] is True
    assert execution.parameters["KmsKeyId"] == ""  # the default was applied


def test_password_policy_runbook_sets_the_policy_and_refuses_another_account(automation, api_calls):
    execution = _run(automation, "Remedy-SetIamPasswordPolicy", AccountId=ACCOUNT_ID)

    assert execution.status == "Success", execution.failure_message
    policy = boto3.client("iam").get_account_password_policy()["PasswordPolicy"]
    assert (policy["MinimumPasswordLength"], policy["PasswordReusePrevention"]) == (14, 24)
    assert policy["ExpirePasswords"] is False  # no expiry unless configured (CIS v3.0 no longer asks for one)
    api_calls.clear()

    foreign = _run(automation, "Remedy-SetIamPasswordPolicy", AccountId="210987654321")

    assert foreign.status == "Failed"
    assert "210987654321" in foreign.failure_message
    assert foreign.failure_message.startswith("Step SetAccountPasswordPolicy failed: ValueError")
    assert api_calls.mutating == []


def test_access_key_runbook_deactivates_an_old_key(automation, api_calls, realistic_iam_user_ids, recorded_in_config):
    import moto.iam.models

    iam = boto3.client("iam")
    user_id = iam.create_user(UserName="alice")["User"]["UserId"]
    key_id = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    moto.iam.models.iam_backends[ACCOUNT_ID]["global"].get_user("alice").access_keys[0].create_date -= timedelta(
        days=120
    )

    execution = _run(automation, "Remedy-DeactivateUnrotatedIamAccessKeys", IAMResourceId=user_id)

    assert execution.status == "Success", execution.failure_message
    assert execution.outputs["DeactivateUnrotatedAccessKeys.DeactivatedKeys"] == [key_id]
    assert execution.outputs["DeactivateUnrotatedAccessKeys.Changed"] is True
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    assert execution.parameters["MaxAccessKeyAge"] == "90"  # a String: its allowedPattern holds the range


def test_ebs_runbook_waits_for_approval_then_replaces_the_volume_and_keeps_the_encrypted_backup(
    automation, api_calls, recorded_in_config
):
    ec2 = boto3.client("ec2")
    volume_id = ec2.create_volume(AvailabilityZone=AZ, Size=8)["VolumeId"]
    api_calls.clear()

    execution = _run(automation, "Remedy-EncryptEbsVolume", VolumeId=volume_id, Approvers=[APPROVER])

    assert execution.status == "Waiting"
    assert _ran(execution) == [
        "CheckRemedyControls",  # the guard step every runbook starts with
        "StopIfSkippedByRemedyControls",
        "CheckVolume",
        "StopUnlessChangeIsDue",
        "ChooseApprovalNotification",
        "ApproveReplacement",
    ]
    assert api_calls.mutating == []  # nothing changes before the approval
    assert f"REPLACE unencrypted EBS volume {volume_id}" in execution.step("ApproveReplacement")["Inputs"]["Message"]

    automation.send_automation_signal(AutomationExecutionId=execution.execution_id, SignalType="Approve")

    assert execution.status == "Success", execution.failure_message
    assert _ran(execution)[6:] == [
        "BackUpVolume",
        "WaitForBackupSnapshot",
        "CopySnapshotEncrypted",
        "WaitForEncryptedSnapshot",
        "CreateEncryptedVolume",
        "WaitForNewVolume",
        "SwapVolume",
    ]
    copy_id = execution.outputs["CopySnapshotEncrypted.EncryptedSnapshotId"]
    assert [s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]] == [copy_id]
    assert ec2.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"][0]["Encrypted"] is True
    new_id = execution.outputs["CreateEncryptedVolume.NewVolumeId"]
    assert ec2.describe_volumes(VolumeIds=[new_id])["Volumes"][0]["Encrypted"] is True
    assert volume_id not in {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}


def test_ebs_runbook_leaves_an_encrypted_volume_alone_through_the_branch(automation, api_calls, recorded_in_config):
    volume_id = boto3.client("ec2").create_volume(AvailabilityZone=AZ, Size=8, Encrypted=True)["VolumeId"]
    api_calls.clear()

    execution = _run(automation, "Remedy-EncryptEbsVolume", VolumeId=volume_id)

    assert execution.status == "Success"
    assert _ran(execution) == [
        "CheckRemedyControls",
        "StopIfSkippedByRemedyControls",
        "CheckVolume",
        "StopUnlessChangeIsDue",
    ]
    assert "already encrypted" in execution.outputs["CheckVolume.Message"]
    assert "CopySnapshotEncrypted.EncryptedSnapshotId" not in execution.outputs
    assert "CreateSnapshot" not in api_calls.operations
    assert api_calls.mutating == []


def test_an_unrendered_document_is_refused():
    document = load_catalogue().runbooks["encrypt_ebs_volume"].document  # document.yaml: no Script
    with pytest.raises(ValueError, match="no Script"):
        SsmAutomation().register("Unrendered", document)


def test_get_automation_execution_is_shaped_like_boto3(automation):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    execution = _run(automation, "Remedy-EnableS3BucketPublicAccessBlock", BucketName=BUCKET)

    response = automation.get_automation_execution(AutomationExecutionId=execution.execution_id)["AutomationExecution"]

    assert response["AutomationExecutionId"] == execution.execution_id
    assert response["DocumentName"] == "Remedy-EnableS3BucketPublicAccessBlock"
    assert response["AutomationExecutionStatus"] == "Success"
    assert response["Parameters"] == {
        "AutomationAssumeRole": [ROLE],
        "BucketName": [BUCKET],
        "DryRun": ["false"],
        "ControlId": ["s3-bucket-level-public-access-block"],  # the guard step's parameters, with their defaults
        "Trigger": ["manual"],
    }
    (result,) = response["Outputs"]["EnableBucketPublicAccessBlock.Result"]
    assert isinstance(result, str) and '"Changed": true' in result
    guard, branch, step = response["StepExecutions"]  # the guard step and its branch first
    assert (guard["StepName"], branch["StepName"]) == ("CheckRemedyControls", "StopIfSkippedByRemedyControls")
    assert (step["StepName"], step["Action"], step["StepStatus"]) == (
        "EnableBucketPublicAccessBlock",
        "aws:executeScript",
        "Success",
    )
    assert step["TimeoutSeconds"] == 120
    assert "Script" not in step["Inputs"]
    assert "Exception" not in step


# --- parameters ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({}, "'VolumeId' is required"),
        ({"VolumeId": ["vol-XYZ"]}, "'VolumeId'.*allowedPattern"),
        (
            {"VolumeId": ["vol-0123abcd"], "ForceReplaceManagedVolume": ["yes"]},
            "'ForceReplaceManagedVolume' must be a Boolean",
        ),
        ({"VolumeId": ["vol-0123abcd"], "KmsKeyId": ["*"]}, "'KmsKeyId'.*allowedPattern"),
        ({"VolumeId": ["vol-0123abcd"], "Force": ["true"]}, "'Force' is not declared"),
        ({"VolumeId": "vol-0123abcd"}, "'VolumeId': the value must be a list of strings"),
        ({"VolumeId": ["vol-0123abcd", "vol-0123abce"]}, "'VolumeId' .* exactly one value"),
        ({"VolumeId": ["vol-0123abcd"], "AutomationAssumeRole": ["admin"]}, "'AutomationAssumeRole'.*allowedPattern"),
    ],
)
def test_bad_parameters_raise_before_anything_runs(automation, api_calls, parameters, message):
    parameters = (
        {"AutomationAssumeRole": [ROLE], **parameters} if "AutomationAssumeRole" not in parameters else parameters
    )
    with pytest.raises(ValueError, match=message):
        automation.start_automation_execution(DocumentName="Remedy-EncryptEbsVolume", Parameters=parameters)
    assert api_calls.operations == []
    assert automation.executions == {}


@pytest.mark.parametrize("age", ["x", "0", "3651", "090"])
def test_max_access_key_age_out_of_range_is_refused_before_anything_runs(automation, api_calls, age):
    with pytest.raises(ValueError, match=r"'MaxAccessKeyAge'.*allowedPattern"):
        _run(automation, "Remedy-DeactivateUnrotatedIamAccessKeys", IAMResourceId="AIDAABCDEFGH", MaxAccessKeyAge=age)
    assert api_calls.operations == []


def test_unknown_document(automation):
    with pytest.raises(ValueError, match="not registered"):
        automation.start_automation_execution(DocumentName="Remedy-Nope")


def test_parameters_are_typed_defaults_applied_and_substituted(automation):
    document = _document(
        _script_step(
            "Echo",
            ECHO,
            {
                "Count": "{{ Count }}",
                "Flag": "{{ Flag }}",
                "Names": "{{ Names }}",
                "Map": "{{ Map }}",
                "Level": "{{ Level }}",
                "Retries": "{{ Retries }}",
                "Text": "count={{ Count }} flag={{Flag}} level={{ Level }}",
                "Execution": "{{ automation:EXECUTION_ID }}",
                "Where": "{{ global:ACCOUNT_ID }}/{{ global:REGION }}",
            },
            outputs=[{"Name": "All", "Selector": "$.Payload", "Type": "StringMap"}],
        ),
        parameters={
            "Count": {"type": "Integer"},
            "Flag": {"type": "Boolean", "default": False},
            "Names": {"type": "StringList", "allowedPattern": "^[a-z]+$"},
            "Map": {"type": "StringMap", "default": {}},
            "Level": {"type": "String", "allowedValues": ["low", "high"], "default": "low"},
            "Retries": {"type": "Integer", "default": 3},
        },
        outputs=["Echo.All"],
    )
    automation.register("Typed", document)

    execution_id = automation.start_automation_execution(
        DocumentName="Typed",
        Parameters={
            "AutomationAssumeRole": ["arn:aws:iam::111122223333:role/x"],
            "Count": ["5"],
            "Flag": ["TRUE"],
            "Names": ["alpha", "beta"],
            "Map": ['{"a": "b"}'],
        },
    )

    execution = automation.executions[execution_id]
    assert execution.status == "Success", execution.failure_message
    assert execution.outputs["Echo.All"] == {
        "Count": 5,
        "Flag": True,
        "Names": ["alpha", "beta"],
        "Map": {"a": "b"},
        "Level": "low",
        "Retries": 3,
        "Text": "count=5 flag=true level=low",
        "Execution": execution_id,
        "Where": f"111122223333/{REGION}",
    }
    for bad, message in (
        ({"Count": ["5"], "Names": ["Alpha"]}, "'Names'.*allowedPattern"),
        ({"Count": ["5"], "Names": ["a"], "Level": ["medium"]}, "'Level'.*allowedValues"),
        ({"Count": ["5"], "Names": ["a"], "Map": ["[1]"]}, "'Map' must be a StringMap"),
        ({"Count": ["5"], "Names": ["a"], "Map": ["{"]}, "'Map' .*JSON"),
        ({"Count": ["5.5"], "Names": ["a"]}, "'Count' must be an Integer"),
    ):
        with pytest.raises(ValueError, match=message):
            automation.start_automation_execution(
                DocumentName="Typed", Parameters={"AutomationAssumeRole": [ROLE], **bad}
            )
    assert list(automation.executions) == [execution_id]


# --- flow --------------------------------------------------------------------------------------------------------


def test_failing_step_with_on_failure_step_runs_the_handler_and_ends_failed(automation):
    document = _document(
        _script_step("Break", FAIL, {"Why": "{{ Why }}"}, onFailure="step:CleanUp"),
        _script_step("NeverRun", ECHO),
        _script_step(
            "CleanUp",
            "def handler(events, context):\n    return {'Cleaned': True}\n",
            outputs=[{"Name": "Cleaned", "Selector": "$.Payload.Cleaned", "Type": "Boolean"}],
            isEnd=True,
        ),
        parameters={"Why": {"type": "String"}},
        outputs=["CleanUp.Cleaned"],
    )

    execution = _inline(automation, document, Why="disk full")

    assert execution.status == "Failed"
    assert _ran(execution) == ["Break", "CleanUp"]
    assert execution.step("Break")["StepStatus"] == "Failed"
    assert isinstance(execution.step("Break")["Exception"], ValueError)
    assert "boom: disk full" in execution.step("Break")["FailureMessage"]
    assert execution.failure_message.startswith("Step Break failed: ValueError: boom: disk full")
    assert execution.step("CleanUp")["StepStatus"] == "Success"
    assert execution.outputs == {"CleanUp.Cleaned": True}


def test_a_step_stopped_at_its_timeout_skips_its_own_error_handling_and_takes_its_on_failure(automation):
    from simulation.ssm_automation import StepTimedOut

    stopped = (
        "def handler(events, context):\n    try:\n        raise TIMEOUT('s3:ListBuckets')\n"
        "    except Exception:\n        return {'Handled': True}\n"
    )
    document = _document(
        _script_step("Slow", stopped, onFailure="step:CleanUp", maxAttempts=2),
        _script_step("CleanUp", ECHO, isEnd=True),
    )
    import builtins

    builtins.TIMEOUT = StepTimedOut
    try:
        execution = _inline(automation, document)
    finally:
        del builtins.TIMEOUT

    assert (execution.status, _ran(execution)) == ("TimedOut", ["Slow", "CleanUp"])
    assert execution.step("Slow")["StepStatus"] == "TimedOut"
    assert execution.step("Slow")["Attempts"] == 2  # maxAttempts applies to a timed-out step too
    assert "s3:ListBuckets" in execution.step("Slow")["FailureMessage"]


def test_on_failure_continue_and_is_critical(automation):
    steps = (_script_step("Break", FAIL, onFailure="Continue"), _script_step("Next", ECHO))
    critical = _inline(automation, _document(*steps))
    assert (critical.status, _ran(critical)) == ("Failed", ["Break", "Next"])

    not_critical = _inline(automation, _document({**steps[0], "isCritical": False}, steps[1]))
    assert (not_critical.status, _ran(not_critical)) == ("Success", ["Break", "Next"])


def test_abort_is_the_default(automation):
    execution = _inline(automation, _document(_script_step("Break", FAIL), _script_step("Next", ECHO)))
    assert (execution.status, _ran(execution)) == ("Failed", ["Break"])


COUNTING = """
import boto3

def handler(events, context):
    ssm = boto3.client("ssm")
    try:
        attempt = int(ssm.get_parameter(Name="/test/attempts")["Parameter"]["Value"]) + 1
    except ssm.exceptions.ParameterNotFound:
        attempt = 1
    ssm.put_parameter(Name="/test/attempts", Value=str(attempt), Type="String", Overwrite=True)
    if attempt < events["SucceedOn"]:
        raise RuntimeError(f"attempt {attempt} fails")
    return {"Attempt": attempt}
"""


@pytest.mark.parametrize(("succeed_on", "status", "attempts"), [(3, "Success", 3), (5, "Failed", 3)])
def test_max_attempts_retries_the_step(automation, succeed_on, status, attempts):
    step = _script_step(
        "Flaky",
        COUNTING,
        {"SucceedOn": succeed_on},
        maxAttempts=3,
        outputs=[{"Name": "Attempt", "Selector": "$.Payload.Attempt", "Type": "Integer"}],
    )

    execution = _inline(automation, _document(step))

    assert execution.status == status
    assert execution.step("Flaky")["Attempts"] == attempts
    assert boto3.client("ssm").get_parameter(Name="/test/attempts")["Parameter"]["Value"] == str(attempts)
    if status == "Success":
        assert execution.step_outputs == {"Flaky.Attempt": 3}
    else:
        assert "attempt 3 fails" in execution.failure_message


def test_unknown_action_fails_the_execution(automation):
    document = _document(
        {"name": "Run", "action": "aws:runCommand", "inputs": {"DocumentName": "AWS-RunShellScript"}},
        _script_step("Next", ECHO),
    )

    execution = _inline(automation, document)

    assert execution.status == "Failed"
    assert _ran(execution) == ["Run"]
    assert "unsupported action 'aws:runCommand'" in execution.failure_message


def test_each_step_gets_a_fresh_namespace_and_its_print_output_is_kept(automation):
    source = """
CALLS = []

def handler(events, context):
    CALLS.append(1)
    print("call", len(CALLS))
    return {"Calls": len(CALLS), "Context": context}
"""
    outputs = [{"Name": "Calls", "Selector": "$.Payload.Calls", "Type": "Integer"}]
    document = _document(_script_step("One", source, outputs=outputs), _script_step("Two", source, outputs=outputs))

    execution = _inline(automation, document)

    assert execution.step_outputs == {"One.Calls": 1, "Two.Calls": 1}
    assert execution.step("Two")["ExecutionLog"] == "call 1\n"


def test_a_payload_that_is_not_json_fails_the_step(automation):
    source = "import datetime\n\ndef handler(events, context):\n    return {'When': datetime.datetime.now()}\n"
    execution = _inline(automation, _document(_script_step("Now", source)))
    assert execution.status == "Failed"
    assert "not JSON" in execution.failure_message


def test_outputs_select_typed_values_and_feed_later_steps(automation):
    source = "def handler(events, context):\n    return {'Items': [{'Id': 'a', 'Size': 3}], 'Ok': True, 'Gone': None}\n"
    document = _document(
        _script_step(
            "Produce",
            source,
            outputs=[
                {"Name": "FirstId", "Selector": "$.Payload.Items[0].Id", "Type": "String"},
                {"Name": "Size", "Selector": "$.Payload.Items[0].Size", "Type": "Integer"},
                {"Name": "SizeText", "Selector": "$.Payload.Items[0].Size", "Type": "String"},
                {"Name": "Items", "Selector": "$.Payload.Items", "Type": "MapList"},
                {"Name": "Missing", "Selector": "$.Payload.Items[5].Id", "Type": "String"},
                {"Name": "Gone", "Selector": "$.Payload.Gone", "Type": "String"},
            ],
        ),
        _script_step(
            "Consume",
            ECHO,
            {"Size": "{{ Produce.Size }}", "Label": "item {{ Produce.FirstId }} of {{ Produce.SizeText }}"},
            outputs=[{"Name": "All", "Selector": "$.Payload", "Type": "StringMap"}],
        ),
        outputs=["Produce.FirstId", "Produce.Missing", "Consume.All"],
    )

    execution = _inline(automation, document)

    assert execution.status == "Success", execution.failure_message
    assert execution.step("Produce")["Outputs"] == {
        "FirstId": "a",
        "Size": 3,
        "SizeText": "3",
        "Items": [{"Id": "a", "Size": 3}],
    }
    assert execution.outputs == {"Produce.FirstId": "a", "Consume.All": {"Size": 3, "Label": "item a of 3"}}


def test_a_wrongly_typed_output_fails_the_step(automation):
    source = "def handler(events, context):\n    return {'Flag': 'maybe'}\n"
    step = _script_step("Bad", source, outputs=[{"Name": "Flag", "Selector": "$.Payload.Flag", "Type": "Boolean"}])
    execution = _inline(automation, _document(step))
    assert execution.status == "Failed"
    assert "Bad.Flag (Boolean)" in execution.failure_message


def _marker(name: str, **extra) -> dict:
    return {"name": name, "action": "aws:sleep", "inputs": {"Duration": "PT0S"}, "isEnd": True, **extra}


BRANCH_PARAMETERS = {
    "Number": {"type": "Integer"},
    "Name": {"type": "String", "default": "x"},
    "Tags": {"type": "StringList", "default": ["dev"]},
    "Flag": {"type": "Boolean", "default": True},
}
CHOICES = [
    {
        "NextStep": "Big",
        "And": [{"Variable": "{{ Number }}", "NumericGreater": 10}, {"Variable": "{{ Name }}", "StringEquals": "x"}],
    },
    {
        "NextStep": "Prod",
        "Or": [
            {"Variable": "{{ Tags }}", "Contains": "prod"},
            {"Not": {"Variable": "{{ Flag }}", "BooleanEquals": True}},
        ],
    },
    {"NextStep": "Negative", "Variable": "{{ Number }}", "NumericLesser": 0},
    {"NextStep": "Ten", "Variable": "{{ Number }}", "NumericEquals": 10},
]


@pytest.mark.parametrize(
    ("parameters", "chosen"),
    [
        ({"Number": 11}, "Big"),
        ({"Number": 11, "Name": "y"}, "Other"),
        ({"Number": 1, "Tags": ["dev", "prod"]}, "Prod"),
        ({"Number": 1, "Flag": False}, "Prod"),
        ({"Number": -1}, "Negative"),
        ({"Number": 10}, "Ten"),
        ({"Number": 5}, "Other"),
    ],
)
def test_branch_operators_and_default(automation, parameters, chosen):
    document = _document(
        {"name": "Decide", "action": "aws:branch", "inputs": {"Choices": CHOICES, "Default": "Other"}},
        *(_marker(name) for name in ("Big", "Prod", "Negative", "Ten", "Other")),
        parameters=BRANCH_PARAMETERS,
    )

    execution = _inline(automation, document, **parameters)

    assert execution.status == "Success", execution.failure_message
    assert _ran(execution) == ["Decide", chosen]


@pytest.mark.parametrize(("is_end", "ran"), [(True, ["Decide"]), (False, ["Decide", "Big"])])
def test_branch_without_match_or_default_ends_or_goes_on(automation, is_end, ran):
    document = _document(
        {"name": "Decide", "action": "aws:branch", "inputs": {"Choices": CHOICES[:1]}, "isEnd": is_end},
        _marker("Big"),
        parameters=BRANCH_PARAMETERS,
    )
    execution = _inline(automation, document, Number=1)
    assert (execution.status, _ran(execution)) == ("Success", ran)


def test_next_step_and_is_end(automation):
    document = _document(
        _script_step("First", ECHO, nextStep="Third"),
        _script_step("Second", ECHO),
        _script_step("Third", ECHO, isEnd=True),
        _script_step("Fourth", ECHO),
    )
    assert _ran(_inline(automation, document)) == ["First", "Third"]


def _approval_document(**inputs) -> dict:
    approve = {"Approvers": [APPROVER], "Message": "Plan: {{ AutomationAssumeRole }}", **inputs}
    return _document({"name": "Approve", "action": "aws:approve", "inputs": approve}, _script_step("Change", ECHO))


def test_approve_step_asks_the_callback_and_a_rejection_fails(aws):
    asked = []
    document = _approval_document()

    approving = SsmAutomation(approve=lambda step, inputs: True)
    assert _ran(_inline(approving, document)) == ["Approve", "Change"]

    rejecting = SsmAutomation(approve=lambda step, inputs: asked.append((step, inputs)) or False)
    execution = _inline(rejecting, document)

    assert asked == [("Approve", {"Approvers": [APPROVER], "Message": f"Plan: {ROLE}"})]
    assert execution.status == "Failed"
    assert _ran(execution) == ["Approve"]
    assert "not approved" in execution.failure_message


def test_approve_step_waits_until_an_approver_approves(aws):
    automation = SsmAutomation()
    execution = _inline(automation, _approval_document())

    assert execution.status == "Waiting"
    assert execution.step("Approve")["StepStatus"] == "Waiting"
    assert _ran(execution) == ["Approve"]  # nothing after the approval ran
    assert (
        automation.get_automation_execution(AutomationExecutionId=execution.execution_id)["AutomationExecution"][
            "AutomationExecutionStatus"
        ]
        == "Waiting"
    )

    automation.send_automation_signal(
        AutomationExecutionId=execution.execution_id, SignalType="Approve", Payload={"Comment": ["ok"]}
    )

    assert execution.status == "Success"
    assert _ran(execution) == ["Approve", "Change"]
    assert execution.step("Approve")["Outputs"] == {
        "ApprovalStatus": "Approved",
        "ApproverDecisions": {APPROVER: {"Decision": "Approved", "Comment": "ok"}},
    }


def test_rejection_fails_the_step_and_nothing_after_it_runs(aws):
    automation = SsmAutomation()
    execution = _inline(automation, _approval_document())

    automation.send_automation_signal(
        AutomationExecutionId=execution.execution_id, SignalType="Reject", Payload={"Comment": ["not today"]}
    )

    assert execution.status == "Failed"
    assert execution.step("Approve")["StepStatus"] == "Failed"
    assert "rejected" in execution.failure_message and "not today" in execution.failure_message
    assert _ran(execution) == ["Approve"]
    with pytest.raises(ValueError, match="not waiting"):
        automation.send_automation_signal(AutomationExecutionId=execution.execution_id, SignalType="Approve")


def test_approval_needs_min_required_approvals_from_listed_approvers(aws):
    automation = SsmAutomation()
    execution = _inline(automation, _approval_document(Approvers=[APPROVER, OTHER_APPROVER], MinRequiredApprovals=2))
    signal = functools.partial(
        automation.send_automation_signal, AutomationExecutionId=execution.execution_id, SignalType="Approve"
    )

    with pytest.raises(ValueError, match="not one of the step's Approvers"):
        signal(Approver="arn:aws:iam::999999999999:role/someone")
    signal(Approver=APPROVER)
    assert execution.status == "Waiting"
    signal(Approver=OTHER_APPROVER)
    assert execution.status == "Success"


def test_approval_timeout_ends_the_execution_timed_out(aws):
    automation = SsmAutomation()
    execution = _inline(automation, _approval_document())

    automation.expire_approval(AutomationExecutionId=execution.execution_id)

    assert (execution.status, execution.step("Approve")["StepStatus"]) == ("TimedOut", "TimedOut")
    assert _ran(execution) == ["Approve"]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"Approvers": []}, "Approvers must list 1 to 10"),
        ({"Approvers": [f"arn:aws:iam::{ACCOUNT_ID}:user/u{i}" for i in range(11)]}, "Approvers must list 1 to 10"),
        ({"Message": "x" * 4097}, "longer than 4096"),
        ({"MinRequiredApprovals": 2}, "MinRequiredApprovals 2"),
    ],
)
def test_approve_step_inputs_are_checked_as_documented(aws, inputs, message):
    execution = _inline(SsmAutomation(), _approval_document(**inputs))

    assert execution.status == "Failed"
    assert message in execution.failure_message
    assert _ran(execution) == ["Approve"]


# --- API steps ---------------------------------------------------------------------------------------------------


def test_execute_aws_api_outputs_and_chaining(automation, api_calls):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    document = _document(
        {
            "name": "List",
            "action": "aws:executeAwsApi",
            "inputs": {"Service": "s3", "Api": "ListBuckets"},
            "outputs": [
                {"Name": "First", "Selector": "$.Buckets[0].Name", "Type": "String"},
                {"Name": "Buckets", "Selector": "$.Buckets", "Type": "MapList"},
            ],
        },
        {
            "name": "Tag",
            "action": "aws:executeAwsApi",
            "inputs": {
                "Service": "s3",
                "Api": "PutBucketTagging",
                "Bucket": "{{ List.First }}",
                "Tagging": {"TagSet": [{"Key": "run", "Value": "{{ automation:EXECUTION_ID }}"}]},
            },
        },
    )
    api_calls.clear()

    execution = _inline(automation, document)

    assert execution.status == "Success", execution.failure_message
    assert execution.step_outputs["List.First"] == BUCKET
    assert isinstance(execution.step_outputs["List.Buckets"][0]["CreationDate"], str)  # JSON, as SSM sees it
    assert api_calls.operations == ["ListBuckets", "PutBucketTagging"]
    tags = boto3.client("s3").get_bucket_tagging(Bucket=BUCKET)["TagSet"]
    assert tags == [{"Key": "run", "Value": execution.execution_id}]


def test_execute_aws_api_error_fails_the_step(automation, api_calls):
    api_calls.fail("ListBuckets", code="AccessDenied")
    step = {"name": "List", "action": "aws:executeAwsApi", "inputs": {"Service": "s3", "Api": "ListBuckets"}}
    execution = _inline(automation, _document(step))
    assert execution.status == "Failed"
    assert "AccessDenied" in execution.failure_message


@pytest.mark.parametrize(("desired", "status"), [(["false"], "Success"), (["true"], "Failed")])
def test_assert_aws_resource_property(automation, desired, status):
    volume_id = boto3.client("ec2").create_volume(AvailabilityZone=AZ, Size=8)["VolumeId"]
    step = {
        "name": "Check",
        "action": "aws:assertAwsResourceProperty",
        "inputs": {
            "Service": "ec2",
            "Api": "DescribeVolumes",
            "VolumeIds": ["{{ VolumeId }}"],
            "PropertySelector": "$.Volumes[0].Encrypted",
            "DesiredValues": desired,
        },
    }
    execution = _inline(automation, _document(step, parameters={"VolumeId": {"type": "String"}}), VolumeId=volume_id)
    assert execution.status == status
    if status == "Failed":
        assert "$.Volumes[0].Encrypted is False, expected one of ['true']" in execution.failure_message


def test_wait_succeeds_at_once_and_times_out_after_max_polls(aws, api_calls):
    ec2 = boto3.client("ec2")
    volume_id = ec2.create_volume(AvailabilityZone=AZ, Size=8)["VolumeId"]
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]

    def wait(api: str, key: str, resource: str, selector: str, desired: str) -> dict:
        return {
            "name": "Wait",
            "action": "aws:waitForAwsResourceProperty",
            "onFailure": "step:Recover",
            "inputs": {
                "Service": "ec2",
                "Api": api,
                key: [resource],
                "PropertySelector": selector,
                "DesiredValues": [desired],
            },
        }

    automation = SsmAutomation(wait_max_polls=3)
    recover = _script_step("Recover", ECHO, isEnd=True)
    api_calls.clear()
    done = _inline(
        automation,
        _document(wait("DescribeSnapshots", "SnapshotIds", snapshot_id, "$.Snapshots[0].State", "completed"), recover),
    )
    assert done.status == "Success"
    assert _ran(done) == ["Wait", "Recover"]  # Recover is simply the next step here
    assert api_calls.operations == ["DescribeSnapshots"]
    api_calls.clear()

    stuck = _inline(
        automation, _document(wait("DescribeVolumes", "VolumeIds", volume_id, "$.Volumes[0].State", "in-use"), recover)
    )

    assert stuck.status == "TimedOut"
    assert stuck.step("Wait")["StepStatus"] == "TimedOut"
    assert "timed out after 3 polls" in stuck.failure_message
    assert _ran(stuck) == ["Wait", "Recover"]
    assert api_calls.operations == ["DescribeVolumes"] * 3


# --- sessions and endpoints ----------------------------------------------------------------------------------------


def test_session_factory_is_used_by_api_steps_and_scripts(aws):
    default = boto3.DEFAULT_SESSION
    automation = SsmAutomation(session_factory=lambda: boto3.session.Session(region_name="eu-west-1"))
    source = (
        "import boto3\n\ndef handler(events, context):\n    return {'Region': boto3.client('s3').meta.region_name}\n"
    )
    document = _document(
        _script_step(
            "Where",
            source,
            {"Global": "{{ global:REGION }}"},
            outputs=[{"Name": "Region", "Selector": "$.Payload.Region", "Type": "String"}],
        ),
        _script_step(
            "Echo",
            ECHO,
            {"Global": "{{ global:REGION }}"},
            outputs=[{"Name": "G", "Selector": "$.Payload.Global", "Type": "String"}],
        ),
    )

    execution = _inline(automation, document)

    assert execution.step_outputs == {"Where.Region": "eu-west-1", "Echo.G": "eu-west-1"}
    assert boto3.DEFAULT_SESSION is default


def test_endpoint_url_reaches_a_moto_server_and_is_restored():
    moto_server = pytest.importorskip("simulation.moto_server")
    before = os.environ.get("AWS_ENDPOINT_URL")
    with moto_server.moto_server() as endpoint_url:
        s3 = boto3.client("s3", endpoint_url=endpoint_url)
        s3.create_bucket(Bucket=BUCKET)
        automation = SsmAutomation(endpoint_url=endpoint_url)
        automation.register("Bpa", rendered_runbooks()["Remedy-EnableS3BucketPublicAccessBlock"])
        source = (
            "import os\n\ndef handler(events, context):\n    return {'Endpoint': os.environ.get('AWS_ENDPOINT_URL')}\n"
        )
        automation.register(
            "Where",
            _document(
                _script_step(
                    "Where", source, outputs=[{"Name": "E", "Selector": "$.Payload.Endpoint", "Type": "String"}]
                ),
                {
                    "name": "List",
                    "action": "aws:executeAwsApi",
                    "inputs": {"Service": "s3", "Api": "ListBuckets"},
                    "outputs": [{"Name": "First", "Selector": "$.Buckets[0].Name", "Type": "String"}],
                },
            ),
        )

        fixed = _run(automation, "Bpa", BucketName=BUCKET)
        where = _run(automation, "Where")

        assert fixed.status == "Success", fixed.failure_message
        settings = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
        assert set(settings.values()) == {True}
        assert where.step_outputs == {"Where.E": endpoint_url, "List.First": BUCKET}
    assert os.environ.get("AWS_ENDPOINT_URL") == before
