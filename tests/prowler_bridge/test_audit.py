"""Every runbook execution that ends leaves one audit record in S3, whoever started it; none is lost or replaced."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from prowler_bridge import audit, handler
from tests.conftest import ACCOUNT_ID, REGION
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, decisions

DOCUMENT = "Remedy-EnableS3BucketPublicAccessBlock"
CONTROL = "s3-bucket-level-public-access-block"
CONFIG_EXECUTION = "cccccccc-0000-0000-0000-000000000001"
OUTPUTS = {
    "ReportChange.PreviousState": ['{"BlockPublicAcls": false}'],
    "ReportChange.CurrentState": ['{"BlockPublicAcls": true}'],
}
# The status event's own time (asff._envelope): the record's key is dated by it.
KEY_DATE = "2026/11/27"


def _execution(parameters: dict | None = None, failure: str | None = None) -> dict:
    execution = {
        "AutomationExecutionId": EXECUTION_ID,
        "DocumentName": DOCUMENT,
        "Outputs": OUTPUTS,
        "ExecutionStartTime": datetime(2026, 11, 27, 9, 0, 1, tzinfo=UTC),
        "ExecutionEndTime": datetime(2026, 11, 27, 9, 0, 30, tzinfo=UTC),
        "ExecutedBy": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/remedy-bridge/remedy-bridge",
    }
    if parameters:
        execution["Parameters"] = parameters
    if failure:
        execution["FailureMessage"] = failure
    return {"AutomationExecution": execution}


def _objects(bridge) -> dict[str, list[dict]]:
    """Key -> every stored version's record."""
    s3 = boto3.client("s3", region_name=REGION)
    versions = s3.list_object_versions(Bucket=bridge.audit_bucket).get("Versions", [])
    found: dict[str, list[dict]] = {}
    for version in versions:
        body = s3.get_object(Bucket=bridge.audit_bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"]
        found.setdefault(version["Key"], []).append(json.loads(body.read()))
    return found


def _start(bridge) -> dict:
    finding = asff.prowler_finding("s3_bucket_level_public_access_block", asff.bucket_arn())
    handler.lambda_handler(asff.imported_event(finding), None)
    bridge.calls.clear()
    return finding


def _resource_parameter(bridge) -> str:
    return bridge.config["controls"][CONTROL]["resource_parameter"]


@pytest.mark.parametrize("status", ["Success", "Failed"])
def test_a_bridge_started_execution_leaves_one_record_with_its_findings_and_outputs(bridge, status):
    finding = _start(bridge)
    bridge.calls.respond("GetAutomationExecution", _execution(failure=None if status == "Success" else "denied"))
    handler.lambda_handler(asff.status_event(EXECUTION_ID, DOCUMENT, status), None)

    bridge.calls.assert_within(handler.IAM_ACTIONS)  # before the test reads the bucket itself
    key = f"audit/{KEY_DATE}/{ACCOUNT_ID}/{REGION}/{EXECUTION_ID}.json"
    assert list(_objects(bridge)) == [key]
    (record,) = _objects(bridge)[key]
    assert record["execution_id"] == EXECUTION_ID and record["document"] == DOCUMENT
    assert (record["status"], record["control"]) == (status, CONTROL)
    assert (record["account"], record["region"]) == (ACCOUNT_ID, REGION)
    assert record["resource_id"] == asff.BUCKET
    assert record["trigger"] == audit.TRIGGER_FINDINGS and record["finding_ids"] == [finding["Id"]]
    assert record["outputs"] == OUTPUTS
    assert record["failure_message"] == (None if status == "Success" else "denied")
    assert (record["start_time"], record["end_time"]) == ("2026-11-27T09:00:01+00:00", "2026-11-27T09:00:30+00:00")


@pytest.mark.parametrize("status", ["Success", "Failed"])
def test_an_aws_config_started_execution_leaves_a_record_too(bridge, capsys, status):
    parameter = _resource_parameter(bridge)
    bridge.calls.respond("GetAutomationExecution", _execution({parameter: ["config-fixed-bucket"]}))
    handler.lambda_handler(asff.status_event(CONFIG_EXECUTION, DOCUMENT, status), None)

    (record,) = _objects(bridge)[f"audit/{KEY_DATE}/{ACCOUNT_ID}/{REGION}/{CONFIG_EXECUTION}.json"]
    assert record["trigger"] == audit.TRIGGER_CONFIG and record["finding_ids"] == []
    assert (record["control"], record["resource_id"], record["status"]) == (CONTROL, "config-fixed-bucket", status)
    assert record["outputs"] == OUTPUTS
    assert "BatchUpdateFindings" not in bridge.calls.operations
    expected = "skipped" if status == "Success" else "failure_notified"  # nothing of ours to resolve on success
    assert decisions(capsys)[-1]["decision"] == expected


def test_a_redelivered_event_writes_the_same_key_and_keeps_the_first_record(bridge):
    _start(bridge)
    bridge.calls.respond("GetAutomationExecution", _execution())
    bridge.calls.fail("BatchUpdateFindings", "ThrottlingException", "slow down", 400)
    event = asff.status_event(EXECUTION_ID, DOCUMENT, "Success")
    with pytest.raises(RuntimeError, match="could not resolve"):
        handler.lambda_handler(event, None)
    bridge.calls.heal("BatchUpdateFindings")

    handler.lambda_handler(event, None)  # Lambda's retry of the same event

    assert bridge.calls.operations.count("PutObject") == 2
    stored = _objects(bridge)
    assert list(stored) == [f"audit/{KEY_DATE}/{ACCOUNT_ID}/{REGION}/{EXECUTION_ID}.json"]
    assert len(next(iter(stored.values()))) == 1  # one version: the retry's conditional write changed nothing


def test_a_failed_write_raises_before_anything_is_notified_and_releases_the_claim(bridge, capsys):
    finding = _start(bridge)
    bridge.calls.respond("GetAutomationExecution", _execution(failure="denied"))
    bridge.calls.fail("PutObject", "ServiceUnavailable", "S3 is down", 503)
    event = asff.status_event(EXECUTION_ID, DOCUMENT, "Failed")
    with pytest.raises(Exception, match="S3 is down"):
        handler.lambda_handler(event, None)
    assert not {"Publish", "SendMessage", "BatchUpdateFindings"} & set(bridge.calls.operations)
    assert bridge.calls.mutating[-1] == "DeleteItem"  # the status claim, released
    bridge.calls.heal("PutObject")
    capsys.readouterr()

    handler.lambda_handler(event, None)

    assert decisions(capsys)[-1]["decision"] == "failure_notified"
    (record,) = _objects(bridge)[f"audit/{KEY_DATE}/{ACCOUNT_ID}/{REGION}/{EXECUTION_ID}.json"]
    assert record["finding_ids"] == [finding["Id"]]


def test_an_unreadable_execution_is_recorded_with_the_reason_not_dropped(bridge):
    _start(bridge)
    bridge.calls.fail("GetAutomationExecution", "AccessDeniedException", "no read")
    handler.lambda_handler(asff.status_event(EXECUTION_ID, DOCUMENT, "Success"), None)

    (record,) = _objects(bridge)[f"audit/{KEY_DATE}/{ACCOUNT_ID}/{REGION}/{EXECUTION_ID}.json"]
    assert "AccessDeniedException" in record["execution_read_error"] and "no read" in record["execution_read_error"]
    assert record["outputs"] == {} and record["resource_id"] == asff.BUCKET  # from the bridge's own record
    assert record["end_time"] == "2026-11-27T09:00:30+00:00"  # from the status event


def test_the_key_is_dated_by_the_event_and_partitioned_by_account_and_region():
    at = datetime(2027, 1, 2, 23, 59, tzinfo=UTC)
    assert audit.audit_key("111111111111", "eu-west-1", EXECUTION_ID, at) == (
        f"audit/2027/01/02/111111111111/eu-west-1/{EXECUTION_ID}.json"
    )


def test_a_retry_of_a_failed_aws_config_run_is_told_apart_from_a_findings_run():
    from prowler_bridge.settings import parse_bridge_config
    from tests.prowler_bridge.conftest import bridge_config_dict

    config = parse_bridge_config(bridge_config_dict())
    parameter = config.controls[CONTROL].resource_parameter
    ledger_record = {"control": CONTROL, "findings": [], "parameters": {parameter: "retried-bucket"}}
    event = asff.status_event(EXECUTION_ID, DOCUMENT, "Success")

    def unreadable(_service):
        raise RuntimeError("not needed")

    record = audit.build_record(event, ledger_record, [], (ACCOUNT_ID, REGION), config, unreadable)

    assert (record["trigger"], record["resource_id"]) == (audit.TRIGGER_RETRY, "retried-bucket")
    assert record["execution_read_error"] == "RuntimeError: not needed"
