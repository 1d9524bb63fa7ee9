"""Runbook disable_ssm_document_public_sharing: ends public sharing, keeps named accounts, is idempotent.

moto differs from AWS here: it keeps "all" and named accounts mutually exclusive (adding accounts drops "all", adding
"all" drops the accounts) and its AccountIdsToRemove ["all"] clears every share. AWS keeps both kinds side by side
and removes only the "all" entry ("This action does not affect accounts explicitly added to the document's share
list": https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-awssupportremediator-disablepublicaccessonssmdocument.html),
so the mixed case is shown by the request the runbook sends.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.ssm_document.simulation import create_document
from ssm_documents.disable_ssm_document_public_sharing import script
from tests.conftest import REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "disable_ssm_document_public_sharing" / "events" / "remove_public_sharing.json"
)
DOCUMENT = EVENT["DocumentName"]
PARTNER = "111122223333"


def _body(params: object) -> dict:
    """A request's parameters (SSM speaks JSON: botocore holds the serialized body)."""
    return json.loads(params) if isinstance(params, bytes | str) else params


def _shared_with(name: str = DOCUMENT) -> list[str]:
    return boto3.client("ssm").describe_document_permission(Name=name, PermissionType="Share")["AccountIds"]


def _run(**extra: object) -> dict:
    return script.remove_public_sharing({**EVENT, **extra}, None)


@pytest.fixture
def document(aws, api_calls):
    """Make the example's document (or another) shared with the accounts given; the recorder is cleared after."""

    def make(accounts: list[str], name: str = DOCUMENT) -> None:
        create_document(REGION, name, accounts)
        api_calls.clear()

    return make


def test_ends_public_sharing(document, api_calls):
    document(["all"])

    result = _run()

    assert _shared_with() == []
    assert result["Changed"] is True
    assert result["PreviousState"] == {"SharedWith": ["all"]}
    assert result["CurrentState"] == result["PlannedState"] == {"SharedWith": []}
    assert api_calls.mutating == ["ModifyDocumentPermission"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_removes_only_the_public_entry_and_keeps_named_accounts(document, api_calls):
    document(["all"])
    api_calls.respond("DescribeDocumentPermission", {"AccountIds": ["all", PARTNER]})

    result = _run()

    modify = next(_body(c.params) for c in api_calls.calls if c.operation == "ModifyDocumentPermission")
    assert modify == {"Name": DOCUMENT, "PermissionType": "Share", "AccountIdsToRemove": ["all"]}
    assert result["PreviousState"] == {"SharedWith": [PARTNER, "all"]}
    assert result["PlannedState"] == {"SharedWith": [PARTNER]}
    assert f"named accounts kept: {PARTNER}" in result["Message"]


def test_only_the_named_document_changes(document, api_calls):
    document(["all"])
    document(["all"], name="Payments-Other")

    _run()

    assert _shared_with() == []
    assert _shared_with("Payments-Other") == ["all"]


def test_second_run_makes_no_mutating_call(document, api_calls):
    document(["all"])
    _run()
    api_calls.clear()

    result = _run()

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


@pytest.mark.parametrize("accounts", [[], [PARTNER]])
def test_a_document_that_is_not_public_is_left_alone(document, api_calls, accounts):
    document(accounts)

    result = _run()

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == {"SharedWith": accounts}
    assert _shared_with() == accounts
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(document, api_calls):
    document(["all"])
    api_calls.fail("ModifyDocumentPermission", code="AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDeniedException"):
        _run()
    assert _shared_with() == ["all"]


def test_missing_document_fails_without_any_change(aws, api_calls):
    with pytest.raises(ClientError, match="InvalidDocument"):
        _run()
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    "name", [None, "", "ab", "arn:aws:ssm:us-east-1:210987654321:document/Payments", "Payments Diagnostics"]
)
def test_anything_but_a_document_name_is_refused_before_any_call(aws, api_calls, name):
    with pytest.raises(ValueError, match="DocumentName must be the name of an SSM document"):
        _run(DocumentName=name)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(document, api_calls):
    document(["all"])

    result = _run(DryRun=True)

    assert api_calls.mutating == []
    assert _shared_with() == ["all"]
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"SharedWith": ["all"]}
    assert result["PlannedState"] == {"SharedWith": []}
    assert result["Message"] == (
        f"Dry run: would stop sharing document {DOCUMENT} publicly (named accounts kept: none); nothing changed."
    )
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run(DryRun="yes")
    assert api_calls.operations == []
