"""Organization-wide settings applied to every stack of the app: a permissions boundary on every role, an IAM
path on every role but the runbook roles (which keep their own), tags on every resource, a customer key for
every log group.

Context (cdk.json or -c), all optional:
  remedy:permissionsBoundary  a managed policy name or ARN set as the permissions boundary of every IAM role
  remedy:rolePath             an IAM path such as /platform/remedy/ (starts and ends with '/'; IAM's characters
                              but '*', '?' and '$'): the path of the bridge role, of every member role and of
                              every role the app does not name (the rule, forwarding, scan and CDK helper roles).
                              Unset, the bridge and member roles are on /<prefix>/ and the unnamed roles on /.
                              Runbook roles are always on /<prefix>/runbooks/. The bridge and member roles name
                              each other by ARN, path included (infra/bridge_resources.py): the bridge account's
                              and the member accounts' stacks must be synthesized with the same value.
  remedy:tags                 tags for every resource that takes them: {"key": "value"} or "key=value,key=value"
  remedy:logKeyArn            a KMS key ARN that encrypts every log group (its key policy must let CloudWatch
                              Logs use it: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html)
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import IConstruct

from infra.bridge_config import check_role_path


def context_tags(value: object) -> dict[str, str]:
    """remedy:tags as a dict, from a JSON object (cdk.json) or a "key=value,key=value" string (-c)."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    text = str(value or "").strip()
    if text.startswith("{"):
        return context_tags(json.loads(text))
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    bad = [p[0] for p in pairs if len(p) != 2 or not p[0].strip()]
    if bad:
        raise ValueError(f"remedy:tags must be key=value pairs; cannot read {bad}")
    return {k.strip(): v.strip() for k, v in pairs}


def _named(role: iam.CfnRole) -> bool:
    """True if the role has a name of ours (CDK leaves a lazy token that resolves to nothing otherwise)."""
    return cdk.Stack.of(role).resolve(role.role_name) is not None


@jsii.implements(cdk.IAspect)
class RoleAndLogSettings:
    """Sets a role path on unnamed roles without one (the named roles set theirs: others derive their ARNs from
    name and path), and a customer key on log groups without one."""

    def __init__(self, role_path: str | None, log_key_arn: str | None) -> None:
        self.role_path, self.log_key_arn = role_path, log_key_arn

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, iam.CfnRole) and self.role_path and node.path is None and not _named(node):
            node.path = self.role_path
        if isinstance(node, logs.CfnLogGroup) and self.log_key_arn and node.kms_key_id is None:
            node.kms_key_id = self.log_key_arn


def apply_enterprise_settings(app: cdk.App) -> None:
    """Read the context switches above and apply them to every stack of `app`."""
    context = app.node.try_get_context
    boundary = context("remedy:permissionsBoundary")
    for stack in (c for c in app.node.children if isinstance(c, cdk.Stack)) if boundary else ():
        policy = (
            iam.ManagedPolicy.from_managed_policy_arn(stack, "PermissionsBoundary", str(boundary))
            if str(boundary).startswith("arn:")
            else iam.ManagedPolicy.from_managed_policy_name(stack, "PermissionsBoundary", str(boundary))
        )
        iam.PermissionsBoundary.of(stack).apply(policy)
    role_path = context("remedy:rolePath")
    if role_path:
        check_role_path(role_path)
    cdk.Aspects.of(app).add(RoleAndLogSettings(role_path, context("remedy:logKeyArn")))
    for key, value in context_tags(context("remedy:tags")).items():
        cdk.Tags.of(app).add(key, value)
