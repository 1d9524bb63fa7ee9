"""A batch of findings costs calls per resource, not per finding: the bridge groups a batch's findings by
(control, account, region, resource), claims and confirms findings 100 to a DynamoDB transaction, and updates
them 100 to a Security Hub call."""

from __future__ import annotations

import math

import pytest

from prowler_bridge import handler, settings
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import automation_starts, decisions, params_of

CHECK = "s3_bucket_kms_encryption"
DOCUMENT = "Remedy-EnableS3BucketKmsEncryption"
CASES = [(1, 1), (6, 1), (100, 1), (100, 10)]  # (K findings, R resources)
TABLE_ROWS: dict[tuple[int, int], tuple[int, dict[str, int]]] = {}


def _findings(k: int, r: int) -> list[dict]:
    """K findings spread evenly over R buckets, each with its own Id (as Security Hub's standards report one
    resource under several ids)."""
    findings = []
    for n in range(k):
        base = asff.prowler_finding(CHECK, asff.bucket_arn(f"remedy-batch-{n % r}"))
        findings.append({**base, "Id": f"{base['Id']}-{n}"})
    return findings


def call_bound(k: int, r: int) -> int:
    """The most calls a batch of K findings over R resources of one account and region may cost: the own account
    (1); per resource: run-time controls read, resource claim, AWS Config's two reads, the start, its record, the
    claim's start (7), and the findings' update, one call per 100 of the resource's findings (at most one more
    per resource than ceil(K/100) over the batch); per 100 findings: their claim and their confirmation."""
    hundreds = math.ceil(k / 100)
    return 1 + 7 * r + (r + hundreds) + 2 * hundreds


def _counts(operations: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for operation in operations:
        counts[operation] = counts.get(operation, 0) + 1
    return counts


@pytest.mark.parametrize(("k", "r"), CASES, ids=[f"K{k}-R{r}" for k, r in CASES])
def test_calls_for_k_findings_over_r_resources_are_bounded_by_r_and_hundreds_of_findings(bridge, capsys, k, r):
    findings = _findings(k, r)
    handler.lambda_handler(asff.imported_event(*findings), None)

    calls = len(bridge.calls.operations)
    TABLE_ROWS[(k, r)] = (calls, _counts(bridge.calls.operations))
    print(f"\ncalls for K={k} findings over R={r} resources: {calls} {_counts(bridge.calls.operations)}")
    lines = decisions(capsys)
    assert len(automation_starts(bridge.calls)) == r  # one run per resource
    assert sorted(line["decision"] for line in lines) == sorted(["started"] * r + ["attached"] * (k - r))
    updated = [
        f["Id"] for update in params_of(bridge.calls, "BatchUpdateFindings") for f in update["FindingIdentifiers"]
    ]
    assert sorted(updated) == sorted(f["Id"] for f in findings)  # every finding updated, each once
    assert all(len(update["FindingIdentifiers"]) <= 100 for update in params_of(bridge.calls, "BatchUpdateFindings"))
    assert calls <= call_bound(k, r)
    bridge.calls.assert_within(handler.IAM_ACTIONS)


def test_the_call_count_does_not_grow_with_the_findings_about_one_resource(bridge):
    counts = []
    for k in (1, 6, 100):  # each batch about a resource of its own, each invocation with fresh caches
        findings = [{**f, "Id": f"{f['Id']}-of-{k}"} for f in _findings(k, 1)]
        findings = [
            {**f, "Resources": [{**f["Resources"][0], "Id": asff.bucket_arn(f"remedy-alone-{k}")}]} for f in findings
        ]
        settings.reset_caches()
        bridge.calls.clear()
        handler.lambda_handler(asff.imported_event(*findings), None)
        counts.append(len(bridge.calls.operations))
    assert counts[0] == counts[1] == counts[2], counts


def test_print_the_table(capsys):
    """The (K, R) -> calls table of the cases above (run with -s to see it)."""
    if len(TABLE_ROWS) < len(CASES):
        pytest.skip("the measuring cases did not all run in this session")
    with capsys.disabled():
        print("\n  K    R   calls  bound 1+8R+3*ceil(K/100)")
        for (k, r), (calls, _) in sorted(TABLE_ROWS.items(), key=lambda row: (row[0][1], row[0][0])):
            print(f"{k:>3}  {r:>3}  {calls:>6}  {call_bound(k, r):>5}")
