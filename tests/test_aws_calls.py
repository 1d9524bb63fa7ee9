"""The call recorder names each call by the IAM action that authorises it, also where botocore's signing name is not
the service's IAM prefix."""

from __future__ import annotations

import boto3

from tests.aws_calls import iam_action


def test_cloudwatch_calls_are_cloudwatch_actions(api_calls):
    boto3.client("cloudwatch", region_name="us-east-1").describe_alarms()

    # CloudWatch signs its requests as "monitoring"; IAM knows the action as cloudwatch:DescribeAlarms.
    assert api_calls.actions == {"cloudwatch:DescribeAlarms"}
    api_calls.assert_within(("cloudwatch:DescribeAlarms",))


def test_other_services_keep_their_signing_name_as_prefix():
    assert iam_action("logs", "PutMetricFilter") == "logs:PutMetricFilter"
    assert iam_action("s3", "GetBucketEncryption") == "s3:GetEncryptionConfiguration"
