"""Runbook require_ec2_instance_imdsv2: requires IMDSv2, records the previous options, is idempotent, leaves a
compliant instance alone, refuses an instance it cannot see, dry run."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.ec2_instance.simulation import launch
from ssm_documents.require_ec2_instance_imdsv2 import script
from tests.conftest import REGION, REPO_ROOT, load_example

EVENT = load_example(REPO_ROOT / "ssm_documents" / "require_ec2_instance_imdsv2" / "events" / "require_imdsv2.json")


@pytest.fixture
def ec2(aws):
    return boto3.client("ec2")


def _options(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["MetadataOptions"]


def _event(instance_id: str, **more) -> dict:
    return {**EVENT, "InstanceId": instance_id, **more}


@pytest.fixture
def imdsv1(ec2) -> str:
    return launch(ec2, "payments-api", "optional", f"{REGION}a")


def test_requires_imdsv2_and_records_the_previous_options(ec2, imdsv1, api_calls):
    result = script.require_imdsv2(_event(imdsv1), None)

    assert _options(ec2, imdsv1)["HttpTokens"] == "required"
    assert result["Changed"] is True
    assert result["PreviousState"]["HttpTokens"] == "optional"
    assert result["CurrentState"]["HttpTokens"] == "required"
    assert result["CurrentState"]["HttpEndpoint"] == result["PreviousState"]["HttpEndpoint"] == "enabled"
    assert api_calls.mutating == ["ModifyInstanceMetadataOptions"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_only_http_tokens_is_sent(ec2, imdsv1, api_calls):
    # AWS keeps every option a request leaves out (HttpEndpoint, the hop limit). moto does not: it resets the
    # options left out to its defaults, so the request itself is what is checked here.
    script.require_imdsv2(_event(imdsv1), None)

    sent = [c.params for c in api_calls.calls if c.operation == "ModifyInstanceMetadataOptions"]
    assert [{k: v for k, v in p.items() if k not in ("Action", "Version")} for p in sent] == [
        {"InstanceId": imdsv1, "HttpTokens": "required"}
    ]


def test_second_run_makes_no_mutating_call(ec2, imdsv1, api_calls):
    script.require_imdsv2(_event(imdsv1), None)
    api_calls.clear()

    result = script.require_imdsv2(_event(imdsv1), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert result["PreviousState"] == result["CurrentState"]
    assert api_calls.mutating == []


def test_compliant_instance_is_left_alone(ec2, api_calls):
    instance = launch(ec2, "ledger-web", "required", f"{REGION}a")
    api_calls.clear()

    result = script.require_imdsv2(_event(instance), None)

    assert result["Changed"] is False
    assert result["Message"] == f"Instance {instance} already required IMDSv2; nothing changed."
    assert api_calls.operations == ["DescribeInstances"]


def test_a_stopped_instance_is_fixed_without_starting_it(ec2, imdsv1, api_calls):
    ec2.stop_instances(InstanceIds=[imdsv1])
    api_calls.clear()

    result = script.require_imdsv2(_event(imdsv1), None)

    assert result["Changed"] is True
    assert api_calls.mutating == ["ModifyInstanceMetadataOptions"]
    state = ec2.describe_instances(InstanceIds=[imdsv1])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "stopped"


def test_an_instance_of_another_account_or_region_is_refused(ec2, api_calls):
    other = launch(boto3.client("ec2", region_name="eu-west-1"), "elsewhere", "optional", "eu-west-1a")
    api_calls.clear()

    with pytest.raises(ValueError, match="not in this account and Region"):
        script.require_imdsv2(_event(other), None)
    assert api_calls.mutating == []


def test_a_terminated_instance_is_refused(ec2, imdsv1, api_calls):
    ec2.terminate_instances(InstanceIds=[imdsv1])
    api_calls.clear()

    with pytest.raises(ValueError, match="is terminated; nothing changed"):
        script.require_imdsv2(_event(imdsv1), None)
    assert api_calls.mutating == []


@pytest.mark.parametrize("instance_id", [None, "", "i-123", "vol-0123456789abcdef0", "i-0123456789ABCDEF0"])
def test_malformed_instance_id_is_refused_before_any_call(aws, api_calls, instance_id):
    with pytest.raises(ValueError, match="InstanceId must be an EC2 instance id"):
        script.require_imdsv2(_event(instance_id), None)
    assert api_calls.operations == []


def test_aws_error_fails_the_step_and_changes_nothing(ec2, imdsv1, api_calls):
    api_calls.fail("ModifyInstanceMetadataOptions", code="UnauthorizedOperation")

    with pytest.raises(ClientError, match="UnauthorizedOperation"):
        script.require_imdsv2(_event(imdsv1), None)
    assert _options(ec2, imdsv1)["HttpTokens"] == "optional"


def test_an_answer_without_http_tokens_changes_nothing(ec2, imdsv1, api_calls):
    api_calls.respond(
        "DescribeInstances",
        {"Reservations": [{"Instances": [{"InstanceId": imdsv1, "State": {"Name": "running"}}]}]},
    )

    with pytest.raises(ValueError, match=r"no MetadataOptions\.HttpTokens"):
        script.require_imdsv2(_event(imdsv1), None)
    assert api_calls.mutating == []


def test_dry_run_returns_the_plan_and_changes_nothing(ec2, imdsv1, api_calls):
    result = script.require_imdsv2(_event(imdsv1, DryRun="true"), None)

    assert api_calls.mutating == []
    assert _options(ec2, imdsv1)["HttpTokens"] == "optional"
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PlannedState"] == {**result["PreviousState"], "HttpTokens": "required"}
    assert result["CurrentState"] == result["PreviousState"]
    assert result["Message"].startswith(f"Dry run: would set HttpTokens to required on instance {imdsv1}")
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.require_imdsv2({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
