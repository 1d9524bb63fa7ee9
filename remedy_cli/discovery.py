"""Which resources a scan evaluates: AWS Config's records where its recorder records the type, else service reads.

Both give items in the shape of a change notification's configurationItem (without its envelope, which
remedy_cli.config_events adds), so a rule sees what AWS Config would send it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from remedy_cli.config_events import configuration_items

# BatchGetResourceConfig takes at most 100 resource keys per call:
# https://docs.aws.amazon.com/config/latest/APIReference/API_BatchGetResourceConfig.html
BATCH_GET_KEYS = 100
# Unprocessed keys (throttling, size) are asked for again, at most this many more times.
BATCH_GET_RETRIES = 5


def recorded_types(config: Any) -> tuple[bool, frozenset[str], frozenset[str]]:
    """What the region's recording recorders record: (all supported types?, types named, types excluded).

    Nothing recording: (False, {}, {}). Recording groups:
    https://docs.aws.amazon.com/config/latest/APIReference/API_RecordingGroup.html
    """
    statuses = config.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
    recording = {s["name"] for s in statuses if s.get("recording")}
    all_supported, named, excluded = False, set(), set()
    for recorder in config.describe_configuration_recorders().get("ConfigurationRecorders", []):
        if recorder.get("name") not in recording:
            continue
        group = recorder.get("recordingGroup") or {"allSupported": True}
        strategy = (group.get("recordingStrategy") or {}).get("useOnly")
        if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
            all_supported = True
            excluded |= set((group.get("exclusionByResourceTypes") or {}).get("resourceTypes", []))
        elif group.get("allSupported"):
            all_supported = True
        named |= set(group.get("resourceTypes") or [])
    return all_supported, frozenset(named), frozenset(excluded)


def records(recording: tuple[bool, frozenset[str], frozenset[str]], resource_type: str) -> bool:
    """Whether a recorder records `resource_type` in the region."""
    all_supported, named, excluded = recording
    return resource_type in named or (all_supported and resource_type not in excluded)


def _decoded(value: object) -> object:
    """AWS Config's API returns configurations as JSON text; a change notification carries them as objects."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _as_item(base: dict) -> dict:
    """A BatchGetResourceConfig item (BaseConfigurationItem) as a change notification's configurationItem."""
    captured = base.get("configurationItemCaptureTime")
    supplementary = base.get("supplementaryConfiguration") or {}
    return {
        "resourceId": base["resourceId"],
        "resourceName": base.get("resourceName") or base["resourceId"],
        "ARN": base.get("arn", ""),
        "awsRegion": base.get("awsRegion"),
        "availabilityZone": base.get("availabilityZone", "Not Applicable"),
        "configurationItemStatus": base.get("configurationItemStatus", "OK"),
        "configurationStateId": base.get("configurationStateId", 1),
        **({"configurationItemCaptureTime": captured.isoformat()} if isinstance(captured, datetime) else {}),
        "configuration": _decoded(base.get("configuration")),
        "supplementaryConfiguration": {k: _decoded(v) for k, v in supplementary.items()},
        "tags": {},  # BaseConfigurationItem carries no tags
    }


def recorded_items(config: Any, resource_type: str) -> list[dict]:
    """The type's current (not deleted) resources as AWS Config records them: ListDiscoveredResources, then
    BatchGetResourceConfig in batches of 100 keys."""
    keys = [
        {"resourceType": resource_type, "resourceId": found["resourceId"]}
        for page in config.get_paginator("list_discovered_resources").paginate(resourceType=resource_type)
        for found in page.get("resourceIdentifiers", [])
    ]
    items: list[dict] = []
    for start in range(0, len(keys), BATCH_GET_KEYS):
        batch = keys[start : start + BATCH_GET_KEYS]
        for _attempt in range(1 + BATCH_GET_RETRIES):
            response = config.batch_get_resource_config(resourceKeys=batch)
            items += [_as_item(base) for base in response.get("baseConfigurationItems", [])]
            batch = response.get("unprocessedResourceKeys") or []
            if not batch:
                break
        if batch:
            raise RuntimeError(f"AWS Config left {len(batch)} {resource_type} item(s) unprocessed")
    return items


def read_items(resource_type: str, account: str, region: str) -> list[dict]:
    """The type's resources from its service's read APIs, as the registry's type builds them."""
    return configuration_items(resource_type, account, region)
