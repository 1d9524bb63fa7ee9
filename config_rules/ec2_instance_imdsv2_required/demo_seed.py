"""Demo seed: EC2 instances that accept IMDSv1 (HttpTokens optional) and one that requires IMDSv2."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from resource_types.ec2_instance.simulation import launch
from simulation.seeds import SeededResource

# (HttpTokens, Name tag, note)
INSTANCES = (
    ("optional", "payments-api", "IMDSv1 allowed (HttpTokens optional)"),
    ("optional", "batch-reporting", "IMDSv1 allowed (HttpTokens optional)"),
    ("required", "ledger-web", "IMDSv2 required"),
)


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    ec2 = boto3.client("ec2", region_name=region)
    kind = resource_types.get(control.resource_type)
    seeded = []
    for tokens, name, note in INSTANCES:
        instance_id = launch(ec2, name, tokens, f"{region}a")
        seeded.append(
            SeededResource(
                control.id,
                kind.config_type,
                instance_id,
                kind.to_arn(instance_id, region=region, account=account),
                tokens != "required",
                f"{name}: {note}",
            )
        )
    return seeded
