"""cdk-nag AwsSolutions acknowledgments. Each one carries the reason it is acceptable here."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

WILDCARD_RESOURCE = "AwsSolutions::AwsSolutions-IAM5[Resource::*]"
LATEST_RUNTIME = "AwsSolutions::AwsSolutions-L1"


def _acknowledge(scope: object, finding: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


def acknowledge_findings(stack: cdk.Stack) -> None:
    """Acknowledge, on the constructs concerned only, the AwsSolutions findings this design accepts."""
    for role in getattr(stack, "roles", {}).values():
        _acknowledge(
            role,
            WILDCARD_RESOURCE,
            "Runbook role: its actions are enumerated exactly (no action wildcards); the resource is "
            "whichever one AWS Config found non-compliant, unknown at deploy time. Only SSM Automation "
            "of this account can assume the role, and each script re-checks the resource before acting.",
        )
    for function in getattr(stack, "functions", {}).values():
        _acknowledge(
            function.role,
            WILDCARD_RESOURCE,
            "Config rule role: read-only Get/List/Describe actions over every resource the rule evaluates, "
            "and config:PutEvaluations / config:GetResourceConfigHistory, which take no resource ARN.",
        )
        _acknowledge(
            function,
            LATEST_RUNTIME,
            f"Runs on {lambda_.Runtime.determine_latest_python_runtime(stack).name}, the newest Python "
            "runtime CDK marks stable for all regions; the code is tested on python3.11 (the SSM "
            "executeScript runtime) and uses nothing newer.",
        )
