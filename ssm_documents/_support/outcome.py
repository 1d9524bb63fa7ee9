"""A remediation step's outcome, shared by the runbook scripts; the build inlines what a handler uses.

A step that changes one setting returns its `result` (what it acted on, DryRun, PreviousState) followed by
WouldChange, PlannedState, Changed, CurrentState and Message, in one of three shapes: nothing to do, the plan of
a dry run, or the change made. checked_account is the check of runbooks whose setting belongs to an account.
"""

import re

import boto3

ACCOUNT_ID = re.compile(r"^\d{12}$")


def no_change(result: dict, previous: dict, message: str) -> dict:
    """Nothing to do: the resource already complies, so the plan and the current state are the previous one."""
    states = {"PlannedState": previous, "CurrentState": previous, "Message": message}
    return {**result, "WouldChange": False, "Changed": False, **states}


def would_change(result: dict, previous: dict, target: dict, message: str) -> dict:
    """The dry run's plan: `target` planned, nothing changed (the current state is the previous one)."""
    plan = {"WouldChange": True, "PlannedState": target}
    return {**result, **plan, "Changed": False, "CurrentState": previous, "Message": message}


def changed(result: dict, target: dict, current: dict, message: str) -> dict:
    """The change made: `target` was planned; `current` is the state read back (or answered) after the change."""
    plan = {"WouldChange": True, "PlannedState": target}
    return {**result, **plan, "Changed": True, "CurrentState": current, "Message": message}


def checked_account(events: dict) -> str:
    """AccountId, refused unless it is the account the runbook runs in (the setting belongs to one account)."""
    account_id = events.get("AccountId")
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        raise ValueError(f"AccountId must be a 12-digit AWS account id, got {account_id!r}")
    caller_account = boto3.client("sts").get_caller_identity()["Account"]
    if account_id != caller_account:
        raise ValueError(
            f"AccountId {account_id} is not the account this runbook runs in ({caller_account}); nothing changed"
        )
    return account_id
