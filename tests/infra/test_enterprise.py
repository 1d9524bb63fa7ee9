"""Organization-wide settings reach every role, log group and taggable resource of every stack."""

from __future__ import annotations

import json

import pytest

from infra.bridge_config import bridge_role_path, check_role_path
from infra.enterprise import context_tags
from tests.conftest import ORGANIZATION_CONTEXT, stack_template, synthesize
from tests.infra.conftest import of_type, synth

KEY = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def hardened(tmp_path_factory):
    template, outdir = synth(
        tmp_path_factory,
        **{
            "remedy:permissionsBoundary": "platform-boundary",
            "remedy:rolePath": "/platform/",
            "remedy:tags": {"cost-centre": "security", "owner": "platform-team"},
            "remedy:logKeyArn": KEY,
            "remedy:bridgeAdministratorAccount": "111122223333",
        },
    )
    return template, outdir


def test_every_role_has_the_boundary_and_a_path(hardened):
    roles = of_type(hardened[0], "AWS::IAM::Role")

    assert roles
    for logical_id, role in roles.items():
        boundary = json.dumps(role["Properties"].get("PermissionsBoundary"))
        assert ":policy/platform-boundary" in boundary, logical_id
        assert role["Properties"].get("Path") in ("/platform/", "/remedy/runbooks/"), logical_id
    paths = {r["Properties"].get("Path") for r in roles.values()}
    assert {"/platform/", "/remedy/runbooks/"} <= paths


def test_every_log_group_uses_the_customer_key(hardened):
    groups = of_type(hardened[0], "AWS::Logs::LogGroup")

    assert groups
    assert all(g["Properties"]["KmsKeyId"] == KEY for g in groups.values())


def test_taggable_resources_carry_the_tags_in_every_nested_stack(hardened):
    for resource_type in ("AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Logs::LogGroup", "AWS::SSM::Document"):
        resources = of_type(hardened[0], resource_type)
        assert resources, resource_type
        for resource in resources.values():
            tags = {t["Key"]: t["Value"] for t in resource["Properties"].get("Tags", [])}
            assert tags.get("cost-centre") == "security", resource_type
    parent = stack_template(hardened[1])
    assert parent["Resources"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": "b"}, {"a": "b"}),
        ('{"a": "b"}', {"a": "b"}),
        ("a=b, c = d", {"a": "b", "c": "d"}),
        (None, {}),
    ],
)
def test_tags_context_forms(value, expected):
    assert context_tags(value) == expected


def test_malformed_tags_are_refused():
    with pytest.raises(ValueError, match="key=value"):
        context_tags("owner")


ROLE_PATH = "/platform/remedy/"


def _statements(template, role_id):
    """Every statement of the inline policies attached to role `role_id`."""
    return [
        statement
        for policy in of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _bridge(template):
    """(bridge function, its role's logical id)."""
    (function,) = [
        f
        for f in of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "prowler_bridge.handler.lambda_handler"
    ]
    return function, function["Properties"]["Role"]["Fn::GetAtt"][0]


def test_organization_roles_are_all_on_the_role_path_or_the_runbook_path(tmp_path_factory):
    outdir = synthesize(tmp_path_factory, **ORGANIZATION_CONTEXT, **{"remedy:rolePath": ROLE_PATH})
    security, member = stack_template(outdir, "RemedySecurity"), stack_template(outdir, "RemedyMember")

    for template in (security, member):  # nested stacks merged in
        roles = of_type(template, "AWS::IAM::Role")
        assert roles
        for logical_id, role in roles.items():
            assert role["Properties"].get("Path") in (ROLE_PATH, "/remedy/runbooks/"), logical_id
    # The bridge role, on the path; it may assume the member roles on the path only, in the organization.
    function, bridge_id = _bridge(security)
    assert security["Resources"][bridge_id]["Properties"]["Path"] == ROLE_PATH
    assert function["Properties"]["Environment"]["Variables"]["MEMBER_ROLE_PATH"] == ROLE_PATH
    (assume,) = [s for s in _statements(security, bridge_id) if s["Action"] == "sts:AssumeRole"]
    assert json.dumps(assume["Resource"]).endswith(f':iam::*:role{ROLE_PATH}remedy-bridge-member-*"]]}}')
    # The member role, on the path, trusting the bridge role by its ARN on the path.
    (member_role,) = [
        r for r in of_type(member, "AWS::IAM::Role").values() if "bridge-member" in json.dumps(r["Properties"])
    ]
    assert member_role["Properties"]["Path"] == ROLE_PATH
    (trust,) = member_role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert json.dumps(trust["Condition"]["ArnLike"]["aws:PrincipalArn"]).endswith(
        f':iam::111111111111:role{ROLE_PATH}remedy-bridge-*"]]}}'
    )


def test_account_list_names_each_member_role_on_the_role_path(tmp_path_factory):
    template, _ = synth(tmp_path_factory, **{"remedy:bridgeAccounts": "210987654321", "remedy:rolePath": ROLE_PATH})

    _function, bridge_id = _bridge(template)
    (assume,) = [s for s in _statements(template, bridge_id) if s["Action"] == "sts:AssumeRole"]
    assert json.dumps(assume["Resource"]).endswith(f':iam::210987654321:role{ROLE_PATH}remedy-bridge-member-*"]]}}')


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("platform/", "must be an IAM path"),
        ("/platform", "must be an IAM path"),
        ("/plat form/", "must be an IAM path"),
        ("/" + "p" * 511 + "/", "must be an IAM path"),
        ("/platform/*/", "must not contain"),
        ("/${aws:PrincipalTag/team}/", "must not contain"),
    ],
)
def test_a_bad_role_path_is_refused_with_its_setting_named(value, message):
    with pytest.raises(ValueError, match=message) as refused:
        check_role_path(value)
    assert "remedy:rolePath" in str(refused.value)


def test_a_bad_role_path_stops_the_synthesis(tmp_path_factory):
    with pytest.raises(ValueError, match="remedy:rolePath must be an IAM path"):
        synth(tmp_path_factory, **{"remedy:rolePath": "platform"})


def test_bridge_and_member_roles_default_to_the_prefix_path():
    assert bridge_role_path("remedy") == "/remedy/"
    assert bridge_role_path("acme", None) == "/acme/"
    assert bridge_role_path("remedy", "/") == "/"
    assert bridge_role_path("remedy", ROLE_PATH) == ROLE_PATH


@pytest.mark.parametrize("value", ["/", "/remedy/", ROLE_PATH, "/a/b+c=d,e.f@g-h_i/", "x", "/x", "/a b/", "/*/", "/$/"])
def test_the_stack_and_the_bridge_accept_the_same_paths(value):
    from prowler_bridge.settings import role_path_problem

    try:
        check_role_path(value)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == (role_path_problem(value) is None)
