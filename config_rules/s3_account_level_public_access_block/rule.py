"""AWS Config rule: S3 Block Public Access is on at account level, all four settings (FSBP S3.1, CIS v3.0 2.1.4).

Periodic, account-level: one evaluation of AWS::::Account whose resource id is the account id. Reads the
account's configuration with S3 Control GetPublicAccessBlock (IAM action s3:GetAccountPublicAccessBlock,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html); an account without one
(NoSuchPublicAccessBlockConfiguration) is NON_COMPLIANT. Fails closed: a read that fails (after retrying
throttling) or an answer whose settings are not JSON booleans is NON_COMPLIANT with the reason, never COMPLIANT.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, Retrier, error_code, handle, shown

APPLICABLE_RESOURCES = ["AWS::::Account"]
RESOURCE_TYPE = "AWS::::Account"
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("s3:GetAccountPublicAccessBlock",)
SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
NOT_CONFIGURED = "NoSuchPublicAccessBlockConfiguration"


def settings_off(configuration: object) -> list[str]:
    """The SETTINGS not on in `configuration`; UnreadableSettings if it is not an object of booleans."""
    if not isinstance(configuration, dict):
        raise UnreadableSettings(f"PublicAccessBlockConfiguration is {shown(configuration)}, expected an object")
    off = []
    for name in SETTINGS:
        value = configuration.get(name, False)  # S3 leaves out a setting that was never set: off
        if not isinstance(value, bool):
            raise UnreadableSettings(f"{name} is {shown(value)}, expected true or false")
        if not value:
            off.append(name)
    return off


class UnreadableSettings(Exception):
    """The account's configuration could not be read or is not in the shape S3 documents."""


def _evaluation(compliance: str, account_id: str, annotation: str) -> Evaluation:
    return Evaluation(compliance, account_id, RESOURCE_TYPE, annotation=annotation)


def _settings_off(s3control: object, account_id: str) -> list[str]:
    try:
        answer = Retrier().call(s3control.get_public_access_block, AccountId=account_id)
    except botocore.exceptions.ClientError as error:
        if error_code(error) == NOT_CONFIGURED:
            return list(SETTINGS)
        raise UnreadableSettings(f"GetPublicAccessBlock failed: {error_code(error)}") from None
    return settings_off(answer.get("PublicAccessBlockConfiguration"))


class S3AccountLevelPublicAccessBlock(ParameterlessRule):
    """NON_COMPLIANT unless all four account-level Block Public Access settings are on."""

    # One resource, the account itself, reported on every run: nothing stale to clean up (see iam_password_policy).
    delete_old_evaluations_on_scheduled_notification = False

    def evaluate_periodic(self, event: dict, client_factory: object, valid_rule_parameters: dict) -> list[Evaluation]:
        account_id = event["accountId"]
        try:
            off = _settings_off(client_factory.build_client("s3control"), account_id)
        except UnreadableSettings as error:
            return [_evaluation(ComplianceType.NON_COMPLIANT, account_id, f"Not evaluated: {error}.")]
        if off:
            annotation = f"Account-level S3 Block Public Access is off for: {', '.join(off)}."
            return [_evaluation(ComplianceType.NON_COMPLIANT, account_id, annotation)]
        annotation = "All four account-level S3 Block Public Access settings are on."
        return [_evaluation(ComplianceType.COMPLIANT, account_id, annotation)]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(S3AccountLevelPublicAccessBlock(), APPLICABLE_RESOURCES, event, context)
