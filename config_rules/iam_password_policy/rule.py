"""AWS Config rule: the IAM account password policy is as strict as required (CIS 1.8/1.9, FSBP IAM.7).

Periodic, account-level: one evaluation of AWS::::Account whose resource id is the account id.
Reads the policy with iam:GetAccountPasswordPolicy; an account without a policy (NoSuchEntity) is
NON_COMPLIANT. Parameters carry the same names as AWS's managed rule iam-password-policy; their table and the
comparison are compliance.iam_password_policy (this rule's layer), which the runbook SetIamPasswordPolicy embeds too.
"""

from __future__ import annotations

import botocore.exceptions
from compliance.iam_password_policy import BOOLEAN_PARAMETERS, DEFAULTS, INTEGER_PARAMETERS, weaker_settings
from rdklib import ComplianceType, ConfigRule, Evaluation, InvalidParametersError
from rule_support import handle, reject_unknown_parameters, shown

APPLICABLE_RESOURCES = ["AWS::::Account"]
RESOURCE_TYPE = "AWS::::Account"
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("iam:GetAccountPasswordPolicy",)

RULE_PARAMETERS = set(INTEGER_PARAMETERS) | set(BOOLEAN_PARAMETERS)


def _parse_integer(name: str, raw: str) -> int | None:
    default, low, high = INTEGER_PARAMETERS[name]
    text = str(raw).strip()
    if not text:
        return default
    # ASCII digits only: str.isdigit() also accepts characters int() refuses (superscripts), and 4 digits at most.
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        raise InvalidParametersError(f"{name} must be a whole number from {low} to {high}, got {shown(raw)}.")
    value = int(text)
    if not low <= value <= high:
        raise InvalidParametersError(f"{name} must be from {low} to {high}, got {value}.")
    return value


def _parse_boolean(name: str, raw: str) -> bool:
    text = str(raw).strip().lower()
    if not text:
        return BOOLEAN_PARAMETERS[name]
    if text not in ("true", "false"):
        raise InvalidParametersError(f"{name} must be 'true' or 'false', got {shown(raw)}.")
    return text == "true"


class IamPasswordPolicy(ConfigRule):
    """NON_COMPLIANT when the account has no password policy or any setting is weaker than required."""

    # rdklib would otherwise list this rule's past evaluations (config:GetComplianceDetailsByConfigRule) on
    # every run to mark resources that disappeared as NOT_APPLICABLE. This rule only ever reports one
    # resource, the account itself, and reports it on every run, so each run supersedes the previous
    # evaluation: there is nothing stale to clean up, and skipping it saves a call and an IAM permission.
    delete_old_evaluations_on_scheduled_notification = False

    def evaluate_parameters(self, rule_parameters: dict) -> dict:
        reject_unknown_parameters(rule_parameters, RULE_PARAMETERS)
        valid: dict[str, int | bool | None] = dict(DEFAULTS)
        for name, raw in rule_parameters.items():
            if name in INTEGER_PARAMETERS:
                valid[name] = _parse_integer(name, raw)
            elif name in BOOLEAN_PARAMETERS:
                valid[name] = _parse_boolean(name, raw)
        return valid

    def evaluate_periodic(self, event: dict, client_factory: object, valid_rule_parameters: dict) -> list[Evaluation]:
        account_id = event["accountId"]
        iam = client_factory.build_client("iam")
        try:
            policy = iam.get_account_password_policy()["PasswordPolicy"]
        except botocore.exceptions.ClientError as error:
            if error.response["Error"]["Code"] == "NoSuchEntity":
                return [
                    Evaluation(
                        ComplianceType.NON_COMPLIANT,
                        account_id,
                        RESOURCE_TYPE,
                        annotation="The account has no IAM password policy: IAM users may set weak, "
                        "never-expiring, reusable passwords.",
                    )
                ]
            raise
        findings = weaker_settings(policy, valid_rule_parameters)
        if findings:
            return [
                Evaluation(
                    ComplianceType.NON_COMPLIANT,
                    account_id,
                    RESOURCE_TYPE,
                    annotation=f"Weaker than required: {'; '.join(findings)}.",
                )
            ]
        return [
            Evaluation(
                ComplianceType.COMPLIANT,
                account_id,
                RESOURCE_TYPE,
                annotation="The IAM password policy meets every required setting.",
            )
        ]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(IamPasswordPolicy(), APPLICABLE_RESOURCES, event, context)
