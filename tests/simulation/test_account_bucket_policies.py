"""The emulated account applies the stack's bucket policies, as CloudFormation does."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from simulation.account import EmulatedAccount


@pytest.fixture
def account(aws, standalone):
    with EmulatedAccount(standalone[1]).provision() as emulated:
        yield emulated


def test_the_stack_buckets_carry_their_template_policies_with_real_arns(account, standalone):
    policies = [r for r in standalone[0]["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy"]
    assert policies, "the stack's audit bucket is TLS-only (enforce_ssl): CDK adds a bucket policy"
    s3 = boto3.client("s3")

    for resource in policies:
        bucket = account.assembly.resolve(resource["Properties"]["Bucket"])
        applied = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        assert applied == account.assembly.resolve(resource["Properties"]["PolicyDocument"])
        resources = {r for s in applied["Statement"] for r in s["Resource"]}
        assert resources == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}


def test_objects_of_a_tls_only_bucket_are_read_and_written_as_over_https(account, standalone):
    bucket = account.assembly.resolve(
        next(r for r in standalone[0]["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy")["Properties"][
            "Bucket"
        ]
    )
    s3 = boto3.client("s3")

    s3.put_object(Bucket=bucket, Key="audit/probe.json", Body=b"{}", ChecksumAlgorithm="SHA256")

    assert s3.get_object(Bucket=bucket, Key="audit/probe.json")["Body"].read() == b"{}"


def test_a_deny_that_is_not_about_transport_still_denies(account):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="deny-writes")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::deny-writes/*"}
    s3.put_bucket_policy(Bucket="deny-writes", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))

    with pytest.raises(ClientError, match="403"):
        s3.put_object(Bucket="deny-writes", Key="k", Body=b"x")
