"""Demo seed: a multi-region trail delivering to a CloudWatch Logs log group, with the CIS metric filter and an
alarm for some monitored events, a filter without an alarm for one, and nothing for the others."""

from __future__ import annotations

import json

import boto3

import resource_types
from catalogue import Control
from config_rules._layer.python.compliance.cloudwatch_monitoring import MONITORED_EVENTS, NAMESPACE
from resource_types.s3_bucket.simulation import bucket_name, create_hardened_bucket
from simulation.seeds import SeededResource

TRAIL, LOG_GROUP, ROLE, TOPIC = (
    "organization-audit",
    "cloudtrail/organization-audit",
    "cloudtrail-to-logs",
    "soc-alerts",
)
# Events the security team already alarms on (compliant), and one whose filter has no alarm yet (non-compliant).
ALARMED = ("ConsoleAuthenticationFailures", "VpcChanges")
FILTER_ONLY = ("SecurityGroupChanges",)
CLOUDTRAIL_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _trail(account: str, region: str) -> None:
    """The account's multi-region trail delivering to LOG_GROUP, made once for every control of this rule."""
    cloudtrail = boto3.client("cloudtrail", region_name=region)
    if any(t["Name"] == TRAIL for t in cloudtrail.describe_trails()["trailList"]):
        return
    bucket = bucket_name("cloudtrail-monitoring", account, region)
    create_hardened_bucket(boto3.client("s3", region_name=region), bucket, region)
    logs = boto3.client("logs", region_name=region)
    logs.create_log_group(logGroupName=LOG_GROUP)
    log_group_arn = logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"][0]["arn"]
    role = boto3.client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(CLOUDTRAIL_TRUST))
    trail = cloudtrail.create_trail(
        Name=TRAIL,
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        CloudWatchLogsLogGroupArn=log_group_arn,
        CloudWatchLogsRoleArn=role["Role"]["Arn"],
    )
    cloudtrail.start_logging(Name=trail["TrailARN"])


def _filter(region: str, event: str, alarm: bool) -> None:
    """The security team's own filter (their names, the CIS pattern) and, if `alarm`, an alarm paging them."""
    metric = f"soc-{event}"
    boto3.client("logs", region_name=region).put_metric_filter(
        logGroupName=LOG_GROUP,
        filterName=metric,
        filterPattern=MONITORED_EVENTS[event]["pattern"],
        metricTransformations=[{"metricName": metric, "metricNamespace": NAMESPACE, "metricValue": "1"}],
    )
    if alarm:
        topic = boto3.client("sns", region_name=region).create_topic(Name=TOPIC)["TopicArn"]
        boto3.client("cloudwatch", region_name=region).put_metric_alarm(
            AlarmName=metric,
            MetricName=metric,
            Namespace=NAMESPACE,
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic],
        )


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    _trail(account, region)
    event = control.detection.parameters["MonitoredEvent"]
    if event in ALARMED or event in FILTER_ONLY:
        _filter(region, event, alarm=event in ALARMED)
    state = "no metric filter"
    if event in ALARMED + FILTER_ONLY:
        state = "a metric filter and an alarm" if event in ALARMED else "a metric filter but no alarm"
    kind = resource_types.get(control.resource_type)
    note = f"trail {TRAIL} logs to {LOG_GROUP}: {state} for {MONITORED_EVENTS[event]['description']}"
    return [
        SeededResource(
            control.id, kind.config_type, account, kind.to_arn(account, region=region), event not in ALARMED, note
        )
    ]
