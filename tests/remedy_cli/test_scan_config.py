"""Where an AWS Config recorder records a type, `remedy scan` evaluates the resources AWS Config holds
(ListDiscoveredResources, BatchGetResourceConfig), not the service's own listing."""

from __future__ import annotations

import json

import boto3

from catalogue import load_catalogue
from remedy_cli import aws as scan_aws
from remedy_cli.main import main
from tests.aws_calls import ApiCallRecorder
from tests.conftest import ACCOUNT_ID, REGION

BUCKET = "AWS::S3::Bucket"
CONTROLS = [
    c.id for c in load_catalogue().controls if c.detection.trigger == "change" and BUCKET in c.detection.resource_types
]
BUCKETS = ("recorded-ledger", "recorded-website", "recorded-config-delivery")


def _record_everything() -> None:
    config = boto3.client("config", region_name=REGION)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT_ID}:role/config-recorder",
            "recordingGroup": {"allSupported": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": BUCKETS[-1]})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


def test_recorded_buckets_come_from_aws_config(aws, tmp_path, monkeypatch):
    for name in BUCKETS:
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=name)
    _record_everything()
    recorder = ApiCallRecorder()

    def recorded_session(**kwargs):
        session = scan_aws._ScanSession(**kwargs)
        session.events.register("before-call", recorder._before_call)
        return session

    monkeypatch.setattr(scan_aws, "new_session", recorded_session)
    out = tmp_path / "findings.json"

    assert CONTROLS
    assert main(["scan", "--region", REGION, "--controls", ",".join(CONTROLS), "--format", "json", "-o", str(out)]) == 0

    results = json.loads(out.read_text())
    for control in CONTROLS:
        assert {r["resource_id"] for r in results if r["control"] == control} == set(BUCKETS)
    assert {"ListDiscoveredResources", "BatchGetResourceConfig"} <= set(recorder.operations)
    assert "ListBuckets" not in recorder.operations  # the service read path was not taken
