"""Demo seed: account-level S3 Block Public Access on for ACLs only, not for bucket policies."""

from __future__ import annotations

import os

import boto3

import resource_types
from catalogue import Control
from simulation.moto_server import install_dns_shim
from simulation.seeds import SeededResource


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    if not in_process or os.environ.get("AWS_ENDPOINT_URL"):
        # Against a moto server botocore sends S3 Control calls to <account>.127.0.0.1: let that name resolve in
        # this process, for this seed and for the rule and runbook that follow (simulation/moto_server.py).
        install_dns_shim()
    boto3.client("s3control", region_name=region).put_public_access_block(
        AccountId=account,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    kind = resource_types.get(control.resource_type)
    return [
        SeededResource(
            control.id,
            kind.config_type,
            account,
            kind.to_arn(account, region=region),
            True,
            "account-level Block Public Access for ACLs only: public bucket policies still apply",
        )
    ]
