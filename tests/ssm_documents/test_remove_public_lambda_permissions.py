"""Runbook remove_public_lambda_permissions: removes only the public statements after approval, records them,
grants them again when a removal fails."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.lambda_function.simulation import create_function
from ssm_documents.remove_public_lambda_permissions import script
from tests.conftest import ACCOUNT_ID, REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "remove_public_lambda_permissions" / "events" / "check_function.json"
)
NAME = EVENT["FunctionName"]
INVOKE = "lambda:InvokeFunction"
PUBLIC = {"StatementId": "public-invoke", "Action": INVOKE, "Principal": "*"}
SCOPED = {"StatementId": "events", "Action": INVOKE, "Principal": "events.amazonaws.com", "SourceAccount": ACCOUNT_ID}


def _sids() -> list[str]:
    try:
        policy = json.loads(boto3.client("lambda").get_policy(FunctionName=NAME)["Policy"])
    except ClientError:
        return []
    return sorted(s["Sid"] for s in policy.get("Statement", []))


def _check(**extra: object) -> dict:
    return script.check_function({**EVENT, **extra}, None)


def _remove(check: dict) -> dict:
    return script.remove_public_permissions({"FunctionName": NAME, "ApprovedStatements": check["Statements"]}, None)


def test_removes_only_the_public_statements_and_records_them(aws, api_calls):
    create_function(REGION, NAME, [PUBLIC, SCOPED])
    api_calls.clear()

    check = _check()
    assert api_calls.mutating == []
    result = _remove(check)

    assert _sids() == ["events"]
    assert result["Changed"] is True
    removed = json.loads(result["PreviousState"]["PublicStatements"])
    assert [s["Sid"] for s in removed] == ["public-invoke"] and removed[0]["Principal"] == "*"
    assert result["CurrentState"] == check["PlannedState"] == {"FunctionName": NAME, "PublicStatements": "[]"}
    assert api_calls.mutating == ["RemovePermission"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_the_approval_message_names_the_statements(aws, api_calls):
    create_function(REGION, NAME, [PUBLIC])

    check = _check()

    assert check["WouldChange"] is True and "public-invoke" in check["ApprovalMessage"]


def test_second_run_makes_no_mutating_call(aws, api_calls):
    create_function(REGION, NAME, [PUBLIC])
    _remove(_check())
    api_calls.clear()

    result = _check()

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


@pytest.mark.parametrize("permissions", [[SCOPED], []], ids=["scoped", "no-policy"])
def test_a_function_without_public_statements_is_left_alone(aws, api_calls, permissions):
    create_function(REGION, NAME, permissions)
    before = _sids()
    api_calls.clear()

    result = _check()

    assert result["WouldChange"] is False and _sids() == before
    assert api_calls.mutating == []


def test_statements_changed_since_approval_are_refused(aws, api_calls):
    create_function(REGION, NAME, [PUBLIC])
    check = _check()
    boto3.client("lambda").add_permission(FunctionName=NAME, StatementId="later", Action=INVOKE, Principal="*")
    api_calls.clear()

    with pytest.raises(ValueError, match="changed since approval"):
        _remove(check)
    assert api_calls.mutating == [] and _sids() == ["later", "public-invoke"]


def test_a_failed_removal_is_restored_and_fails(aws, api_calls):
    second = {**PUBLIC, "StatementId": "public-read", "Action": "lambda:GetFunction"}
    create_function(REGION, NAME, [PUBLIC, second])
    check = _check()
    api_calls.fail("RemovePermission", code="AccessDeniedException", after=1)

    with pytest.raises(ClientError, match="AccessDeniedException"):
        _remove(check)
    with pytest.raises(RuntimeError, match="restored: public-invoke"):
        script.restore_permissions({"FunctionName": NAME, "ApprovedStatements": check["Statements"]}, None)

    assert _sids() == ["public-invoke", "public-read"]
    assert _check()["PreviousState"] == check["PreviousState"]


@pytest.mark.parametrize(
    ("statement", "restorable"),
    [
        ({"Sid": "a", "Effect": "Allow", "Principal": "*", "Action": INVOKE}, True),
        (
            {
                "Sid": "url",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "lambda:InvokeFunctionUrl",
                "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
            },
            True,
        ),
        ({"Sid": "b", "Effect": "Allow", "Principal": "*", "Action": [INVOKE, "lambda:GetFunction"]}, False),
        (
            {
                "Sid": "c",
                "Effect": "Allow",
                "Principal": "*",
                "Action": INVOKE,
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
            False,
        ),
    ],
)
def test_only_statements_add_permission_can_grant_again_are_accepted(statement, restorable):
    if restorable:
        arguments = script.add_permission_arguments(statement)
        assert arguments["StatementId"] == statement["Sid"] and arguments["Principal"] == "*"
    else:
        with pytest.raises(ValueError, match="cannot be granted again"):
            script.add_permission_arguments(statement)


def test_aws_error_fails_the_step_and_changes_nothing(aws, api_calls):
    create_function(REGION, NAME, [PUBLIC])
    api_calls.clear()
    api_calls.fail("GetPolicy", code="AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDeniedException"):
        _check()
    assert api_calls.mutating == []


@pytest.mark.parametrize("name", ["arn:aws:lambda:us-east-1:210987654321:function:x", "", None, "a" * 65])
def test_anything_but_a_function_name_is_refused_before_any_call(aws, api_calls, name):
    with pytest.raises(ValueError, match="FunctionName must be"):
        _check(FunctionName=name)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(aws, api_calls):
    create_function(REGION, NAME, [PUBLIC])
    api_calls.clear()

    result = _check(DryRun=True)

    assert api_calls.mutating == [] and _sids() == ["public-invoke"]
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PlannedState"] == {"FunctionName": NAME, "PublicStatements": "[]"}
    assert result["Message"].startswith("Dry run: would remove")


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _check(DryRun="yes")
    assert api_calls.operations == []


def test_a_function_that_is_gone_fails_the_step_rather_than_reading_as_fixed(aws, api_calls):
    # GetPolicy answers ResourceNotFoundException for both; only the no-policy message means "nothing to remove".
    with pytest.raises(ClientError, match="Function not found"):
        _check()
    assert api_calls.mutating == []
