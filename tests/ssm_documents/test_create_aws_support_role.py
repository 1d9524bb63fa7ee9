"""Runbook create_aws_support_role: creates one role only the named principal may assume and attaches
AWSSupportAccess; leaves a compliant account and any role it did not create alone; refuses wildcards and other
accounts' principals; is idempotent; dry run."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from config_rules.iam_support_role_created.demo_seed import POLICY_ARN, ensure_support_policy
from ssm_documents.create_aws_support_role import script
from tests.conftest import ACCOUNT_ID, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "create_aws_support_role"
EVENT = load_example(RUNBOOK / "events" / "create_aws_support_role.json")
PRINCIPAL = f"arn:aws:iam::{ACCOUNT_ID}:role/support-engineers"
ROOT = f"arn:aws:iam::{ACCOUNT_ID}:root"


@pytest.fixture
def iam(aws):
    # moto holds no AWS managed policy unless told to load them all; AWS has AWSSupportAccess in every account.
    ensure_support_policy(ACCOUNT_ID)
    return boto3.client("iam")


def _support_roles(iam) -> list[str]:
    roles = iam.list_entities_for_policy(PolicyArn=POLICY_ARN, EntityFilter="Role")["PolicyRoles"]
    return [role["RoleName"] for role in roles]


def _trust(principal: str) -> dict:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_creates_the_role_only_the_principal_may_assume(iam, api_calls):
    result = script.create_aws_support_role(dict(EVENT), None)

    role = iam.get_role(RoleName="remedy-aws-support")["Role"]
    assert role["AssumeRolePolicyDocument"] == _trust(PRINCIPAL)
    assert role["Path"] == "/"
    assert role["Description"] == script.DESCRIPTION
    assert _support_roles(iam) == ["remedy-aws-support"]
    # Only AWSSupportAccess is attached: the role can do nothing else.
    attached = iam.list_attached_role_policies(RoleName="remedy-aws-support")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [POLICY_ARN]
    assert iam.list_role_policies(RoleName="remedy-aws-support")["PolicyNames"] == []
    assert (result["Changed"], result["WouldChange"]) == (True, True)
    assert result["PreviousState"] == {"SupportRoles": []}
    assert result["PlannedState"] == result["CurrentState"] == {"SupportRoles": ["remedy-aws-support"]}
    assert result["TrustedPrincipalArn"] == PRINCIPAL
    assert result["Message"] == (
        f"Created role remedy-aws-support on path /, assumable by {PRINCIPAL} only, and attached AWSSupportAccess"
        " to it."
    )
    assert api_calls.mutating == ["CreateRole", "AttachRolePolicy"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_name_and_path_are_the_persons_choice(iam, api_calls):
    event = {**EVENT, "RoleName": "cis-support", "RolePath": "/support/team/"}

    script.create_aws_support_role(event, None)

    arn = iam.get_role(RoleName="cis-support")["Role"]["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:role/support/team/cis-support"
    assert _support_roles(iam) == ["cis-support"]


def test_an_empty_principal_means_this_account(iam, api_calls):
    result = script.create_aws_support_role({**EVENT, "TrustedPrincipalArn": ""}, None)

    assert iam.get_role(RoleName="remedy-aws-support")["Role"]["AssumeRolePolicyDocument"] == _trust(ROOT)
    assert result["TrustedPrincipalArn"] == ROOT


@pytest.mark.parametrize(
    ("given", "trusted"),
    [("role/support-engineers", PRINCIPAL), ("user/ops/alice", f"arn:aws:iam::{ACCOUNT_ID}:user/ops/alice")],
)
def test_a_role_or_user_named_alone_is_of_this_account(iam, api_calls, given, trusted):
    # One deployment-wide value (CDK context) names the same role in every account of an organization.
    result = script.create_aws_support_role({**EVENT, "TrustedPrincipalArn": given}, None)

    assert iam.get_role(RoleName="remedy-aws-support")["Role"]["AssumeRolePolicyDocument"] == _trust(trusted)
    assert result["TrustedPrincipalArn"] == trusted


def test_second_run_makes_no_mutating_call(iam, api_calls):
    script.create_aws_support_role(dict(EVENT), None)
    api_calls.clear()

    result = script.create_aws_support_role(dict(EVENT), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert result["PreviousState"] == result["CurrentState"] == result["PlannedState"]
    assert result["Message"] == "AWSSupportAccess is already attached to role(s) remedy-aws-support; nothing changed."
    assert api_calls.mutating == []


def test_an_account_with_a_support_role_is_left_alone(iam, api_calls):
    iam.create_role(RoleName="their-support", AssumeRolePolicyDocument=json.dumps(_trust(ROOT)))
    iam.attach_role_policy(RoleName="their-support", PolicyArn=POLICY_ARN)
    api_calls.clear()

    result = script.create_aws_support_role(dict(EVENT), None)

    assert result["CurrentState"] == {"SupportRoles": ["their-support"]}
    assert api_calls.mutating == []
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName="remedy-aws-support")


@pytest.mark.parametrize(
    ("trust", "path", "description", "differs"),
    [
        (_trust(ROOT), "/", script.DESCRIPTION, "trust policy"),
        (_trust(PRINCIPAL), "/other/", script.DESCRIPTION, "path"),
        (_trust(PRINCIPAL), "/", "someone else's role", "description"),
    ],
)
def test_a_role_it_did_not_create_is_never_changed(iam, api_calls, trust, path, description, differs):
    iam.create_role(
        RoleName="remedy-aws-support", AssumeRolePolicyDocument=json.dumps(trust), Path=path, Description=description
    )
    api_calls.clear()

    refused = f"exists and was not created by this runbook.*{differs} differ.*nothing changed"
    with pytest.raises(ValueError, match=refused):
        script.create_aws_support_role(dict(EVENT), None)

    assert api_calls.mutating == []
    assert iam.list_attached_role_policies(RoleName="remedy-aws-support")["AttachedPolicies"] == []


def test_its_own_role_left_without_the_policy_gets_it(iam, api_calls):
    # A run interrupted between CreateRole and AttachRolePolicy: the next one finishes it, creating nothing.
    iam.create_role(
        RoleName="remedy-aws-support",
        AssumeRolePolicyDocument=json.dumps(_trust(PRINCIPAL)),
        Description=script.DESCRIPTION,
    )
    api_calls.clear()

    result = script.create_aws_support_role(dict(EVENT), None)

    assert _support_roles(iam) == ["remedy-aws-support"]
    assert api_calls.mutating == ["AttachRolePolicy"]
    assert result["Message"] == (
        f"Attached AWSSupportAccess to role remedy-aws-support, which an earlier run created for {PRINCIPAL}."
    )


@pytest.mark.parametrize(
    ("principal", "error"),
    [
        ("*", "must be the ARN of one IAM user or role"),
        ("arn:aws:iam::*:root", "must be the ARN of one IAM user or role"),
        (f"arn:aws:iam::{ACCOUNT_ID}:role/*", "must be the ARN of one IAM user or role"),
        (f"arn:aws:iam::{ACCOUNT_ID}:group/admins", "must be the ARN of one IAM user or role"),
        ("group/admins", "must be the ARN of one IAM user or role"),
        ("role/", "must be the ARN of one IAM user or role"),
        ("arn:aws:iam::210987654321:root", "is not of this account"),
        ("arn:aws:iam::210987654321:user/alice", "is not of this account"),
        (f"arn:aws-cn:iam::{ACCOUNT_ID}:root", "is not of this account"),
    ],
)
def test_a_wildcard_or_another_accounts_principal_is_refused(iam, api_calls, principal, error):
    with pytest.raises(ValueError, match=f"{error}.*nothing changed"):
        script.create_aws_support_role({**EVENT, "TrustedPrincipalArn": principal}, None)

    assert api_calls.mutating == []
    assert _support_roles(iam) == []


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("RoleName", "has space", "RoleName must be"),
        ("RoleName", "x" * 65, "RoleName must be"),
        ("RolePath", "no-slashes", "RolePath must be"),
        ("RolePath", "/a//b/", "RolePath must be"),
        ("RolePath", "/" + "a/" * 256, "RolePath must be"),
        ("DryRun", "maybe", "DryRun must be true or false"),
    ],
)
def test_malformed_parameters_are_refused_before_any_call(aws, api_calls, name, value, error):
    with pytest.raises(ValueError, match=error):
        script.create_aws_support_role({**EVENT, name: value}, None)
    assert api_calls.operations == []


def test_another_account_is_refused_without_any_change(iam, api_calls):
    with pytest.raises(ValueError, match="not the account this runbook runs in"):
        script.create_aws_support_role({**EVENT, "AccountId": "210987654321"}, None)

    assert api_calls.operations == ["GetCallerIdentity"]


def test_aws_error_fails_the_step_and_creates_nothing(iam, api_calls):
    # AWS refuses a trust policy naming a principal that does not exist (moto does not check): the step fails.
    api_calls.fail("CreateRole", code="MalformedPolicyDocument", message="Invalid principal in policy", status=400)

    with pytest.raises(ClientError, match="MalformedPolicyDocument"):
        script.create_aws_support_role(dict(EVENT), None)

    assert _support_roles(iam) == []
    assert api_calls.mutating == ["CreateRole"]


def test_every_page_of_support_roles_is_read(iam, api_calls):
    # moto ignores MaxItems: the pages are answered here, the second one naming a role.
    pages = iter(
        [
            {"PolicyRoles": [], "IsTruncated": True, "Marker": "m1"},
            {"PolicyRoles": [{"RoleName": "late-role", "RoleId": "AROA1"}], "IsTruncated": False},
        ]
    )
    markers = []

    class PagedIam:
        def list_entities_for_policy(self, **kwargs):
            markers.append(kwargs.get("Marker"))
            return next(pages)

    assert script.support_roles(PagedIam(), "aws") == ["late-role"]
    assert markers == [None, "m1"]


@pytest.mark.parametrize("existing", [False, True])
def test_dry_run_returns_the_plan_and_changes_nothing(iam, api_calls, existing):
    if existing:
        iam.create_role(
            RoleName="remedy-aws-support",
            AssumeRolePolicyDocument=json.dumps(_trust(PRINCIPAL)),
            Description=script.DESCRIPTION,
        )
    api_calls.clear()

    result = script.create_aws_support_role({**EVENT, "DryRun": "true"}, None)

    assert api_calls.mutating == []
    assert _support_roles(iam) == []
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"SupportRoles": []}
    assert result["PlannedState"] == {"SupportRoles": ["remedy-aws-support"]}
    assert result["Message"].startswith("Dry run: would ") and result["Message"].endswith("; nothing changed.")
