"""Fixtures for the bridge: an emulated account with its ledger, topic and queue, and bridge_config.json."""

from __future__ import annotations

import json
from functools import cache
from types import SimpleNamespace

import boto3
import pytest

from tests.conftest import ACCOUNT_ID, REGION

EXECUTION_ID = "11111111-2222-3333-4444-555555555555"
TABLE = "remedy-bridge-ledger"
AUDIT_BUCKET = "remedy-bridge-audit"
S3_KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1e2f-4a5b-8c9d-0e1f2a3b4c5d"


@cache
def bridge_config_dict() -> dict:
    """bridge_config.json as the build writes it from the catalogue, in a deployment that names a customer key
    for SSE-KMS (remedy:s3KmsKeyArn), so every remediation the catalogue declares automatic is automatic."""
    from catalogue import deployed, load_catalogue
    from infra.bridge_config import bridge_config

    return bridge_config(deployed(load_catalogue(), {"remedy:s3KmsKeyArn": S3_KMS_KEY_ARN}.get), "remedy")


def decisions(capsys) -> list[dict]:
    """The structured JSON lines the bridge printed."""
    lines = []
    for line in capsys.readouterr().out.splitlines():
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict) and "decision" in parsed:
            lines.append(parsed)
    return lines


def params_of(calls, operation: str) -> list[dict]:
    """The parameters of every recorded call of `operation` (JSON-protocol bodies decoded)."""
    found = []
    for call in calls.calls:
        if call.operation == operation:
            params = call.params
            found.append(json.loads(params) if isinstance(params, bytes | str) else params)
    return found


def automation_starts(calls) -> list[dict]:
    """Every StartAutomationExecution's parameters, each checked to carry a UUID ClientToken (then removed)."""
    import uuid

    starts = []
    for start in params_of(calls, "StartAutomationExecution"):
        token = start.pop("ClientToken")
        assert str(uuid.UUID(token)) == token.lower()
        starts.append(start)
    return starts


@pytest.fixture
def bridge(api_calls, realistic_iam_user_ids, tmp_path, monkeypatch):
    """Ledger table, failure topic (with a watching queue) and queue, config file and environment."""

    from prowler_bridge import settings

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="remedy-bridge-failures")["QueueUrl"]
    watch_url = sqs.create_queue(QueueName="topic-watch")["QueueUrl"]
    watch_arn = sqs.get_queue_attributes(QueueUrl=watch_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns = boto3.client("sns", region_name=REGION)
    topic_arn = sns.create_topic(Name="remedy-bridge-failures")["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=watch_arn)

    boto3.client("s3", region_name=REGION).create_bucket(Bucket=AUDIT_BUCKET, ObjectLockEnabledForBucket=True)

    config_path = tmp_path / "bridge_config.json"
    config_path.write_text(json.dumps(bridge_config_dict()))
    for name, value in {
        "BRIDGE_CONFIG_PATH": str(config_path),
        "LEDGER_TABLE": TABLE,
        "FAILURE_TOPIC_ARN": topic_arn,
        "FAILURE_QUEUE_URL": queue_url,
        "AUDIT_BUCKET": AUDIT_BUCKET,
        "ALLOWED_ACCOUNTS": "",
        "ALLOWED_REGIONS": "",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MEMBER_ROLE_NAME", raising=False)
    monkeypatch.delenv("MEMBER_ROLE_PATH", raising=False)
    monkeypatch.delenv("LEDGER_TTL_HOURS", raising=False)
    settings.reset_caches()

    # APIs moto lacks.
    api_calls.respond("StartAutomationExecution", {"AutomationExecutionId": EXECUTION_ID})
    api_calls.respond("BatchUpdateFindings", {"ProcessedFindings": [], "UnprocessedFindings": []})
    api_calls.respond("BatchUpdateFindingsV2", {"ProcessedFindings": [], "UnprocessedFindings": []})
    api_calls.respond("StartRemediationExecution", {"FailedItems": []})
    # AWS Config knows of no remediation and no compliant evaluation of the resource (tests override).
    api_calls.respond("DescribeRemediationExecutionStatus", {"RemediationExecutionStatuses": []})
    api_calls.respond("GetComplianceDetailsByResource", {"EvaluationResults": []})
    api_calls.clear()
    yield SimpleNamespace(
        calls=api_calls,
        queue_url=queue_url,
        watch_url=watch_url,
        topic_arn=topic_arn,
        table=TABLE,
        audit_bucket=AUDIT_BUCKET,
        config=bridge_config_dict(),
        config_path=config_path,
        account=ACCOUNT_ID,
    )
    settings.reset_caches()
