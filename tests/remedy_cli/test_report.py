"""`remedy report`: report.json's content for a known scan, the statuses derived from it, HTML that escapes every
value and loads nothing, and the remediation history read (read-only) from the bridge's audit bucket."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import boto3
import pytest

from catalogue import FRAMEWORKS, load_catalogue
from catalogue.frameworks import load_frameworks
from remedy_cli import aws, history
from remedy_cli import controls as controls_view
from remedy_cli.main import main
from tests.aws_calls import ApiCallRecorder
from tests.conftest import ACCOUNT_ID, REGION, REPO_ROOT

CATALOGUE = load_catalogue()
COVERAGE = controls_view.coverage(CATALOGUE)
SNAPSHOT = load_frameworks()
OTHER_ACCOUNT, OTHER_REGION = "210987654321", "eu-west-1"
HOSTILE = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;"


def _result(control: str, resource_id: str, compliance: str, account=ACCOUNT_ID, region=REGION, annotation=""):
    resource_type = CATALOGUE.control(control).resource_type
    return {
        "control": control,
        "account": account,
        "region": region,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "compliance": compliance,
        "annotation": annotation,
    }


def _shared_requirement() -> tuple[str, str, list[str]]:
    """A (framework, requirement, controls) covered by at least two controls."""
    return next(
        (framework, requirement, controls)
        for framework, requirements in COVERAGE.items()
        for requirement, controls in requirements.items()
        if len(controls) >= 2
    )


def _report(tmp_path, results: list[dict], *options: str) -> tuple[int, dict, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    scan = tmp_path / "scan.json"
    scan.write_text(json.dumps(results))
    out = tmp_path / "report"
    status = main(["report", "--from-scan", str(scan), "--output", str(out), "--no-history", *options])
    return status, json.loads((out / "report.json").read_text()), (out / "report.html").read_text()


def _requirement(report: dict, framework: str, requirement: str) -> dict:
    return next(r for r in report["frameworks"][framework]["requirements"] if r["requirement"] == requirement)


def test_the_json_counts_each_control_per_account_and_region_with_the_non_compliant_ids(tmp_path):
    first, second = CATALOGUE.controls[0].id, CATALOGUE.controls[1].id
    results = [
        _result(first, "res-bad", "NON_COMPLIANT", annotation="too weak"),
        _result(first, "res-good", "COMPLIANT"),
        _result(first, "res-other", "COMPLIANT", account=OTHER_ACCOUNT, region=OTHER_REGION),
        _result(second, "res-na", "NOT_APPLICABLE"),
    ]

    status, report, _html = _report(tmp_path, results)

    assert status == 0
    assert report["scan"]["accounts"] == sorted([ACCOUNT_ID, OTHER_ACCOUNT])
    assert report["scan"]["regions"] == sorted([REGION, OTHER_REGION])
    assert report["scan"]["results_by_compliance"] == {"COMPLIANT": 2, "NON_COMPLIANT": 1, "NOT_APPLICABLE": 1}
    entries = {(c["control"], c["account"], c["region"]): c for c in report["controls"]}
    assert set(entries) == {
        (first, ACCOUNT_ID, REGION),
        (first, OTHER_ACCOUNT, OTHER_REGION),
        (second, ACCOUNT_ID, REGION),
    }
    bad = entries[(first, ACCOUNT_ID, REGION)]
    assert (bad["status"], bad["compliant"], bad["non_compliant"]) == ("NON_COMPLIANT", 1, 1)
    assert bad["non_compliant_resources"] == [
        {"resource_type": CATALOGUE.control(first).resource_type, "resource_id": "res-bad", "annotation": "too weak"}
    ]
    other = entries[(first, OTHER_ACCOUNT, OTHER_REGION)]
    assert (other["status"], other["compliant"], other["non_compliant"], other["non_compliant_resources"]) == (
        "COMPLIANT",
        1,
        0,
        [],
    )
    assert entries[(second, ACCOUNT_ID, REGION)]["status"] == "NOT_APPLICABLE"
    assert report["control_status"][first] == "NON_COMPLIANT"
    unscanned = {c.id for c in CATALOGUE.controls} - {first, second}
    assert {report["control_status"][c] for c in unscanned} == {"NOT_EVALUATED"}
    assert report["remediation_history"]["read"] is False


def test_every_framework_lists_exactly_the_requirements_the_catalogue_covers_with_consistent_counts(tmp_path):
    control = CATALOGUE.controls[0]
    _status, report, _html = _report(tmp_path, [_result(control.id, "r", "NON_COMPLIANT")])

    assert list(report["frameworks"]) == list(FRAMEWORKS)
    for name, framework in report["frameworks"].items():
        assert [r["requirement"] for r in framework["requirements"]] == list(COVERAGE[name])
        assert framework["requirements_covered"] == len(COVERAGE[name])
        known = SNAPSHOT.get(name)
        assert framework["requirements_total"] == (len(known.requirements) if known else None)
        statuses = [r["status"] for r in framework["requirements"]]
        for key, status in (("compliant", "COMPLIANT"), ("non_compliant", "NON_COMPLIANT")):
            assert framework[key] == statuses.count(status)
        assert framework["not_evaluated"] == statuses.count("NOT_EVALUATED")
        # The one non-compliant control makes every requirement it covers non-compliant, and only those.
        expected = set(control.frameworks.get(name, ()))
        assert {r["requirement"] for r in framework["requirements"] if r["status"] == "NON_COMPLIANT"} == expected


def test_a_requirement_with_one_non_compliant_control_is_non_compliant(tmp_path):
    framework, requirement, controls = _shared_requirement()
    results = [_result(c, f"r-{c}", "COMPLIANT") for c in controls[1:]] + [_result(controls[0], "bad", "NON_COMPLIANT")]

    _status, report, _html = _report(tmp_path, results)

    entry = _requirement(report, framework, requirement)
    assert entry["status"] == "NON_COMPLIANT"
    assert {c["control"]: c["status"] for c in entry["controls"]} == {
        controls[0]: "NON_COMPLIANT",
        **{c: "COMPLIANT" for c in controls[1:]},
    }


def test_a_requirement_is_compliant_only_when_every_control_covering_it_was_evaluated(tmp_path):
    framework, requirement, controls = _shared_requirement()
    all_compliant = [_result(c, f"r-{c}", "COMPLIANT") for c in controls]

    _status, report, _html = _report(tmp_path / "all", all_compliant)
    assert _requirement(report, framework, requirement)["status"] == "COMPLIANT"

    _status, report, _html = _report(tmp_path / "partial", all_compliant[1:])
    partial = _requirement(report, framework, requirement)
    assert partial["status"] == "NOT_EVALUATED"
    assert controls[0] in partial["reason"] and all(c not in partial["reason"] for c in controls[1:])


def test_a_rule_error_leaves_its_requirements_not_evaluated_and_exits_1(tmp_path):
    control = CATALOGUE.controls[0]
    status, report, _html = _report(tmp_path, [_result(control.id, ACCOUNT_ID, "ERROR", annotation="AccessDenied")])

    assert status == 1
    assert report["control_status"][control.id] == "ERROR"
    assert report["controls"][0]["error_resources"][0]["annotation"] == "AccessDenied"
    for framework, requirements in control.frameworks.items():
        for requirement in requirements:
            assert _requirement(report, framework, requirement)["status"] == "NOT_EVALUATED"


def test_controls_and_frameworks_select_what_the_report_shows(tmp_path):
    first, second = CATALOGUE.controls[0], CATALOGUE.controls[1]
    framework = next(iter(first.frameworks))
    results = [_result(first.id, "a", "COMPLIANT"), _result(second.id, "b", "NON_COMPLIANT")]

    _status, report, _html = _report(tmp_path, results, "--controls", first.id, "--frameworks", framework)

    assert list(report["frameworks"]) == [framework]
    chosen = {first.id} | {c.id for c in CATALOGUE.controls if framework in c.frameworks}
    assert {c["control"] for c in report["controls"]} == {first.id, second.id} & chosen


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def _text(page: str) -> str:
    parsed = _Tags()
    parsed.feed(page)
    return "".join(parsed.text)


def test_html_escapes_a_hostile_resource_id_and_loads_nothing(tmp_path):
    control = CATALOGUE.controls[0].id
    results = [_result(control, HOSTILE, "NON_COMPLIANT", annotation=HOSTILE, account=ACCOUNT_ID, region=REGION)]

    _status, report, page = _report(tmp_path, results)

    assert report["controls"][0]["non_compliant_resources"][0]["resource_id"] == HOSTILE
    parsed = _Tags()
    parsed.feed(page)
    tags = {tag for tag, _attrs in parsed.tags}
    assert "script" not in tags and "img" not in tags and "link" not in tags and "iframe" not in tags
    attributes = [(name, value or "") for _tag, attrs in parsed.tags for name, value in attrs]
    assert not [name for name, _value in attributes if name.startswith("on")]
    assert not [name for name, _value in attributes if name in ("src", "href", "srcset", "action", "xlink:href")]
    assert "url(" not in page and "@import" not in page
    assert HOSTILE in "".join(parsed.text)  # shown as text, as it is
    policy = next(
        dict(attrs)["content"]
        for tag, attrs in parsed.tags
        if tag == "meta" and ("http-equiv", "Content-Security-Policy") in attrs
    )
    assert "default-src 'none'" in policy and "script-src" not in policy


def test_the_html_charts_each_framework_and_lists_each_non_compliant_resource(tmp_path):
    control = CATALOGUE.controls[0]
    _status, report, page = _report(tmp_path, [_result(control.id, "bucket-of-doubt", "NON_COMPLIANT")])

    parsed = _Tags()
    parsed.feed(page)
    text = " ".join(parsed.text)
    assert sum(1 for tag, _attrs in parsed.tags if tag == "svg") == 2
    for framework in report["frameworks"].values():
        total = framework["requirements_total"]
        out_of = f" of {total}" if total is not None else ""
        assert f"{framework['title']} ({framework['requirements_covered']}{out_of} covered)" in text
    assert any(f["requirements_total"] for f in report["frameworks"].values())
    assert "bucket-of-doubt" in text
    assert report["remediation_history"]["note"] in text


def test_a_file_that_is_not_scan_output_is_a_usage_error(tmp_path, capsys):
    scan = tmp_path / "scan.json"
    scan.write_text(json.dumps({"not": "a list"}))

    assert main(["report", "--from-scan", str(scan), "--output", str(tmp_path / "out"), "--no-history"]) == 2
    assert "remedy scan --format json" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_history_constants_are_the_bridges():
    from prowler_bridge.audit import AUDIT_PREFIX
    from prowler_bridge.findings import DEPLOYMENT_VARIABLE

    assert history.AUDIT_PREFIX == AUDIT_PREFIX
    assert history.DEPLOYMENT_VARIABLE == DEPLOYMENT_VARIABLE
    source = (REPO_ROOT / "infra" / "bridge_operations.py").read_text()  # read, not imported (CDK is slow to load)
    assert f'add_environment("{history.AUDIT_BUCKET_VARIABLE}"' in source


# Remediation history from a deployed bridge's audit bucket (in-process moto) -----------------------------------
def _audit_record(execution_id: str, account: str, at: datetime, control: str) -> tuple[str, dict]:
    key = f"audit/{at:%Y/%m/%d}/{account}/{REGION}/{execution_id}.json"
    return key, {
        "record_version": 1,
        "execution_id": execution_id,
        "document": "Remedy-Example",
        "status": "Success",
        "control": control,
        "account": account,
        "region": REGION,
        "resource_id": "bucket-1",
        "trigger": "aws_config",
        "finding_ids": [],
        "outputs": {
            "Check.PreviousState": [json.dumps({"BlockPublicAcls": False})],
            "Fix.Result": [json.dumps({"CurrentState": {"BlockPublicAcls": True}, "Message": "blocked"})],
        },
        "failure_message": None,
        "start_time": at.isoformat(),
        "end_time": at.isoformat(),
    }


@pytest.fixture
def deployed_bridge(aws):
    """A bridge function (its environment only) and its audit bucket holding three records: one recent of the
    scanned account, one of another account, one older than the history window."""
    now = datetime.now(UTC)
    control = CATALOGUE.controls[0].id
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="remedy-audit")
    records = [
        _audit_record("exec-recent", ACCOUNT_ID, now - timedelta(days=1), control),
        _audit_record("exec-elsewhere", OTHER_ACCOUNT, now - timedelta(days=1), control),
        _audit_record("exec-old", ACCOUNT_ID, now - timedelta(days=200), control),
    ]
    for key, record in records:
        s3.put_object(Bucket="remedy-audit", Key=key, Body=json.dumps(record).encode())
    role = boto3.client("iam").create_role(RoleName="bridge", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="remedy-bridge",
        Runtime="python3.12",
        Role=role,
        Handler="prowler_bridge.handler.lambda_handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={
            "Variables": {history.DEPLOYMENT_VARIABLE: "remedy", history.AUDIT_BUCKET_VARIABLE: "remedy-audit"}
        },
    )
    return control


def _recorded(monkeypatch) -> ApiCallRecorder:
    """Records every call the command's sessions send (after their read-only guard)."""
    recorder = ApiCallRecorder()

    def recorded_session(**kwargs):
        session = aws._ScanSession(**kwargs)
        session.events.register("before-call", recorder._before_call)
        return session

    monkeypatch.setattr(aws, "new_session", recorded_session)
    return recorder


def test_the_history_shows_previous_and_current_state_of_the_scanned_accounts_runs(
    deployed_bridge, tmp_path, monkeypatch
):
    recorder = _recorded(monkeypatch)
    scan = tmp_path / "scan.json"
    scan.write_text(json.dumps([_result(deployed_bridge, "bucket-1", "COMPLIANT")]))

    status = main(["report", "--from-scan", str(scan), "--output", str(tmp_path), "--region", REGION])

    assert status == 0
    found = json.loads((tmp_path / "report.json").read_text())["remediation_history"]
    assert found["read"] is True and found["source"] == "s3://remedy-audit/audit/"
    assert [run["execution_id"] for run in found["executions"]] == ["exec-recent"]
    run = found["executions"][0]
    assert run["previous_state"] == {"BlockPublicAcls": False}
    assert run["current_state"] == {"BlockPublicAcls": True}
    assert run["message"] == "blocked"
    assert "BlockPublicAcls" in (tmp_path / "report.html").read_text()
    assert recorder.calls and not recorder.mutating
    assert {c.operation for c in recorder.calls} <= {"ListFunctions", "ListObjectsV2", "GetObject"}
    assert [c.operation for c in recorder.calls].count("GetObject") == 1  # other accounts' and old records unread


def test_an_explicit_audit_bucket_needs_no_bridge_lookup(deployed_bridge, tmp_path, monkeypatch):
    recorder = _recorded(monkeypatch)
    scan = tmp_path / "scan.json"
    scan.write_text(json.dumps([_result(deployed_bridge, "bucket-1", "COMPLIANT", account=OTHER_ACCOUNT)]))

    main(
        [
            "report",
            "--from-scan",
            str(scan),
            "--output",
            str(tmp_path),
            "--region",
            REGION,
            "--audit-bucket",
            "remedy-audit",
        ]
    )

    found = json.loads((tmp_path / "report.json").read_text())["remediation_history"]
    assert [run["execution_id"] for run in found["executions"]] == ["exec-elsewhere"]
    assert "ListFunctions" not in recorder.operations


def test_without_a_deployed_bridge_the_history_is_skipped_with_a_note(aws, tmp_path):
    scan = tmp_path / "scan.json"
    scan.write_text(json.dumps([_result(CATALOGUE.controls[0].id, "r", "COMPLIANT")]))

    status = main(["report", "--from-scan", str(scan), "--output", str(tmp_path), "--region", REGION])

    found = json.loads((tmp_path / "report.json").read_text())["remediation_history"]
    assert status == 0
    assert found["read"] is False and found["executions"] == []
    assert "no Remedy bridge of deployment 'remedy'" in found["note"]
    assert found["note"] in _text((tmp_path / "report.html").read_text())


def test_an_empty_scan_reads_no_history_and_says_so(deployed_bridge, tmp_path, monkeypatch):
    recorder = _recorded(monkeypatch)
    scan = tmp_path / "scan.json"
    scan.write_text("[]")

    assert main(["report", "--from-scan", str(scan), "--output", str(tmp_path), "--region", REGION]) == 0

    report = json.loads((tmp_path / "report.json").read_text())
    assert report["remediation_history"]["read"] is False and "no account" in report["remediation_history"]["note"]
    assert recorder.calls == []
    assert all(f["not_evaluated"] == f["requirements_covered"] > 0 for f in report["frameworks"].values())


def test_an_unreadable_audit_bucket_is_skipped_with_the_error(aws, tmp_path):
    scan = tmp_path / "scan.json"
    scan.write_text(json.dumps([_result(CATALOGUE.controls[0].id, "r", "COMPLIANT")]))

    main(["report", "--from-scan", str(scan), "--output", str(tmp_path), "--region", REGION, "--audit-bucket", "gone"])

    found = json.loads((tmp_path / "report.json").read_text())["remediation_history"]
    assert found["read"] is False and "NoSuchBucket" in found["note"]


# A live scan of a tiny seeded account --------------------------------------------------------------------------
def test_a_live_scan_reports_what_the_seeds_made(aws, tmp_path):
    from simulation.seeds import seed_account

    control = next(
        c for c in CATALOGUE.controls if c.resource_type == "AWS::S3::Bucket" and c.detection.trigger == "change"
    )
    seeded = seed_account([control.id], ACCOUNT_ID, REGION, in_process=True)
    out = tmp_path / "report"

    status = main(["report", "--region", REGION, "--controls", control.id, "--output", str(out), "--no-history"])

    report = json.loads((out / "report.json").read_text())
    assert status == 0
    assert report["scan"]["source"] == f"a scan of account {ACCOUNT_ID}"
    (entry,) = report["controls"]
    assert {r["resource_id"] for r in entry["non_compliant_resources"]} == {
        s.resource_id for s in seeded if s.non_compliant
    }
    assert entry["non_compliant"] == sum(1 for s in seeded if s.non_compliant)
