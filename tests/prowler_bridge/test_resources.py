"""Resource id resolvers: ARN -> the id AWS Config and the runbooks use."""

from __future__ import annotations

import boto3
import pytest

from prowler_bridge import resources
from prowler_bridge.resources import (
    MalformedArnError,
    ResourceNotFoundError,
    parse_arn,
    resolve_resource_id,
    resource_key,
)
from tests.conftest import ACCOUNT_ID


def _no_client(_service: str):
    raise AssertionError("no AWS call expected")


@pytest.mark.parametrize(
    ("arn", "resource_type", "expected"),
    [
        ("arn:aws:s3:::my-bucket.logs", "AWS::S3::Bucket", "my-bucket.logs"),
        (f"arn:aws:iam:us-east-1:{ACCOUNT_ID}:password-policy", "AWS::::Account", ACCOUNT_ID),
        (f"arn:aws:iam::{ACCOUNT_ID}:root", "AWS::::Account", ACCOUNT_ID),
        (f"arn:aws:iam::{ACCOUNT_ID}:{ACCOUNT_ID}", "AWS::::Account", ACCOUNT_ID),
        (f"AWS::::Account:{ACCOUNT_ID}", "AWS::::Account", ACCOUNT_ID),
        # Prowler's account-level settings: S3 Block Public Access, EBS encryption by default.
        (f"arn:aws:s3:eu-central-1:{ACCOUNT_ID}:account", "AWS::::Account", ACCOUNT_ID),
        (f"arn:aws:ec2:eu-central-1:{ACCOUNT_ID}:volume", "AWS::::Account", ACCOUNT_ID),
        (
            f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:volume/vol-0123456789abcdef0",
            "AWS::EC2::Volume",
            "vol-0123456789abcdef0",
        ),
        (
            f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:security-group/sg-0123456789abcdef0",
            "AWS::EC2::SecurityGroup",
            "sg-0123456789abcdef0",
        ),
        (f"arn:aws:dynamodb:eu-central-1:{ACCOUNT_ID}:table/prod-table", "AWS::DynamoDB::Table", "prod-table"),
        # An unregistered type (DEFAULT): last segment after '/' or ':'.
        (f"arn:aws-us-gov:lambda:us-gov-west-1:{ACCOUNT_ID}:function:fn", "AWS::Lambda::Function", "fn"),
    ],
)
def test_static_resolvers(arn, resource_type, expected):
    assert resolve_resource_id(arn, resource_type, _no_client) == expected


@pytest.mark.parametrize(
    ("arn", "resource_type"),
    [
        ("my-bucket", "AWS::S3::Bucket"),
        ("arn:aws:s3:::", "AWS::S3::Bucket"),
        ("arn:aws:s3:::Bad_Bucket", "AWS::S3::Bucket"),
        ("arn:aws:s3:::bucket/object", "AWS::S3::Bucket"),
        (f"arn:aws:s3:us-east-1:{ACCOUNT_ID}:bucket", "AWS::S3::Bucket"),
        ("arn:aws:iam:us-east-1::password-policy", "AWS::::Account"),
        (f"arn:aws:iam::{ACCOUNT_ID}:user/alice", "AWS::::Account"),
        (f"arn:aws:s3:::{ACCOUNT_ID}", "AWS::::Account"),
        (f"arn:aws:s3::{ACCOUNT_ID}:account", "AWS::::Account"),
        (f"arn:aws:ec2:eu-central-1:{ACCOUNT_ID}:volume/vol-0123456789abcdef0", "AWS::::Account"),
        (f"arn:aws:iam::{ACCOUNT_ID}:role/alice", "AWS::IAM::User"),
        (f"arn:aws:iam:us-east-1:{ACCOUNT_ID}:user/alice", "AWS::IAM::User"),
        (f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:snapshot/snap-0123456789abcdef0", "AWS::EC2::Volume"),
        (f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:volume/vol-XYZ", "AWS::EC2::Volume"),
        (f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:volume/", "AWS::EC2::SecurityGroup"),
        ("arn:aws:ec2:us-east-1:12345:volume/vol-0123456789abcdef0", "AWS::EC2::Volume"),
        (f"arn:aws:ec2:US-EAST-1:{ACCOUNT_ID}:volume/vol-0123456789abcdef0", "AWS::EC2::Volume"),
        ("arn:aws:ec2:us-east-1:123456789012:volume/vol-0123 456789abcdef0", "AWS::EC2::Volume"),
        (None, "AWS::S3::Bucket"),
        (42, "AWS::S3::Bucket"),
    ],
)
def test_malformed_arns_raise_clear_error(arn, resource_type):
    with pytest.raises(MalformedArnError, match=r"\S"):
        resolve_resource_id(arn, resource_type, _no_client)


def test_iam_user_resolves_to_user_id(api_calls):
    iam = boto3.client("iam")
    user_id = iam.create_user(UserName="carol")["User"]["UserId"]
    api_calls.clear()
    assert resolve_resource_id(f"arn:aws:iam::{ACCOUNT_ID}:user/carol", "AWS::IAM::User", boto3.client) == user_id
    assert api_calls.operations == ["GetUser"]


def test_missing_iam_user_is_resource_not_found(api_calls):
    with pytest.raises(ResourceNotFoundError, match="ghost"):
        resolve_resource_id(f"arn:aws:iam::{ACCOUNT_ID}:user/ghost", "AWS::IAM::User", boto3.client)


def test_rds_db_instance_resolves_to_its_dbi_resource_id(api_calls):
    """AWS Config names a DB instance by its DbiResourceId, which the ARN lacks: the bridge looks it up."""
    rds = boto3.client("rds")
    created = rds.create_db_instance(
        DBInstanceIdentifier="ledger-db", DBInstanceClass="db.t3.micro", Engine="postgres", AllocatedStorage=20
    )["DBInstance"]
    api_calls.clear()
    arn = f"arn:aws:rds:us-east-1:{ACCOUNT_ID}:db:ledger-db"
    assert resolve_resource_id(arn, "AWS::RDS::DBInstance", boto3.client) == created["DbiResourceId"]
    assert api_calls.operations == ["DescribeDBInstances"]


def test_missing_rds_db_instance_is_resource_not_found(api_calls):
    arn = f"arn:aws:rds:us-east-1:{ACCOUNT_ID}:db:ghost-db"
    with pytest.raises(ResourceNotFoundError, match="ghost-db"):
        resolve_resource_id(arn, "AWS::RDS::DBInstance", boto3.client)


def test_rds_db_cluster_resolves_to_its_cluster_resource_id(api_calls):
    """AWS Config names a DB cluster by its DbClusterResourceId, which the ARN lacks: the bridge looks it up."""
    created = boto3.client("rds").create_db_cluster(
        DBClusterIdentifier="ledger-cluster",
        Engine="aurora-postgresql",
        MasterUsername="dbadmin",
        MasterUserPassword="test-only-not-a-secret",
    )["DBCluster"]
    api_calls.clear()
    arn = f"arn:aws:rds:us-east-1:{ACCOUNT_ID}:cluster:ledger-cluster"
    assert resolve_resource_id(arn, "AWS::RDS::DBCluster", boto3.client) == created["DbClusterResourceId"]
    assert api_calls.operations == ["DescribeDBClusters"]


def test_missing_rds_db_cluster_is_resource_not_found(api_calls):
    arn = f"arn:aws:rds:us-east-1:{ACCOUNT_ID}:cluster:ghost-cluster"
    with pytest.raises(ResourceNotFoundError, match="ghost-cluster"):
        resolve_resource_id(arn, "AWS::RDS::DBCluster", boto3.client)


def test_parse_arn_parts():
    arn = parse_arn("arn:aws:iam:us-east-1:123456789012:password-policy")
    assert (arn.partition, arn.service, arn.region, arn.account, arn.resource) == (
        "aws",
        "iam",
        "us-east-1",
        "123456789012",
        "password-policy",
    )


def test_registry_accepts_new_types():
    resources.register("AWS::Test::Thing", lambda arn: arn.resource.upper())
    try:
        assert resolve_resource_id("arn:aws:test:us-east-1:123456789012:abc", "AWS::Test::Thing", _no_client) == "ABC"
        assert not resources.needs_lookup("AWS::Test::Thing")
        assert resources.needs_lookup("AWS::IAM::User")
    finally:
        del resources.RESOLVERS["AWS::Test::Thing"]


@pytest.mark.parametrize(
    ("arn", "resource_type"),
    [
        ("arn:aws:s3:::xn--bucket", "AWS::S3::Bucket"),
        ("arn:aws:s3:::sthree-bucket", "AWS::S3::Bucket"),
        ("arn:aws:s3:::amzn-s3-demo-bucket", "AWS::S3::Bucket"),
        ("arn:aws:s3:::my..bucket", "AWS::S3::Bucket"),
        ("arn:aws:s3:::192.168.5.4", "AWS::S3::Bucket"),
        ("arn:aws:s3:::bucket-s3alias", "AWS::S3::Bucket"),
        ("arn:aws:s3:::bucket--ol-s3", "AWS::S3::Bucket"),
        ("arn:aws:s3:::bucket.mrap", "AWS::S3::Bucket"),
        ("arn:aws:s3:::bucket--x-s3", "AWS::S3::Bucket"),
        ("arn:aws:s3:::Bucket", "AWS::S3::Bucket"),
        ("arn:aws:s3:::b\u00fccket", "AWS::S3::Bucket"),
        ("arn:aws:ec2:us-east-1:123456789012:volume/x/vol-0123456789abcdef0", "AWS::EC2::Volume"),
        ("arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef", "AWS::EC2::Volume"),
        ("arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789ABCDEF0", "AWS::EC2::Volume"),
        ("arn:aws:ec2:::volume/vol-0123456789abcdef0", "AWS::EC2::Volume"),
        ("arn:aws:ec2:us-east-1:123456789012:snapshot/vol-0123456789abcdef0", "AWS::EC2::Volume"),
        ("arn:aws:iam:::user/alice", "AWS::IAM::User"),
        ("arn:aws:iam::123456789012:user//alice", "AWS::IAM::User"),
        ("arn:aws:iam::123456789012:user/\u00e4lice", "AWS::IAM::User"),
        ("arn:aws:iam::123456789012:role/alice", "AWS::IAM::User"),
    ],
)
def test_non_canonical_resource_names_are_refused(arn, resource_type):
    with pytest.raises(MalformedArnError):
        resource_key(parse_arn(arn), resource_type)


@pytest.mark.parametrize(
    ("arn", "resource_type", "key"),
    [
        ("arn:aws:s3:::my.bucket-1", "AWS::S3::Bucket", "my.bucket-1"),
        ("arn:aws:ec2:us-east-1:123456789012:volume/vol-01234567", "AWS::EC2::Volume", "vol-01234567"),
        ("arn:aws:iam::123456789012:user/teams/payments/bob", "AWS::IAM::User", "bob"),
    ],
)
def test_canonical_resource_names_are_accepted(arn, resource_type, key):
    assert resource_key(parse_arn(arn), resource_type) == key
