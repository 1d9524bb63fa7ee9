"""Security Hub CSPM's own control findings: routed through the catalogue's FSBP and CIS v3.0 ids like Prowler's."""

from __future__ import annotations

import pytest

from prowler_bridge import handler
from tests.conftest import ACCOUNT_ID
from tests.prowler_bridge import asff, catalogue_ids
from tests.prowler_bridge.conftest import decisions, params_of

FSBP = "aws-foundational-security-best-practices/v/1.0.0"
CIS = "cis-aws-foundations-benchmark/v/3.0.0"


PAB = "s3-bucket-level-public-access-block"
# The security control id (FSBP) the bucket-level control alone claims, and its CIS v3.0 ids: a CIS id another
# control claims too routes nowhere by itself, but a finding's SecurityControlId still routes it.
(PAB_CONTROL,) = catalogue_ids.claimed_only_by(PAB, catalogue_ids.FSBP)[:1]
PAB_CIS = next(c.frameworks.get(catalogue_ids.CIS, ()) for c in catalogue_ids.CATALOGUE.controls if c.id == PAB)
PASSWORD_POLICY = "iam-password-policy"


@pytest.mark.parametrize(
    ("security_control", "standard"),
    [
        (PAB_CONTROL, None),  # consolidated control findings (the default since February 2023)
        (PAB_CONTROL, f"{FSBP}/{PAB_CONTROL}"),  # consolidation off: one finding per standard
        *[(PAB_CONTROL, f"{CIS}/{i}") for i in PAB_CIS],
        # China and GovCloud Regions: no SecurityControlId
        *[(None, f"{CIS}/{i}") for i in catalogue_ids.claimed_only_by(PAB, catalogue_ids.CIS)],
        (None, f"{FSBP}/{PAB_CONTROL}"),
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
    assert "1.8" in catalogue_ids.claimed_only_by(PASSWORD_POLICY, catalogue_ids.CIS)
    assert not catalogue_ids.claimants(catalogue_ids.FSBP, "IAM.15")
    finding = asff.control_finding("IAM.15", f"AWS::::Account:{ACCOUNT_ID}", standard=f"{CIS}/1.8")
    handler.lambda_handler(asff.imported_event(finding), None)
    (start,) = params_of(bridge.calls, "StartAutomationExecution")
    assert start["DocumentName"] == "Remedy-SetIamPasswordPolicy"
    assert start["Parameters"]["AccountId"] == [ACCOUNT_ID]


@pytest.mark.parametrize("requirement", catalogue_ids.claimed_only_by(PASSWORD_POLICY, catalogue_ids.CIS))
def test_cis_finding_without_security_control_routes_by_its_cis_id(bridge, capsys, requirement):
    """China and GovCloud Regions: no SecurityControlId; a CIS id one control alone claims starts its runbook."""
    finding = asff.control_finding(None, f"AWS::::Account:{ACCOUNT_ID}", standard=f"{CIS}/{requirement}")
    handler.lambda_handler(asff.imported_event(finding), None)
    (start,) = params_of(bridge.calls, "StartAutomationExecution")
    assert start["DocumentName"] == "Remedy-SetIamPasswordPolicy"
    assert start["Parameters"]["AccountId"] == [ACCOUNT_ID]
    (line,) = decisions(capsys)
    assert (line["decision"], line["control"]) == ("started", PASSWORD_POLICY)


@pytest.mark.parametrize("requirement", catalogue_ids.claimed_by_several(catalogue_ids.CIS) or ["none"])
def test_cis_finding_of_an_id_two_controls_claim_changes_nothing(bridge, capsys, requirement):
    """Without a SecurityControlId to route by, a CIS id two controls claim is not guessed at: unmapped_control."""
    if requirement == "none":
        pytest.skip("no CIS id of the catalogue is claimed by two controls")
    finding = asff.control_finding(None, asff.bucket_arn(), standard=f"{CIS}/{requirement}")
    handler.lambda_handler(asff.imported_event(finding), None)
    assert bridge.calls.mutating == []
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", "unmapped_control")


def _product(finding: dict, product_arn: str) -> dict:
    return {**finding, "ProductArn": product_arn}


SKIPS = {
    "unmapped control": (
        lambda: asff.control_finding(catalogue_ids.unclaimed(catalogue_ids.FSBP, "S3.{}"), asff.bucket_arn()),
        "unmapped_control",
    ),
    "unmapped standard control": (
        lambda: asff.control_finding(
            None, asff.bucket_arn(), standard=f"{CIS}/{catalogue_ids.unclaimed(catalogue_ids.CIS, '2.1.{}')}"
        ),
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
