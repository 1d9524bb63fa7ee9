"""Runbook script: enable GuardDuty in this Region (create the detector, or re-enable a suspended one).

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
An account has at most one detector per Region ("You can have only one detector per account per Region":
https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateDetector.html). A suspended detector keeps its
configuration and findings, and UpdateDetector with Enable true resumes it
(https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateDetector.html). In an organization the
delegated administrator suspends and re-enables its members' GuardDuty
(https://docs.aws.amazon.com/guardduty/latest/ug/suspending-guardduty-member-account-from-admin.html): a member's
suspended detector is the administrator's decision, so this runbook refuses it rather than override it.
"""

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, checked_account, no_change, would_change

# Every action this script calls, plus the one GuardDuty needs on the caller's behalf: creating its service-linked
# role on first use (the catalogue's service_actions grant it for that role and service only).
IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "guardduty:ListDetectors",
    "guardduty:GetDetector",
    "guardduty:GetAdministratorAccount",
    "guardduty:CreateDetector",
    "guardduty:UpdateDetector",
    "iam:CreateServiceLinkedRole",
)
ENABLED, DISABLED = "ENABLED", "DISABLED"


def _detector(guardduty: object) -> dict:
    """{"DetectorId": id or None, "Status": ENABLED | DISABLED | None}: the Region's detector, or none."""
    ids = []
    for page in guardduty.get_paginator("list_detectors").paginate():
        ids.extend(page.get("DetectorIds") or [])
    if len(ids) > 1:
        raise ValueError(f"ListDetectors answered {len(ids)} detectors {ids}, GuardDuty allows one; nothing changed")
    if not ids:
        return {"DetectorId": None, "Status": None}
    status = guardduty.get_detector(DetectorId=ids[0]).get("Status")
    if status not in (ENABLED, DISABLED):
        raise ValueError(f"GetDetector answered Status {status!r}, expected ENABLED or DISABLED; nothing changed")
    return {"DetectorId": ids[0], "Status": status}


def _refuse_a_member(guardduty: object, detector_id: str) -> None:
    """Refuse to re-enable the suspended detector of a member account: its administrator manages it."""
    administrator = guardduty.get_administrator_account(DetectorId=detector_id).get("Administrator") or {}
    if administrator.get("AccountId"):
        raise ValueError(
            f"GuardDuty detector {detector_id} is suspended and this account is a GuardDuty member of administrator "
            f"account {administrator['AccountId']} (relationship {administrator.get('RelationshipStatus')}): the "
            "administrator suspends and re-enables its members, so enable it from there; nothing changed"
        )


def _enable(guardduty: object, previous: dict) -> dict:
    """Create the detector (none yet) or re-enable it; the state after, as GuardDuty reports it."""
    detector_id = previous["DetectorId"]
    if detector_id is None:
        detector_id = guardduty.create_detector(Enable=True)["DetectorId"]
    else:
        guardduty.update_detector(DetectorId=detector_id, Enable=True)
    return {"DetectorId": detector_id, "Status": guardduty.get_detector(DetectorId=detector_id).get("Status")}


def enable_guardduty(events: dict, context: object) -> dict:
    """Enable GuardDuty in this Region unless it already is; never deletes or disables anything.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    account_id = checked_account(events)
    guardduty = boto3.client("guardduty")
    region = guardduty.meta.region_name
    previous = _detector(guardduty)
    result = {"AccountId": account_id, "Region": region, "DryRun": dry_run, "PreviousState": previous}
    if previous["Status"] == ENABLED:
        message = f"GuardDuty was already enabled in {region} (detector {previous['DetectorId']}); nothing changed."
        return no_change(result, previous, message)
    if previous["DetectorId"] is not None:
        _refuse_a_member(guardduty, previous["DetectorId"])
    creates = previous["DetectorId"] is None
    plan = "create an enabled detector" if creates else f"re-enable the suspended detector {previous['DetectorId']}"
    target = {"DetectorId": previous["DetectorId"], "Status": ENABLED}
    if dry_run:
        message = f"Dry run: would {plan} in {region}; nothing changed."
        return would_change(result, previous, target, message)
    current = _enable(guardduty, previous)
    done = "created detector" if creates else "re-enabled the suspended detector"
    message = f"Enabled GuardDuty in {region}: {done} {current['DetectorId']}, status {current['Status']}."
    return changed(result, target, current, message)
