"""CloudTrail trails in the emulated account: configuration items as AWS Config records them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.simulation import lower_camel


def configuration_items(account: str, region: str) -> list[dict]:
    """The trails whose home Region is `region` (resource id: the trail name), DescribeTrails' shape in
    lowerCamelCase, with tags. Shadow trails (a multi-Region trail seen outside its home Region) are left out."""
    cloudtrail = boto3.client("cloudtrail", region_name=region)
    items = []
    for trail in cloudtrail.describe_trails(includeShadowTrails=False)["trailList"]:
        tags = cloudtrail.list_tags(ResourceIdList=[trail["TrailARN"]])["ResourceTagList"]
        items.append(
            {
                "resourceId": trail["Name"],
                "resourceName": trail["Name"],
                "ARN": trail["TrailARN"],
                "awsRegion": region,
                "configuration": lower_camel(trail),
                "supplementaryConfiguration": {},
                "tags": {t["Key"]: t["Value"] for tag in tags for t in tag.get("TagsList", [])},
            }
        )
    return items


def stale_key(account: str, region: str) -> str:
    """A trail name no seed creates: a finding naming it outlives its resource (its runbook fails)."""
    return "retired-audit-trail"
