"""The outcome shapes runbook steps share (ssm_documents/_support/outcome.py): keys, their order and values.

checked_account is tested through the runbooks that use it (test_enable_ebs_encryption_by_default.py,
test_enable_guardduty.py, test_enable_s3_account_public_access_block.py)."""

from __future__ import annotations

from ssm_documents._support.outcome import changed, no_change, would_change

RESULT = {"TableName": "orders", "DryRun": False, "PreviousState": {"On": False}}
PREVIOUS, TARGET, CURRENT = {"On": False}, {"On": True}, {"On": True, "Since": "now"}


def test_nothing_to_do_plans_and_keeps_the_previous_state():
    outcome = no_change(RESULT, PREVIOUS, "already on")

    assert list(outcome.items()) == [
        *RESULT.items(),
        ("WouldChange", False),
        ("Changed", False),
        ("PlannedState", PREVIOUS),
        ("CurrentState", PREVIOUS),
        ("Message", "already on"),
    ]


def test_a_dry_run_plans_the_target_and_keeps_the_previous_state():
    outcome = would_change(RESULT, PREVIOUS, TARGET, "would turn on")

    assert list(outcome.items()) == [
        *RESULT.items(),
        ("WouldChange", True),
        ("PlannedState", TARGET),
        ("Changed", False),
        ("CurrentState", PREVIOUS),
        ("Message", "would turn on"),
    ]


def test_a_change_reports_the_plan_and_the_state_read_back():
    outcome = changed(RESULT, TARGET, CURRENT, "turned on")

    assert list(outcome.items()) == [
        *RESULT.items(),
        ("WouldChange", True),
        ("PlannedState", TARGET),
        ("Changed", True),
        ("CurrentState", CURRENT),
        ("Message", "turned on"),
    ]
    assert RESULT == {"TableName": "orders", "DryRun": False, "PreviousState": {"On": False}}
