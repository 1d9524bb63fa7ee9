"""DynamoDB tables in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.simulation import lower_camel


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's tables (resource id and name: the table name), DescribeTable's Table in lowerCamelCase, and
    supplementaryConfiguration.ContinuousBackupsDescription (AWS Config's resource schema for AWS::DynamoDB::Table
    records DescribeContinuousBackups' answer there), with tags."""
    dynamodb = boto3.client("dynamodb", region_name=region)
    items = []
    for page in dynamodb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            table = dynamodb.describe_table(TableName=name)["Table"]
            backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
            tags = dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
            items.append(
                {
                    "resourceId": name,
                    "resourceName": name,
                    "ARN": table["TableArn"],
                    "awsRegion": region,
                    "availabilityZone": "Not Applicable",
                    "configuration": lower_camel(table),
                    "supplementaryConfiguration": {"ContinuousBackupsDescription": lower_camel(backups)},
                    "tags": {t["Key"]: t["Value"] for t in tags},
                }
            )
    return items


def create_table(region: str, name: str, point_in_time_recovery: bool) -> dict:
    """An on-demand table keyed by "id", point-in-time recovery on or off; DescribeTable's Table."""
    dynamodb = boto3.client("dynamodb", region_name=region)
    table = dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    if point_in_time_recovery:
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return table


def stale_key(account: str, region: str) -> str:
    """A table name no seed creates: a finding naming it outlives its resource."""
    return "remedy-deleted-table"
