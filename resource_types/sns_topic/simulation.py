"""SNS topics in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's topics (resource id and ARN: the topic ARN; name: the topic name), configuration holding
    TopicArn, TopicName and KmsMasterKeyId (when set) under their CloudFormation property names, with tags."""
    sns = boto3.client("sns", region_name=region)
    items = []
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            arn = topic["TopicArn"]
            name = arn.rsplit(":", 1)[-1]
            attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
            configuration = {"TopicArn": arn, "TopicName": name}
            if attributes.get("KmsMasterKeyId"):
                configuration["KmsMasterKeyId"] = attributes["KmsMasterKeyId"]
            tags = sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
            items.append(
                {
                    "resourceId": arn,
                    "resourceName": name,
                    "ARN": arn,
                    "awsRegion": region,
                    "availabilityZone": "Not Applicable",
                    "configuration": configuration,
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in tags},
                }
            )
    return items


def create_topic(region: str, name: str, kms_key: str | None) -> str:
    """A topic, encrypted with `kms_key` (an id, ARN or alias) or not at all; its ARN."""
    attributes = {"KmsMasterKeyId": kms_key} if kms_key else {}
    return boto3.client("sns", region_name=region).create_topic(Name=name, Attributes=attributes)["TopicArn"]


def stale_key(account: str, region: str) -> str:
    """The ARN of a topic no seed creates: a finding naming it outlives its resource."""
    return f"arn:aws:sns:{region}:{account}:remedy-deleted-topic"
