"""AWS Config rule: IAM users' active access keys are rotated in time (CIS 1.14, FSBP IAM.3).

Periodic. Lists every IAM user (iam:ListUsers) and each user's access keys (iam:ListAccessKeys), and
reports one evaluation per user on AWS::IAM::User with the user's UserId (AIDA...) as resource id, the
id AWS Config records for IAM users. A user with an Active key older than MaxAccessKeyAge whole days is
NON_COMPLIANT; inactive keys do not count (they cannot authenticate). Users deleted since the last run
are reported NOT_APPLICABLE by rdklib's clean-up of old evaluations
(config:GetComplianceDetailsByConfigRule).
"""

from __future__ import annotations

from datetime import UTC, datetime

import botocore.exceptions
from rdklib import ComplianceType, ConfigRule, Evaluation, Evaluator, InvalidParametersError
from rule_support import reject_unknown_parameters

APPLICABLE_RESOURCES = ["AWS::IAM::User"]
RESOURCE_TYPE = "AWS::IAM::User"
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations). rdklib's clean-up of
# evaluations of deleted users calls config:GetComplianceDetailsByConfigRule.
IAM_ACTIONS = ("iam:ListUsers", "iam:ListAccessKeys", "config:GetComplianceDetailsByConfigRule")
RULE_PARAMETERS = {"MaxAccessKeyAge"}
DEFAULT_MAX_ACCESS_KEY_AGE = 90
MIN_MAX_ACCESS_KEY_AGE = 1
MAX_MAX_ACCESS_KEY_AGE = 3650


def _now() -> datetime:
    """The current time (UTC). A function so tests can move the clock forward."""
    return datetime.now(UTC)


def key_age_days(create_date: datetime, now: datetime) -> int:
    """Whole days elapsed since `create_date` (a key is too old when this exceeds the limit)."""
    if create_date.tzinfo is None:
        create_date = create_date.replace(tzinfo=UTC)
    return (now - create_date).days


def parse_max_access_key_age(value: object) -> int:
    """The MaxAccessKeyAge parameter as an int in 1..3650, or InvalidParametersError."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()) or not MIN_MAX_ACCESS_KEY_AGE <= int(text) <= MAX_MAX_ACCESS_KEY_AGE:
        raise InvalidParametersError(
            f"MaxAccessKeyAge must be a whole number of days from {MIN_MAX_ACCESS_KEY_AGE} to "
            f"{MAX_MAX_ACCESS_KEY_AGE}; got {value!r}."
        )
    return int(text)


def _access_keys(iam: object, user_name: str) -> list[dict] | None:
    """The user's access key metadata, or None if the user was deleted since it was listed."""
    keys: list[dict] = []
    try:
        for page in iam.get_paginator("list_access_keys").paginate(UserName=user_name):
            keys.extend(page["AccessKeyMetadata"])
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchEntity":
            return None
        raise
    return keys


def _evaluate_user(user: dict, keys: list[dict], max_age: int, now: datetime) -> Evaluation:
    old = sorted(
        (key["AccessKeyId"], key_age_days(key["CreateDate"], now))
        for key in keys
        if key["Status"] == "Active" and key_age_days(key["CreateDate"], now) > max_age
    )
    if old:
        described = ", ".join(f"{key_id} ({age} days old)" for key_id, age in old)
        return Evaluation(
            ComplianceType.NON_COMPLIANT,
            resourceId=user["UserId"],
            resourceType=RESOURCE_TYPE,
            annotation=(
                f"User {user['UserName']} has active access key(s) not rotated within {max_age} days: {described}."
            ),
        )
    active = sum(1 for key in keys if key["Status"] == "Active")
    return Evaluation(
        ComplianceType.COMPLIANT,
        resourceId=user["UserId"],
        resourceType=RESOURCE_TYPE,
        annotation=(
            f"User {user['UserName']} has no active access key older than {max_age} days ({active} active key(s))."
        ),
    )


class IamAccessKeyRotation(ConfigRule):
    """NON_COMPLIANT for each IAM user holding an Active access key older than MaxAccessKeyAge days."""

    def evaluate_parameters(self, rule_parameters: dict) -> dict:
        reject_unknown_parameters(rule_parameters, RULE_PARAMETERS)
        return {
            "MaxAccessKeyAge": parse_max_access_key_age(
                rule_parameters.get("MaxAccessKeyAge", str(DEFAULT_MAX_ACCESS_KEY_AGE))
            )
        }

    def evaluate_periodic(self, event: dict, client_factory: object, valid_rule_parameters: dict) -> list[Evaluation]:
        max_age = valid_rule_parameters["MaxAccessKeyAge"]
        iam = client_factory.build_client("iam")
        now = _now()
        evaluations = []
        for page in iam.get_paginator("list_users").paginate():
            for user in page["Users"]:
                keys = _access_keys(iam, user["UserName"])
                if keys is None:
                    # Deleted between the two calls: no evaluation; rdklib's clean-up marks it NOT_APPLICABLE.
                    continue
                evaluations.append(_evaluate_user(user, keys, max_age, now))
        return evaluations


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return Evaluator(IamAccessKeyRotation(), APPLICABLE_RESOURCES).handle(event, context)
