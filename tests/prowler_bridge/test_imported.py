"""Security Hub Findings - Imported: which Prowler findings start a runbook, with which parameters."""

from __future__ import annotations

import json

import boto3
import pytest

from prowler_bridge import handler, settings
from tests.conftest import ACCOUNT_ID, REGION
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import (
    EXECUTION_ID,
    S3_KMS_KEY_ARN,
    TABLE,
    automation_starts,
    decisions,
    params_of,
)


def _ledger_items() -> dict[str, dict]:
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=TABLE)["Items"]
    return {item["pk"]["S"]: item for item in items}


def _started(bridge) -> dict:
    (start,) = automation_starts(bridge.calls)
    return start


# --- happy paths -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_id", "document"),
    [
        ("s3_bucket_level_public_access_block", "Remedy-EnableS3BucketPublicAccessBlock"),
        ("s3_bucket_kms_encryption", "Remedy-EnableS3BucketKmsEncryption"),
    ],
)
def test_bucket_finding_starts_runbook_with_bucket_name(bridge, capsys, check_id, document):
    finding = asff.prowler_finding(check_id, asff.bucket_arn())
    result = handler.lambda_handler(asff.imported_event(finding), None)

    role = asff.runbook_role(document)
    key = {"KmsKeyId": [S3_KMS_KEY_ARN]} if check_id == "s3_bucket_kms_encryption" else {}
    assert _started(bridge) == {
        "DocumentName": document,
        "Parameters": {
            "BucketName": [asff.BUCKET],
            **key,
            "AutomationAssumeRole": [role],
            "ControlId": [bridge.config["checks"][check_id]],
            "Trigger": ["bridge-automatic"],  # the runbook's guard step skips it while paused or in manual mode
        },
    }
    assert bridge.calls.operations == [
        "GetCallerIdentity",
        "GetParameter",  # the account's run-time controls (paused, modes)
        "TransactWriteItems",  # the findings' claims (up to 100 to a transaction)
        "UpdateItem",  # the resource's claim (all of the batch's findings about it in one write)
        "DescribeRemediationExecutionStatus",  # is AWS Config remediating it?
        "GetComplianceDetailsByResource",  # has AWS Config seen it compliant since?
        "StartAutomationExecution",
        "PutItem",  # the execution's record
        "UpdateItem",  # the claim's run started
        "BatchUpdateFindings",  # up to 100 findings to a call
        "TransactWriteItems",  # the findings' claims confirmed (until then they were leases)
    ]
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")
    assert update["FindingIdentifiers"] == [{"Id": finding["Id"], "ProductArn": finding["ProductArn"]}]
    assert update["Workflow"] == {"Status": "NOTIFIED"}
    assert update["Note"] == {
        "Text": f"Remedy started {document} execution {EXECUTION_ID}",
        "UpdatedBy": "remedy-bridge",
    }
    bridge.calls.assert_within(handler.IAM_ACTIONS)

    (line,) = decisions(capsys)
    assert line["decision"] == "started" and line["execution_id"] == EXECUTION_ID
    assert line["finding_id"] == finding["Id"] and line["check_id"] == check_id
    assert result["decisions"][0]["decision"] == "started"

    items = _ledger_items()
    assert f"finding#{finding['Id']}" in items
    record = items[f"execution#{EXECUTION_ID}"]
    assert record["control"]["S"] == bridge.config["checks"][check_id]
    assert record["account"]["S"] == ACCOUNT_ID and record["region"]["S"] == REGION
    assert record["findings"]["L"][0]["M"]["Id"]["S"] == finding["Id"]
    assert record["parameters"]["M"]["BucketName"]["S"] == asff.BUCKET


@pytest.mark.parametrize("check_id", ["iam_password_policy_minimum_length_14", "check19"])
def test_password_policy_finding_passes_account_id_from_synthetic_arn(bridge, check_id):
    finding = asff.prowler_finding(check_id, asff.password_policy_arn())
    handler.lambda_handler(asff.imported_event(finding), None)

    start = _started(bridge)
    assert start["DocumentName"] == "Remedy-SetIamPasswordPolicy"
    assert start["Parameters"] == {
        "AccountId": [ACCOUNT_ID],
        "MinimumPasswordLength": ["14"],
        "RequireUppercaseCharacters": ["true"],
        "RequireLowercaseCharacters": ["true"],
        "RequireSymbols": ["true"],
        "RequireNumbers": ["true"],
        "PasswordReusePrevention": ["24"],
        "AutomationAssumeRole": [asff.runbook_role("Remedy-SetIamPasswordPolicy")],
        "ControlId": ["iam-password-policy"],
        "Trigger": ["bridge-automatic"],
    }


def test_several_findings_in_one_event_are_decided_one_by_one(bridge, capsys):
    good = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    passed = asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn(), status="PASSED")
    handler.lambda_handler(asff.imported_event(good, passed), None)
    assert len(params_of(bridge.calls, "StartAutomationExecution")) == 1
    assert [line["decision"] for line in decisions(capsys)] == ["started", "skipped"]


def test_foreign_in_scope_account_goes_through_member_role(bridge, monkeypatch):
    monkeypatch.setenv("ALLOWED_ACCOUNTS", f"{ACCOUNT_ID},{asff.OTHER_ACCOUNT_ID}")
    finding = asff.prowler_finding(
        "iam_password_policy_symbol", asff.password_policy_arn(asff.OTHER_ACCOUNT_ID), account=asff.OTHER_ACCOUNT_ID
    )
    handler.lambda_handler(asff.imported_event(finding), None)

    (assume,) = params_of(bridge.calls, "AssumeRole")
    assert assume["RoleArn"] == f"arn:aws:iam::{asff.OTHER_ACCOUNT_ID}:role/remedy/remedy-bridge-member-{REGION}"
    ops = bridge.calls.operations
    assert ops.index("AssumeRole") < ops.index("StartAutomationExecution")
    parameters = _started(bridge)["Parameters"]
    assert parameters["AccountId"] == [asff.OTHER_ACCOUNT_ID]
    assert parameters["AutomationAssumeRole"] == [
        asff.runbook_role("Remedy-SetIamPasswordPolicy", account=asff.OTHER_ACCOUNT_ID)
    ]
    bridge.calls.assert_within(handler.IAM_ACTIONS)


def test_member_role_name_and_path_are_configurable(bridge, monkeypatch):
    monkeypatch.setenv("ALLOWED_ACCOUNTS", asff.OTHER_ACCOUNT_ID)
    monkeypatch.setenv("MEMBER_ROLE_NAME", "custom-member-{region}")
    monkeypatch.setenv("MEMBER_ROLE_PATH", "/platform/remedy/")
    finding = asff.prowler_finding(
        "iam_password_policy_symbol", asff.password_policy_arn(asff.OTHER_ACCOUNT_ID), account=asff.OTHER_ACCOUNT_ID
    )
    handler.lambda_handler(asff.imported_event(finding), None)
    (assume,) = params_of(bridge.calls, "AssumeRole")
    assert assume["RoleArn"] == f"arn:aws:iam::{asff.OTHER_ACCOUNT_ID}:role/platform/remedy/custom-member-{REGION}"


def test_member_role_at_the_root_path_has_a_single_slash(bridge, monkeypatch):
    monkeypatch.setenv("ALLOWED_ACCOUNTS", asff.OTHER_ACCOUNT_ID)
    monkeypatch.setenv("MEMBER_ROLE_PATH", "/")
    finding = asff.prowler_finding(
        "iam_password_policy_symbol", asff.password_policy_arn(asff.OTHER_ACCOUNT_ID), account=asff.OTHER_ACCOUNT_ID
    )
    handler.lambda_handler(asff.imported_event(finding), None)
    (assume,) = params_of(bridge.calls, "AssumeRole")
    assert assume["RoleArn"] == f"arn:aws:iam::{asff.OTHER_ACCOUNT_ID}:role/remedy-bridge-member-{REGION}"


def test_organization_scope_takes_any_account_with_no_list(bridge, monkeypatch):
    monkeypatch.setenv("ORGANIZATION_ID", "o-a1b2c3d4e5")
    finding = asff.prowler_finding(
        "iam_password_policy_symbol", asff.password_policy_arn(asff.OTHER_ACCOUNT_ID), account=asff.OTHER_ACCOUNT_ID
    )
    handler.lambda_handler(asff.imported_event(finding), None)

    (assume,) = params_of(bridge.calls, "AssumeRole")
    assert assume["RoleArn"] == f"arn:aws:iam::{asff.OTHER_ACCOUNT_ID}:role/remedy/remedy-bridge-member-{REGION}"
    assert _started(bridge)["Parameters"]["AccountId"] == [asff.OTHER_ACCOUNT_ID]


def test_without_organization_or_list_another_account_is_out_of_scope(bridge, capsys):
    finding = asff.prowler_finding(
        "iam_password_policy_symbol", asff.password_policy_arn(asff.OTHER_ACCOUNT_ID), account=asff.OTHER_ACCOUNT_ID
    )
    handler.lambda_handler(asff.imported_event(finding), None)

    assert not params_of(bridge.calls, "AssumeRole")
    assert not params_of(bridge.calls, "StartAutomationExecution")
    assert "account_out_of_scope" in capsys.readouterr().out


def test_allowed_regions_lets_another_region_in(bridge, monkeypatch):
    monkeypatch.setenv("ALLOWED_REGIONS", f"{REGION},{asff.OTHER_REGION}")
    finding = asff.prowler_finding(
        "iam_password_policy_symbol", asff.password_policy_arn(region=asff.OTHER_REGION), region=asff.OTHER_REGION
    )
    handler.lambda_handler(asff.imported_event(finding), None)
    assert _started(bridge)["Parameters"]["AutomationAssumeRole"] == [
        asff.runbook_role("Remedy-SetIamPasswordPolicy", region=asff.OTHER_REGION)
    ]


def test_a_global_control_is_remediated_in_the_home_region_whichever_region_reported_it(bridge, monkeypatch):
    monkeypatch.setenv("ALLOWED_REGIONS", f"{REGION},{asff.OTHER_REGION}")
    bridge.config_path.write_text(json.dumps({**bridge.config, "home_region": REGION}))
    settings.reset_caches()
    finding = asff.prowler_finding(
        "iam_password_policy_symbol", asff.password_policy_arn(region=asff.OTHER_REGION), region=asff.OTHER_REGION
    )
    handler.lambda_handler(asff.imported_event(finding), None)

    assert _started(bridge)["Parameters"]["AutomationAssumeRole"] == [asff.runbook_role("Remedy-SetIamPasswordPolicy")]


def test_a_regional_control_stays_in_its_region_when_a_home_region_is_set(bridge, monkeypatch):
    monkeypatch.setenv("ALLOWED_REGIONS", f"{REGION},{asff.OTHER_REGION}")
    bridge.config_path.write_text(json.dumps({**bridge.config, "home_region": REGION}))
    settings.reset_caches()
    finding = asff.prowler_finding(
        "s3_bucket_kms_encryption", asff.bucket_arn(), account=ACCOUNT_ID, region=asff.OTHER_REGION
    )
    handler.lambda_handler(asff.imported_event(finding), None)

    role = _started(bridge)["Parameters"]["AutomationAssumeRole"]
    assert role == [asff.runbook_role("Remedy-EnableS3BucketKmsEncryption", region=asff.OTHER_REGION)]


# --- repeated imports -------------------------------------------------------------------------------------


def test_repeated_import_of_same_finding_starts_nothing_new(bridge, capsys):
    event = asff.imported_event(asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn()))
    handler.lambda_handler(event, None)
    capsys.readouterr()
    bridge.calls.clear()

    handler.lambda_handler(event, None)
    # Only the (refused) conditional claim: nothing started, the finding is not touched.
    assert bridge.calls.mutating == ["TransactWriteItems"]
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", "duplicate")


def test_expired_claim_no_longer_counts_even_before_dynamodb_deletes_it(bridge):
    event = asff.imported_event(asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn()))
    handler.lambda_handler(event, None)
    for pk in _ledger_items():  # the finding's claim and its resource's claim both expired
        boto3.client("dynamodb", region_name=REGION).update_item(
            TableName=TABLE,
            Key={"pk": {"S": pk}},
            UpdateExpression="SET expires_at = :past",
            ExpressionAttributeValues={":past": {"N": "1"}},
        )
    bridge.calls.clear()
    handler.lambda_handler(event, None)
    assert "StartAutomationExecution" in bridge.calls.operations


# --- failures -----------------------------------------------------------------------------------------------


def test_start_failure_releases_the_claim_and_raises(bridge, capsys):
    bridge.calls.fail("StartAutomationExecution", "AccessDeniedException", "not allowed")
    finding = asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn())
    with pytest.raises(RuntimeError, match="could not be remediated"):
        handler.lambda_handler(asff.imported_event(finding), None)
    assert "BatchUpdateFindings" not in bridge.calls.operations
    items = _ledger_items()
    assert not [pk for pk in items if pk.startswith("finding#")]  # the next import (or the Lambda retry) acts
    (resource,) = [item for pk, item in items.items() if pk.startswith("resource#")]
    assert resource["lease_until"]["N"] == "0" and "execution_id" not in resource  # taken over at once
    (line,) = decisions(capsys)
    assert line["decision"] == "failed" and "AccessDenied" in line["error"]


def test_a_retry_after_an_unrecorded_start_reuses_the_client_token_so_ssm_cannot_start_twice(bridge, capsys):
    bridge.calls.fail("PutItem", "ProvisionedThroughputExceededException", "slow down")  # the execution's record
    finding = asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn())
    with pytest.raises(RuntimeError):
        handler.lambda_handler(asff.imported_event(finding), None)  # started, then the ledger write failed
    bridge.calls.heal("PutItem")
    handler.lambda_handler(asff.imported_event(finding), None)  # Lambda's retry

    first, second = params_of(bridge.calls, "StartAutomationExecution")
    assert first["ClientToken"] == second["ClientToken"]
    assert EXECUTION_ID in _ledger_items()[f"execution#{EXECUTION_ID}"]["pk"]["S"]


def test_findings_about_one_resource_start_one_execution_and_all_are_resolved_when_it_ends(bridge, capsys):
    policy = asff.password_policy_arn()
    checks = ["iam_password_policy_minimum_length_14", "iam_password_policy_reuse_24", "iam_password_policy_symbol"]
    findings = [asff.prowler_finding(check, policy) for check in checks]
    handler.lambda_handler(asff.imported_event(*findings), None)

    assert len(automation_starts(bridge.calls)) == 1
    assert [line["decision"] for line in decisions(capsys)] == ["started", "attached", "attached"]
    bridge.calls.clear()
    handler.lambda_handler(asff.status_event(EXECUTION_ID, "Remedy-SetIamPasswordPolicy", "Success"), None)
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")
    assert update["Workflow"] == {"Status": "RESOLVED"}
    assert sorted(f["Id"] for f in update["FindingIdentifiers"]) == sorted(f["Id"] for f in findings)
    assert not [pk for pk in _ledger_items() if pk.startswith("resource#")]  # the next finding is decided afresh


def test_no_start_when_the_resource_s_config_rule_found_it_compliant_after_the_scan(bridge, capsys):
    finding = asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn())  # UpdatedAt 09:00
    rule = bridge.config["controls"]["s3-bucket-kms-encryption"]["config_rule"]
    bridge.calls.respond(
        "GetComplianceDetailsByResource",
        {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {"EvaluationResultQualifier": {"ConfigRuleName": rule}},
                    "ComplianceType": "COMPLIANT",
                    "ResultRecordedTime": "2026-11-27T09:05:00Z",
                }
            ]
        },
    )
    handler.lambda_handler(asff.imported_event(finding), None)

    assert not params_of(bridge.calls, "StartAutomationExecution")
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")
    assert update["Workflow"] == {"Status": "RESOLVED"}
    assert decisions(capsys)[-1]["reason"] == "already_compliant"


def test_no_start_while_aws_config_remediates_the_resource(bridge, capsys):
    finding = asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn())
    bridge.calls.respond(
        "DescribeRemediationExecutionStatus", {"RemediationExecutionStatuses": [{"State": "IN_PROGRESS"}]}
    )
    handler.lambda_handler(asff.imported_event(finding), None)

    assert not params_of(bridge.calls, "StartAutomationExecution")
    assert decisions(capsys)[-1]["reason"] == "config_remediation_in_progress"
    assert not [pk for pk in _ledger_items() if pk.startswith("resource#")]


def test_finding_update_failure_after_start_keeps_claim_and_is_logged(bridge, capsys):
    bridge.calls.fail("BatchUpdateFindings", "InvalidAccessException", "no hub")
    finding = asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding), None)
    (line,) = decisions(capsys)
    assert line["decision"] == "started" and "InvalidAccess" in line["finding_update_error"]
    assert f"finding#{finding['Id']}" in _ledger_items()


def test_a_batch_of_findings_about_one_resource_starts_one_run_and_reports_its_calls(bridge, capsys):
    checks = [c for c, control in bridge.config["checks"].items() if control == "iam-password-policy"]
    checks = [c for c in checks if not c.startswith("check")][:6]  # current Prowler ids, not legacy ones
    findings = [asff.prowler_finding(check, asff.password_policy_arn()) for check in checks]

    handler.lambda_handler(asff.imported_event(*findings), None)

    assert len(automation_starts(bridge.calls)) == 1
    assert [line["decision"] for line in decisions(capsys)] == ["started"] + ["attached"] * (len(findings) - 1)
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")  # all six in one call, with one note
    assert sorted(f["Id"] for f in update["FindingIdentifiers"]) == sorted(f["Id"] for f in findings)
    counts: dict[str, int] = {}
    for operation in bridge.calls.operations:
        counts[operation] = counts.get(operation, 0) + 1
    print(f"\ncalls for K={len(findings)} findings over R=1 resource: {len(bridge.calls.operations)} {counts}")
