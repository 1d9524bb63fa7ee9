"""`remedy remediate` against an emulated account (moto, in process). moto has no SSM Automation executions: the
session answers StartAutomationExecution and GetAutomationExecution by running the deployed (rendered) document in
remedy_cli.automation, so the runbook really changes the emulated resource."""

from __future__ import annotations

import functools
import io
import json

import pytest

from catalogue import load_catalogue
from infra.bridge_config import runbook_role_name_template, runbook_role_path
from infra.config_resources import remediation_properties
from infra.runbooks import approval_defaults, document_name, guard_target, render_document
from remedy_cli import aws as remedy_aws
from remedy_cli.automation import SsmAutomation
from remedy_cli.main import main
from simulation.seeds import SEEDS, seed_account
from tests.aws_calls import ApiCallRecorder
from tests.config_records import answer_config_history
from tests.conftest import ACCOUNT_ID, REGION

CATALOGUE = load_catalogue()
PREFIX = "remedy"  # the CDK app's default remedy:resourcePrefix
# One control per runbook (the CIS section 4 controls share one): what differs between a runbook's controls is the
# remediation configuration's values, which _expected_parameters derives for each the same way.
FIRST_OF_EACH_RUNBOOK: dict[str, object] = {}
for _control in CATALOGUE.controls:
    if _control.id in SEEDS:
        FIRST_OF_EACH_RUNBOOK.setdefault(_control.remediation.runbook, _control)
SEEDED_CONTROLS = list(FIRST_OF_EACH_RUNBOOK.values())


@functools.cache
def _deployed_documents() -> dict[str, dict]:
    """document name -> every runbook rendered as the CDK app deploys it (once per test module: rendering is slow)."""
    approval = approval_defaults(None, None, prefix=PREFIX, partition="aws", account=ACCOUNT_ID, region=REGION)
    return {
        document_name(PREFIX, runbook): render_document(
            runbook, approval, target=guard_target(CATALOGUE, runbook), prefix=PREFIX
        )
        for runbook in CATALOGUE.runbooks.values()
    }


class Ssm:
    """SSM Automation for the test: the deployed documents, run in process; every start request kept."""

    def __init__(self) -> None:
        self.automation = SsmAutomation(approve=lambda _step, _inputs: True)  # a person approves at once
        for name, document in _deployed_documents().items():
            self.automation.register(name, document)
        self.started: list[dict] = []

    def before_call(self, model, params, **_kwargs):
        if model.service_model.service_name != "ssm":
            return None
        body = remedy_aws._request_body(params)
        if model.name == "StartAutomationExecution":
            self.started.append(body)
            execution_id = self.automation.start_automation_execution(
                DocumentName=body["DocumentName"], Parameters=body["Parameters"]
            )
            return remedy_aws._response({"AutomationExecutionId": execution_id})
        if model.name == "GetAutomationExecution":
            return remedy_aws._response(self.automation.get_automation_execution(**body))
        return None


@pytest.fixture
def ssm(aws, monkeypatch):
    """Every session the command opens answers SSM Automation as Ssm does, and records what it sends."""
    emulated, recorder = Ssm(), ApiCallRecorder()
    answer_config_history(monkeypatch)  # the deployed guard step reads the resource's tags from AWS Config

    def session(**kwargs):
        made = remedy_aws._ScanSession(**kwargs)
        made.events.register_first("before-call", emulated.before_call)
        made.events.register("before-call", recorder._before_call)
        return made

    monkeypatch.setattr(remedy_aws, "new_session", session)
    emulated.recorder = recorder
    return emulated


def _seeded_non_compliant(control) -> str:
    seeded = seed_account([control.id], ACCOUNT_ID, REGION, in_process=True)
    return next(s.resource_id for s in seeded if s.control_id == control.id and s.non_compliant)


def _expected_parameters(control, resource_id: str) -> dict[str, list[str]]:
    """The remediation configuration's parameters as the CDK app writes them, for this resource, Trigger manual."""
    runbook = CATALOGUE.runbooks[control.remediation.runbook]
    role = runbook_role_name_template(PREFIX, runbook.document_stem).format(region=REGION)
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role{runbook_role_path(PREFIX)}{role}"
    configured = remediation_properties(control, runbook, PREFIX, role_arn)["Parameters"]
    filled = {
        name: [resource_id] if "ResourceValue" in value else value["StaticValue"]["Values"]
        for name, value in configured.items()
    }
    return filled | {"Trigger": ["manual"]}


def _non_compliant_now(control, tmp_path) -> set[str]:
    out = tmp_path / "after.json"
    assert main(["scan", "--region", REGION, "--controls", control.id, "--format", "json", "-o", str(out)]) == 0
    return {r["resource_id"] for r in json.loads(out.read_text()) if r["compliance"] == "NON_COMPLIANT"}


@pytest.mark.parametrize("control", SEEDED_CONTROLS, ids=lambda c: c.id)
def test_remediate_starts_the_deployed_runbook_with_the_remediation_parameters_and_fixes(
    control, ssm, tmp_path, capsys
):
    resource_id = _seeded_non_compliant(control)
    runbook = CATALOGUE.runbooks[control.remediation.runbook]

    status = main(["remediate", "--control", control.id, "--resource", resource_id, "--region", REGION, "--yes",
                   "--poll-seconds", "0"])  # fmt: skip

    out = capsys.readouterr().out
    assert status == 0, out
    assert [(s["DocumentName"], s["Parameters"]) for s in ssm.started] == [
        (document_name(PREFIX, runbook), _expected_parameters(control, resource_id))
    ]
    assert ssm.started[0]["ClientToken"]
    assert "PlannedState:" in out  # the plan came first
    assert ": Success" in out.split("Execution ", 1)[1]
    assert "PreviousState:" in out.split("Execution ", 1)[1]
    assert resource_id not in _non_compliant_now(control, tmp_path)


def test_without_yes_and_without_a_terminal_it_refuses_and_starts_nothing(ssm, tmp_path, capsys, monkeypatch):
    control = SEEDED_CONTROLS[0]
    resource_id = _seeded_non_compliant(control)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    status = main(["remediate", "--control", control.id, "--resource", resource_id, "--region", REGION])

    assert status == 2
    assert "--yes" in capsys.readouterr().err
    assert ssm.started == []
    assert "StartAutomationExecution" not in ssm.recorder.operations
    assert resource_id in _non_compliant_now(control, tmp_path)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "starts"), [("n\n", False), ("y\n", True)])
def test_on_a_terminal_it_starts_only_when_the_person_says_yes(answer, starts, ssm, capsys, monkeypatch):
    control = SEEDED_CONTROLS[0]
    resource_id = _seeded_non_compliant(control)
    monkeypatch.setattr("sys.stdin", _Terminal(answer))

    status = main(["remediate", "--control", control.id, "--resource", resource_id, "--region", REGION,
                   "--poll-seconds", "0"])  # fmt: skip

    assert status == (0 if starts else 2)
    assert len(ssm.started) == (1 if starts else 0)


def test_an_unknown_control_is_a_usage_error(ssm, capsys):
    assert main(["remediate", "--control", "no-such-control", "--resource", "x", "--region", REGION]) == 2
    assert "unknown control" in capsys.readouterr().err
    assert ssm.started == []
