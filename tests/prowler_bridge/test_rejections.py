"""Every reason a finding is skipped: nothing is started, no finding is updated, the ledger is not written.

Each case logs one structured line with decision "skipped", the stable reason code, the finding Id and
the check id.
"""

from __future__ import annotations

import pytest

from prowler_bridge import handler
from tests.conftest import ACCOUNT_ID
from tests.prowler_bridge import asff, catalogue_ids
from tests.prowler_bridge.conftest import decisions, params_of

PAB = "s3_bucket_level_public_access_block"
PASSWORD = "iam_password_policy_minimum_length_14"


def _bucket(**kwargs) -> dict:
    return asff.prowler_finding(PAB, asff.bucket_arn(), **kwargs)


def _with(finding: dict, **changes) -> dict:
    return {**finding, **changes}


def _resource_id(finding: dict, resource_id) -> dict:
    return _with(finding, Resources=[{**finding["Resources"][0], "Id": resource_id}])


def _config_finding() -> dict:
    return asff.config_finding("remedy-s3-bucket-kms-encryption", asff.bucket_arn())


def _guardduty_like() -> dict:
    finding = _bucket()
    finding.update(
        ProductName="GuardDuty", ProductFields={}, ProductArn="arn:aws:securityhub:us-east-1::product/aws/guardduty"
    )
    return finding


def _spoofed() -> dict:
    return _bucket(product_arn=f"arn:aws:securityhub:us-east-1:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default")


def _spoofed_other_region() -> dict:
    return _bucket(product_arn="arn:aws:securityhub:eu-west-1::product/prowler/prowler")


CASES = {
    "config finding is not Prowler's": (_config_finding, "not_prowler", {}),
    "another product": (_guardduty_like, "not_prowler", {}),
    "Prowler name, foreign ProductArn": (_spoofed, "spoofed_product", {}),
    "Prowler name, other region's ProductArn": (_spoofed_other_region, "spoofed_product", {}),
    "passed": (lambda: _bucket(status="PASSED"), "not_failed", {}),
    "warning": (lambda: _bucket(status="WARNING"), "not_failed", {}),
    "archived": (lambda: _bucket(record_state="ARCHIVED"), "record_archived", {}),
    "resolved": (lambda: _bucket(workflow="RESOLVED"), "workflow_closed", {}),
    "suppressed": (lambda: _bucket(workflow="SUPPRESSED"), "workflow_closed", {}),
    "unmapped check": (
        # A check no control claims, on a well-formed ARN of a registered type: the check alone is the reason.
        lambda: asff.prowler_finding(catalogue_ids.unclaimed_check("s3_bucket_object_versioning"), asff.bucket_arn()),
        "unmapped_check",
        {},
    ),
    "generator without prowler- prefix": (lambda: _with(_bucket(), GeneratorId=PAB), "unmapped_check", {}),
    "resource id not an ARN": (lambda: _resource_id(_bucket(), "my-bucket"), "malformed_arn", {}),
    "resource id missing": (lambda: _with(_bucket(), Resources=[]), "malformed_arn", {}),
    "ARN of the wrong type": (lambda: _resource_id(_bucket(), asff.volume_arn()), "malformed_arn", {}),
    "S3 object ARN": (lambda: _resource_id(_bucket(), "arn:aws:s3:::bucket/key.txt"), "malformed_arn", {}),
    "bad account in ARN": (
        lambda: asff.prowler_finding(PASSWORD, "arn:aws:iam:us-east-1:12345:password-policy"),
        "malformed_arn",
        {},
    ),
    "ARN in another account": (
        lambda: asff.prowler_finding(PASSWORD, asff.password_policy_arn(account=asff.OTHER_ACCOUNT_ID)),
        "account_mismatch",
        {"ALLOWED_ACCOUNTS": f"{ACCOUNT_ID},{asff.OTHER_ACCOUNT_ID}"},
    ),
    "ARN in another region": (
        lambda: asff.prowler_finding(PASSWORD, asff.password_policy_arn(region=asff.OTHER_REGION)),
        "region_mismatch",
        {"ALLOWED_REGIONS": f"us-east-1,{asff.OTHER_REGION}"},
    ),
    "ARN in another partition": (
        lambda: asff.prowler_finding(PASSWORD, "arn:aws-cn:iam:us-east-1:123456789012:password-policy"),
        "partition_mismatch",
        {},
    ),
    "account not allowed (default: own account only)": (
        lambda: _bucket(account=asff.OTHER_ACCOUNT_ID),
        "account_out_of_scope",
        {},
    ),
    "account not in ALLOWED_ACCOUNTS": (
        lambda: _bucket(),
        "account_out_of_scope",
        {"ALLOWED_ACCOUNTS": asff.OTHER_ACCOUNT_ID},
    ),
    "region not allowed (default: own region only)": (
        lambda: _bucket(region=asff.OTHER_REGION),
        "region_out_of_scope",
        {},
    ),
    "exclusion tag": (lambda: _bucket(tags={"remedy:exclude": "true"}), "excluded_by_tag", {}),
    "exclusion tag with empty value": (
        lambda: _bucket(tags={"remedy:exclude": "", "team": "x"}),
        "excluded_by_tag",
        {},
    ),
    "manual control on import": (
        lambda: asff.prowler_finding("ec2_ebs_volume_encryption", asff.volume_arn()),
        "automatic_off",
        {},
    ),
    "manual control, legacy id": (lambda: asff.prowler_finding("check14", asff.user_arn()), "automatic_off", {}),
    "account id not 12 digits": (lambda: _with(_bucket(), AwsAccountId="12345"), "malformed_finding", {}),
    "finding without Id": (lambda: {k: v for k, v in _bucket().items() if k != "Id"}, "malformed_finding", {}),
    "finding not an object": (lambda: "prowler-finding", "malformed_finding", {}),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_rejected_finding_changes_nothing(bridge, capsys, monkeypatch, case):
    build, reason, env = CASES[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    finding = build()

    result = handler.lambda_handler(asff.imported_event(finding) if isinstance(finding, dict) else _raw(finding), None)

    assert bridge.calls.mutating == []
    assert "StartAutomationExecution" not in bridge.calls.operations
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", reason)
    assert result["decisions"] == [line]
    if isinstance(finding, dict) and "Id" in finding:
        assert line["finding_id"] == finding["Id"]
    generator = finding.get("GeneratorId", "") if isinstance(finding, dict) else ""
    if finding_is_prowler(finding) and generator.startswith("prowler-"):
        assert line["check_id"] == generator.removeprefix("prowler-")


def finding_is_prowler(finding: object) -> bool:
    return isinstance(finding, dict) and finding.get("ProductFields", {}).get("ProviderName") == "Prowler"


def _raw(finding: object) -> dict:
    event = asff.imported_event()
    event["detail"]["findings"] = [finding]
    return event


def test_custom_action_still_honours_every_check_but_automatic(bridge, capsys):
    excluded = asff.prowler_finding("ec2_ebs_volume_encryption", asff.volume_arn(), tags={"remedy:exclude": "yes"})
    handler.lambda_handler(asff.custom_action_event(excluded), None)
    assert bridge.calls.mutating == []
    assert decisions(capsys)[0]["reason"] == "excluded_by_tag"


def test_unknown_iam_user_is_skipped_and_claim_released(bridge, capsys):
    finding = asff.prowler_finding("iam_rotate_access_key_90_days", asff.user_arn("ghost"))
    handler.lambda_handler(asff.custom_action_event(finding), None)
    assert "StartAutomationExecution" not in bridge.calls.operations
    assert bridge.calls.mutating == ["TransactWriteItems"] * 2  # claim, then released
    claim, release = (p["TransactItems"] for p in params_of(bridge.calls, "TransactWriteItems"))
    assert [item["Delete"]["Key"] for item in release] == [{"pk": claim[0]["Put"]["Item"]["pk"]}]
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", "resource_not_found")
