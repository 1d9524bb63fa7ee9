"""Runbook script: remove the statements of a Lambda function's policy that let anyone use the function.

Embedded into document.yaml's aws:executeScript steps at synth; unit-tested as a module. Which statements are
public is decided as the rule config_rules/lambda_function_not_public decides it (compliance.lambda_function_not_public,
embedded too).

Safety:
- Only the public statements are removed (RemovePermission by statement id); every other statement stays.
- Removing one can break a public endpoint (a function URL with auth type NONE, a webhook called from the internet):
  a person approves the plan first, and the document says which statements go.
- Each removed statement is recorded in PreviousState.PublicStatements and must be one AddPermission can grant
  again exactly (principal "*", one action, conditions limited to lambda:FunctionUrlAuthType and
  lambda:EventSourceToken); a statement it cannot is refused before any change, to be handled by hand. If a removal
  fails, restore_permissions grants the removed statements again (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html).
- The function is named, not given by ARN: the runbook acts in its own account and Region only.
"""

import json
import re

import boto3
import botocore.exceptions
from compliance.lambda_function_not_public import public_statements

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("lambda:GetPolicy", "lambda:RemovePermission", "lambda:AddPermission")
# Same pattern as document.yaml's allowedPattern (resource_types/lambda_function's FUNCTION_NAME).
FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NO_POLICY_MESSAGE = "The resource you requested does not exist."
STATEMENT_KEYS = frozenset({"Sid", "Effect", "Principal", "Action", "Resource", "Condition"})
# Condition keys AddPermission writes, by the AddPermission argument that writes them.
RESTORABLE_CONDITIONS = {
    "lambda:FunctionUrlAuthType": "FunctionUrlAuthType",
    "lambda:EventSourceToken": "EventSourceToken",
}


def _function_name(events: dict) -> str:
    name = events.get("FunctionName")
    if not isinstance(name, str) or not FUNCTION_NAME.match(name):
        raise ValueError(f"FunctionName must be a Lambda function name, got {name!r}")
    return name


def _policy(client: object, name: str) -> dict:
    """The function's policy ({} when it has none). GetPolicy answers ResourceNotFoundException both for a function
    without a policy and for one that is gone (https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html);
    only Lambda's message for the first ("The resource you requested does not exist.") counts as no policy: any
    other not-found (e.g. "Function not found: ...") fails the step, so a vanished function never reads as fixed."""
    try:
        return json.loads(client.get_policy(FunctionName=name)["Policy"])
    except botocore.exceptions.ClientError as error:
        details = error.response.get("Error", {})
        if (details.get("Code"), details.get("Message")) == ("ResourceNotFoundException", NO_POLICY_MESSAGE):
            return {}
        raise


def add_permission_arguments(statement: dict) -> dict:
    """AddPermission's arguments granting `statement` again; ValueError if AddPermission cannot grant it exactly."""
    action = statement.get("Action")
    action = action[0] if isinstance(action, list) and len(action) == 1 else action
    conditions = statement.get("Condition") or {}
    extra = set(statement) - STATEMENT_KEYS
    arguments = {"StatementId": statement.get("Sid"), "Action": action, "Principal": "*"}
    for operator, keys in conditions.items():
        for key, value in (keys or {}).items():
            argument = RESTORABLE_CONDITIONS.get(key)
            if operator != "StringEquals" or argument is None or not isinstance(value, str):
                extra.add(f"Condition {operator} {key}")
            else:
                arguments[argument] = value
    if extra or not isinstance(action, str) or not isinstance(arguments["StatementId"], str):
        raise ValueError(
            f"statement {statement.get('Sid')!r} cannot be granted again by AddPermission exactly "
            f"({', '.join(sorted(extra)) or 'its action or id'}); remove it by hand; nothing changed"
        )
    return arguments


def _state(name: str, statements: list[dict]) -> dict:
    return {"FunctionName": name, "PublicStatements": json.dumps(statements, sort_keys=True)}


def check_function(events: dict, context: object) -> dict:
    """Read-only: the public statements, the plan and the message the approver reads. With DryRun true this is the
    whole run (the document ends after it)."""
    name = _function_name(events)
    dry_run = _dry_run(events)
    public = public_statements(_policy(boto3.client("lambda"), name))
    for statement in public:
        add_permission_arguments(statement)
    previous = _state(name, public)
    result = {"FunctionName": name, "DryRun": dry_run, "Changed": False, "PreviousState": previous}
    if not public:
        message = f"No statement of function {name}'s policy allows public access; nothing changed."
        unchanged = {"PlannedState": previous, "CurrentState": previous, "Statements": "[]", "ApprovalMessage": ""}
        return {**result, **unchanged, "WouldChange": False, "Message": message}
    sids = ", ".join(s["Sid"] for s in public)
    verb = "Dry run: would remove" if dry_run else "Plan: remove"
    approval = (
        f"Remove the public statements {sids} from the policy of Lambda function {name}: "
        f"{json.dumps(public, sort_keys=True)}. Anyone calling the function through them (a function URL with auth "
        "type NONE, a public webhook) is refused from then on. PreviousState.PublicStatements records them."
    )
    return {
        **result,
        "WouldChange": True,
        "PlannedState": _state(name, []),
        "CurrentState": previous,
        "Statements": json.dumps(public, sort_keys=True),
        "ApprovalMessage": approval[:4096],
        "Message": f"{verb} statements {sids} of function {name}; nothing changed yet.",
    }


def _approved(events: dict) -> list[dict]:
    try:
        approved = json.loads(events.get("ApprovedStatements") or "")
    except ValueError:
        approved = None
    if not isinstance(approved, list) or not approved:
        raise ValueError("ApprovedStatements is not the JSON list CheckFunction returned")
    return approved


def remove_public_permissions(events: dict, context: object) -> dict:
    """Remove the approved statements, only if the public statements are still exactly those approved."""
    name, approved = _function_name(events), _approved(events)
    client = boto3.client("lambda")
    current = public_statements(_policy(client, name))
    if json.dumps(current, sort_keys=True) != json.dumps(approved, sort_keys=True):
        raise ValueError(
            f"the public statements of function {name} changed since approval; nothing changed: run the runbook "
            "again for a new plan"
        )
    for statement in approved:
        client.remove_permission(FunctionName=name, StatementId=statement["Sid"])
    sids = ", ".join(s["Sid"] for s in approved)
    return {
        "FunctionName": name,
        "Changed": True,
        "PreviousState": _state(name, approved),
        "CurrentState": _state(name, public_statements(_policy(client, name))),
        "Message": f"Removed statements {sids} of function {name}; PreviousState records them.",
    }


def restore_permissions(events: dict, context: object) -> dict:
    """Only after a failed removal: grant again every approved statement that is gone, then fail the execution."""
    name, approved = _function_name(events), _approved(events)
    client = boto3.client("lambda")
    present = {s.get("Sid") for s in _policy(client, name).get("Statement", [])}
    restored = []
    for statement in approved:
        if statement["Sid"] not in present:
            client.add_permission(FunctionName=name, **add_permission_arguments(statement))
            restored.append(statement["Sid"])
    done = ", ".join(restored) or "nothing was removed"
    raise RuntimeError(f"Removing the public statements of function {name} failed; restored: {done}.")
