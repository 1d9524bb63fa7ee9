"""An organization's deployment: a security-account stack (the bridge) and a member stack (controls)."""

from __future__ import annotations

import json

import pytest

from catalogue import load_catalogue
from infra import limits
from ssm_documents.enable_s3_bucket_kms_encryption.script import ELB_ACCOUNTS
from tests.conftest import stack_template, synthesize
from tests.infra.conftest import of_type

CATALOGUE = load_catalogue()
SECURITY_ACCOUNT = "111122223333"
ORGANIZATION = "o-a1b2c3d4e5"


@pytest.fixture(scope="module")
def organization(tmp_path_factory):
    outdir = synthesize(
        tmp_path_factory,
        **{"remedy:securityAccount": SECURITY_ACCOUNT, "remedy:organizationId": ORGANIZATION},
    )
    return stack_template(outdir, "RemedySecurity"), stack_template(outdir, "RemedyMember"), outdir


def _handlers(template):
    return {r["Properties"]["Handler"] for r in of_type(template, "AWS::Lambda::Function").values()}


def test_security_stack_holds_the_bridge_and_no_control(organization):
    security, _, outdir = organization

    assert _handlers(security) == {"prowler_bridge.handler.lambda_handler", "prowler_bridge.retry.lambda_handler"}
    assert not of_type(security, "AWS::Config::ConfigRule")
    assert not of_type(security, "AWS::SSM::Document")
    assert json.loads((outdir / "manifest.json").read_text())["artifacts"]["RemedySecurity"]["environment"] == (
        f"aws://{SECURITY_ACCOUNT}/unknown-region"
    )


def test_member_stack_holds_every_control_the_member_role_and_forwarding_but_no_bridge(organization):
    _, member, _ = organization

    assert _handlers(member) == {"rule.lambda_handler"}
    rules = {r["Properties"]["ConfigRuleName"] for r in of_type(member, "AWS::Config::ConfigRule").values()}
    assert rules == {f"remedy-{c.id}" for c in CATALOGUE.controls}
    roles = {json.dumps(r["Properties"].get("RoleName")): r for r in of_type(member, "AWS::IAM::Role").values()}
    (member_role,) = [role for name, role in roles.items() if "remedy-bridge-member-" in name]
    assert member_role["Properties"]["Path"] == "/remedy/"  # no remedy:rolePath: /<prefix>/
    targets = [t for r in of_type(member, "AWS::Events::Rule").values() for t in r["Properties"]["Targets"]]
    assert [json.dumps(t["Arn"]) for t in targets] == [
        json.dumps(
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":events:",
                        {"Ref": "AWS::Region"},
                        f":{SECURITY_ACCOUNT}:event-bus/default",
                    ],
                ]
            }
        )
    ]


def test_nothing_grows_with_the_number_of_member_accounts(organization):
    security, member, outdir = organization

    # Trust is by organization: no account id but the security account's appears in either template.
    for template in (security, member):
        text = json.dumps(template)
        assert ORGANIZATION in text or SECURITY_ACCOUNT in text
        # AWS's own ELB log-delivery accounts (a runbook names them) are no member accounts.
        assert not [a for a in _account_ids(text) - set(ELB_ACCOUNTS) if a != SECURITY_ACCOUNT]
    assert not limits.check([outdir]).failures


def _account_ids(text):
    import re

    # Bounded by neither digits nor letters: a run of 12 digits inside a hex asset hash is no account id.
    return set(re.findall(r"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])", text))
