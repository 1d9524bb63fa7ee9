"""Findings that name an AWS-owned resource (an AWS managed policy, account field "aws", no region) instead of the
audited account, as Prowler's iam_support_role_created does: on a control of the account the resource stands for
the finding's own account; on any other control, and in any other shape, the ARN is malformed."""

from __future__ import annotations

import pytest

from prowler_bridge import handler
from resource_types.arn import ACCOUNT_CONFIG_TYPE
from tests.conftest import ACCOUNT_ID
from tests.prowler_bridge import asff
from tests.prowler_bridge.catalogue_ids import CATALOGUE
from tests.prowler_bridge.conftest import automation_starts, decisions

SUPPORT_CHECK = "iam_support_role_created"
SUPPORT_POLICY = "arn:aws:iam::aws:policy/AWSSupportAccess"
CONTROL = CATALOGUE.control(CATALOGUE.prowler_check_map()[SUPPORT_CHECK])
CHECKS = (*CONTROL.prowler_checks, *CONTROL.prowler_legacy_checks)
# The runbook parameter the catalogue fills with the resource id (the account id, on a control of the account).
(RESOURCE_PARAMETER,) = [name for name, source in CONTROL.remediation.parameters.items() if source.kind == "resource"]
# A control on another resource type, and one of its Prowler checks.
OTHER_CONTROL = next(c for c in CATALOGUE.controls if c.resource_type != ACCOUNT_CONFIG_TYPE and c.prowler_checks)


def test_the_control_is_on_the_account():
    assert CONTROL.resource_type == ACCOUNT_CONFIG_TYPE
    assert OTHER_CONTROL.resource_type != ACCOUNT_CONFIG_TYPE


@pytest.mark.parametrize("check_id", CHECKS)
def test_aws_managed_policy_on_an_account_control_starts_the_run_on_the_findings_account(bridge, capsys, check_id):
    finding = asff.prowler_finding(check_id, SUPPORT_POLICY)
    handler.lambda_handler(asff.custom_action_event(finding), None)

    (start,) = automation_starts(bridge.calls)
    assert start["DocumentName"] == bridge.config["controls"][CONTROL.id]["document"]
    assert start["Parameters"][RESOURCE_PARAMETER] == [ACCOUNT_ID]
    (line,) = decisions(capsys)
    assert (line["decision"], line["control"], line["account"]) == ("started", CONTROL.id, ACCOUNT_ID)


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_aws_managed_policy_resolves_to_the_findings_own_account(bridge, capsys, monkeypatch, partition):
    """Another member account's finding on import: it passes the resource checks as that account (only the opt-out
    of a manual control stops it), whatever the partition in the policy's ARN."""
    monkeypatch.setenv("ALLOWED_ACCOUNTS", f"{ACCOUNT_ID},{asff.OTHER_ACCOUNT_ID}")
    policy = SUPPORT_POLICY.replace("arn:aws:", f"arn:{partition}:")
    finding = asff.prowler_finding(SUPPORT_CHECK, policy, account=asff.OTHER_ACCOUNT_ID)
    handler.lambda_handler(asff.imported_event(finding), None)

    assert bridge.calls.mutating == []
    (line,) = decisions(capsys)
    expected = "partition_mismatch" if partition != "aws" else "automatic_off"
    assert (line["decision"], line["reason"], line["account"]) == ("skipped", expected, asff.OTHER_ACCOUNT_ID)


MALFORMED = {
    "the policy ARN on a control of another type": (OTHER_CONTROL.prowler_checks[0], SUPPORT_POLICY),
    "account aws with a region": (SUPPORT_CHECK, "arn:aws:iam:us-east-1:aws:policy/AWSSupportAccess"),
    "account awss": (SUPPORT_CHECK, "arn:aws:iam::awss:policy/AWSSupportAccess"),
    "account AWS": (SUPPORT_CHECK, "arn:aws:iam::AWS:policy/AWSSupportAccess"),
    "account aws, no resource": (SUPPORT_CHECK, "arn:aws:iam::aws:"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_other_non_numeric_accounts_stay_malformed(bridge, capsys, case):
    check_id, resource_id = MALFORMED[case]
    handler.lambda_handler(asff.custom_action_event(asff.prowler_finding(check_id, resource_id)), None)

    assert bridge.calls.mutating == []
    assert "StartAutomationExecution" not in bridge.calls.operations
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", "malformed_arn")
