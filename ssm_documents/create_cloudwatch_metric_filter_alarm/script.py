"""Runbook script: a CloudWatch Logs metric filter and an alarm for one CloudTrail event (CIS v3.0 4.1-4.15).

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module. The events, their CIS
patterns and what counts as watching one are the rule's (compliance.cloudwatch_monitoring, embedded too).
Works on the log group of the account's multi-region CloudTrail trail that delivers to CloudWatch Logs, in that log
group's Region (the metric lives there, and the alarm must be in the metric's Region). Adds, never removes: a
matching filter already there is reused (only the alarm is added); nothing of the account's is changed or deleted.
"""

import re

import boto3
import botocore.exceptions
from compliance.cloudwatch_monitoring import (
    MONITORED_EVENTS,
    NAME_PREFIX,
    NAMESPACE,
    filter_metrics,
    monitored_log_groups,
    notifying_alarms,
)

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "cloudtrail:DescribeTrails",
    "logs:DescribeMetricFilters",
    "cloudwatch:DescribeAlarmsForMetric",
    "sns:GetTopicAttributes",
    "sns:CreateTopic",
    "logs:PutMetricFilter",
    "cloudwatch:PutMetricAlarm",
)
ACCOUNT_ID = re.compile(r"^\d{12}$")
TOPIC_ARN = re.compile(r"^arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):([\w-]{1,256})$")
# The topic the runbook creates when no AlarmTopicArn is given. CreateTopic is idempotent: "if the requester already
# owns a topic with the specified name, that topic's ARN is returned without creating a new topic"
# (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html). It is not encrypted with the AWS managed key
# aws/sns: CloudWatch can publish to an encrypted topic only under a customer managed key whose policy lets
# cloudwatch.amazonaws.com use it (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
# such a topic is the deployment's to name (AlarmTopicArn). The notifications carry alarm names and states, no log data.
DEFAULT_TOPIC = "remedy-security-alarms"
# The alarm CIS v3.0 section 4 describes: one or more matching events in 5 minutes; no data is not an alarm.
ALARM_SETTINGS = {
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
}


def _inputs(events: dict) -> tuple[str, str, str]:
    """(AccountId, MonitoredEvent, AlarmTopicArn or ""), validated."""
    account_id, event = events.get("AccountId"), events.get("MonitoredEvent")
    topic = events.get("AlarmTopicArn") or ""
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        raise ValueError(f"AccountId must be a 12-digit AWS account id, got {account_id!r}")
    if event not in MONITORED_EVENTS:
        raise ValueError(f"MonitoredEvent must be one of {', '.join(MONITORED_EVENTS)}, got {event!r}")
    if not isinstance(topic, str) or (topic and not TOPIC_ARN.match(topic)):
        raise ValueError(f"AlarmTopicArn must be empty or an SNS topic ARN, got {topic!r}")
    return account_id, event, topic


def _metric_filters(logs: object, log_group: str) -> list[dict]:
    filters, kwargs = [], {"logGroupName": log_group}
    while True:
        page = logs.describe_metric_filters(**kwargs)
        filters.extend(page.get("metricFilters", []))
        if not page.get("nextToken"):
            return filters
        kwargs["nextToken"] = page["nextToken"]


def _state(trail: str, region: str, log_group: str, event: str) -> dict:
    """What watches `event` on the log group: the matching filters, and the first filter+alarm pair that notifies."""
    matching = filter_metrics(_metric_filters(boto3.client("logs", region_name=region), log_group), event)
    cloudwatch = boto3.client("cloudwatch", region_name=region)
    state = {"TrailArn": trail, "Region": region, "LogGroup": log_group, "MetricFilter": None, "Alarm": None}
    for name, metric, namespace in matching:
        alarms = cloudwatch.describe_alarms_for_metric(MetricName=metric, Namespace=namespace).get("MetricAlarms", [])
        notifying = notifying_alarms(alarms)
        if notifying:
            return {**state, "MetricFilter": name, "Alarm": notifying[0]}
    return {**state, "MatchingFilters": [list(m) for m in matching]}


def _topic(topic: str, partition: str, region: str, account_id: str, dry_run: bool) -> str:
    """The alarm's topic: the given one (it must exist, in the alarm's account and Region) or the default one."""
    if not topic:
        arn = f"arn:{partition}:sns:{region}:{account_id}:{DEFAULT_TOPIC}"
        return arn if dry_run else boto3.client("sns", region_name=region).create_topic(Name=DEFAULT_TOPIC)["TopicArn"]
    match = TOPIC_ARN.match(topic)
    if (match[2], match[3]) != (region, account_id):
        raise ValueError(
            f"AlarmTopicArn {topic} must be in account {account_id} and Region {region} (the log group's, where the"
            " alarm is); nothing changed"
        )
    try:
        boto3.client("sns", region_name=region).get_topic_attributes(TopicArn=topic)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NotFound":
            raise ValueError(f"AlarmTopicArn {topic} does not exist; nothing changed") from error
        raise
    return topic


def _target(account_id: str, event: str) -> tuple[list[dict], str]:
    """The state of each qualifying trail's log group, and the trails' partition; fails when there is none."""
    trails = boto3.client("cloudtrail").describe_trails(includeShadowTrails=True).get("trailList", [])
    targets = monitored_log_groups(trails, account_id)
    if not targets:
        raise ValueError(
            f"No multi-region CloudTrail trail of account {account_id} delivers to a CloudWatch Logs log group in the"
            " account: configure one (CIS 3.4 / FSBP CloudTrail.5) before adding metric filters; nothing changed"
        )
    return [_state(*target, event) for target in targets], targets[0][0].split(":")[1]


def create_metric_filter_alarm(events: dict, context: object) -> dict:
    """Add the metric filter (unless a matching one exists) and a notifying alarm for the event; nothing if present.

    With DryRun true it makes the same checks and returns what it would create (PlannedState), changing nothing.
    """
    dry_run = _dry_run(events)
    account_id, event, topic = _inputs(events)
    caller_account = boto3.client("sts").get_caller_identity()["Account"]
    if account_id != caller_account:
        raise ValueError(
            f"AccountId {account_id} is not the account this runbook runs in ({caller_account}); nothing changed"
        )
    states, partition = _target(account_id, event)
    result = {"AccountId": account_id, "MonitoredEvent": event, "DryRun": dry_run}
    watched = next((s for s in states if s["Alarm"]), None)
    if watched:
        description = MONITORED_EVENTS[event]["description"]
        message = (
            f"Log group {watched['LogGroup']} already has a filter and an alarm for {description}; nothing changed."
        )
        unchanged = {"WouldChange": False, "Changed": False, "PlannedState": watched, "CurrentState": watched}
        return {**result, **unchanged, "PreviousState": watched, "Message": message}
    previous = states[0]
    plan = _plan(previous, event, _topic(topic, partition, previous["Region"], account_id, dry_run))
    result = {**result, "WouldChange": True, "PreviousState": previous, "PlannedState": plan["state"]}
    if dry_run:
        message = f"Dry run, nothing changed. Would have: {plan['message']}."
        return {**result, "Changed": False, "CurrentState": previous, "Message": message}
    _put(plan, event)
    current = _state(previous["TrailArn"], previous["Region"], previous["LogGroup"], event)
    return {**result, "Changed": True, "CurrentState": current, "Message": f"Added {plan['message']}."}


def _plan(previous: dict, event: str, topic_arn: str) -> dict:
    """What to create on the first qualifying log group: its matching filter reused, else a new one; the alarm."""
    reused = previous.get("MatchingFilters") or []
    spec = MONITORED_EVENTS[event]
    filter_name, metric, namespace = reused[0] if reused else (NAME_PREFIX + event, spec["metric"], NAMESPACE)
    alarm = NAME_PREFIX + event
    where = {key: previous[key] for key in ("TrailArn", "Region", "LogGroup")}
    message = (
        f"filter {filter_name} ({'kept' if reused else 'added'}) on log group {where['LogGroup']} ({where['Region']}),"
        f" alarm {alarm} on {namespace}/{metric} notifying {topic_arn}"
    )
    state = {**where, "MetricFilter": filter_name, "Alarm": alarm, "AlarmTopicArn": topic_arn}
    return {"state": state, "metric": (metric, namespace), "reused": bool(reused), "message": message}


def _put(plan: dict, event: str) -> None:
    """The filter (unless reused), then the alarm on its metric. A run stopped between the two leaves a filter whose
    metric no alarm watches: nothing watches the event yet (the control's state is as before), and the next run
    reuses that filter and adds the alarm."""
    state, (metric, namespace) = plan["state"], plan["metric"]
    region, log_group = state["Region"], state["LogGroup"]
    if not plan["reused"]:
        boto3.client("logs", region_name=region).put_metric_filter(
            logGroupName=log_group,
            filterName=state["MetricFilter"],
            filterPattern=MONITORED_EVENTS[event]["pattern"],
            metricTransformations=[{"metricName": metric, "metricNamespace": namespace, "metricValue": "1"}],
        )
    boto3.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName=state["Alarm"],
        AlarmDescription=f"CloudTrail log group {log_group}: {MONITORED_EVENTS[event]['description']} (CIS 4.x).",
        MetricName=metric,
        Namespace=namespace,
        AlarmActions=[state["AlarmTopicArn"]],
        **ALARM_SETTINGS,
    )
