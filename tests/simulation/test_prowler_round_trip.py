"""Proof by a tool no one here wrote: real Prowler finds the seeded problems, its own ASFF goes through
Security Hub, EventBridge, the bridge and the runbooks, and a second Prowler scan passes every check the
catalogue claims to remediate.

Runs the synthesized stack (cdk.out of the `standalone` fixture) against a moto server. Needs
`make prowler-venv`; run with `make e2e`.
"""

from __future__ import annotations

import boto3
import pytest

import resource_types as resources
from catalogue import load_catalogue
from resource_types.arn import MalformedArnError, finding_arn
from simulation.account import EmulatedAccount
from simulation.moto_server import moto_server
from simulation.prowler_scan import check_id, checks_from_catalogue, run_prowler
from simulation.seeds import SeededResource, seed_account
from tests.conftest import REGION

pytestmark = pytest.mark.prowler  # skipped without Prowler, failed in CI (tests/simulation/conftest.py)
CATALOGUE = load_catalogue()


def _failed(findings: list[dict]) -> set[tuple[str, str, str]]:
    """(check id, resource id, account id) of each failed finding."""
    return {
        (check_id(f), f["Resources"][0]["Id"], f["AwsAccountId"])
        for f in findings
        if f["Compliance"]["Status"] == "FAILED"
    }


def _same_resource(resource: SeededResource, arn: str, account: str) -> bool:
    """Whether Prowler's ARN names the seeded resource, as the resource type reads ARNs (the bridge's way, finding_arn):
    Prowler may name one resource by another ARN form than the seed's (an account's settings per service), or, on a
    control of the account, by an AWS-owned resource standing for the finding's account (an AWS managed policy)."""
    kind = resources.get(resource.resource_type)
    try:
        return kind.key(finding_arn(arn, account, resource.resource_type)) == kind.key(resource.arn)
    except MalformedArnError:
        return False


def test_prowler_findings_are_remediated_end_to_end(standalone, tmp_path, monkeypatch):
    checks = checks_from_catalogue()
    with moto_server() as endpoint_url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)
        boto3.setup_default_session()
        account_id = boto3.client("sts").get_caller_identity()["Account"]
        seeded = seed_account([c.id for c in CATALOGUE.controls], account_id, REGION, in_process=True)
        account = EmulatedAccount(standalone[1], region=REGION, endpoint_url=endpoint_url).provision()

        before = run_prowler(endpoint_url, checks, tmp_path / "before")
        failed = _failed(before)
        for resource in seeded:  # Prowler sees every seeded problem first (by at least one of its checks)
            checks_failing = {c for c, arn, acct in failed if _same_resource(resource, arn, acct)}
            covered = checks_failing & set(CATALOGUE.control(resource.control_id).prowler_checks)
            assert bool(covered) is resource.non_compliant, resource

        account.security_hub.import_findings(before)  # Prowler's own ASFF, PASSED ones included
        account.settle()
        check_control = CATALOGUE.prowler_check_map()
        manual = [
            f["Id"]
            for f in before
            if f["Compliance"]["Status"] == "FAILED"
            and not CATALOGUE.control(check_control[check_id(f)]).remediation.automatic
        ]
        account.security_hub.custom_action(manual)  # a person presses "Remediate" for the manual controls
        account.settle()
        waiting = account.ssm.waiting()
        assert waiting, "the destructive runbook waits for a person's approval"
        for execution_id in waiting:  # the person approves the plan the approval request shows
            approver = account.ssm.approval_request(execution_id)["Approvers"][0]
            account.ssm.signal(execution_id, "Approve", approver, "approved by the test, standing in for a person")
        account.settle()

        after = run_prowler(endpoint_url, checks, tmp_path / "after")

        assert _failed(after) == set(), "checks the catalogue claims to remediate still fail"
        assert {check_id(f) for f in after} >= set(checks)
        documents = {d for _i, d, _p in account.ssm.started}
        assert len(documents) == len(CATALOGUE.runbooks), "every runbook ran"
        assert {account.ssm.status(i) for i, _d, _p in account.ssm.started} == {"Success"}
        workflow = {
            f["Workflow"]["Status"]
            for f in account.security_hub.findings().values()
            if f["Compliance"]["Status"] == "FAILED"
        }
        assert workflow == {"RESOLVED"}, "the bridge resolved every finding it remediated"
