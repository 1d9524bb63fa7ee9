"""Runbook script: stop sharing an SSM document publicly, keeping its shares with named accounts.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
A public document is shared with the account id "all": "If you share a document publicly, you must specify All as
the account ID" (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ModifyDocumentPermission.html).
The runbook removes only that entry (AccountIdsToRemove ["all"]), as AWS's own remediation does: "This action does not
affect accounts explicitly added to the document's share list; it removes only the all entry"
(https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-awssupportremediator-disablepublicaccessonssmdocument.html).
The document itself, its versions and its content are untouched.
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("ssm:DescribeDocumentPermission", "ssm:ModifyDocumentPermission")
# A document name, never an ARN: the document is then always one of this account and Region
# (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html: ^[a-zA-Z0-9_\-.]{3,128}$).
DOCUMENT_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
PUBLIC = "all"


def _name(events: dict) -> str:
    name = events.get("DocumentName")
    if not isinstance(name, str) or not DOCUMENT_NAME.match(name):
        raise ValueError(f"DocumentName must be the name of an SSM document of this account, got {name!r}")
    return name


def _shared_with(ssm: object, name: str) -> list[str]:
    """The account ids (or "all") the document is shared with, sorted."""
    accounts, token = [], None
    while True:
        kwargs = {"Name": name, "PermissionType": "Share", **({"NextToken": token} if token else {})}
        page = ssm.describe_document_permission(**kwargs)
        accounts.extend(page.get("AccountIds") or [])
        token = page.get("NextToken")
        if not token:
            return sorted(accounts)


def _public(accounts: list[str]) -> bool:
    return any(account.lower() == PUBLIC for account in accounts)


def remove_public_sharing(events: dict, context: object) -> dict:
    """Remove the public ("all") share of `events["DocumentName"]` unless it is not public.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    name = _name(events)
    ssm = boto3.client("ssm")
    previous = {"SharedWith": _shared_with(ssm, name)}
    result = {"DocumentName": name, "DryRun": dry_run, "PreviousState": previous}
    if not _public(previous["SharedWith"]):
        message = f"Document {name} is not shared publicly; nothing changed."
        return no_change(result, previous, message)
    target = {"SharedWith": [a for a in previous["SharedWith"] if a.lower() != PUBLIC]}
    kept = ", ".join(target["SharedWith"]) or "none"
    if dry_run:
        message = (
            f"Dry run: would stop sharing document {name} publicly (named accounts kept: {kept}); nothing changed."
        )
        return would_change(result, previous, target, message)
    ssm.modify_document_permission(Name=name, PermissionType="Share", AccountIdsToRemove=[PUBLIC])
    current = {"SharedWith": _shared_with(ssm, name)}
    message = f"Stopped sharing document {name} publicly; named accounts kept: {kept}."
    return changed(result, target, current, message)
