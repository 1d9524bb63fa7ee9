"""AWS Config rule: GuardDuty is enabled in this Region (FSBP GuardDuty.1).

Periodic, account-level but regional: one evaluation of AWS::::Account (resource id: the account id) per Region the
rule is deployed to. GuardDuty is enabled in a Region when the account's detector there is ENABLED ("To start using
GuardDuty, you must create a detector in each Region where you enable the service. You can have only one detector
per account per Region": https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateDetector.html); a
suspended detector's Status is DISABLED. Reads guardduty:ListDetectors and guardduty:GetDetector. Fails closed: a
read that fails (after retrying throttling) or an answer without the expected fields is NON_COMPLIANT with the
reason, never COMPLIANT.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, Retrier, error_code, handle, shown

APPLICABLE_RESOURCES = ["AWS::::Account"]
RESOURCE_TYPE = "AWS::::Account"
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("guardduty:ListDetectors", "guardduty:GetDetector")
ENABLED = "ENABLED"


class Unreadable(Exception):
    """The detectors could not be read; the message says why."""


def _evaluation(compliance: str, account_id: str, annotation: str) -> Evaluation:
    return Evaluation(compliance, account_id, RESOURCE_TYPE, annotation=annotation)


def _call(operation: object, name: str, **kwargs: object) -> dict:
    try:
        return Retrier().call(operation, **kwargs)
    except botocore.exceptions.ClientError as error:
        raise Unreadable(f"{name} failed: {error_code(error)}") from None


def _detector_ids(guardduty: object) -> list[str]:
    """Every detector id in this Region (GuardDuty allows one; all pages are read all the same)."""
    ids: list[str] = []
    token = None
    while True:
        page = _call(guardduty.list_detectors, "ListDetectors", **({"NextToken": token} if token else {}))
        page_ids = page.get("DetectorIds")
        if not isinstance(page_ids, list) or not all(isinstance(i, str) and i for i in page_ids):
            raise Unreadable(f"DetectorIds is {shown(page_ids)}, expected a list of detector ids")
        ids.extend(page_ids)
        token = page.get("NextToken")
        if not token:
            return ids


def _statuses(guardduty: object) -> dict[str, str]:
    """Detector id -> its Status (ENABLED or DISABLED)."""
    statuses = {}
    for detector_id in _detector_ids(guardduty):
        status = _call(guardduty.get_detector, "GetDetector", DetectorId=detector_id).get("Status")
        if status not in (ENABLED, "DISABLED"):
            raise Unreadable(f"detector {detector_id} has Status {shown(status)}, expected ENABLED or DISABLED")
        statuses[detector_id] = status
    return statuses


def _judge(statuses: dict[str, str]) -> tuple[str, str]:
    if not statuses:
        return ComplianceType.NON_COMPLIANT, "GuardDuty is not enabled in this Region: the account has no detector."
    enabled = sorted(d for d, status in statuses.items() if status == ENABLED)
    if enabled:
        return ComplianceType.COMPLIANT, f"GuardDuty is enabled in this Region (detector {enabled[0]})."
    suspended = ", ".join(sorted(statuses))
    return ComplianceType.NON_COMPLIANT, f"GuardDuty is suspended in this Region (detector {suspended} is DISABLED)."


class GuardDutyEnabled(ParameterlessRule):
    """NON_COMPLIANT unless the account's GuardDuty detector in the Region the rule runs in is ENABLED."""

    # One resource, the account itself, reported on every run: nothing stale to clean up (see iam_password_policy).
    delete_old_evaluations_on_scheduled_notification = False

    def evaluate_periodic(self, event: dict, client_factory: object, valid_rule_parameters: dict) -> list[Evaluation]:
        account_id = event["accountId"]
        try:
            statuses = _statuses(client_factory.build_client("guardduty"))
        except Unreadable as error:
            return [_evaluation(ComplianceType.NON_COMPLIANT, account_id, f"Not evaluated: {error}.")]
        compliance, annotation = _judge(statuses)
        return [_evaluation(compliance, account_id, annotation)]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(GuardDutyEnabled(), APPLICABLE_RESOURCES, event, context)
