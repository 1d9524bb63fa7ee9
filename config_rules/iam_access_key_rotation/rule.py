"""AWS Config rule: IAM users' active access keys are rotated in time (CIS 1.14, FSBP IAM.3).

Periodic. Reads the IAM credential report (iam:GenerateCredentialReport, iam:GetCredentialReport: its
access_key_1_active / access_key_1_last_rotated and access_key_2_* columns,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html) and lists the users
(iam:ListUsers, 1,000 a page) for the UserId (AIDA...) AWS Config records as an IAM user's resource id.
A user with an Active key older than MaxAccessKeyAge whole days is NON_COMPLIANT; inactive keys do not count
(they cannot authenticate). That definition and the parameter's range are compliance.iam_access_key_rotation (this
rule's layer), which the runbook DeactivateUnrotatedIamAccessKeys embeds too.

IAM hands out the same report for four hours after generating it, so the rule confirms every user the
report shows with an old active key, and every user the report does not know (created since), with
iam:ListAccessKeys: a NON_COMPLIANT result names the key ids and reflects the keys as they are now. A user
the rule cannot read (ListAccessKeys still failing after retries) is NON_COMPLIANT with the error in the
annotation; the other users are evaluated. A report that is not ready within REPORT_WAIT_SECONDS, or cannot
be read, fails the invocation (RuleEvaluationError): no user is reported COMPLIANT without data.

Users deleted since the last run are reported NOT_APPLICABLE by rdklib's clean-up of old evaluations
(config:GetComplianceDetailsByConfigRule).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import botocore.exceptions
import rule_support
from compliance.iam_access_key_rotation import INTEGER_PARAMETERS, key_age_days, too_old, unrotated_keys
from rdklib import ComplianceType, ConfigRule, Evaluation, InvalidParametersError
from rule_support import Retrier, RuleEvaluationError, error_code, handle, reject_unknown_parameters, shown

APPLICABLE_RESOURCES = ["AWS::IAM::User"]
RESOURCE_TYPE = "AWS::IAM::User"
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations). rdklib's clean-up of
# evaluations of deleted users calls config:GetComplianceDetailsByConfigRule.
IAM_ACTIONS = (
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListUsers",
    "iam:ListAccessKeys",
    "config:GetComplianceDetailsByConfigRule",
)
RULE_PARAMETERS = {"MaxAccessKeyAge"}
DEFAULT_MAX_ACCESS_KEY_AGE, MIN_MAX_ACCESS_KEY_AGE, MAX_MAX_ACCESS_KEY_AGE = INTEGER_PARAMETERS["MaxAccessKeyAge"]
# ListUsers MaxItems accepts 1..1000 (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html).
LIST_USERS_PAGE_SIZE = 1000
# Waiting for a report being generated: 2, 4, 8, then 16 s between GenerateCredentialReport polls, 120 s in
# all; with rule_support's 60 s retry budget this stays well inside the rule function's 300 s timeout.
REPORT_WAIT_SECONDS = 120
REPORT_FIRST_WAIT_SECONDS = 2
REPORT_LONGEST_WAIT_SECONDS = 16
# GetCredentialReport errors after which the report is generated again (ReportInProgress: still generating).
REPORT_NOT_READY_CODES = ("ReportInProgress", "ReportNotPresent", "ReportExpired")
REPORT_COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_2_active",
    "access_key_2_last_rotated",
)


def _now() -> datetime:
    """The current time (UTC). A function so tests can move the clock forward."""
    return datetime.now(UTC)


def parse_max_access_key_age(value: object) -> int:
    """The MaxAccessKeyAge parameter as an int in its range (1..3650), or InvalidParametersError."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    valid = text.isascii() and text.isdigit() and len(text) <= 4
    if not valid or not MIN_MAX_ACCESS_KEY_AGE <= int(text) <= MAX_MAX_ACCESS_KEY_AGE:
        raise InvalidParametersError(
            f"MaxAccessKeyAge must be a whole number of days from {MIN_MAX_ACCESS_KEY_AGE} to "
            f"{MAX_MAX_ACCESS_KEY_AGE}; got {shown(value)}."
        )
    return int(text)


# The credential report -----------------------------------------------------------------------------------------
def _generated_report(iam: object, retrier: Retrier) -> dict:
    """GetCredentialReport's response once IAM has a report, polling GenerateCredentialReport with bounded waits."""
    waited, wait, state = 0, REPORT_FIRST_WAIT_SECONDS, None
    while True:
        state = retrier.call(iam.generate_credential_report).get("State")
        if state == "COMPLETE":
            try:
                return retrier.call(iam.get_credential_report)
            except botocore.exceptions.ClientError as error:
                if error_code(error) not in REPORT_NOT_READY_CODES:
                    raise
                state = error_code(error)
        if waited + wait > REPORT_WAIT_SECONDS:
            raise RuleEvaluationError(
                f"The IAM credential report was not ready within {REPORT_WAIT_SECONDS} s (last state: {state}); "
                "no user was evaluated."
            )
        rule_support.sleep(wait)
        waited, wait = waited + wait, min(wait * 2, REPORT_LONGEST_WAIT_SECONDS)


def _timestamp(text: object) -> datetime | None:
    """An ISO 8601 date-time of the report (UTC if it names no zone), or None if it is not one."""
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def credential_report(iam: object, retrier: Retrier) -> tuple[dict[str, dict], str]:
    """({user ARN: report row}, when the report was generated); RuleEvaluationError if it cannot be read."""
    response = _generated_report(iam, retrier)
    content = response.get("Content")
    try:
        text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
        reader = csv.DictReader(io.StringIO(text))
        missing = [column for column in REPORT_COLUMNS if column not in (reader.fieldnames or [])]
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        raise RuleEvaluationError(f"The IAM credential report is not readable CSV: {error}.") from None
    if missing:
        raise RuleEvaluationError(f"The IAM credential report lacks column(s) {', '.join(missing)}.")
    generated = response.get("GeneratedTime")
    generated_text = generated.isoformat() if isinstance(generated, datetime) else str(generated)
    return {row["arn"]: row for row in rows if row.get("arn")}, generated_text


def active_key_ages(row: dict, user: dict, now: datetime) -> list[int] | None:
    """Ages in days of the row's active keys; None if the row cannot be trusted for this user (ask IAM)."""
    created = _timestamp(row.get("user_creation_time"))
    user_created = user.get("CreateDate")
    if not isinstance(user_created, datetime) or created is None:
        return None
    if user_created.tzinfo is None:
        user_created = user_created.replace(tzinfo=UTC)
    if created.replace(microsecond=0) != user_created.replace(microsecond=0):
        return None  # a user of the same name created after the report
    ages = []
    for number in (1, 2):
        active = row.get(f"access_key_{number}_active")
        if active == "false":
            continue
        rotated = _timestamp(row.get(f"access_key_{number}_last_rotated"))
        if active != "true" or rotated is None:
            return None
        ages.append(key_age_days(rotated, now))
    return ages


# One user ------------------------------------------------------------------------------------------------------
def _access_keys(iam: object, retrier: Retrier, user_name: str) -> list[dict] | None:
    """The user's access key metadata, or None if the user was deleted since it was listed."""
    keys: list[dict] = []
    marker = None
    while True:
        kwargs = {"UserName": user_name, **({"Marker": marker} if marker else {})}
        try:
            page = retrier.call(iam.list_access_keys, **kwargs)
        except botocore.exceptions.ClientError as error:
            if error_code(error) == "NoSuchEntity":
                return None
            raise
        keys.extend(page["AccessKeyMetadata"])
        marker = page.get("Marker") if page.get("IsTruncated") else None
        if not marker:
            return keys


def _compliant(user: dict, max_age: int, active: int, source: str) -> Evaluation:
    return Evaluation(
        ComplianceType.COMPLIANT,
        resourceId=user["UserId"],
        resourceType=RESOURCE_TYPE,
        annotation=(
            f"User {user['UserName']} has no active access key older than {max_age} days "
            f"({active} active key(s){source})."
        ),
    )


def _evaluate_user(user: dict, keys: list[dict], max_age: int, now: datetime) -> Evaluation:
    old = unrotated_keys(keys, max_age, now)
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
    return _compliant(user, max_age, sum(1 for key in keys if key["Status"] == "Active"), "")


def _unreadable_user(user: dict, error: botocore.exceptions.ClientError) -> Evaluation:
    """NON_COMPLIANT: the user's keys could not be read, so the rule cannot say they are rotated."""
    return Evaluation(
        ComplianceType.NON_COMPLIANT,
        resourceId=user["UserId"],
        resourceType=RESOURCE_TYPE,
        annotation=(
            f"Not evaluated: the access keys of user {user['UserName']} could not be read "
            f"(ListAccessKeys {error_code(error)}); the next run evaluates them again."
        ),
    )


def _users(iam: object, retrier: Retrier) -> list[dict]:
    """Every IAM user, 1,000 per ListUsers call."""
    users, marker = [], None
    while True:
        page = retrier.call(iam.list_users, MaxItems=LIST_USERS_PAGE_SIZE, **({"Marker": marker} if marker else {}))
        users.extend(page["Users"])
        marker = page.get("Marker") if page.get("IsTruncated") else None
        if not marker:
            return users


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
        retrier = Retrier()
        report, generated = credential_report(iam, retrier)
        now = _now()
        evaluations = []
        for user in _users(iam, retrier):
            ages = active_key_ages(report[user["Arn"]], user, now) if user["Arn"] in report else None
            if ages is not None and not any(too_old(age, max_age) for age in ages):
                evaluations.append(_compliant(user, max_age, len(ages), f", IAM credential report of {generated}"))
                continue
            try:
                keys = _access_keys(iam, retrier, user["UserName"])
            except botocore.exceptions.ClientError as error:
                evaluations.append(_unreadable_user(user, error))
                continue
            if keys is not None:  # None: deleted since listed; rdklib's clean-up marks it NOT_APPLICABLE
                evaluations.append(_evaluate_user(user, keys, max_age, now))
        return evaluations


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(IamAccessKeyRotation(), APPLICABLE_RESOURCES, event, context)
