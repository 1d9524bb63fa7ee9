"""Operating the bridge: the audit bucket and its one writer, alarms on runbook failures, the dashboard."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

from catalogue import load_catalogue
from infra import bridge_operations
from prowler_bridge import findings, handler
from tests.infra.conftest import of_type

CATALOGUE = load_catalogue()


def _one(template, resource_type):
    (resource,) = of_type(template, resource_type).values()
    return resource


def _logical_id(template, resource_type, name_part=""):
    (found,) = [k for k, v in of_type(template, resource_type).items() if name_part in k]
    return found


def _bridge(template):
    (function,) = [
        f
        for f in of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "prowler_bridge.handler.lambda_handler"
    ]
    return function


def _bridge_statements(template):
    role_id = _bridge(template)["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        s
        for p in of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_audit_bucket_keeps_records_encrypted_locked_and_private_for_400_days(standalone):
    template = standalone[0]
    bucket_id = _logical_id(template, "AWS::S3::Bucket", "AuditBucket")
    bucket = template["Resources"][bucket_id]
    props = bucket["Properties"]

    assert bucket["DeletionPolicy"] == "Retain"
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms" and encryption["BucketKeyEnabled"]
    key_id = encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    assert template["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"]["Rule"] == {"DefaultRetention": {"Days": 400, "Mode": "GOVERNANCE"}}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    (expiry,) = [r for r in props["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    assert (expiry["ExpirationInDays"], expiry["Prefix"]) == (400, "audit/")
    assert expiry["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    (policy,) = [
        p
        for p in of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_bridge_may_only_add_audit_records_and_is_told_where(standalone):
    template = standalone[0]
    bucket_id = _logical_id(template, "AWS::S3::Bucket", "AuditBucket")
    variables = _bridge(template)["Properties"]["Environment"]["Variables"]
    assert variables["AUDIT_BUCKET"] == {"Ref": bucket_id}
    assert variables[findings.DEPLOYMENT_VARIABLE] == "remedy"

    statements = _bridge_statements(template)
    (put,) = [s for s in statements if "s3:" in json.dumps(s["Action"])]
    assert put["Action"] == "s3:PutObject" and "s3:PutObject" in handler.IAM_ACTIONS
    assert put["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/audit/*"]]}
    assert put["Condition"] == {"Null": {"s3:if-none-match": "false"}}
    key_id = _logical_id(template, "AWS::KMS::Key", "AuditKey")
    (generate,) = [s for s in statements if s["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}]
    assert generate["Action"] == "kms:GenerateDataKey"


def test_runbook_failures_alarm_the_failure_topic_per_deployment(standalone):
    template = standalone[0]
    topic_id = _logical_id(template, "AWS::SNS::Topic")
    (failures,) = [
        a["Properties"]
        for a in of_type(template, "AWS::CloudWatch::Alarm").values()
        if {"Name": "Decision", "Value": "failure_notified"} in a["Properties"].get("Dimensions", [])
    ]
    assert "failure_notified" in findings.DECISIONS  # the decision Bridge._failed logs
    assert (failures["Namespace"], failures["MetricName"]) == (findings.METRIC_NAMESPACE, findings.METRIC_NAME)
    assert {"Name": "Deployment", "Value": "remedy"} in failures["Dimensions"]
    assert (failures["Statistic"], failures["Threshold"], failures["ComparisonOperator"]) == (
        "Sum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert failures["TreatMissingData"] == "notBreaching"
    for alarm in of_type(template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]

    # CloudWatch may publish to the encrypted topic (the topic's policy: this deployment's alarms only) and use
    # its key (the key statement AWS documents, without conditions: the topic policy is the restriction).
    topic_policy = _one(template, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]
    (publish,) = [s for s in topic_policy if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert publish["Action"] == "sns:Publish" and "aws:SourceArn" in publish["Condition"]["ArnLike"]
    key_id = _logical_id(template, "AWS::KMS::Key", "FailureKey")
    key_policy = template["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (use,) = [s for s in key_policy if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert set(use["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert "Condition" not in use
    names = [
        json.dumps(alarm["Properties"]["AlarmName"]) for alarm in of_type(template, "AWS::CloudWatch::Alarm").values()
    ]
    assert all('"remedy-bridge-' in name for name in names)


def _body(template) -> str:
    dashboard = _one(template, "AWS::CloudWatch::Dashboard")["Properties"]["DashboardBody"]
    return "".join(p if isinstance(p, str) else json.dumps(p) for p in dashboard["Fn::Join"][1])


def test_dashboard_queries_controls_instead_of_listing_them(standalone):
    template = standalone[0]
    text = _body(template)
    assert 'SELECT SUM(Decisions) FROM SCHEMA(\\"Remedy\\", Deployment, Control, Decision)' in text
    assert "GROUP BY Control" in text and "Decision = 'failure_notified'" in text and "GROUP BY Reason" in text
    assert not [c.id for c in CATALOGUE.controls if c.id in text]  # no widget or metric per control
    function_id = _logical_id(template, "AWS::Lambda::Function", "ProwlerBridgeFunction")
    for metric in ("Errors", "Throttles", "Duration"):
        assert f'"AWS/Lambda","{metric}","FunctionName","' in text.replace(", ", ",")
    assert json.dumps({"Ref": function_id}) in text
    queue_id = _logical_id(template, "AWS::SQS::Queue", "FailureQueue")
    assert "ApproximateNumberOfMessagesVisible" in text and json.dumps({"Fn::GetAtt": [queue_id, "QueueName"]}) in text


@pytest.mark.parametrize(("value", "days"), [(None, 400), ("365", 365), (730, 730)])
def test_audit_retention_by_context(value, days):
    app = cdk.App(context={} if value is None else {bridge_operations.RETENTION_CONTEXT: value})
    assert bridge_operations.retention_days(app) == days


@pytest.mark.parametrize("value", ["364", "30", "a year", "-400"])
def test_audit_retention_under_a_year_fails_synth(value):
    app = cdk.App(context={bridge_operations.RETENTION_CONTEXT: value})
    with pytest.raises(ValueError, match="auditRetentionDays"):
        bridge_operations.retention_days(app)
