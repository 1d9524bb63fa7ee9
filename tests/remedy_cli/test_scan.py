"""`remedy scan` against an emulated account it did not create: every control's verdicts are the seeds' own, and
the scan makes read calls only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import boto3
import pytest

from catalogue import load_catalogue
from remedy_cli import aws
from remedy_cli.main import main
from simulation.moto_server import DNS_SHIM_DIR
from tests.aws_calls import ApiCallRecorder
from tests.conftest import REGION, REPO_ROOT

CATALOGUE = load_catalogue()
FIELDS = {"control", "account", "region", "resource_type", "resource_id", "compliance", "annotation"}
# What a scan may call, by operation name (tests/aws_calls.py READ_ONLY_OPERATIONS explains the one exception).
READ_PREFIXES = ("Describe", "Get", "List", "BatchGet", "Select")


def _verdicts(results: list[dict], control_id: str) -> dict[str, str]:
    return {r["resource_id"]: r["compliance"] for r in results if r["control"] == control_id}


def _aws_managed_keys(endpoint_url: str) -> set[str]:
    """Keys behind alias/aws/* (made when a seed encrypts with a service's default key). AWS reports them KeyManager
    AWS, which the KMS rule leaves alone; moto reports them CUSTOMER, so the rule judges them."""
    kms = boto3.client("kms", region_name=REGION, endpoint_url=endpoint_url)
    aliases = kms.list_aliases()["Aliases"]
    return {a["TargetKeyId"] for a in aliases if a["AliasName"].startswith("alias/aws/") and "TargetKeyId" in a}


@pytest.fixture(scope="module")
def scanned(seeded_server, tmp_path_factory):
    """The JSON a `remedy scan` subprocess wrote, and its exit status."""
    endpoint_url, _seeded = seeded_server
    out = tmp_path_factory.mktemp("scan") / "findings.json"
    environment = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    # The DNS shim (sitecustomize) resolves S3 Control's <account>.127.0.0.1; the rule layer is found by the CLI.
    environment["PYTHONPATH"] = os.pathsep.join([str(DNS_SHIM_DIR), str(REPO_ROOT)])
    command = [sys.executable, "-m", "remedy_cli", "scan", "--endpoint-url", endpoint_url, "--region", REGION]
    process = subprocess.run(
        [*command, "--format", "json", "--output", str(out)],
        env=environment,
        cwd=out.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout == ""  # the findings went to the file
    return json.loads(out.read_text())


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_each_control_judges_the_seeded_resources_as_the_seeds_say(seeded_server, scanned, control):
    _endpoint, seeded = seeded_server
    mine = [s for s in seeded if s.control_id == control.id]
    assert mine, f"the seed of {control.id} created nothing"
    # A moto server gives every RDS DB instance one DbiResourceId (AWS Config's id of the type): seeds sharing an id
    # cannot be told apart, so the verdicts held to the seeds are those of the ids one seed owns.
    shared = {rid for rid, count in Counter(s.resource_id for s in mine).items() if count > 1}
    expected = {
        s.resource_id: "NON_COMPLIANT" if s.non_compliant else "COMPLIANT" for s in mine if s.resource_id not in shared
    }
    found = {rid: verdict for rid, verdict in _verdicts(scanned, control.id).items() if rid not in shared}

    assert {rid: found.get(rid) for rid in expected} == expected
    # Nothing outside the seeds is non-compliant (resources a seed makes on the side, such as an instance's root
    # volume, may be found compliant), but for moto's own stand-ins for AWS managed keys and the resources other
    # controls' seeds made (e.g. the point-in-time recovery seeds' tables, which do not set deletion protection).
    # Resources the rule does not judge (e.g. a group that is not a VPC's default) are NOT_APPLICABLE.
    others = {s.resource_id for s in seeded if s.control_id != control.id} - set(expected)
    non_compliant = {rid for rid, verdict in found.items() if verdict == "NON_COMPLIANT"}
    assert non_compliant - _aws_managed_keys(_endpoint) - others == {
        rid for rid, verdict in expected.items() if verdict == "NON_COMPLIANT"
    }


def test_results_carry_every_field_of_the_account_and_region(scanned):
    assert scanned
    assert all(set(result) == FIELDS for result in scanned)
    assert {(r["account"], r["region"]) for r in scanned} == {("123456789012", REGION)}
    assert {r["resource_type"] for r in scanned} >= {c.resource_type for c in CATALOGUE.controls}


def test_the_scan_makes_read_calls_only(seeded_server, tmp_path, monkeypatch):
    endpoint_url, seeded = seeded_server
    recorder = ApiCallRecorder()

    def recorded_session(**kwargs):
        session = aws._ScanSession(**kwargs)
        session.events.register("before-call", recorder._before_call)  # after the guard: what is sent
        return session

    monkeypatch.setattr(aws, "new_session", recorded_session)
    out = tmp_path / "findings.json"

    status = main(["scan", "--endpoint-url", endpoint_url, "--region", REGION, "--format", "json", "-o", str(out)])

    assert status == 0
    assert len(json.loads(out.read_text())) >= len(seeded)
    sent = {(c.service, c.operation) for c in recorder.calls}
    assert ("sts", "GetCallerIdentity") in sent
    # Every call sent reads; IAM's GenerateCredentialReport (the access key rule's) builds a report, no resource.
    assert [op for op in recorder.operations if not op.startswith(READ_PREFIXES)] == [
        "GenerateCredentialReport"
    ] * recorder.operations.count("GenerateCredentialReport")
    assert not recorder.mutating
    assert "PutEvaluations" not in recorder.operations  # answered by the scan, never sent


def test_a_call_that_is_not_a_read_is_refused_before_it_is_sent(seeded_server):
    endpoint_url, _seeded = seeded_server
    session = aws.open_session(None, None, endpoint_url, REGION)
    aws.ReadOnlyGuard(set()).install(session)

    with pytest.raises(aws.ReadOnlyViolationError, match="s3:CreateBucket refused"):
        session.client("s3").create_bucket(Bucket="written-by-a-rule")

    names = {b["Name"] for b in boto3.client("s3", endpoint_url=endpoint_url).list_buckets()["Buckets"]}
    assert "written-by-a-rule" not in names
