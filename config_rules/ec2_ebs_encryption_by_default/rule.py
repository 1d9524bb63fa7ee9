"""AWS Config rule: EBS encryption by default is on in this Region (FSBP EC2.7, CIS v3.0 2.2.1).

Periodic, account-level but regional: one evaluation of AWS::::Account (resource id: the account id) per Region the
rule is deployed to, since the setting is per Region ("Enables EBS encryption by default for your account in the
current Region": https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableEbsEncryptionByDefault.html).
Reads it with ec2:GetEbsEncryptionByDefault. Fails closed: a read that fails (after retrying throttling) or an
answer without a JSON boolean is NON_COMPLIANT with the reason, never COMPLIANT.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, Retrier, error_code, handle, shown

APPLICABLE_RESOURCES = ["AWS::::Account"]
RESOURCE_TYPE = "AWS::::Account"
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("ec2:GetEbsEncryptionByDefault",)


def _evaluation(compliance: str, account_id: str, annotation: str) -> Evaluation:
    return Evaluation(compliance, account_id, RESOURCE_TYPE, annotation=annotation)


def _read(ec2: object) -> bool | str:
    """The setting (True/False), or the reason it could not be read."""
    try:
        answer = Retrier().call(ec2.get_ebs_encryption_by_default)
    except botocore.exceptions.ClientError as error:
        return f"GetEbsEncryptionByDefault failed: {error_code(error)}"
    value = answer.get("EbsEncryptionByDefault")
    if not isinstance(value, bool):
        return f"EbsEncryptionByDefault is {shown(value)}, expected true or false"
    return value


class Ec2EbsEncryptionByDefault(ParameterlessRule):
    """NON_COMPLIANT unless EBS encryption by default is on in the Region the rule runs in."""

    # One resource, the account itself, reported on every run: nothing stale to clean up (see iam_password_policy).
    delete_old_evaluations_on_scheduled_notification = False

    def evaluate_periodic(self, event: dict, client_factory: object, valid_rule_parameters: dict) -> list[Evaluation]:
        account_id = event["accountId"]
        state = _read(client_factory.build_client("ec2"))
        if isinstance(state, str):
            return [_evaluation(ComplianceType.NON_COMPLIANT, account_id, f"Not evaluated: {state}.")]
        if not state:
            annotation = "EBS encryption by default is off in this Region: new volumes may be created unencrypted."
            return [_evaluation(ComplianceType.NON_COMPLIANT, account_id, annotation)]
        return [_evaluation(ComplianceType.COMPLIANT, account_id, "EBS encryption by default is on in this Region.")]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(Ec2EbsEncryptionByDefault(), APPLICABLE_RESOURCES, event, context)
