"""AWS Config rule: an IAM role exists to manage incidents with AWS Support (CIS v3.0 1.17).

Periodic, account-level and global: one evaluation of AWS::::Account (resource id: the account id), deployed in the
home region only (IAM is global). COMPLIANT when at least one IAM role has the AWS managed policy AWSSupportAccess
attached, read with iam:ListEntitiesForPolicy (EntityFilter Role, every page); the comparison is
compliance.iam_support_role_created (this rule's layer), which the runbook CreateAwsSupportRole embeds too. Fails
closed: a read that fails (after retrying throttling) or an answer without the expected fields is NON_COMPLIANT with
the reason, never COMPLIANT.
"""

from __future__ import annotations

import botocore.exceptions
from compliance.iam_support_role_created import POLICY_NAME, page_role_names, support_policy_arn
from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, Retrier, error_code, handle

APPLICABLE_RESOURCES = ["AWS::::Account"]
RESOURCE_TYPE = "AWS::::Account"
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("iam:ListEntitiesForPolicy",)
# Role names named in an annotation (AWS Config keeps 256 characters of it; a role name has up to 64).
SHOWN_ROLES = 2


class Unreadable(Exception):
    """The roles holding the policy could not be read; the message says why."""


def _partition(event: dict) -> str:
    """The partition of the rule's own ARN (the policy's ARN differs in aws-cn and aws-us-gov)."""
    parts = str(event.get("configRuleArn", "")).split(":")
    return parts[1] if len(parts) > 1 and parts[1].startswith("aws") else "aws"


def support_roles(iam: object, partition: str) -> list[str]:
    """The names of every IAM role AWSSupportAccess is attached to, from every page."""
    names: list[str] = []
    marker = None
    while True:
        kwargs = {"PolicyArn": support_policy_arn(partition), "EntityFilter": "Role"}
        try:
            page = Retrier().call(iam.list_entities_for_policy, **kwargs, **({"Marker": marker} if marker else {}))
        except botocore.exceptions.ClientError as error:
            raise Unreadable(f"ListEntitiesForPolicy failed: {error_code(error)}") from None
        try:
            page_names, marker = page_role_names(page)
        except ValueError as error:
            raise Unreadable(str(error)) from None
        names.extend(page_names)
        if marker is None:
            return names


def _judge(names: list[str]) -> tuple[str, str]:
    if not names:
        return (
            ComplianceType.NON_COMPLIANT,
            f"No IAM role has the AWS managed policy {POLICY_NAME} attached: there is no role to manage incidents "
            "with AWS Support.",
        )
    more = f" and {len(names) - SHOWN_ROLES} more" if len(names) > SHOWN_ROLES else ""
    shown = ", ".join(sorted(names)[:SHOWN_ROLES]) + more
    return ComplianceType.COMPLIANT, f"{POLICY_NAME} is attached to role(s) {shown}."


class IamSupportRoleCreated(ParameterlessRule):
    """NON_COMPLIANT unless at least one IAM role of the account has AWSSupportAccess attached."""

    # One resource, the account itself, reported on every run: nothing stale to clean up (see iam_password_policy).
    delete_old_evaluations_on_scheduled_notification = False

    def evaluate_periodic(self, event: dict, client_factory: object, valid_rule_parameters: dict) -> list[Evaluation]:
        account_id = event["accountId"]
        try:
            names = support_roles(client_factory.build_client("iam"), _partition(event))
        except Unreadable as error:
            annotation = f"Not evaluated: {error}."
            return [Evaluation(ComplianceType.NON_COMPLIANT, account_id, RESOURCE_TYPE, annotation=annotation)]
        compliance, annotation = _judge(names)
        return [Evaluation(compliance, account_id, RESOURCE_TYPE, annotation=annotation)]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(IamSupportRoleCreated(), APPLICABLE_RESOURCES, event, context)
