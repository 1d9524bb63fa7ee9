"""Lambda functions in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import io
import json
import zipfile

import boto3

from resource_types.lambda_function import to_arn
from resource_types.simulation import lower_camel

EXECUTION_ROLE = "remedy-demo-lambda-execution"
HANDLER_SOURCE = "def handler(event, context):\n    return {'statusCode': 200}\n"


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's functions (resource id and name: the function name; ARN: the unqualified function ARN),
    configuration holding ListFunctions' entry in lowerCamelCase, with tags."""
    client = boto3.client("lambda", region_name=region)
    items = []
    for page in client.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            name = function["FunctionName"]
            tags = client.list_tags(Resource=function["FunctionArn"]).get("Tags", {})
            items.append(
                {
                    "resourceId": name,
                    "resourceName": name,
                    "ARN": to_arn(name, region=region, account=account),
                    "awsRegion": region,
                    "availabilityZone": "Not Applicable",
                    "configuration": lower_camel(function),
                    "supplementaryConfiguration": {},
                    "tags": tags,
                }
            )
    return items


def _execution_role(region: str) -> str:
    """The ARN of the demo functions' execution role (created once)."""
    iam = boto3.client("iam", region_name=region)
    try:
        return iam.get_role(RoleName=EXECUTION_ROLE)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        return iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def create_function(region: str, name: str, permissions: list[dict] = ()) -> str:
    """A Python function, with each of `permissions` (AddPermission's arguments) granted; its name."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("index.py", HANDLER_SOURCE)
    client = boto3.client("lambda", region_name=region)
    client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=_execution_role(region),
        Handler="index.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    for permission in permissions:
        client.add_permission(FunctionName=name, **permission)
    return name


def stale_key(account: str, region: str) -> str:
    """The name of a function no seed creates: a finding naming it outlives its resource."""
    return "remedy-deleted-function"
