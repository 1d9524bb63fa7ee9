"""Demo seed: a multi-region trail delivering to a CloudWatch Logs log group, and for each monitored event a state
that is not yet compliant (each control's one resource is the account, and the demo fixes every control): a filter
without an alarm, a filter and an alarm on a log group no trail delivers to, or nothing."""

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
# Events whose CIS filter the security team put on the trail's log group without an alarm yet, and events they alarm
# on from an application's log group that no trail delivers to (it sees no CloudTrail event: it does not count).
FILTER_ONLY = ("SecurityGroupChanges",)
OTHER_LOG_GROUP = ("ConsoleAuthenticationFailures", "VpcChanges")
APP_LOG_GROUP = "app/payments-audit"
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


def _filter(region: str, event: str, alarm: bool, log_group: str = LOG_GROUP) -> None:
    """The security team's own filter (their names, the CIS pattern) and, if `alarm`, an alarm paging them."""
    metric = f"soc-{event}"
    logs = boto3.client("logs", region_name=region)
    if log_group != LOG_GROUP and not logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]:
        logs.create_log_group(logGroupName=log_group)
    logs.put_metric_filter(
        logGroupName=log_group,
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
    state = "no metric filter"
    if event in FILTER_ONLY:
        _filter(region, event, alarm=False)
        state = "a metric filter but no alarm"
    elif event in OTHER_LOG_GROUP:
        _filter(region, event, alarm=True, log_group=APP_LOG_GROUP)
        state = f"no metric filter (the filter and alarm are on {APP_LOG_GROUP}, which no trail delivers to)"
    kind = resource_types.get(control.resource_type)
    note = f"trail {TRAIL} logs to {LOG_GROUP}: {state} for {MONITORED_EVENTS[event]['description']}"
    return [SeededResource(control.id, kind.config_type, account, kind.to_arn(account, region=region), True, note)]
