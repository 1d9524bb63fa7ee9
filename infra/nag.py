"""cdk-nag AwsSolutions acknowledgments. Each one carries the reason it is acceptable here."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from infra.bridge_config import runbook_role_path
from infra.bridge_resources import nag_account
from infra.runtimes import LAMBDA_RUNTIME

WILDCARD_RESOURCE = "AwsSolutions::AwsSolutions-IAM5[Resource::*]"
LATEST_RUNTIME = "AwsSolutions::AwsSolutions-L1"
RUNBOOK_ROLE_PATH_REASON = (
    "iam:PassRole on the runbook roles' own IAM path, only to ssm.amazonaws.com (iam:PassedToService): one "
    "statement for any number of runbooks, where a list of role ARNs would outgrow IAM's policy size limit."
)
BRIDGE_WILDCARDS = (
    "Bridge role: every action is enumerated; resources are this account's own documents (any version), "
    "runbook roles, ledger table, topic, queue and key. A wildcard remains only where the ARN holds what is "
    "unknown at deploy time: the region of an in-scope finding, an automation execution id, a Config rule's "
    "generated id, the IAM user named by a finding; and config:GetComplianceDetailsByResource, a read that "
    "takes no resource ARN."
)


def _acknowledge(scope: object, finding: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


def _pass_role_finding(stack: cdk.Stack) -> str:
    path = runbook_role_path(stack.prefix)
    account = nag_account(stack)
    return f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::{account}:role{path}*]"


def _acknowledge_operations(stack: cdk.Stack, bridge: Construct) -> None:
    """The audit bucket (infra/bridge_operations.py): the bridge's write grant and its access records."""
    bucket = bridge.operations.audit_bucket
    logical_id = stack.resolve(stack.get_logical_id(bucket.node.default_child))
    for role in (bridge.role, bridge.retry_role):  # the retry consumer runs the bridge's status handler too
        _acknowledge(
            role,
            f"AwsSolutions::AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/audit/*]",
            "Bridge role: s3:PutObject on the audit prefix of its own audit bucket, one object per runbook "
            "execution whose key (date, account, region, execution id) is known only at run time; only "
            "conditional writes (s3:if-none-match), which cannot replace a record.",
        )
    _acknowledge(
        bucket,
        "AwsSolutions::AwsSolutions-S1",
        "The audit bucket's records are written once by the bridge and kept under Object Lock; object-level access "
        "is recorded by CloudTrail S3 data events where the organization's trail enables them, as for other buckets.",
    )


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
    bridge = getattr(stack, "bridge", None)
    if bridge is not None:
        for role in (bridge.role, bridge.retry_role):  # the retry consumer runs the bridge's code
            for resource in bridge.wildcard_resources:
                _acknowledge(role, f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]", BRIDGE_WILDCARDS)
            _acknowledge(role, _pass_role_finding(stack), RUNBOOK_ROLE_PATH_REASON)
        _acknowledge(
            bridge.action_target,
            "CloudFormation-Validate::F3006",
            "AWS::SecurityHub::ActionTarget is a valid CloudFormation type (cfn-lint knows it) that CDK's "
            "bundled validator does not list yet; there is no L1 class for it.",
        )
        _acknowledge(
            bridge.parked_queue,
            "AwsSolutions::AwsSolutions-SQS3",
            "This queue is the failure queue's dead-letter queue: it parks what the retry consumer refused or "
            "could not retry, for a person (an alarm fires on its first message); it has no consumer to fail.",
        )
        for function in (bridge.function, bridge.retry_function):
            _acknowledge(function, LATEST_RUNTIME, "Same runtime policy as the rule functions (see below).")
        if getattr(bridge, "operations", None) is not None:
            _acknowledge_operations(stack, bridge)
    member = getattr(stack, "member_role", None)
    if member is not None:
        for finding in (
            "Resource::arn:<AWS::Partition>:ssm:*:<AWS::AccountId>:automation-definition/Remedy-*:*",
            "Resource::arn:<AWS::Partition>:ssm:*:<AWS::AccountId>:automation-execution/*",
            "Resource::arn:<AWS::Partition>:config:*:<AWS::AccountId>:config-rule/*",
            "Resource::*",
            *(f"Resource::{resource}" for resource in member.wildcard_resources),  # the resource id lookups
        ):
            _acknowledge(member.role, f"AwsSolutions::AwsSolutions-IAM5[{finding}]", BRIDGE_WILDCARDS)
        _acknowledge(member.role, _pass_role_finding(stack), RUNBOOK_ROLE_PATH_REASON)
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
            f"Runs on {LAMBDA_RUNTIME.name}, pinned because the rule and bridge tests run on that version "
            "(make lambda-runtime-test); a newer runtime is adopted together with its tests.",
        )


PIPELINE_ACTION_WILDCARDS = (
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "s3:Abort*",
    "s3:DeleteObject*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)


def acknowledge_pipeline(pipeline: Construct, artifacts_bucket_id: str, project_ids: list[str]) -> None:
    """The roles CDK Pipelines generates, acknowledged finding by finding with what each wildcard covers."""
    stack = cdk.Stack.of(pipeline)
    account, region = stack.account, stack.region
    grants = (
        "CDK Pipelines' generated roles: CDK's bucket and key grants (these action groups) on this pipeline's own "
        "artifact bucket and its objects, and its CodeBuild projects' own log groups and report groups."
    )
    findings = [f"Action::{action}" for action in PIPELINE_ACTION_WILDCARDS]
    findings += [
        f"Resource::<{artifacts_bucket_id}.Arn>/*",
        f"Resource::arn:<AWS::Partition>:codebuild:{region}:{account}:report-group/*",
        f"Resource::arn:<AWS::Partition>:logs:{region}:{account}:log-group:/aws/codebuild/*",
    ]
    for project in project_ids:
        findings += [
            f"Resource::arn:<AWS::Partition>:codebuild:{region}:{account}:report-group/<{project}>-*",
            f"Resource::arn:<AWS::Partition>:logs:{region}:{account}:log-group:/aws/codebuild/<{project}>:*",
        ]
    for finding in findings:
        _acknowledge(pipeline, f"AwsSolutions::AwsSolutions-IAM5[{finding}]", grants)
    _acknowledge(
        pipeline,
        f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:*:iam::{account}:role/*]",
        "Self-mutation and asset publishing may assume only this account's CDK bootstrap roles: the statement "
        "is conditioned on the iam:ResourceTag/aws-cdk:bootstrap-role tag.",
    )
    _acknowledge(
        pipeline,
        "AwsSolutions::AwsSolutions-S1",
        "The pipeline's artifact bucket holds only build inputs and outputs, KMS-encrypted and TLS-only; access "
        "records are CloudTrail data events, the organization's choice.",
    )
    _acknowledge(
        pipeline,
        WILDCARD_RESOURCE,
        "cloudformation:DescribeStacks and s3:ListBucket for cdk deploy's self-mutation, and codebuild "
        "Start/Stop/BatchGetBuilds of the asset step, as CDK Pipelines generates them.",
    )
