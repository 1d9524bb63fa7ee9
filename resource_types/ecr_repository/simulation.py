"""ECR repositories in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's repositories (resource id and name: the repository name), with the configuration AWS Config's
    resource schema for AWS::ECR::Repository records (CloudFormation's property names: RepositoryName, Arn,
    ImageScanningConfiguration.ScanOnPush, ImageTagMutability, RepositoryUri), and tags."""
    ecr = boto3.client("ecr", region_name=region)
    items = []
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repository in page["repositories"]:
            tags = ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"]).get("tags", [])
            scanning = repository.get("imageScanningConfiguration") or {}
            items.append(
                {
                    "resourceId": repository["repositoryName"],
                    "resourceName": repository["repositoryName"],
                    "ARN": repository["repositoryArn"],
                    "awsRegion": region,
                    "availabilityZone": "Not Applicable",
                    "configuration": {
                        "RepositoryName": repository["repositoryName"],
                        "Arn": repository["repositoryArn"],
                        "RepositoryUri": repository["repositoryUri"],
                        "ImageTagMutability": repository.get("imageTagMutability"),
                        "ImageScanningConfiguration": {"ScanOnPush": scanning.get("scanOnPush") is True},
                    },
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in tags},
                }
            )
    return items


def create_repository(region: str, name: str, scan_on_push: bool, tag_mutability: str = "IMMUTABLE") -> dict:
    """A private repository with scan on push on or off and the given image tag mutability; CreateRepository's
    repository. IMMUTABLE unless told (CreateRepository's own default is MUTABLE), so that a seed of another
    control on this type is not also a finding of the tag immutability control (FSBP ECR.2)."""
    ecr = boto3.client("ecr", region_name=region)
    scanning = {"scanOnPush": scan_on_push}
    return ecr.create_repository(
        repositoryName=name, imageScanningConfiguration=scanning, imageTagMutability=tag_mutability
    )["repository"]


def stale_key(account: str, region: str) -> str:
    """A repository name no seed creates: a finding naming it outlives its resource."""
    return "remedy-deleted-repository"
