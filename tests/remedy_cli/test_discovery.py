"""Resources from AWS Config when a recorder records their type: ListDiscoveredResources, then
BatchGetResourceConfig 100 keys at a time, unprocessed keys asked again."""

from __future__ import annotations

import json

import boto3
from botocore.stub import Stubber

from remedy_cli import discovery

BUCKET = "AWS::S3::Bucket"


def _config():
    return boto3.client("config", region_name="us-east-1")


def _base(resource_id: str) -> dict:
    return {
        "resourceType": BUCKET,
        "resourceId": resource_id,
        "arn": f"arn:aws:s3:::{resource_id}",
        "awsRegion": "us-east-1",
        "configuration": json.dumps({"name": resource_id}),
        "supplementaryConfiguration": {"PublicAccessBlockConfiguration": json.dumps({"blockPublicAcls": True})},
    }


def test_items_come_in_batches_of_100_and_unprocessed_keys_are_asked_again():
    config = _config()
    ids = [f"bucket-{n:03}" for n in range(150)]
    keys = [{"resourceType": BUCKET, "resourceId": rid} for rid in ids]
    with Stubber(config) as stub:
        stub.add_response(
            "list_discovered_resources",
            {"resourceIdentifiers": [{"resourceType": BUCKET, "resourceId": rid} for rid in ids]},
            {"resourceType": BUCKET},
        )
        stub.add_response(
            "batch_get_resource_config",
            {"baseConfigurationItems": [_base(rid) for rid in ids[:99]], "unprocessedResourceKeys": keys[99:100]},
            {"resourceKeys": keys[:100]},
        )
        stub.add_response(
            "batch_get_resource_config", {"baseConfigurationItems": [_base(ids[99])]}, {"resourceKeys": keys[99:100]}
        )
        stub.add_response(
            "batch_get_resource_config",
            {"baseConfigurationItems": [_base(rid) for rid in ids[100:]]},
            {"resourceKeys": keys[100:]},
        )
        items = discovery.recorded_items(config, BUCKET)
        stub.assert_no_pending_responses()

    assert sorted(item["resourceId"] for item in items) == ids
    # As a change notification carries them: configuration and supplementary values as objects.
    assert items[0]["configuration"] == {"name": "bucket-000"}
    assert items[0]["supplementaryConfiguration"] == {"PublicAccessBlockConfiguration": {"blockPublicAcls": True}}


def _recording(config, recorder: dict, recording: bool = True):
    with Stubber(config) as stub:
        stub.add_response(
            "describe_configuration_recorder_status",
            {"ConfigurationRecordersStatus": [{"name": "default", "recording": recording}]},
        )
        stub.add_response("describe_configuration_recorders", {"ConfigurationRecorders": [recorder]})
        return discovery.recorded_types(config)


def test_a_stopped_recorder_records_nothing():
    recording = _recording(_config(), {"name": "default", "recordingGroup": {"allSupported": True}}, recording=False)

    assert not discovery.records(recording, BUCKET)


def test_recording_groups_decide_which_types_come_from_config():
    config = _config()
    everything = _recording(config, {"name": "default", "recordingGroup": {"allSupported": True}})
    group = {"allSupported": False, "resourceTypes": [BUCKET]}
    named = _recording(config, {"name": "default", "recordingGroup": group})
    excluded = _recording(
        config,
        {
            "name": "default",
            "recordingGroup": {
                "allSupported": False,
                "exclusionByResourceTypes": {"resourceTypes": [BUCKET]},
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
            },
        },
    )

    assert discovery.records(everything, BUCKET) and discovery.records(everything, "AWS::EC2::Volume")
    assert discovery.records(named, BUCKET) and not discovery.records(named, "AWS::EC2::Volume")
    assert not discovery.records(excluded, BUCKET) and discovery.records(excluded, "AWS::EC2::Volume")
