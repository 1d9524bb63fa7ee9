"""Security Hub Findings - Custom Action ("Remediate"): manual controls, Config findings, double clicks."""

from __future__ import annotations

import boto3
import pytest

from prowler_bridge import handler
from tests.conftest import ACCOUNT_ID, REGION
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, TABLE, automation_starts, decisions, params_of


@pytest.mark.parametrize("check_id", ["iam_rotate_access_key_90_days", "check14"])
def test_access_key_finding_passes_the_users_aida_id(bridge, check_id):
    user_id = boto3.client("iam").create_user(UserName="alice")["User"]["UserId"]
    assert user_id.startswith("AIDA")
    bridge.calls.clear()
    handler.lambda_handler(asff.custom_action_event(asff.prowler_finding(check_id, asff.user_arn("alice"))), None)

    (get_user,) = params_of(bridge.calls, "GetUser")
    assert get_user["UserName"] == "alice"
    (start,) = automation_starts(bridge.calls)
    assert start == {
        "DocumentName": "Remedy-DeactivateUnrotatedIamAccessKeys",
        "Parameters": {
            "MaxAccessKeyAge": ["90"],
            "IAMResourceId": [user_id],
            "AutomationAssumeRole": [asff.runbook_role("Remedy-DeactivateUnrotatedIamAccessKeys")],
            "ControlId": ["iam-access-key-rotation"],
            "Trigger": ["bridge-manual"],
        },
    }
    bridge.calls.assert_within(handler.IAM_ACTIONS)


def test_user_with_path_is_looked_up_by_name(bridge):
    iam = boto3.client("iam")
    user_id = iam.create_user(UserName="bob", Path="/teams/payments/")["User"]["UserId"]
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/teams/payments/bob"
    handler.lambda_handler(asff.custom_action_event(asff.prowler_finding("iam_rotate_access_key_90_days", arn)), None)
    (start,) = automation_starts(bridge.calls)
    assert start["Parameters"]["IAMResourceId"] == [user_id]


@pytest.mark.parametrize("check_id", ["ec2_ebs_volume_encryption", "extra729"])
def test_volume_finding_passes_volume_id(bridge, capsys, check_id):
    finding = asff.prowler_finding(check_id, asff.volume_arn())
    handler.lambda_handler(asff.custom_action_event(finding), None)

    (start,) = automation_starts(bridge.calls)
    assert start["DocumentName"] == "Remedy-EncryptEbsVolume"
    assert start["Parameters"]["VolumeId"] == [asff.VOLUME_ID]
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")
    assert update["Workflow"] == {"Status": "NOTIFIED"}
    (line,) = decisions(capsys)
    assert line["decision"] == "started" and line["event"] == "custom_action" and line["check_id"] == check_id


def test_config_finding_asks_config_to_remediate(bridge, capsys):
    finding = asff.config_finding("remedy-s3-bucket-kms-encryption", asff.bucket_arn())
    handler.lambda_handler(asff.custom_action_event(finding), None)

    assert "StartAutomationExecution" not in bridge.calls.operations
    (remediation,) = params_of(bridge.calls, "StartRemediationExecution")
    assert remediation == {
        "ConfigRuleName": "remedy-s3-bucket-kms-encryption",
        "ResourceKeys": [{"resourceType": "AWS::S3::Bucket", "resourceId": asff.BUCKET}],
    }
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")
    assert update["FindingIdentifiers"] == [{"Id": finding["Id"], "ProductArn": finding["ProductArn"]}]
    assert update["Workflow"] == {"Status": "NOTIFIED"}
    assert "remedy-s3-bucket-kms-encryption" in update["Note"]["Text"]
    (line,) = decisions(capsys)
    assert line["decision"] == "started" and line["config_rule"] == "remedy-s3-bucket-kms-encryption"
    bridge.calls.assert_within(handler.IAM_ACTIONS)


def test_config_finding_of_conformance_pack_rule_uses_its_real_name(bridge):
    rule = "remedy-iam-password-policy-conformance-pack-abcd1234"
    finding = asff.config_finding(rule, f"AWS::::Account:{ACCOUNT_ID}")
    handler.lambda_handler(asff.custom_action_event(finding), None)
    (remediation,) = params_of(bridge.calls, "StartRemediationExecution")
    assert remediation["ConfigRuleName"] == rule
    assert remediation["ResourceKeys"] == [{"resourceType": "AWS::::Account", "resourceId": ACCOUNT_ID}]


def test_config_finding_of_a_foreign_rule_is_skipped(bridge, capsys):
    finding = asff.config_finding("securityhub-s3-bucket-public-read-prohibited-abc", asff.bucket_arn())
    handler.lambda_handler(asff.custom_action_event(finding), None)
    assert bridge.calls.mutating == []
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", "unmapped_rule")


def test_config_refusal_releases_claim_and_raises(bridge):
    bridge.calls.respond("StartRemediationExecution", {"FailureMessage": "no remediation", "FailedItems": [{}]})
    finding = asff.config_finding("remedy-s3-bucket-kms-encryption", asff.bucket_arn())
    with pytest.raises(RuntimeError):
        handler.lambda_handler(asff.custom_action_event(finding), None)
    assert "BatchUpdateFindings" not in bridge.calls.operations
    assert bridge.calls.mutating[-1] == "TransactWriteItems"
    (release,) = params_of(bridge.calls, "TransactWriteItems")[-1]["TransactItems"]
    assert release["Delete"]["Key"]["pk"]["S"] == f"finding#{finding['Id']}"  # the finding's claim, released


def test_double_click_runs_once_a_later_click_attaches_and_a_click_after_the_run_reruns(bridge, capsys):
    finding = asff.prowler_finding("ec2_ebs_volume_encryption", asff.volume_arn())
    event = asff.custom_action_event(finding)
    handler.lambda_handler(event, None)
    handler.lambda_handler(event, None)
    assert len(params_of(bridge.calls, "StartAutomationExecution")) == 1
    assert [line.get("reason") for line in decisions(capsys)] == [None, "duplicate"]

    # Six minutes later a person deliberately asks again: the run is still under way, the click joins it.
    _age_finding_claim(finding, seconds=360)
    handler.lambda_handler(event, None)
    assert len(params_of(bridge.calls, "StartAutomationExecution")) == 1
    assert decisions(capsys)[-1]["decision"] == "attached"

    # The run ended; a later click starts the runbook again.
    handler.lambda_handler(asff.status_event(EXECUTION_ID, "Remedy-EncryptEbsVolume", "Success"), None)
    _age_finding_claim(finding, seconds=360)
    handler.lambda_handler(event, None)
    assert len(params_of(bridge.calls, "StartAutomationExecution")) == 2


def _age_finding_claim(finding: dict, seconds: int) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    key = {"pk": {"S": f"finding#{finding['Id']}"}}
    claimed_at = int(dynamodb.get_item(TableName=TABLE, Key=key)["Item"]["claimed_at"]["N"])
    dynamodb.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET claimed_at = :earlier",
        ExpressionAttributeValues={":earlier": {"N": str(claimed_at - seconds)}},
    )


def test_click_right_after_automatic_start_is_a_duplicate(bridge, capsys):
    finding = asff.prowler_finding("s3_bucket_kms_encryption", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding), None)
    handler.lambda_handler(asff.custom_action_event(finding), None)
    assert len(params_of(bridge.calls, "StartAutomationExecution")) == 1
    assert decisions(capsys)[-1]["reason"] == "duplicate"
