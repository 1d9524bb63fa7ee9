"""Every runbook renders to a schema-valid Automation document; malformed runbooks fail the build."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from catalogue import load_catalogue
from infra.runbooks import RunbookError, render_document, runbook_iam_actions

CATALOGUE = load_catalogue()
RUNBOOKS = sorted(CATALOGUE.runbooks)


@pytest.mark.parametrize("name", RUNBOOKS)
def test_runbook_renders_and_passes_the_schema(name):
    runbook = CATALOGUE.runbooks[name]
    document = render_document(runbook)

    assert document["schemaVersion"] == "0.3"
    assert document["parameters"]["AutomationAssumeRole"]["type"] == "String"
    for parameter, spec in document["parameters"].items():
        if spec["type"] == "String":
            assert spec.get("allowedPattern") or spec.get("allowedValues"), f"{name}.{parameter} is unconstrained"
    assert document["outputs"], f"{name} declares no outputs"


@pytest.mark.parametrize("name", RUNBOOKS)
def test_runbook_role_actions_are_explicit(name):
    actions = runbook_iam_actions(CATALOGUE.runbooks[name])

    assert actions
    assert all(":" in a and "*" not in a for a in actions)


def _variant(mutate):
    runbook = CATALOGUE.runbooks["enable_s3_bucket_public_access_block"]
    document = copy.deepcopy(runbook.document)
    mutate(document)
    return dataclasses.replace(runbook, document=document)


def _step(document):
    return document["mainSteps"][0]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: _step(d).update(action="aws:executeMagic"), "fails the Automation schema"),
        (lambda d: _step(d).update(retries=3), "fails the Automation schema"),
        (lambda d: d.update(extraTopLevel=True), "fails the Automation schema"),
        (lambda d: _step(d)["inputs"].update(Handler="no_such_function"), "is not a function in script.py"),
        (lambda d: _step(d)["inputs"].update(Script="print(1)"), "remove Script/Attachment"),
        (lambda d: _step(d)["inputs"].update(Runtime="python3.8"), "Runtime must be python3.11"),
        (lambda d: d.update(assumeRole="arn:aws:iam::123456789012:role/fixed"), "assumeRole must be"),
    ],
)
def test_malformed_runbook_fails_the_build(mutate, message):
    with pytest.raises(RunbookError, match=message):
        render_document(_variant(mutate))


def test_wildcard_action_is_refused():
    runbook = dataclasses.replace(CATALOGUE.runbooks["enable_s3_bucket_public_access_block"], iam_actions=("s3:Put*",))

    with pytest.raises(RunbookError, match="must be explicit"):
        runbook_iam_actions(runbook)


def test_api_steps_add_their_actions():
    runbook = CATALOGUE.runbooks["encrypt_ebs_volume"]

    assert "ec2:DescribeSnapshots" in runbook_iam_actions(runbook)
