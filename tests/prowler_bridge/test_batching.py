"""A batch of findings costs calls per resource, not per finding: the bridge groups a batch's findings by
(control, account, region, resource), claims and confirms findings 100 to a DynamoDB transaction, and updates
them 100 to a Security Hub call."""

from __future__ import annotations

import json
import math

import pytest

from prowler_bridge import handler, settings
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, automation_starts, decisions, params_of
from tests.prowler_bridge.ocsf_findings import ocsf_control_finding

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


# --- chunks of 100, duplicates, partial failures ---------------------------------------------------------


def test_more_than_100_findings_about_one_resource_are_claimed_updated_and_confirmed_100_at_a_time(bridge, capsys):
    findings = _findings(150, 1)
    handler.lambda_handler(asff.imported_event(*findings), None)

    claims, confirms = (
        [
            len(p["TransactItems"])
            for p in params_of(bridge.calls, "TransactWriteItems")
            if kind in p["TransactItems"][0]
        ]
        for kind in ("Put", "Update")
    )
    assert claims == [100, 50] and confirms == [100, 50]  # TransactWriteItems takes up to 100 actions
    updates = params_of(bridge.calls, "BatchUpdateFindings")
    assert [len(u["FindingIdentifiers"]) for u in updates] == [100, 50]  # BatchUpdateFindings takes up to 100
    assert len({u["Note"]["Text"] for u in updates}) == 1
    (claim,) = params_of(bridge.calls, "UpdateItem")[:1]  # the resource claim: every finding in one write
    assert len(claim["ExpressionAttributeValues"][":findings"]["L"]) == 150
    assert len(automation_starts(bridge.calls)) == 1


def test_findings_claimed_before_and_repeated_in_the_batch_are_duplicates_the_rest_are_acted_on(bridge, capsys):
    findings = _findings(4, 2)  # two findings about each of two buckets
    handler.lambda_handler(asff.imported_event(findings[0]), None)
    capsys.readouterr()
    bridge.calls.clear()

    handler.lambda_handler(asff.imported_event(*findings, findings[1]), None)

    lines = decisions(capsys)
    assert [(line["decision"], line.get("reason")) for line in lines] == [
        ("skipped", "duplicate"),  # claimed by the first invocation
        ("started", None),
        ("attached", None),
        ("attached", None),
        ("skipped", "duplicate"),  # twice in the batch
    ]
    # The claim refused for the first finding is named by DynamoDB; the others are claimed in a second call.
    first, second = (p["TransactItems"] for p in params_of(bridge.calls, "TransactWriteItems")[:2])
    assert len(first) == 4 and len(second) == 3
    assert findings[0]["Id"] not in json.dumps(second)


def test_an_unprocessed_finding_is_reported_on_its_own_line_and_the_others_are_not(bridge, capsys):
    findings = _findings(3, 1)
    refused = {"Id": findings[1]["Id"], "ProductArn": findings[1]["ProductArn"]}
    bridge.calls.respond(
        "BatchUpdateFindings",
        {
            "ProcessedFindings": [],
            "UnprocessedFindings": [
                {"FindingIdentifier": refused, "ErrorCode": "ConcurrentUpdateError", "ErrorMessage": "busy"}
            ],
        },
    )
    handler.lambda_handler(asff.imported_event(*findings), None)

    errors = {line["finding_id"]: line.get("finding_update_error") for line in decisions(capsys)}
    assert errors == {
        findings[0]["Id"]: None,
        findings[1]["Id"]: "unprocessed: ConcurrentUpdateError: busy",
        findings[2]["Id"]: None,
    }


def test_a_resolution_security_hub_left_unprocessed_fails_the_status_event_for_its_retry(bridge, capsys):
    findings = _findings(3, 1)
    handler.lambda_handler(asff.imported_event(*findings), None)
    bridge.calls.respond(
        "BatchUpdateFindings",
        {
            "ProcessedFindings": [],
            "UnprocessedFindings": [
                {
                    "FindingIdentifier": {"Id": findings[2]["Id"], "ProductArn": findings[2]["ProductArn"]},
                    "ErrorCode": "InternalFailure",
                    "ErrorMessage": "Internal service failure",
                }
            ],
        },
    )
    status = asff.status_event(EXECUTION_ID, DOCUMENT, "Success")
    with pytest.raises(RuntimeError, match="InternalFailure"):
        handler.lambda_handler(status, None)

    bridge.calls.respond("BatchUpdateFindings", {"ProcessedFindings": [], "UnprocessedFindings": []})
    bridge.calls.clear()
    handler.lambda_handler(status, None)  # Lambda's retry: the status claim was released, every finding resolved
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")
    assert update["Workflow"] == {"Status": "RESOLVED"}
    assert sorted(f["Id"] for f in update["FindingIdentifiers"]) == sorted(f["Id"] for f in findings)


def test_ocsf_findings_are_updated_100_to_a_call_and_an_unnamed_refusal_counts_for_its_whole_call(bridge, capsys):
    findings = [
        ocsf_control_finding("S3.8", f"remedy-ocsf-{n % 2}", uid_alt=asff.bucket_arn(f"remedy-ocsf-{n % 2}"))
        for n in range(4)
    ]
    bridge.calls.respond(
        "BatchUpdateFindingsV2",
        {"ProcessedFindings": [], "UnprocessedFindings": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}]},
    )
    handler.lambda_handler(asff.imported_v2_event(*findings), None)

    updates = params_of(bridge.calls, "BatchUpdateFindingsV2")
    assert [len(u["FindingIdentifiers"]) for u in updates] == [2, 2]  # one call per resource
    assert not params_of(bridge.calls, "BatchUpdateFindings")
    lines = decisions(capsys)
    assert [line["decision"] for line in lines] == ["started", "started", "attached", "attached"]
    assert all(line["finding_update_error"] == "unprocessed: InternalFailure: x" for line in lines)


def test_a_failed_resource_releases_only_its_own_findings_and_the_batch_fails_for_lambda_s_retry(bridge, capsys):
    findings = _findings(4, 2)
    bridge.calls.fail("StartAutomationExecution", "ThrottlingException", "slow down", times=1)
    with pytest.raises(RuntimeError, match="2 finding"):
        handler.lambda_handler(asff.imported_event(*findings), None)

    lines = decisions(capsys)
    assert sorted(line["decision"] for line in lines) == ["attached", "failed", "failed", "started"]
    (release,) = [
        p["TransactItems"] for p in params_of(bridge.calls, "TransactWriteItems") if "Delete" in p["TransactItems"][0]
    ]
    failed = {line["finding_id"] for line in lines if line["decision"] == "failed"}
    assert {item["Delete"]["Key"]["pk"]["S"].removeprefix("finding#") for item in release} == failed


def test_a_finding_seen_after_config_found_the_resource_compliant_still_starts_the_run(bridge, capsys):
    rule = bridge.config["controls"]["s3-bucket-kms-encryption"]["config_rule"]
    compliant_at = "2026-11-27T09:00:00Z"
    bridge.calls.respond(
        "GetComplianceDetailsByResource",
        {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {"EvaluationResultQualifier": {"ConfigRuleName": rule}},
                    "ComplianceType": "COMPLIANT",
                    "ResultRecordedTime": compliant_at,
                }
            ]
        },
    )

    def seen(at: str, n: int, bucket: str = asff.BUCKET) -> dict:
        return {**asff.prowler_finding(CHECK, asff.bucket_arn(bucket), timestamp=at), "Id": f"finding-{n}"}

    handler.lambda_handler(asff.imported_event(seen("2026-11-27T08:00:00Z", 0, "remedy-other")), None)
    assert decisions(capsys)[-1]["reason"] == "already_compliant"  # alone, a finding seen before is fixed since

    older, newer = seen("2026-11-27T08:00:00Z", 1), seen("2026-11-27T10:00:00Z", 2)
    handler.lambda_handler(asff.imported_event(older, newer), None)  # the newest sighting is after Config's
    assert [line["decision"] for line in decisions(capsys)] == ["started", "attached"]
    assert len(automation_starts(bridge.calls)) == 1
