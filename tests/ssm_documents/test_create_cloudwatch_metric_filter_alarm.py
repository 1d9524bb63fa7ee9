"""Runbook create_cloudwatch_metric_filter_alarm: adds the CIS filter and a notifying alarm on the trail's log group,
reuses what is there, is idempotent, refuses a foreign account, a missing trail or an unusable topic."""

from __future__ import annotations

import json

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from compliance.cloudwatch_monitoring import MONITORED_EVENTS, NAMESPACE

from config_rules.cloudwatch_metric_filter_alarm import rule
from ssm_documents.create_cloudwatch_metric_filter_alarm import script
from tests.conftest import ACCOUNT_ID, REGION, REPO_ROOT, load_example
from tests.infra.call_observer import unobserved

RUNBOOK = REPO_ROOT / "ssm_documents" / "create_cloudwatch_metric_filter_alarm"
EVENT = load_example(RUNBOOK / "events" / "create_metric_filter_alarm.json")
RULE_EVENT = load_example(REPO_ROOT / "config_rules" / "cloudwatch_metric_filter_alarm" / "events" / "scheduled.json")
LOG_GROUP = "cloudtrail/audit"
OTHER_REGION = "eu-central-1"


def _trail(region: str = REGION, multi_region: bool = True, logs: bool = True) -> None:
    s3 = boto3.client("s3", region_name=region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=f"trail-logs-{region}", **location)
    delivery = {}
    if logs:
        client = boto3.client("logs", region_name=region)
        client.create_log_group(logGroupName=LOG_GROUP)
        arn = client.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"][0]["arn"]
        delivery = {"CloudWatchLogsLogGroupArn": arn, "CloudWatchLogsRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/ct"}
    boto3.client("cloudtrail", region_name=region).create_trail(
        Name="audit", S3BucketName=f"trail-logs-{region}", IsMultiRegionTrail=multi_region, **delivery
    )


def _filters(region: str = REGION) -> list[dict]:
    return boto3.client("logs", region_name=region).describe_metric_filters(logGroupName=LOG_GROUP)["metricFilters"]


def _alarms(region: str = REGION) -> list[dict]:
    return boto3.client("cloudwatch", region_name=region).describe_alarms()["MetricAlarms"]


def _topics(region: str = REGION) -> list[str]:
    return [t["TopicArn"] for t in boto3.client("sns", region_name=region).list_topics()["Topics"]]


def _run(**overrides) -> dict:
    return script.create_metric_filter_alarm({**EVENT, **overrides}, None)


def _rule_verdict(monitored: str = "RootAccountUsage") -> str:
    event = {**RULE_EVENT, "ruleParameters": json.dumps({"AssumeRoleMode": "false", "MonitoredEvent": monitored})}
    with unobserved():  # the rule's calls are its role's, not the runbook's
        return rule.lambda_handler(event, None)[0]["ComplianceType"]


@pytest.mark.parametrize("monitored", list(MONITORED_EVENTS))
def test_adds_the_cis_filter_and_a_notifying_alarm(api_calls, monitored):
    _trail()
    api_calls.clear()

    result = _run(MonitoredEvent=monitored)

    assert api_calls.mutating == ["CreateTopic", "PutMetricFilter", "PutMetricAlarm"]
    api_calls.assert_within(script.IAM_ACTIONS)
    (metric_filter,) = _filters()
    assert metric_filter["filterName"] == f"remedy-{monitored}"
    assert metric_filter["filterPattern"] == MONITORED_EVENTS[monitored]["pattern"]
    transformation = {"metricName": monitored, "metricNamespace": NAMESPACE, "metricValue": "1"}
    assert metric_filter["metricTransformations"] == [transformation]
    (alarm,) = _alarms()
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:remedy-security-alarms"
    assert (alarm["AlarmName"], alarm["MetricName"], alarm["Namespace"]) == (
        f"remedy-{monitored}",
        monitored,
        NAMESPACE,
    )
    assert alarm["AlarmActions"] == [topic]
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 300, 1.0)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert _topics() == [topic]
    assert result["Changed"] is True
    assert result["PreviousState"]["Alarm"] is None
    assert result["CurrentState"]["Alarm"] == f"remedy-{monitored}"
    assert _rule_verdict(monitored) == "COMPLIANT"


def test_second_run_makes_no_mutating_call(api_calls):
    _trail()
    _run()
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False
    assert result["WouldChange"] is False
    assert api_calls.mutating == []


def test_a_matching_filter_is_reused_and_only_the_alarm_added(api_calls):
    _trail()
    logs = boto3.client("logs")
    custom = '{$.eventType != "AwsServiceEvent" && $.userIdentity.invokedBy NOT EXISTS && $.userIdentity.type = Root}'
    transformation = {"metricName": "root-use", "metricNamespace": "SOC", "metricValue": "1"}
    logs.put_metric_filter(
        logGroupName=LOG_GROUP, filterName="soc-root", filterPattern=custom, metricTransformations=[transformation]
    )
    api_calls.clear()

    _run()

    assert [f["filterName"] for f in _filters()] == ["soc-root"]
    (alarm,) = _alarms()
    assert (alarm["MetricName"], alarm["Namespace"]) == ("root-use", "SOC")
    assert api_calls.mutating == ["CreateTopic", "PutMetricAlarm"]


def test_compliant_account_is_left_alone(api_calls):
    _trail()
    _run(MonitoredEvent="VpcChanges")  # another event's filter and alarm change nothing for this one
    _run()
    before = (_filters(), _alarms())
    api_calls.clear()

    result = _run()

    assert (_filters(), _alarms()) == before
    assert api_calls.mutating == []
    assert result["Message"].startswith(f"Log group {LOG_GROUP} already has a filter and an alarm")


def test_a_given_topic_is_used_and_no_topic_created(api_calls):
    _trail()
    topic = boto3.client("sns").create_topic(Name="soc-pager")["TopicArn"]
    api_calls.clear()

    _run(AlarmTopicArn=topic)

    assert _alarms()[0]["AlarmActions"] == [topic]
    assert _topics() == [topic]
    assert "CreateTopic" not in api_calls.operations


@pytest.mark.parametrize(
    ("topic", "error"),
    [
        (f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:missing", "does not exist"),
        (f"arn:aws:sns:{OTHER_REGION}:{ACCOUNT_ID}:soc-pager", f"must be in account {ACCOUNT_ID} and Region {REGION}"),
        (f"arn:aws:sns:{REGION}:210987654321:soc-pager", f"must be in account {ACCOUNT_ID} and Region {REGION}"),
        ("soc-pager", "must be empty or an SNS topic ARN"),
    ],
)
def test_an_unusable_topic_fails_without_change(api_calls, topic, error):
    _trail()
    boto3.client("sns", region_name=OTHER_REGION).create_topic(Name="soc-pager")
    api_calls.clear()

    with pytest.raises(ValueError, match=error):
        _run(AlarmTopicArn=topic)

    assert api_calls.mutating == []
    assert _filters() == []


def test_the_log_group_of_a_trail_homed_in_another_region_is_changed_there(api_calls):
    _trail(region=OTHER_REGION)

    result = _run()

    assert [f["filterName"] for f in _filters(OTHER_REGION)] == ["remedy-RootAccountUsage"]
    assert _alarms(OTHER_REGION)[0]["AlarmActions"] == [
        f"arn:aws:sns:{OTHER_REGION}:{ACCOUNT_ID}:remedy-security-alarms"
    ]
    assert _alarms() == []
    assert result["CurrentState"]["Region"] == OTHER_REGION
    assert _rule_verdict() == "COMPLIANT"


@pytest.mark.parametrize("trail", [{"multi_region": False}, {"logs": False}, None])
def test_no_multi_region_trail_with_cloudwatch_logs_fails_without_change(api_calls, trail):
    if trail is not None:
        _trail(**trail)
    api_calls.clear()

    with pytest.raises(
        ValueError, match=r"No multi-region CloudTrail trail of account .* delivers to a CloudWatch Logs"
    ):
        _run()

    assert api_calls.mutating == []


def test_another_account_is_refused_without_change(api_calls):
    _trail()
    api_calls.clear()

    with pytest.raises(ValueError, match="is not the account this runbook runs in"):
        _run(AccountId="210987654321")

    assert api_calls.mutating == []


@pytest.mark.parametrize("monitored", ["", "RootUsage", None])
def test_unknown_event_is_refused(api_calls, monitored):
    with pytest.raises(ValueError, match="MonitoredEvent must be one of"):
        _run(MonitoredEvent=monitored)

    assert api_calls.operations == []


def test_aws_error_on_the_alarm_fails_the_step_and_nothing_watches_the_event(api_calls):
    _trail()
    api_calls.fail("PutMetricAlarm", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        _run()

    # The filter alone watches nothing (no alarm): the next attempt reuses it and adds the alarm.
    assert _alarms() == []
    assert _rule_verdict() == "NON_COMPLIANT"
    api_calls.heal("PutMetricAlarm")
    api_calls.clear()
    _run()
    assert api_calls.mutating == ["CreateTopic", "PutMetricAlarm"]
    assert _rule_verdict() == "COMPLIANT"


def test_read_error_fails_without_change(api_calls):
    _trail()
    api_calls.clear()
    api_calls.fail("DescribeMetricFilters", code="AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDeniedException"):
        _run()

    assert api_calls.mutating == []


def test_dry_run_makes_no_mutating_call_and_returns_the_plan(api_calls):
    _trail()
    api_calls.clear()

    result = _run(DryRun=True)

    assert api_calls.mutating == []
    assert _filters() == [] and _alarms() == [] and _topics() == []
    assert result["WouldChange"] is True and result["Changed"] is False
    assert result["PlannedState"] == {
        "TrailArn": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_ID}:trail/audit",
        "Region": REGION,
        "LogGroup": LOG_GROUP,
        "MetricFilter": "remedy-RootAccountUsage",
        "Alarm": "remedy-RootAccountUsage",
        "AlarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:remedy-security-alarms",
    }
    assert result["Message"].startswith("Dry run, nothing changed. Would have: filter remedy-RootAccountUsage (added)")


def test_document_lists_exactly_the_events_the_table_has():
    document = yaml.safe_load((RUNBOOK / "document.yaml").read_text())
    pattern = document["parameters"]["MonitoredEvent"]["allowedPattern"]

    assert pattern == f"^({'|'.join(MONITORED_EVENTS)})$"
