"""Security Hub CSPM's own control findings: routed through the catalogue's FSBP and CIS v3.0 ids like Prowler's."""

from __future__ import annotations

import pytest

from prowler_bridge import handler
from tests.conftest import ACCOUNT_ID
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import decisions, params_of

FSBP = "aws-foundational-security-best-practices/v/1.0.0"
CIS = "cis-aws-foundations-benchmark/v/3.0.0"


@pytest.mark.parametrize(
    ("security_control", "standard"),
    [
        ("S3.8", None),  # consolidated control findings (the default since February 2023)
        ("S3.8", f"{FSBP}/S3.8"),  # consolidation off: one finding per standard
        ("S3.8", f"{CIS}/2.1.4"),
        (None, f"{CIS}/2.1.4"),  # China and GovCloud Regions: no SecurityControlId
        (None, f"{FSBP}/S3.8"),
    ],
)
def test_failed_control_finding_starts_the_controls_runbook(bridge, capsys, security_control, standard):
    finding = asff.control_finding(security_control, asff.bucket_arn(), standard=standard)
    handler.lambda_handler(asff.imported_event(finding), None)

    (start,) = params_of(bridge.calls, "StartAutomationExecution")
    assert start["DocumentName"] == "Remedy-EnableS3BucketPublicAccessBlock"
    assert start["Parameters"]["BucketName"] == [asff.BUCKET]
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")
    assert update["FindingIdentifiers"] == [{"Id": finding["Id"], "ProductArn": asff.securityhub_product_arn()}]
    (line,) = decisions(capsys)
    assert (line["decision"], line["control"]) == ("started", "s3-bucket-level-public-access-block")
    bridge.calls.assert_within(handler.IAM_ACTIONS)


def test_cis_finding_whose_security_control_the_catalogue_does_not_list_routes_by_its_cis_id(bridge, capsys):
    """CIS v3.0 1.8 is Security Hub's IAM.15; the catalogue names the CIS id, so the per-standard finding acts."""
    finding = asff.control_finding("IAM.15", f"AWS::::Account:{ACCOUNT_ID}", standard=f"{CIS}/1.8")
    handler.lambda_handler(asff.imported_event(finding), None)
    (start,) = params_of(bridge.calls, "StartAutomationExecution")
    assert start["DocumentName"] == "Remedy-SetIamPasswordPolicy"
    assert start["Parameters"]["AccountId"] == [ACCOUNT_ID]


def _product(finding: dict, product_arn: str) -> dict:
    return {**finding, "ProductArn": product_arn}


SKIPS = {
    "unmapped control": (lambda: asff.control_finding("S3.1", asff.bucket_arn()), "unmapped_control"),
    "unmapped standard control": (
        lambda: asff.control_finding(None, asff.bucket_arn(), standard=f"{CIS}/2.1.1"),
        "unmapped_control",
    ),
    "passed": (lambda: asff.control_finding("S3.8", asff.bucket_arn(), status="PASSED"), "not_failed"),
    "warning": (lambda: asff.control_finding("S3.8", asff.bucket_arn(), status="WARNING"), "not_failed"),
    "archived": (lambda: asff.control_finding("S3.8", asff.bucket_arn(), record_state="ARCHIVED"), "record_archived"),
    "suppressed": (lambda: asff.control_finding("S3.8", asff.bucket_arn(), workflow="SUPPRESSED"), "workflow_closed"),
    "manual control on import": (lambda: asff.control_finding("EC2.3", asff.volume_arn()), "automatic_off"),
    "control id from a product of our own account": (
        lambda: _product(
            asff.control_finding("S3.8", asff.bucket_arn()),
            f"arn:aws:securityhub:us-east-1:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default",
        ),
        "not_prowler",
    ),
    "Security Hub's product of another region": (
        lambda: _product(asff.control_finding("S3.8", asff.bucket_arn()), asff.securityhub_product_arn("eu-west-1")),
        "not_prowler",
    ),
    "resource of the wrong type": (lambda: asff.control_finding("S3.8", asff.volume_arn()), "malformed_arn"),
}


@pytest.mark.parametrize("case", SKIPS, ids=list(SKIPS))
def test_control_findings_that_change_nothing(bridge, capsys, case):
    build, reason = SKIPS[case]
    handler.lambda_handler(asff.imported_event(build()), None)
    assert bridge.calls.mutating == []
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", reason)


def test_remediate_button_runs_a_manual_control_from_its_control_finding(bridge, capsys):
    finding = asff.control_finding("EC2.3", asff.volume_arn())
    handler.lambda_handler(asff.custom_action_event(finding), None)
    (start,) = params_of(bridge.calls, "StartAutomationExecution")
    assert start["DocumentName"] == "Remedy-EncryptEbsVolume"
    assert start["Parameters"]["VolumeId"] == [asff.VOLUME_ID]
