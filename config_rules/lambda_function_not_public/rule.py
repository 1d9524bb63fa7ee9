"""AWS Config rule: Lambda function policies do not allow public access (FSBP Lambda.1).

Prowler's check: awslambda_function_not_publicly_accessible.

Change-triggered on AWS::Lambda::Function (resource id: the function name). The rule reads the live resource-based
policy with GetPolicy every time: NON_COMPLIANT when an Allow statement admits everyone without a condition limiting
the caller's account, source or organization (compliance.lambda_function_not_public). GetPolicy answers
ResourceNotFoundException both for a function without a policy and for a function that is gone
(https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html): either way nothing is public, so COMPLIANT, as
Prowler judges it (a deleted function's own item is NOT_APPLICABLE before any call).
"""

from __future__ import annotations

import json

import botocore.exceptions
from compliance.lambda_function_not_public import public_statements
from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, UnreadableField, fail_closed, field, handle

APPLICABLE_RESOURCES = ["AWS::Lambda::Function"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("lambda:GetPolicy",)
# What passes: no statement admits everyone unconditionally; these condition keys restrict a statement.
PASSING_SETTINGS = ("no public statement", "aws:SourceAccount", "aws:SourceArn", "aws:PrincipalOrgID")


def function_policy(client_factory: object, name: str) -> dict:
    """The function's resource-based policy ({} when it has none)."""
    client = client_factory.build_client("lambda")
    try:
        text = client.get_policy(FunctionName=name).get("Policy") or "{}"
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return {}
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceId", "is not a function name Lambda accepts") from None
    try:
        policy = json.loads(text)
    except ValueError:
        raise UnreadableField("Policy", "is not JSON") from None
    if not isinstance(policy, dict):
        raise UnreadableField("Policy", "is not a JSON object")
    return policy


class LambdaFunctionNotPublic(ParameterlessRule):
    """NON_COMPLIANT when a function's policy admits everyone without a restricting condition."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        name = field(configuration_item, "resourceId", "configurationItem", str)
        public = public_statements(function_policy(client_factory, name))
        if not public:
            return [Evaluation(ComplianceType.COMPLIANT, annotation="No policy statement allows public access.")]
        sids = ", ".join(str(s.get("Sid", "?")) for s in public)
        annotation = f"Policy statements allow anyone to use the function: {sids}."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(LambdaFunctionNotPublic(), APPLICABLE_RESOURCES, event, context)
