"""Organization-wide settings reach every role, log group and taggable resource of every stack."""

from __future__ import annotations

import json

import pytest

from infra.enterprise import context_tags
from tests.conftest import stack_template
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
        assert role["Properties"].get("Path") or "RoleName" in role["Properties"], logical_id
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
