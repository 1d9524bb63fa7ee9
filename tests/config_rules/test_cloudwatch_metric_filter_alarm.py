"""Rule cloudwatch_metric_filter_alarm: which trails, log groups, metric filters and alarms count, per event."""

from __future__ import annotations

import json

import boto3
import pytest
import rule_support
from compliance.cloudwatch_monitoring import MONITORED_EVENTS, watches

from config_rules.cloudwatch_metric_filter_alarm import rule
from tests.config_events import RuleExamples, configuration_item
from tests.conftest import ACCOUNT_ID, REGION

RULE = RuleExamples(rule, config_rule_name="cloudwatch-alarm-root-account-usage")
MONITORED = MONITORED_EVENTS


def _watches(event: str):
    """The rule tests `event` (its MonitoredEvent parameter names it)."""
    return lambda params, _rule: params.get("MonitoredEvent") == event


# CIS AWS Foundations Benchmark v3.0 section 4, "Ensure a log metric filter and alarm exist for ...":
# 4.1 unauthorized API calls, 4.2 Management Console sign-in without MFA, 4.3 usage of 'root' account, 4.4 IAM policy
# changes, 4.5 CloudTrail configuration changes, 4.6 AWS Management Console authentication failures, 4.7 disabling or
# scheduled deletion of customer created CMKs, 4.8 S3 bucket policy changes, 4.9 AWS Config configuration changes,
# 4.10 security group changes, 4.11 changes to Network Access Control Lists (NACL), 4.12 changes to network gateways,
# 4.13 route table changes, 4.14 VPC changes, 4.15 AWS Organizations changes.
CIS_EVENTS = {
    "4.1": "UnauthorizedApiCalls",
    "4.2": "ConsoleSignInWithoutMfa",
    "4.3": "RootAccountUsage",
    "4.4": "IamPolicyChanges",
    "4.5": "CloudTrailConfigChanges",
    "4.6": "ConsoleAuthenticationFailures",
    "4.7": "KmsKeyDisableOrDeletion",
    "4.8": "S3BucketPolicyChanges",
    "4.9": "ConfigChanges",
    "4.10": "SecurityGroupChanges",
    "4.11": "NetworkAclChanges",
    "4.12": "NetworkGatewayChanges",
    "4.13": "RouteTableChanges",
    "4.14": "VpcChanges",
    "4.15": "OrganizationsChanges",
}
FRAMEWORK_REQUIREMENTS = {("cis_aws_v3.0", cis): _watches(event) for cis, event in CIS_EVENTS.items()}
# Prowler's check per event (cis_3.0_aws.json maps each CIS id to it) and its v2 id (v2_to_v3_checks_mapping.mdx).
_PROWLER_CHECKS = {
    "UnauthorizedApiCalls": ("cloudwatch_log_metric_filter_unauthorized_api_calls", "check31"),
    "ConsoleSignInWithoutMfa": ("cloudwatch_log_metric_filter_sign_in_without_mfa", "check32"),
    "RootAccountUsage": ("cloudwatch_log_metric_filter_root_usage", "check33"),
    "IamPolicyChanges": ("cloudwatch_log_metric_filter_policy_changes", "check34"),
    "CloudTrailConfigChanges": (
        "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
        "check35",
    ),
    "ConsoleAuthenticationFailures": ("cloudwatch_log_metric_filter_authentication_failures", "check36"),
    "KmsKeyDisableOrDeletion": ("cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk", "check37"),
    "S3BucketPolicyChanges": ("cloudwatch_log_metric_filter_for_s3_bucket_policy_changes", "check38"),
    "ConfigChanges": (
        "cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled",
        "check39",
    ),
    "SecurityGroupChanges": ("cloudwatch_log_metric_filter_security_group_changes", "check310"),
    "NetworkAclChanges": ("cloudwatch_changes_to_network_acls_alarm_configured", "check311"),
    "NetworkGatewayChanges": ("cloudwatch_changes_to_network_gateways_alarm_configured", "check312"),
    "RouteTableChanges": ("cloudwatch_changes_to_network_route_tables_alarm_configured", "check313"),
    "VpcChanges": ("cloudwatch_changes_to_vpcs_alarm_configured", "check314"),
    "OrganizationsChanges": ("cloudwatch_log_metric_filter_aws_organizations_changes", "extra7197"),
}
PROWLER_REQUIREMENTS = {check: _watches(event) for event, checks in _PROWLER_CHECKS.items() for check in checks}

LOG_GROUP = "cloudtrail/audit"


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(rule_support, "sleep", slept.append)
    return slept


def _log_group(region: str = REGION, name: str = LOG_GROUP) -> str:
    logs = boto3.client("logs", region_name=region)
    logs.create_log_group(logGroupName=name)
    return logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"]


def _trail(region: str = REGION, multi_region: bool = True, log_group_arn: str | None = "") -> str:
    """A trail homed in `region`; log_group_arn "" makes one there, None delivers to no log group."""
    s3 = boto3.client("s3", region_name=region)
    bucket = f"trail-logs-{region}"
    s3.create_bucket(
        Bucket=bucket,
        **({} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}),
    )
    logs = {}
    if log_group_arn is not None:
        logs = {
            "CloudWatchLogsLogGroupArn": log_group_arn or _log_group(region),
            "CloudWatchLogsRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/cloudtrail-to-logs",
        }
    trail = boto3.client("cloudtrail", region_name=region).create_trail(
        Name=f"audit-{region}", S3BucketName=bucket, IsMultiRegionTrail=multi_region, **logs
    )
    return trail["TrailARN"]


def _filter(event: str, pattern: str | None = None, region: str = REGION, name: str = "soc") -> None:
    boto3.client("logs", region_name=region).put_metric_filter(
        logGroupName=LOG_GROUP,
        filterName=name,
        filterPattern=MONITORED[event]["pattern"] if pattern is None else pattern,
        metricTransformations=[{"metricName": f"{name}-metric", "metricNamespace": "Security", "metricValue": "1"}],
    )


def _alarm(name: str = "soc", region: str = REGION, actions: bool = True, namespace: str = "Security") -> None:
    topic = boto3.client("sns", region_name=region).create_topic(Name="soc")["TopicArn"]
    boto3.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName=f"{name}-alarm",
        MetricName=f"{name}-metric",
        Namespace=namespace,
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic] if actions else [],
    )


def _event(monitored: str = "RootAccountUsage", **parameters) -> dict:
    event = RULE.event("scheduled")
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", "MonitoredEvent": monitored, **parameters})
    return event


def _only(result: list[dict]) -> dict:
    assert isinstance(result, list), result
    assert len(result) == 1, result
    return result[0]


def _evaluate(event: dict | None = None) -> dict:
    return _only(RULE.evaluate(event or _event()))


@pytest.mark.parametrize("monitored", list(MONITORED))
def test_the_cis_filter_with_a_notifying_alarm_is_compliant(api_calls, monitored):
    _trail()
    _filter(monitored)
    _alarm()
    api_calls.clear()

    evaluation = _evaluate(_event(monitored))

    assert evaluation["ComplianceType"] == "COMPLIANT", evaluation
    assert evaluation["ComplianceResourceId"] == ACCOUNT_ID
    assert evaluation["ComplianceResourceType"] == "AWS::::Account"
    assert api_calls.operations == [
        "DescribeTrails",
        "DescribeMetricFilters",
        "DescribeAlarmsForMetric",
        "PutEvaluations",
    ]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))


def test_the_example_event_evaluates_root_usage(api_calls):
    _trail()
    _filter("RootAccountUsage")
    _alarm()

    assert _evaluate(RULE.event("scheduled"))["ComplianceType"] == "COMPLIANT"


@pytest.mark.parametrize("monitored", list(MONITORED))
def test_a_filter_for_another_event_does_not_count(api_calls, monitored):
    _trail()
    for index, other in enumerate(e for e in MONITORED if e != monitored):
        _filter(other, name=f"soc{index}")
        _alarm(name=f"soc{index}")

    evaluation = _evaluate(_event(monitored))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert f"has no metric filter for {MONITORED[monitored]['description']}" in evaluation["Annotation"]


def test_a_filter_written_differently_but_with_every_clause_counts(api_calls):
    _trail()
    # Reordered clauses, no quotes, other spacing, one more condition: still every clause of CIS 4.3.
    _filter(
        "RootAccountUsage",
        "{$.eventType!=AwsServiceEvent && $.userIdentity.invokedBy NOT EXISTS && "
        "$.userIdentity.type=Root && $.recipientAccountId=123456789012}",
    )
    _alarm()

    assert _evaluate()["ComplianceType"] == "COMPLIANT"


@pytest.mark.parametrize(
    ("monitored", "pattern"),
    [
        # CIS 4.13 names CreateRoute: CreateRouteTable alone does not hold it.
        (
            "RouteTableChanges",
            MONITORED["RouteTableChanges"]["pattern"].replace('($.eventName = "CreateRoute") || ', ""),
        ),
        ("RootAccountUsage", '{ $.userIdentity.type = "Root" && $.eventType != "AwsServiceEvent" }'),
        (
            "RootAccountUsage",
            '{ $.userIdentity.type != "Root" && $.userIdentity.invokedBy NOT EXISTS && '
            '$.eventType != "AwsServiceEvent" }',
        ),
        ("ConsoleSignInWithoutMfa", MONITORED["ConsoleSignInWithoutMfa"]["pattern"].replace("!=", "=")),
    ],
)
def test_a_filter_missing_a_clause_does_not_count(api_calls, monitored, pattern):
    _trail()
    _filter(monitored, pattern)
    _alarm()

    assert _evaluate(_event(monitored))["ComplianceType"] == "NON_COMPLIANT"


def test_a_filter_without_an_alarm_is_non_compliant(api_calls):
    _trail()
    _filter("RootAccountUsage")

    evaluation = _evaluate()

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == (
        f"No alarm on usage of the root user: log group {LOG_GROUP} ({REGION}) has metric filter soc but no alarm "
        "with an action on its metric."
    )


@pytest.mark.parametrize("alarm", [{"actions": False}, {"namespace": "Other"}, {"name": "other"}])
def test_an_alarm_without_action_or_on_another_metric_does_not_count(api_calls, alarm):
    _trail()
    _filter("RootAccountUsage")
    _alarm(**alarm)

    assert _evaluate()["ComplianceType"] == "NON_COMPLIANT"


def test_no_trail_is_non_compliant(api_calls):
    evaluation = _evaluate()

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == (
        "No multi-region CloudTrail trail delivers to a CloudWatch Logs log group of this account: nothing can alarm "
        "on usage of the root user."
    )
    assert api_calls.operations == ["DescribeTrails", "PutEvaluations"]


@pytest.mark.parametrize(
    ("multi_region", "delivery"),
    [
        (False, "own"),  # a single-Region trail misses the other Regions' events
        (True, None),  # no CloudWatch Logs delivery
        # an organization trail delivering to the management account's log group: not this account's to watch
        (True, f"arn:aws:logs:{REGION}:210987654321:log-group:{LOG_GROUP}:*"),
    ],
)
def test_a_trail_that_does_not_count_is_non_compliant(api_calls, multi_region, delivery):
    own = _log_group()
    _trail(multi_region=multi_region, log_group_arn=own if delivery == "own" else delivery)
    _filter("RootAccountUsage")
    _alarm()

    evaluation = _evaluate()

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith("No multi-region CloudTrail trail delivers")


def test_a_trail_homed_in_another_region_is_read_there(api_calls):
    _trail(region="eu-central-1")
    _filter("RootAccountUsage", region="eu-central-1")
    _alarm(region="eu-central-1")
    _log_group(REGION)  # the same name here, without filter, must not be the one read

    evaluation = _evaluate()

    assert evaluation["ComplianceType"] == "COMPLIANT", evaluation
    assert (
        evaluation["Annotation"]
        == f"Log group {LOG_GROUP} (eu-central-1) has a metric filter and an alarm for usage of the root user."
    )


def test_an_alarm_in_another_region_does_not_count(api_calls):
    _trail()
    _filter("RootAccountUsage")
    _alarm(region="eu-central-1")

    assert _evaluate()["ComplianceType"] == "NON_COMPLIANT"


@pytest.mark.parametrize("operation", ["DescribeTrails", "DescribeMetricFilters", "DescribeAlarmsForMetric"])
@pytest.mark.parametrize("code", ["AccessDeniedException", "InternalFailure"])
def test_a_failed_read_is_non_compliant_never_compliant(api_calls, operation, code):
    _trail()
    _filter("RootAccountUsage")
    _alarm()
    api_calls.fail(operation, code=code)

    evaluation = _evaluate()

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == f"Not evaluated: {operation} failed: {code}."


def test_throttling_is_retried_then_evaluated(api_calls):
    _trail()
    _filter("RootAccountUsage")
    _alarm()
    api_calls.fail("DescribeMetricFilters", code="ThrottlingException", times=2)

    assert _evaluate()["ComplianceType"] == "COMPLIANT"
    assert api_calls.operations.count("DescribeMetricFilters") == 3


@pytest.mark.parametrize(
    "parameters",
    [{"MonitoredEvent": ""}, {"MonitoredEvent": "RootUsage"}, {"MonitoredEvent": "rootaccountusage"}, {"Pattern": "x"}],
)
def test_bad_parameters_are_a_customer_error_and_evaluate_nothing(api_calls, parameters):
    event = RULE.event("scheduled")
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", **parameters})

    result = RULE.evaluate(event)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert api_calls.operations == []


def test_a_missing_parameter_is_a_customer_error(api_calls):
    event = RULE.event("scheduled")
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false"})

    result = RULE.evaluate(event)

    assert "MonitoredEvent must be one of" in result["customerErrorMessage"]


def test_change_notification_for_another_resource_type_is_not_applicable(api_calls):
    item = configuration_item("AWS::CloudTrail::Trail", "audit", {"isMultiRegionTrail": True})

    event = RULE.change_event(item, {"MonitoredEvent": "RootAccountUsage"})

    result = RULE.evaluate(event)

    assert _only(result)["ComplianceType"] == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_every_cis_pattern_fits_put_metric_filter_and_watches_only_its_event():
    # filterPattern: "Maximum length of 1024"
    # (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html).
    for event, spec in MONITORED.items():
        assert len(spec["pattern"]) <= 1024, event
        assert [e for e in MONITORED if watches(spec["pattern"], e)] == [event]
