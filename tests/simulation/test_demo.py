"""`make demo`: on a fresh emulated account the loop ends with nothing left to fix, and both reports are written."""

from __future__ import annotations

import json
from collections import Counter

import pytest

import resource_types
from catalogue import load_catalogue
from simulation import demo
from simulation.seeds import SEEDS

CATALOGUE = load_catalogue()


def _one_control_per_service() -> list[str]:
    """The first control of each AWS service (AWS::<Service>::...; the account's controls count as their rule's
    service): the demos over HTTP and across the organization run these, so their cost grows with services, not
    controls. The in-process demo runs every control."""
    chosen: dict[str, str] = {}
    for control in CATALOGUE.controls:
        service = control.resource_type.split("::")[1] or control.detection.rule.split("_")[0]
        chosen.setdefault(service, control.id)
    home_region_only = next(c.id for c in CATALOGUE.controls if c.home_region_only)
    return sorted({*chosen.values(), home_region_only})


def _one_control_per_kind() -> list[str]:
    """The first control of each kind the organization treats differently: account-global (home region only),
    change-triggered and automatic (the bridge fixes a resource of it deleted after the scan), periodic, and
    remediated by a person (the Remediate button), and one whose AWS Config id the bridge must look up."""
    kinds = (
        lambda c: c.home_region_only,
        lambda c: not c.home_region_only and c.detection.trigger == "change" and c.remediation.automatic,
        lambda c: not c.home_region_only and c.detection.trigger != "change",
        lambda c: not c.remediation.automatic,
    )
    # and, for each resource type whose AWS Config id the bridge looks up (an RDS instance's DbiResourceId), a
    # control the bridge starts on its own (an automatic one where there is one), with its and the member's roles
    preferred = sorted(CATALOGUE.controls, key=lambda c: c.remediation.automatic)  # automatic last: they win
    looked_up = {c.resource_type: c.id for c in preferred if resource_types.get(c.resource_type).lookup}
    return sorted({next(c.id for c in CATALOGUE.controls if kind(c)) for kind in kinds} | set(looked_up.values()))


SAMPLE = _one_control_per_service()
ORGANIZATION_SAMPLE = _one_control_per_kind()


def test_every_catalogue_control_has_demo_data():
    assert set(SEEDS) == {c.id for c in CATALOGUE.controls}


def _assert_one_success_per_resource(executions: list[dict]) -> None:
    """Each execution says where, on what, for which control and started by whom; no resource was fixed twice by one
    runbook for one control (a runbook several controls share runs once per control)."""
    assert executions
    for entry in executions:
        assert entry["account"] and entry["region"] and entry["resource_id"] and entry["control_id"], entry
        assert entry["trigger"] not in ("", "api"), entry  # its start was traced to the bridge or AWS Config
    successes = Counter(
        (e["document"], e["control_id"], e["account"], e["region"], e["resource_id"])
        for e in executions
        if e["status"] == "Success"
    )
    assert [key for key, count in successes.items() if count > 1] == []


def _report(folder):
    report = json.loads((folder / "report.json").read_text())
    assert (folder / "report.md").read_text().startswith("# Remedy demo report")
    return {c["id"]: c for c in report["controls"]}, report


@pytest.mark.long_running
def test_demo_fixes_every_automatic_control_and_the_manual_ones_it_was_asked_to(standalone, tmp_path, capsys):
    exit_code = demo.main(["--assembly", str(standalone[1]), "--output", str(tmp_path)])

    assert exit_code == 0
    controls, report = _report(tmp_path)
    assert set(controls) == {c.id for c in CATALOGUE.controls}
    for control in CATALOGUE.controls:
        row = controls[control.id]
        assert row["automatic"] is control.remediation.automatic
        assert row["non_compliant_before"] > 0, f"the demo seeds a problem for {control.id}"
        assert row["non_compliant_after"] == 0, control.id
    assert report["prowler_findings_imported"] > 0
    assert report["bridge_executions"] > 0
    assert {e["status"] for e in report["automation_executions"]} == {"Success"}
    _assert_one_success_per_resource(report["automation_executions"])
    # One audit record per runbook execution that ended, the bridge's and AWS Config's alike.
    assert report["audit_records"] == len(report["automation_executions"])
    printed = capsys.readouterr().out
    assert "About to run Remedy-EncryptEbsVolume" in printed
    assert "Re-import of the same findings (Prowler's next scan) started 0 execution(s)" in printed


@pytest.mark.long_running
def test_demo_runs_against_a_moto_server(standalone, tmp_path, monkeypatch):
    from simulation.moto_server import moto_server

    monkeypatch.setenv("AWS_ENDPOINT_URL", "restored-after-the-test")  # main() points it at the server
    with moto_server() as endpoint_url:
        arguments = ["--assembly", str(standalone[1]), "--output", str(tmp_path), "--endpoint-url", endpoint_url]
        exit_code = demo.main([*arguments, "--controls", ",".join(SAMPLE)])

    assert exit_code == 0
    controls, _report_data = _report(tmp_path)
    assert set(controls) == set(SAMPLE)
    assert all(c["non_compliant_after"] == 0 for c in controls.values() if c["automatic"])


def test_an_unknown_control_stops_the_demo_before_it_starts(standalone, tmp_path):
    with pytest.raises(SystemExit, match=r"unknown control id.*no-such-control"):
        demo.main(["--assembly", str(standalone[1]), "--output", str(tmp_path), "--controls", "no-such-control"])
    assert not (tmp_path / "report.json").exists()


@pytest.mark.long_running
def test_demo_across_the_organization_fixes_every_member_account_and_region(organization_assembly, tmp_path, capsys):
    exit_code = demo.main(
        [
            "--assembly",
            str(organization_assembly),
            "--output",
            str(tmp_path),
            "--controls",
            ",".join(ORGANIZATION_SAMPLE),
        ]
    )

    assert exit_code == 0
    controls, report = _report(tmp_path)
    assert set(controls) == set(ORGANIZATION_SAMPLE)
    results = report["results"]
    members = report["organization"]["members"]
    assert len(members) >= 2 and report["organization"]["security_account"] not in members
    assert {(r["account"], r["region"]) for r in results} == {
        (a, r) for a in members for r in ("us-east-1", "eu-west-1")
    }
    for row in results:
        assert row["non_compliant_before"] > 0, row
        assert row["non_compliant_after"] == 0, row
    for control in (CATALOGUE.control(control_id) for control_id in ORGANIZATION_SAMPLE):
        regions = {(r["account"], r["region"]) for r in results if r["control"] == control.id}
        expected = (
            {(a, "us-east-1") for a in members}
            if control.home_region_only
            else {(a, r) for a in members for r in ("us-east-1", "eu-west-1")}
        )
        assert regions == expected, control.id
        assert controls[control.id]["non_compliant_after"] == 0
    assert report["bridge_executions"] > 0
    assert report["finding_workflow"]["RESOLVED"] > 0
    [failure] = report["failures_queued"]  # the finding of a bucket deleted after the scan
    assert failure["status"] == "Failed" and failure["account"] in members
    assert {e["account"] for e in report["automation_executions"]} == set(members)
    _assert_one_success_per_resource(report["automation_executions"])
    assert report["audit_records"] == len(report["automation_executions"])  # the failed one included
    markdown = (tmp_path / "report.md").read_text()
    assert all(account in markdown for account in members)
    assert "Re-import of the same findings (Prowler's next scan) started 0 execution(s)" in capsys.readouterr().out


def test_the_organization_demo_refuses_a_moto_server(organization_assembly, tmp_path):
    with pytest.raises(SystemExit, match="in-process moto only"):
        demo.main(["--assembly", str(organization_assembly), "--output", str(tmp_path), "--endpoint-url", "http://x"])
