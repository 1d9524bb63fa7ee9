"""The bench's bookkeeping (simulation/bench.py), without a server or either tool: which buckets each tool calls
non-compliant, where they disagree, the table's speed-up and mismatch cells, and the request counter."""

from __future__ import annotations

from simulation.bench import (
    PROWLER,
    REMEDY_CONFIG,
    BenchControl,
    RequestCounter,
    Run,
    bucket_settings,
    disagreements,
    markdown,
    prowler_failed,
    remedy_non_compliant,
    table_rows,
)

CONTROLS = [BenchControl("bucket-a", ("check_a",)), BenchControl("bucket-b", ("check_b1", "check_b2"))]


def _finding(check: str, bucket: str, status: str) -> dict:
    return {
        "GeneratorId": f"prowler-{check}",
        "Compliance": {"Status": status},
        "Resources": [{"Id": f"arn:aws:s3:::{bucket}"}],
    }


def test_prowler_failed_counts_failed_findings_of_each_controls_checks_only():
    findings = [
        _finding("check_a", "one", "FAILED"),
        _finding("check_a", "two", "PASSED"),
        _finding("check_b2", "two", "FAILED"),
        _finding("check_b1", "three", "FAILED"),
        _finding("unrelated_check", "four", "FAILED"),
    ]
    assert prowler_failed(findings, CONTROLS) == {"bucket-a": ["one"], "bucket-b": ["three", "two"]}


def test_remedy_non_compliant_ignores_compliant_errors_and_other_controls():
    results = [
        {"control": "bucket-a", "resource_id": "one", "compliance": "NON_COMPLIANT"},
        {"control": "bucket-a", "resource_id": "two", "compliance": "COMPLIANT"},
        {"control": "bucket-b", "resource_id": "three", "compliance": "ERROR"},
        {"control": "other", "resource_id": "four", "compliance": "NON_COMPLIANT"},
    ]
    assert remedy_non_compliant(results, CONTROLS) == {"bucket-a": ["one"], "bucket-b": []}


def test_disagreements_are_the_buckets_in_one_set_only():
    ours = {"bucket-a": ["one", "two"], "bucket-b": []}
    theirs = {"bucket-a": ["two", "three"], "bucket-b": []}
    assert disagreements(ours, theirs) == {"bucket-a": ["one", "three"], "bucket-b": []}


def test_table_speedup_is_against_prowler_at_the_same_n_and_mismatch_counts_per_control():
    reference = {"bucket-a": ["one"], "bucket-b": ["two"]}
    found = {"bucket-a": ["one"], "bucket-b": []}
    runs = [
        Run(10, PROWLER, 40.0, {"s3": 130}, reference),
        Run(10, REMEDY_CONFIG, 4.0, {"s3": 12, "config": 3}, found, disagreements(found, reference)),
        Run(20, PROWLER, 90.0, {"s3": 260}, reference),
        Run(20, REMEDY_CONFIG, 30.0, {"s3": 30}, reference, disagreements(reference, reference)),
    ]
    rows = table_rows(runs, CONTROLS)
    assert rows[0] == ["10", PROWLER, "40.0", "130", "13.0", "-", "1 / 1", "-"]
    assert rows[1] == ["10", REMEDY_CONFIG, "4.0", "15", "1.5", "10.0", "1 / 0", "0 / 1"]
    assert rows[3][5] == "3.0" and rows[3][7] == "0 / 0"
    text = markdown(runs, CONTROLS, "load 1.00")
    assert text.count("\n| 10 |") == 2 and "bucket-b (check_b1/check_b2)" in text and "load 1.00" in text


def test_request_counter_counts_by_signed_service_and_resets_when_taken():
    counter = RequestCounter(lambda environ, start_response: [b""])
    signed = "AWS4-HMAC-SHA256 Credential=testing/20261128/us-east-1/s3/aws4_request, SignedHeaders=host"
    for authorization in (signed, signed, ""):
        counter({"HTTP_AUTHORIZATION": authorization}, None)
    assert counter.take() == {"s3": 2, "unsigned": 1}
    assert counter.take() == {}


def test_bucket_settings_cover_every_combination_within_thirty_buckets():
    assert len({bucket_settings(i) for i in range(30)}) == 8
