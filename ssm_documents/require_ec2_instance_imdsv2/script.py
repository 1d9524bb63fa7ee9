"""Runbook script: require IMDSv2 on one EC2 instance (HttpTokens required), recording the previous options.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
ModifyInstanceMetadataOptions keeps every option the request leaves out ("If the parameter is not specified, the
existing state is maintained": https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceMetadataOptions.html),
so only HttpTokens is sent: HttpEndpoint and the hop limit stay as they are. On a running instance the change is
"pending" until EC2 applies it; on a stopped one it applies at the next start (same page).
"""

import re

import boto3
import botocore.exceptions

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("ec2:DescribeInstances", "ec2:ModifyInstanceMetadataOptions")
INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
REQUIRED = "required"
OPTIONS = ("HttpTokens", "HttpEndpoint", "HttpPutResponseHopLimit")
GONE_STATES = ("shutting-down", "terminated")


def _checked_instance_id(events: dict) -> str:
    instance_id = events.get("InstanceId")
    if not isinstance(instance_id, str) or not INSTANCE_ID.match(instance_id):
        raise ValueError(f"InstanceId must be an EC2 instance id (i-...), got {instance_id!r}")
    return instance_id


def _instance(ec2: object, instance_id: str) -> dict:
    """The instance, as DescribeInstances shows it to this account in this Region.

    DescribeInstances lists only the caller's instances in the client's Region, so an instance of another
    account or Region is "not found" and refused here, before any change."""
    try:
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "InvalidInstanceID.NotFound":
            region = ec2.meta.region_name
            message = f"instance {instance_id} is not in this account and Region ({region}); nothing changed"
            raise ValueError(message) from None
        raise
    found = [i for r in reservations for i in r.get("Instances", []) if i.get("InstanceId") == instance_id]
    if not found:
        raise ValueError(f"instance {instance_id} is not in this account and Region; nothing changed")
    return found[0]


def _options(recorded: object, instance_id: str) -> dict:
    """The metadata options that matter here; a shape without HttpTokens is refused (never guessed)."""
    if not isinstance(recorded, dict) or not isinstance(recorded.get("HttpTokens"), str):
        raise ValueError(f"EC2 reported no MetadataOptions.HttpTokens for {instance_id}; nothing changed")
    return {name: recorded[name] for name in OPTIONS if name in recorded}


def require_imdsv2(events: dict, context: object) -> dict:
    """Set HttpTokens to required on `events["InstanceId"]` unless it already is.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    instance_id = _checked_instance_id(events)
    ec2 = boto3.client("ec2")
    instance = _instance(ec2, instance_id)
    state = (instance.get("State") or {}).get("Name", "")
    if state in GONE_STATES:
        raise ValueError(f"instance {instance_id} is {state}; nothing changed")
    previous = _options(instance.get("MetadataOptions"), instance_id)
    result = {"InstanceId": instance_id, "InstanceState": state, "DryRun": dry_run, "PreviousState": previous}
    if previous["HttpTokens"] == REQUIRED:
        message = f"Instance {instance_id} already required IMDSv2; nothing changed."
        return no_change(result, previous, message)
    target = {**previous, "HttpTokens": REQUIRED}
    if dry_run:
        message = (
            f"Dry run: would set HttpTokens to required on instance {instance_id} (IMDSv1 requests would stop "
            "working); nothing changed."
        )
        return would_change(result, previous, target, message)
    answer = ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens=REQUIRED)
    # The answer's options as EC2 now holds them; an option it does not repeat is the one left as it was.
    current = {**previous, **_options(answer.get("InstanceMetadataOptions"), instance_id)}
    applied = answer["InstanceMetadataOptions"].get("State", "")
    message = (
        f"Set HttpTokens to required on instance {instance_id} (modification {applied or 'requested'}): "
        "its metadata service now answers IMDSv2 requests only."
    )
    return changed(result, target, current, message)
