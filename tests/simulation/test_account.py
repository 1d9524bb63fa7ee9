"""The emulated account runs the synthesized stack: event matching, Config's evaluations and remediations."""

from __future__ import annotations

import boto3
import pytest

from simulation.account import EmulatedAccount, event_matches

PROWLER_PATTERN = {
    "source": ["aws.securityhub"],
    "detail-type": ["Security Hub Findings - Imported"],
    "detail": {"findings": {"Compliance": {"Status": ["FAILED"]}, "GeneratorId": [{"prefix": "prowler-"}]}},
}


def _event(status: str, generator: str = "prowler-s3_bucket_kms_encryption") -> dict:
    finding = {"GeneratorId": generator, "Compliance": {"Status": status}}
    return {
        "source": "aws.securityhub",
        "detail-type": "Security Hub Findings - Imported",
        "detail": {"findings": [finding]},
    }


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (_event("FAILED"), True),
        (_event("PASSED"), False),
        (_event("FAILED", generator="arn:aws:config:us-east-1:123456789012:config-rule/x"), False),
        ({**_event("FAILED"), "source": "aws.config"}, False),
    ],
)
def test_patterns_match_through_arrays_of_findings_as_eventbridge_does(event, expected):
    assert event_matches(PROWLER_PATTERN, event) is expected


@pytest.fixture
def account(aws, standalone):
    with EmulatedAccount(standalone[1]).provision() as emulated:
        yield emulated


def test_wiring_comes_from_the_synthesized_template(account, standalone):
    template = standalone[0]
    rules = {
        r["Properties"]["ConfigRuleName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Config::ConfigRule"
    }

    assert set(account.config.rules) == rules
    assert set(account.config.remediations) == rules
    assert set(account.interpreter.documents) == {
        r["Properties"]["Name"] for r in template["Resources"].values() if r["Type"] == "AWS::SSM::Document"
    }
    # Prowler findings, Security Hub control findings (ASFF and OCSF), the custom action, runbook status changes.
    assert len(account.events.rules) == 5


def test_config_stores_evaluations_and_remediates_automatically(account):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="open-bucket")
    rule = "remedy-s3-bucket-level-public-access-block"

    account.config.evaluate(rule)
    assert account.config.non_compliant(rule) == [("AWS::S3::Bucket", "open-bucket")]

    started = account.run_automatic_remediations()
    assert started
    assert s3.get_public_access_block(Bucket="open-bucket")["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]
    account.config.evaluate(rule)
    assert account.config.non_compliant(rule) == []


def test_deleted_resource_becomes_not_applicable(account):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="short-lived")
    rule = "remedy-s3-bucket-kms-encryption"
    account.config.evaluate(rule)
    s3.delete_bucket(Bucket="short-lived")

    account.config.evaluate(rule)

    assert account.config.evaluations[rule][("AWS::S3::Bucket", "short-lived")]["ComplianceType"] == "NOT_APPLICABLE"


def test_manual_remediation_runs_only_when_the_button_is_pressed(account):
    ec2 = boto3.client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    rule = "remedy-ec2-ebs-volume-encryption"
    account.config.evaluate(rule)

    assert account.run_automatic_remediations() == []
    assert account.config.non_compliant(rule) == [("AWS::EC2::Volume", volume)]

    boto3.client("config").start_remediation_execution(
        ConfigRuleName=rule, ResourceKeys=[{"resourceType": "AWS::EC2::Volume", "resourceId": volume}]
    )
    account.settle()
    (waiting,) = account.ssm.waiting()  # destructive: it waits for a person's approval, nothing changed yet
    assert [v["Encrypted"] for v in ec2.describe_volumes()["Volumes"]] == [False]
    assert not ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]

    account.ssm.signal(waiting, "Approve", account.ssm.approval_request(waiting)["Approvers"][0])
    account.settle()
    volumes = ec2.describe_volumes()["Volumes"]
    assert [v["Encrypted"] for v in volumes] == [True]
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"], "the backup snapshot is kept"


def test_failed_automatic_remediation_is_retried_up_to_the_configured_attempts(account, before_call_hook):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="locked-bucket")
    rule = "remedy-s3-bucket-level-public-access-block"
    account.config.evaluate(rule)

    def deny(**_kwargs):
        from botocore.awsrequest import AWSResponse

        return AWSResponse("https://x.invalid", 403, {}, None), {
            "Error": {"Code": "AccessDenied", "Message": "denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    before_call_hook(deny, "before-call.s3.PutPublicAccessBlock")
    account.run_automatic_remediations()

    documents = [d for _i, d, _p in account.ssm.started]
    assert (
        documents.count("Remedy-EnableS3BucketPublicAccessBlock") == account.config.remediations[rule].maximum_attempts
    )
    assert {account.ssm.status(i) for i, _d, _p in account.ssm.started} == {"Failed"}
