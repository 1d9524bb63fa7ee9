"""`remedy scan --format asff` and `remedy plan` against an emulated account (moto, in process) seeded with every
catalogue control's demo resources: findings Security Hub accepts, and plans that read only."""

from __future__ import annotations

import json

import boto3
import botocore.session
import pytest

import resource_types
from catalogue import load_catalogue
from remedy_cli import aws, plan
from remedy_cli.main import main
from simulation.seeds import seed_account
from tests.aws_calls import ApiCallRecorder
from tests.conftest import ACCOUNT_ID, REGION

CATALOGUE = load_catalogue()
SECURITY_HUB = botocore.session.get_session().get_service_model("securityhub")
# BatchImportFindings takes at most 100 findings per call:
# https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html
IMPORT_BATCH = 100


@pytest.fixture(scope="module")
def seeded():
    """Every control's demo resources in an in-process moto account (left unchanged by the tests before the last)."""
    from moto import mock_aws

    with mock_aws():
        boto3.setup_default_session()
        yield seed_account([c.id for c in CATALOGUE.controls], ACCOUNT_ID, REGION, in_process=True)
        boto3.setup_default_session()


def _recording_session(recorded: ApiCallRecorder):
    """A replacement for aws.new_session whose sessions record every call they send (after the read-only guard)."""

    def recorded_session(**kwargs):
        session = aws._ScanSession(**kwargs)
        session.events.register("before-call", recorded._before_call)
        return session

    return recorded_session


@pytest.fixture
def recorder(monkeypatch):
    """Records every call the command's sessions send (registered after the read-only guard)."""
    recorded = ApiCallRecorder()
    monkeypatch.setattr(aws, "new_session", _recording_session(recorded))
    return recorded


def _command(tmp_path, command: str, output_format: str, *extra: str) -> tuple[int, list]:
    out = tmp_path / f"{command}.json"
    status = main([command, "--region", REGION, "--format", output_format, "-o", str(out), *extra])
    return status, json.loads(out.read_text())


def _non_compliant(seeds) -> set[tuple[str, str]]:
    return {(s.control_id, s.resource_id) for s in seeds if s.non_compliant}


def _found_non_compliant(tmp_path, seeds) -> set[tuple[str, str]]:
    """(control, resource id) of every resource `remedy scan` finds non-compliant: the seeds' non-compliant ones and
    any a seed made on the side that a rule judges too (a new VPC's default security group, moto's stand-ins for
    AWS managed keys; tests/remedy_cli/test_scan.py holds the seeds to their verdicts). The plan plans each."""
    status, results = _command(tmp_path, "scan", "json")
    assert status == 0
    found = {(r["control"], r["resource_id"]) for r in results if r["compliance"] == "NON_COMPLIANT"}
    assert found >= _non_compliant(seeds)
    return found


def _missing(value: dict, shape_name: str) -> list[str]:
    """The members the botocore model requires of `shape_name` that `value` lacks."""
    return [name for name in SECURITY_HUB.shape_for(shape_name).required_members if name not in value]


# --- ASFF ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def findings(seeded, tmp_path_factory):
    status, found = _command(tmp_path_factory.mktemp("asff"), "scan", "asff")
    assert status == 0
    return found


def test_every_finding_has_the_fields_security_hub_requires(findings):
    assert findings
    for finding in findings:
        assert _missing(finding, "AwsSecurityFinding") == [], finding["Id"]
        assert _missing(finding["Severity"], "Severity") == []
        assert all(_missing(resource, "Resource") == [] for resource in finding["Resources"])
        assert finding["SchemaVersion"] == "2018-10-08"
        assert finding["ProductArn"] == f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default"
        assert finding["AwsAccountId"] == ACCOUNT_ID
        assert finding["Compliance"]["Status"] in SECURITY_HUB.shape_for("ComplianceStatus").enum
        assert finding["Severity"]["Label"] in SECURITY_HUB.shape_for("SeverityLabel").enum
    assert len({f["Id"] for f in findings}) == len(findings)


def test_findings_name_each_control_its_severity_and_each_seeded_resource_by_arn(seeded, findings):
    by_control_and_arn = {(f["ProductFields"]["remedy/ControlId"], f["Resources"][0]["Id"]): f for f in findings}
    for seed in seeded:
        control = CATALOGUE.control(seed.control_id)
        finding = by_control_and_arn[(seed.control_id, seed.arn)]
        assert finding["Compliance"]["Status"] == ("FAILED" if seed.non_compliant else "PASSED")
        assert finding["Severity"]["Label"] == control.severity
        assert finding["Title"] == control.title
        assert finding["Resources"][0]["Type"] == resource_types.get(seed.resource_type).asff_type
        assert finding["Resources"][0]["Region"] == REGION
        assert finding["ProductFields"]["remedy/ConfigResourceId"] == seed.resource_id


def test_security_hub_imports_every_finding(findings):
    hub = boto3.client("securityhub", region_name=REGION)
    hub.enable_security_hub()
    imported = 0
    for start in range(0, len(findings), IMPORT_BATCH):
        response = hub.batch_import_findings(Findings=findings[start : start + IMPORT_BATCH])
        assert response["FailedCount"] == 0, response["FailedFindings"]
        imported += response["SuccessCount"]

    assert imported == len(findings)
    stored = {f["Id"] for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]}
    assert stored >= {f["Id"] for f in findings}


# --- plan ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planned(seeded, tmp_path_factory):
    """(what the scan finds non-compliant, `remedy plan --format json`'s plans, the operations the plan sent)."""
    tmp_path = tmp_path_factory.mktemp("plan")
    expected = _found_non_compliant(tmp_path, seeded)
    recorded = ApiCallRecorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws, "new_session", _recording_session(recorded))
        status, plans = _command(tmp_path, "plan", "json")
    return expected, status, plans, recorded


def test_plan_shows_each_non_compliant_resource_s_planned_change_and_sends_only_reads(planned):
    expected, status, plans, recorder = planned

    assert status == 0
    assert {(p["control"], p["resource_id"]) for p in plans} == expected
    for found in plans:
        assert found["status"] == "Success", found
        planned_steps = [step for step in found["steps"] if "PlannedState" in step]
        assert planned_steps and all(step["Message"] and step["WouldChange"] for step in planned_steps), found
    # Every call sent reads (IAM's GenerateCredentialReport builds the report the access key rule reads).
    assert "StartAutomationExecution" not in recorder.operations
    assert [op for op in recorder.mutating if op != "GenerateCredentialReport"] == []


def test_plan_lists_the_approval_and_change_steps_it_did_not_run(planned):
    _expected, _status, plans, _recorder = planned

    for found in plans:
        document = CATALOGUE.runbooks[found["runbook"]].document
        ran = {step["step"] for step in found["steps"]}
        not_run = {entry["step"]: entry for entry in found["not_run"]}
        assert set(not_run) == {step["name"] for step in document["mainSteps"]} - ran
        for step in document["mainSteps"]:
            if step["action"] == plan.APPROVE_ACTION:
                assert "needs a person" in not_run[step["name"]]["reason"]


def test_plan_text_names_the_runbook_and_its_plan(seeded, tmp_path, capsys):
    status = main(["plan", "--region", REGION, "--controls", CATALOGUE.controls[0].id])

    text = capsys.readouterr().out
    assert status == 0
    control = CATALOGUE.controls[0]
    expected = {rid for cid, rid in _non_compliant(seeded) if cid == control.id}
    assert expected and all(rid in text for rid in expected)
    assert f"runbook {control.remediation.runbook}" in text
    assert "PlannedState:" in text


def test_a_runbook_that_tries_to_change_in_a_plan_is_refused_before_the_call_is_sent(
    seeded, recorder, tmp_path, monkeypatch
):
    """A runbook ignoring DryRun (here: DryRun false) cannot change anything: its write is refused, unsent."""
    real_parameters = plan.Planner.parameters

    def without_dry_run(self, control, region, resource_id):
        return real_parameters(self, control, region, resource_id) | {"DryRun": ["false"]}

    # The guard is the session's, not a runbook's: the first few controls show it (the whole catalogue costs minutes).
    chosen = [c.id for c in CATALOGUE.controls[:4]]
    few = ["--controls", ",".join(chosen)]
    expected = {(c, r) for c, r in _found_non_compliant(tmp_path, seeded) if c in chosen}
    monkeypatch.setattr(plan.Planner, "parameters", without_dry_run)

    status, plans = _command(tmp_path, "plan", "json", *few)

    assert status == 1
    refused = [p for p in plans if "refused: remedy plan only reads" in json.dumps(p["steps"])]
    assert refused, plans
    assert all(p["status"] != "Success" for p in refused)
    assert [op for op in recorder.mutating if op != "GenerateCredentialReport"] == []
    monkeypatch.undo()
    _status, again = _command(tmp_path, "plan", "json", *few)
    assert {(p["control"], p["resource_id"]) for p in again} == expected  # nothing was fixed
