"""Security Hub's OCSF findings ("Findings Imported V2"): normalised into the same decision as ASFF findings."""

from __future__ import annotations

import pytest

from prowler_bridge import handler, ocsf
from tests.conftest import ACCOUNT_ID
from tests.prowler_bridge import asff, catalogue_ids
from tests.prowler_bridge.conftest import EXECUTION_ID, decisions, params_of
from tests.prowler_bridge.ocsf_findings import ocsf_control_finding

BUCKET_ARN = asff.bucket_arn()


def _bucket(**kwargs) -> dict:
    return ocsf_control_finding("S3.8", asff.BUCKET, uid_alt=BUCKET_ARN, **kwargs)


def test_failed_control_finding_starts_the_runbook_and_updates_the_finding_in_ocsf(bridge, capsys):
    finding = _bucket()
    handler.lambda_handler(asff.imported_v2_event(finding), None)

    (start,) = params_of(bridge.calls, "StartAutomationExecution")
    assert start["DocumentName"] == "Remedy-EnableS3BucketPublicAccessBlock"
    assert start["Parameters"]["BucketName"] == [asff.BUCKET]
    assert not params_of(bridge.calls, "BatchUpdateFindings")
    (update,) = params_of(bridge.calls, "BatchUpdateFindingsV2")
    assert update["FindingIdentifiers"] == [
        {
            "CloudAccountUid": ACCOUNT_ID,
            "FindingInfoUid": finding["finding_info"]["uid"],
            "MetadataProductUid": finding["metadata"]["product"]["uid"],
        }
    ]
    assert update["StatusId"] == 2  # In Progress
    (line,) = decisions(capsys)
    assert (line["decision"], line["check_id"]) == ("started", "S3.8")


def test_the_same_check_in_both_formats_runs_once(bridge, capsys):
    uuid = "0f0f0f0f-1111-2222-3333-444444444444"
    handler.lambda_handler(asff.imported_event(asff.control_finding("S3.8", BUCKET_ARN, finding_uuid=uuid)), None)
    handler.lambda_handler(asff.imported_v2_event(_bucket(finding_uuid=uuid)), None)
    assert len(params_of(bridge.calls, "StartAutomationExecution")) == 1
    assert [line.get("reason") for line in decisions(capsys)] == [None, "duplicate"]


def test_a_run_ends_updating_each_finding_in_the_format_it_came_in(bridge):
    uuid = "0f0f0f0f-1111-2222-3333-444444444444"
    handler.lambda_handler(asff.imported_event(asff.control_finding("S3.8", BUCKET_ARN, finding_uuid=uuid)), None)
    handler.lambda_handler(asff.imported_v2_event(_bucket(finding_uuid="0f0f0f0f-1111-2222-3333-555555555555")), None)
    bridge.calls.clear()

    handler.lambda_handler(asff.status_event(EXECUTION_ID, "Remedy-EnableS3BucketPublicAccessBlock", "Success"), None)

    (resolved,) = params_of(bridge.calls, "BatchUpdateFindings")
    (resolved_v2,) = params_of(bridge.calls, "BatchUpdateFindingsV2")
    assert [i["Id"].rsplit("/", 1)[1] for i in resolved["FindingIdentifiers"]] == [uuid]
    assert resolved["Workflow"] == {"Status": "RESOLVED"}
    assert [i["FindingInfoUid"].rsplit("/", 1)[1] for i in resolved_v2["FindingIdentifiers"]] == [
        "0f0f0f0f-1111-2222-3333-555555555555"
    ]
    assert resolved_v2["StatusId"] == 4  # Resolved


def test_an_asff_finding_cannot_ask_for_an_ocsf_update(bridge):
    finding = {**asff.control_finding("S3.8", BUCKET_ARN), ocsf.OCSF_PRODUCT_UID: asff.securityhub_product_arn()}
    handler.lambda_handler(asff.imported_event(finding), None)
    assert params_of(bridge.calls, "BatchUpdateFindings")
    assert not params_of(bridge.calls, "BatchUpdateFindingsV2")


def test_account_resource_is_named_as_in_asff(bridge):
    finding = ocsf_control_finding("IAM.7", ACCOUNT_ID, resource_type="AWS::::Account")
    handler.lambda_handler(asff.imported_v2_event(finding), None)
    (start,) = params_of(bridge.calls, "StartAutomationExecution")
    assert start["Parameters"]["AccountId"] == [ACCOUNT_ID]


SKIPS = {
    "closed": (lambda: _bucket(activity="Close"), "record_archived"),
    "passed": (lambda: _bucket(compliance_status="Pass"), "not_failed"),
    "resolved": (lambda: _bucket(status="Resolved"), "workflow_closed"),
    "suppressed": (lambda: _bucket(status="Suppressed"), "workflow_closed"),
    "unmapped control": (
        lambda: ocsf_control_finding(
            catalogue_ids.unclaimed(catalogue_ids.FSBP, "S3.{}"), asff.BUCKET, uid_alt=BUCKET_ARN
        ),
        "unmapped_control",
    ),
    "exclusion tag": (lambda: _bucket(tags=[{"name": "remedy:exclude", "value": "true"}]), "excluded_by_tag"),
    "tags not name/value pairs": (lambda: _bucket(tags=[["remedy:exclude"]]), "malformed_finding"),
    "no ARN for the resource": (lambda: ocsf_control_finding("S3.8", asff.BUCKET), "malformed_arn"),
    "another product": (
        lambda: {
            **_bucket(),
            "metadata": {"product": {"uid": "arn:aws:securityhub:us-east-1::productv2/aws/inspector"}},
        },
        "not_prowler",
    ),
    "not an object": (lambda: "finding", "malformed_finding"),
}


@pytest.mark.parametrize("case", SKIPS, ids=list(SKIPS))
def test_findings_that_change_nothing(bridge, capsys, case):
    build, reason = SKIPS[case]
    handler.lambda_handler(asff.imported_v2_event(build()), None)
    assert bridge.calls.mutating == []
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", reason)


def test_normalise_maps_the_documented_fields():
    finding = _bucket(status="In Progress", tags=[{"name": "team", "value": "data"}])
    assert ocsf.normalise(finding) == {
        "Id": finding["finding_info"]["uid"],
        "ProductArn": asff.securityhub_product_arn(),
        "ProductName": "Security Hub",
        "Region": "us-east-1",
        "AwsAccountId": ACCOUNT_ID,
        "GeneratorId": "security-control/S3.8",
        "Compliance": {"SecurityControlId": "S3.8", "Status": "FAILED"},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NOTIFIED"},
        "Resources": [{"Id": BUCKET_ARN, "Type": "AWS::S3::Bucket", "Tags": {"team": "data"}}],
        ocsf.OCSF_PRODUCT_UID: "arn:aws:securityhub:us-east-1::productv2/aws/securityhub",
    }


@pytest.mark.parametrize("value", [None, 3, [], {"uid": 5}, "x" * 5000])
def test_normalise_never_raises_on_wrong_types(value):
    finding = _bucket()
    for key in list(finding):
        ocsf.normalise({**finding, key: value})
