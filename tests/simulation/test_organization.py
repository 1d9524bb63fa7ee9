"""The emulated organization: each member account and region is its own, findings cross to the security account's
bridge, runbooks run in the members through their roles, and status events and failures come back."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest

from simulation.organization import EmulatedOrganization
from simulation.prowler_findings import prowler_finding
from simulation.seeds import seed_account

GLOBAL_RULES = {"remedy-iam-password-policy", "remedy-iam-access-key-rotation"}


@pytest.fixture
def organization(aws, organization_assembly):
    with EmulatedOrganization(organization_assembly).provision() as emulated:
        yield emulated


def _member(organization: EmulatedOrganization, index: int, region: str):
    account = list(organization.member_accounts)[index]
    return organization.units[(account, region)]


def test_security_account_and_members_in_two_regions(organization):
    assert organization.organization_id.startswith("o-")
    assert organization.security_account == "111111111111"
    assert len(organization.member_accounts) == 2
    assert {(u.account, u.region) for u in organization.members()} == {
        (a, r) for a in organization.member_accounts for r in ("us-east-1", "eu-west-1")
    }
    assert organization.security.config.rules == {}
    assert organization.bridge_function_id()


def test_account_global_controls_only_in_the_home_region(organization):
    for unit in organization.members():
        present = GLOBAL_RULES & set(unit.config.rules)
        assert present == (GLOBAL_RULES if unit.region == "us-east-1" else set()), (unit.account, unit.region)
        assert "remedy-s3-bucket-kms-encryption" in unit.config.rules


def test_each_member_account_and_region_is_remediated_on_its_own(organization):
    target, other_region, other_account = (
        _member(organization, 0, "eu-west-1"),
        _member(organization, 0, "us-east-1"),
        _member(organization, 1, "eu-west-1"),
    )
    rule = "remedy-s3-bucket-level-public-access-block"
    with organization.acting_as(target):
        seed_account(["s3-bucket-level-public-access-block"], target.account, target.region, in_process=True)
        target.config.evaluate(rule)
        assert len(target.config.non_compliant(rule)) == 2
        target.start_automatic_remediations()
    for unit in (other_region, other_account):
        with organization.acting_as(unit):
            unit.config.evaluate(rule)
            assert unit.config.evaluations[rule] == {}, "Config records only its own account and region"

    organization.settle()

    with organization.acting_as(target):
        target.config.evaluate(rule)
        assert target.config.non_compliant(rule) == []
    assert [d for _i, d, _p in target.ssm.started] == ["Remedy-EnableS3BucketPublicAccessBlock"] * 2
    assert other_region.ssm.started == other_account.ssm.started == []


def test_member_finding_is_fixed_through_the_member_role_and_resolved_in_the_security_hub(organization):
    member = _member(organization, 1, "eu-west-1")
    with organization.acting_as(member):
        seeded = seed_account(["s3-bucket-level-public-access-block"], member.account, member.region, in_process=True)
    bucket = next(r for r in seeded if r.non_compliant)
    check = "s3_bucket_level_public_access_block"  # an automatic control (S3 KMS is automatic only with a CMK)
    finding = prowler_finding(check, bucket.arn, account=member.account, region=member.region)

    organization.import_findings(member, [finding])
    organization.settle()

    assert [d for _i, d, _p in member.ssm.started] == ["Remedy-EnableS3BucketPublicAccessBlock"]
    with organization.acting_as(member):
        block = boto3.client("s3").get_public_access_block(Bucket=bucket.resource_id)
    assert all(block["PublicAccessBlockConfiguration"].values())
    with organization.acting_as(organization.security):
        held = organization.security.security_hub.findings()[finding["Id"]]
    assert (held["AwsAccountId"], held["Region"]) == (member.account, member.region)
    assert held["Workflow"]["Status"] == "RESOLVED"
    status_events = [
        e for _rule, e in organization.security.events.delivered if e["source"] == "aws.ssm"
    ]  # forwarded by the member's rule, keeping the member's account and region
    assert [(e["account"], e["region"], e["detail"]["Status"]) for e in status_events] == [
        (member.account, member.region, "Success")
    ]


def test_a_member_failure_is_notified_and_queued_in_the_security_account(organization):
    member = _member(organization, 0, "eu-west-1")
    gone = f"arn:aws:s3:::deleted-after-the-scan-{member.account}"
    check = "s3_bucket_level_public_access_block"
    finding = prowler_finding(check, gone, account=member.account, region=member.region)

    organization.import_findings(member, [finding])
    organization.settle()

    [failure] = organization.failure_messages()
    assert (failure["account"], failure["region"], failure["status"]) == (member.account, member.region, "Failed")
    # The guard step cannot read a deleted bucket's tags from AWS Config: it refuses, changing nothing.
    assert "Refusing to run, nothing changed" in failure["reason"]
    assert failure["findings"] == [{"Id": finding["Id"], "ProductArn": finding["ProductArn"]}]


def test_assumed_role_calls_act_in_the_role_account(organization):
    member = _member(organization, 0, "us-east-1")
    with organization.acting_as(member):
        boto3.client("s3").create_bucket(Bucket=f"member-only-{member.account}")
    bridge = organization.security.lambdas.functions[organization.bridge_function_id()]
    with organization.acting_as(organization.security):
        # Only its own: the bridge's audit bucket, not the member's.
        assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == [bridge.environment["AUDIT_BUCKET"]]
        credentials = boto3.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{member.account}:role/remedy/remedy-bridge-member-us-east-1", RoleSessionName="test"
        )["Credentials"]
        s3 = boto3.client(
            "s3",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [f"member-only-{member.account}"]


def test_member_role_is_assumed_only_by_its_arn_on_the_path_and_trusts_the_bridge_role_on_it(organization):
    member = _member(organization, 0, "us-east-1")
    on_path = f"arn:aws:iam::{member.account}:role/remedy/remedy-bridge-member-us-east-1"

    assert organization.bridge_role_arn() == "arn:aws:iam::111111111111:role/remedy/remedy-bridge-us-east-1"
    with organization.acting_as(organization.security):
        assert organization.assume_role_problem(on_path) is None
        without_path = on_path.replace("role/remedy/", "role/")
        with pytest.raises(botocore.exceptions.ClientError, match="no role has this ARN"):
            boto3.client("sts").assume_role(RoleArn=without_path, RoleSessionName="test")
    with organization.acting_as(member):  # the trust names the bridge role, path included
        iam = boto3.client("iam")
        iam.update_assume_role_policy(
            RoleName="remedy-bridge-member-us-east-1",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                            "Condition": {
                                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/remedy-bridge-*"}
                            },
                        }
                    ],
                }
            ),
        )
    with organization.acting_as(organization.security):
        assert "not the bridge role" in organization.assume_role_problem(on_path)
