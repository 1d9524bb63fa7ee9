"""The audit record of every runbook execution that ends: one JSON object in S3, written once per execution.

Written by the status handler (handler.py Bridge.handle_status) for success and failure alike, whoever started
the execution: the bridge (its ledger record names the findings) or AWS Config (no ledger record). The record
says what changed and why: execution, document, control, account, region, resource, trigger, findings, status,
the runbook's outputs (PreviousState / PlannedState / CurrentState style, from ssm:GetAutomationExecution),
start and end time.

Key: audit/<yyyy>/<mm>/<dd>/<account>/<region>/<execution id>.json, dated by the status event's own time, so a
redelivered event writes the same key. The write is conditional (If-None-Match: *): an existing record is never
replaced, and the stack allows the bridge no other write
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). A failed write raises: the
handler releases its status claim and Lambda retries the event, so no record is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions

from prowler_bridge.clients import client as aws_client
from prowler_bridge.settings import BridgeConfig, DeployedControl

AUDIT_PREFIX = "audit/"
RECORD_VERSION = 1
# The trigger: the bridge started it for Security Hub findings (imported, the custom action, or the retry of
# one), prowler_bridge.retry started it again after AWS Config's run failed (a ledger record without findings),
# or AWS Config's own remediation did (automatic, the console's button, or the custom action on a finding of our
# Config rule); only the bridge's and the retry's executions have a ledger record.
TRIGGER_FINDINGS = "security_hub_findings"
TRIGGER_RETRY = "retry_of_aws_config_run"
TRIGGER_CONFIG = "aws_config"
ALREADY_WRITTEN = ("PreconditionFailed", "412")


def audit_key(account: str, region: str, execution_id: str, at: datetime) -> str:
    """audit/<yyyy>/<mm>/<dd>/<account>/<region>/<execution id>.json (UTC date)."""
    return f"{AUDIT_PREFIX}{at.astimezone(UTC):%Y/%m/%d}/{account}/{region}/{execution_id}.json"


def _when(value: object) -> datetime | None:
    """A datetime (boto3) or ISO 8601 text (EventBridge's "time") as an aware datetime; None if neither."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _iso(value: object) -> str | None:
    moment = _when(value)
    return moment.astimezone(UTC).isoformat() if moment else (value if isinstance(value, str) else None)


def read_execution(client: Callable[[str], Any], execution_id: str) -> tuple[dict, str | None]:
    """(GetAutomationExecution's AutomationExecution, None), or ({}, why it could not be read): the record is
    written either way, saying so, rather than holding up the findings' update. `client` makes a client in
    the execution's account and region (it may assume the member role there)."""
    try:
        ssm = client("ssm")
        return ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"], None
    except Exception as error:
        return {}, f"{type(error).__name__}: {error}"


def _resource_id(control: DeployedControl | None, record: dict | None, execution: dict) -> str | None:
    """The resource the runbook acted on: its control's resource parameter, as started."""
    if control is None:
        return None
    if record and control.resource_parameter in record.get("parameters", {}):
        return record["parameters"][control.resource_parameter]
    values = (execution.get("Parameters") or {}).get(control.resource_parameter) or []
    return values[0] if values else None


def build_record(
    event: dict,
    record: dict | None,
    controls: list[DeployedControl],
    where: tuple[str, str],
    config: BridgeConfig,
    client: Callable[[str], Any],
) -> dict:
    """The audit record of the execution a status event reports (reads its outputs with one SSM call).

    `record` is the bridge's ledger record (None: AWS Config started it), `controls` those of its document,
    `where` its (account, region)."""
    detail, (account, region) = event["detail"], where
    control_id = record["control"] if record else (controls[0].id if len(controls) == 1 else None)
    execution, read_error = read_execution(client, detail["ExecutionId"])
    findings = [f["Id"] for f in record["findings"]] if record else []
    parameters = (
        record["parameters"] if record else {k: v[0] for k, v in (execution.get("Parameters") or {}).items() if v}
    )
    return {
        "record_version": RECORD_VERSION,
        "execution_id": detail["ExecutionId"],
        "document": detail["Definition"],
        "status": detail["Status"],
        "control": control_id,
        "account": account,
        "region": region,
        "resource_id": _resource_id(config.controls.get(control_id or ""), record, execution),
        "trigger": (TRIGGER_FINDINGS if findings else TRIGGER_RETRY) if record else TRIGGER_CONFIG,
        "finding_ids": findings,
        "executed_by": execution.get("ExecutedBy") or detail.get("ExecutedBy"),
        "parameters": parameters,
        "outputs": execution.get("Outputs") or {},
        "failure_message": execution.get("FailureMessage"),
        "execution_read_error": read_error,
        "start_time": _iso(execution.get("ExecutionStartTime") or detail.get("StartTime")),
        "end_time": _iso(execution.get("ExecutionEndTime") or detail.get("EndTime")),
        "event_time": event.get("time"),
    }


class AuditTrail:
    """Writes audit records to the bucket named by AUDIT_BUCKET."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("s3")
        return self._client

    def write(self, event: dict, audit: dict) -> str:
        """Store `audit` once under its key; the key. Raises if S3 did not store it (and it was not there)."""
        at = _when(event.get("time")) or _when(audit.get("end_time")) or datetime.now(UTC)
        key = audit_key(audit["account"], audit["region"], audit["execution_id"], at)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=json.dumps(audit, default=str, sort_keys=True).encode(),
                ContentType="application/json",
                IfNoneMatch="*",
                # Object Lock buckets require an integrity checksum on PutObject:
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
                ChecksumAlgorithm="SHA256",
            )
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ALREADY_WRITTEN:
                raise
        return key

    def record(
        self,
        event: dict,
        record: dict | None,
        controls: list[DeployedControl],
        where: tuple[str, str],
        config: BridgeConfig,
        client: Callable[[str], Any],
    ) -> dict:
        """Build (build_record) and write the audit record of the execution a status event reports; the record."""
        audit = build_record(event, record, controls, where, config, client)
        self.write(event, audit)
        return audit
