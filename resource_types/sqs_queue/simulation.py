"""SQS queues in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.sqs_queue import queue_url, to_arn


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's queues (resource id: the queue URL; name: the queue name), configuration holding the queue's
    attributes under their CloudFormation property names (QueueUrl, QueueName, Arn, SqsManagedSseEnabled,
    KmsMasterKeyId, ...), as AWS Config records registry-based types, with tags."""
    sqs = boto3.client("sqs", region_name=region)
    items = []
    for page in sqs.get_paginator("list_queues").paginate():
        for endpoint_url in page.get("QueueUrls", []):
            name = endpoint_url.rsplit("/", 1)[-1]
            url = queue_url("aws", region, account, name)  # the service endpoint form AWS Config records
            attributes = sqs.get_queue_attributes(QueueUrl=endpoint_url, AttributeNames=["All"])["Attributes"]
            configuration = {"QueueUrl": url, "QueueName": name, "Arn": attributes.get("QueueArn", "")}
            configuration["SqsManagedSseEnabled"] = attributes.get("SqsManagedSseEnabled") == "true"
            if attributes.get("KmsMasterKeyId"):
                configuration["KmsMasterKeyId"] = attributes["KmsMasterKeyId"]
            tags = sqs.list_queue_tags(QueueUrl=endpoint_url).get("Tags", {})
            items.append(
                {
                    "resourceId": url,
                    "resourceName": name,
                    "ARN": to_arn(url),
                    "awsRegion": region,
                    "availabilityZone": "Not Applicable",
                    "configuration": configuration,
                    "supplementaryConfiguration": {},
                    "tags": tags,
                }
            )
    return items


def create_queue(region: str, name: str, encryption: str) -> str:
    """A queue encrypted with "sse-sqs", a KMS key ("kms": the AWS managed key alias/aws/sqs) or "none"; its URL.
    SQS turns SSE-SQS on for new queues unless the request turns it off."""
    attributes = {
        "sse-sqs": {"SqsManagedSseEnabled": "true"},
        "kms": {"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "false"},
        "none": {"SqsManagedSseEnabled": "false"},
    }[encryption]
    return boto3.client("sqs", region_name=region).create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def stale_key(account: str, region: str) -> str:
    """The URL of a queue no seed creates: a finding naming it outlives its resource."""
    return queue_url("aws", region, account, "remedy-deleted-queue")
