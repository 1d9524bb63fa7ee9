"""Every decision line is also an Embedded Metric Format document with dimensions from a bounded vocabulary."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from prowler_bridge import findings, handler
from prowler_bridge.findings import DECISIONS, OTHER, SKIP_REASONS, log_decision
from tests.conftest import REPO_ROOT
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, decisions

EMF_DIMENSIONS_PER_SET = 30  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html


def _metrics(line: dict) -> set[tuple]:
    """The metrics CloudWatch extracts from one line, as the specification defines them: per directive, per
    dimension set and metric, (namespace, metric, ((dimension, value), ...)); checks the document's shape."""
    metadata = line["_aws"]
    assert isinstance(metadata["Timestamp"], int) and metadata["Timestamp"] > 1_700_000_000_000  # epoch ms
    extracted = set()
    for directive in metadata["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= EMF_DIMENSIONS_PER_SET
            assert all(isinstance(line[name], str) and line[name] for name in dimension_set)  # target members
            for metric in directive["Metrics"]:
                assert isinstance(line[metric["Name"]], int | float)
                values = tuple((name, line[name]) for name in dimension_set)
                extracted.add((directive["Namespace"], metric["Name"], values))
    return extracted


def test_the_bridge_s_lines_are_emf_documents_that_keep_their_fields(bridge, capsys):
    finding = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding, asff.prowler_finding("no_such_check", asff.bucket_arn())), None)
    started, skipped = decisions(capsys)

    assert (started["decision"], started["control"], started["execution_id"]) == (
        "started",
        "s3-bucket-level-public-access-block",
        EXECUTION_ID,
    )
    assert _metrics(started) == {
        ("Remedy", "Decisions", (("Deployment", "remedy"), ("Decision", "started"))),
        (
            "Remedy",
            "Decisions",
            (("Deployment", "remedy"), ("Control", "s3-bucket-level-public-access-block"), ("Decision", "started")),
        ),
    }
    assert (skipped["decision"], skipped["reason"]) == ("skipped", "unmapped_check")
    assert (
        "Remedy",
        "Decisions",
        (("Deployment", "remedy"), ("Decision", "skipped"), ("Reason", "unmapped_check")),
    ) in (_metrics(skipped))


def test_the_deployment_dimension_is_the_stack_s_prefix(monkeypatch, capsys):
    monkeypatch.setenv(findings.DEPLOYMENT_VARIABLE, "bank-prod")
    log_decision("failure_notified", control="iam-password-policy", reason="free text from SSM: not a dimension")
    line = json.loads(capsys.readouterr().out)
    assert line["Deployment"] == "bank-prod" and "Reason" not in line  # only skips carry a reason dimension
    assert line["reason"] == "free text from SSM: not a dimension"  # the field itself stays as it is


def test_unknown_values_become_other_so_the_metric_count_stays_bounded(capsys):
    controls = [f"control-{n:03}" for n in range(300)]
    decisions_seen = [*DECISIONS, "a_new_decision", "Started"]
    reasons = [*SKIP_REASONS, "a_new_reason", "free text: with spaces", None]
    extracted = set()
    for decision, reason in itertools.product(decisions_seen, reasons):
        for control in [*controls, "not a control id", None]:
            log_decision(decision, control=control, reason=reason)
    for printed in capsys.readouterr().out.splitlines():
        extracted |= _metrics(json.loads(printed))

    values = {
        name: {v for (_n, _m, dims) in extracted for d, v in dims if d == name} for name in ("Decision", "Reason")
    }
    assert values["Decision"] == {*DECISIONS, OTHER}
    assert values["Reason"] == {*SKIP_REASONS, OTHER}
    # The worst case findings.py states for 300 controls: decisions + (controls + other) x decisions + reasons.
    decision_values, reason_values = len(DECISIONS) + 1, len(SKIP_REASONS) + 1
    assert len(extracted) == decision_values + 301 * decision_values + reason_values == 5_166


def _emitted(pattern: str) -> set[str]:
    """String literals the bridge's code passes in one syntactic position, read from its source."""
    found = set()
    for path in (REPO_ROOT / "prowler_bridge").glob("*.py"):
        found |= set(re.findall(pattern, path.read_text()))
    return found


def test_every_reason_and_decision_the_bridge_emits_is_in_the_vocabulary():
    reasons = _emitted(r'_skip\([^,]+, "([a-z_]+)"') | _emitted(r'reason="([a-z_]+)"') | _emitted(r'return "([a-z_]+)"')
    # partition_for's, _kind's and _queue_failure's return values, not reasons
    reasons -= {"aws", "custom_action", "imported", "sent", "merged"}
    emitted = _emitted(r'log(?:_decision)?\(\s*"([a-z_]+)"')
    # a batch's outcomes (logged in batch order): the literal second argument of Outcome(...) and _each(...)
    emitted |= _emitted(r'(?:Outcome|_each)\((?:[^,()]|\([^()]*\))*,\s*"([a-z_]+)"')
    assert reasons and emitted
    assert reasons <= set(SKIP_REASONS), sorted(reasons - set(SKIP_REASONS))
    assert emitted <= set(DECISIONS), sorted(emitted - set(DECISIONS))


@pytest.mark.parametrize("deployment", ["", "has space", "x" * 200])
def test_a_malformed_deployment_name_is_not_a_dimension_value(monkeypatch, capsys, deployment):
    monkeypatch.setenv(findings.DEPLOYMENT_VARIABLE, deployment)
    log_decision("started", control="iam-password-policy")
    line = json.loads(capsys.readouterr().out)
    assert line["Deployment"] == (findings.DEFAULT_DEPLOYMENT if not deployment else OTHER)
