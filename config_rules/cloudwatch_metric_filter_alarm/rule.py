"""AWS Config rule: a CloudWatch Logs metric filter and an alarm watch one CloudTrail event (CIS v3.0 4.1-4.15).

Periodic, account-level: one evaluation of AWS::::Account (resource id: the account id). The rule parameter
MonitoredEvent names the event (a key of compliance.cloudwatch_monitoring.MONITORED_EVENTS, this rule's layer, which
the runbook CreateCloudWatchMetricFilterAlarm embeds too). COMPLIANT when the log group of a multi-region CloudTrail
trail of this account (cloudtrail:DescribeTrails, shadow trails included, so a trail homed in another Region counts)
has a metric filter whose pattern holds every clause of the event's CIS pattern (logs:DescribeMetricFilters, in the
log group's Region) and an alarm with an alarm action on that filter's metric (cloudwatch:DescribeAlarmsForMetric,
same Region). NON_COMPLIANT otherwise, and when no multi-region trail delivers to CloudWatch Logs in this account.
Whether the trail is logging and which events it selects is the CloudTrail controls' concern (CIS 3.1), not this
one's. Fails closed: a read that fails (after retrying throttling) is NON_COMPLIANT with the reason.
"""

from __future__ import annotations

import botocore.exceptions
from compliance.cloudwatch_monitoring import MONITORED_EVENTS, filter_metrics, monitored_log_groups, notifying_alarms
from rdklib import ComplianceType, ConfigRule, Evaluation, InvalidParametersError
from rule_support import Retrier, error_code, handle, reject_unknown_parameters, shown

APPLICABLE_RESOURCES = ["AWS::::Account"]
RESOURCE_TYPE = "AWS::::Account"
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("cloudtrail:DescribeTrails", "logs:DescribeMetricFilters", "cloudwatch:DescribeAlarmsForMetric")
RULE_PARAMETERS = {"MonitoredEvent"}


class ReadFailed(Exception):
    """An API read failed: the rule cannot say COMPLIANT."""


def _call(operation_name: str, operation: object, **kwargs: object) -> dict:
    try:
        return Retrier().call(operation, **kwargs)
    except botocore.exceptions.ClientError as error:
        raise ReadFailed(f"{operation_name} failed: {error_code(error)}") from error


def _metric_filters(logs: object, log_group: str) -> list[dict]:
    """Every metric filter of the log group (DescribeMetricFilters pages through nextToken)."""
    filters, kwargs = [], {"logGroupName": log_group}
    while True:
        page = _call("DescribeMetricFilters", logs.describe_metric_filters, **kwargs)
        filters.extend(page.get("metricFilters", []))
        if not page.get("nextToken"):
            return filters
        kwargs["nextToken"] = page["nextToken"]


def _log_group_finding(client_factory: object, region: str, log_group: str, event: str) -> str:
    """ "" when the log group watches the event with a notifying alarm, else what is missing."""
    matching = filter_metrics(_metric_filters(client_factory.build_client("logs", region), log_group), event)
    if not matching:
        return f"log group {log_group} ({region}) has no metric filter for {MONITORED_EVENTS[event]['description']}"
    cloudwatch = client_factory.build_client("cloudwatch", region)
    for _name, metric, namespace in matching:
        answer = _call(
            "DescribeAlarmsForMetric", cloudwatch.describe_alarms_for_metric, MetricName=metric, Namespace=namespace
        )
        if notifying_alarms(answer.get("MetricAlarms", [])):
            return ""
    names = ", ".join(name for name, _metric, _namespace in matching)
    return f"log group {log_group} ({region}) has metric filter {names} but no alarm with an action on its metric"


def _evaluation(compliance: str, account_id: str, annotation: str) -> Evaluation:
    return Evaluation(compliance, account_id, RESOURCE_TYPE, annotation=annotation[:256])


class CloudWatchMetricFilterAlarm(ConfigRule):
    """NON_COMPLIANT unless a multi-region trail's log group has a filter and a notifying alarm for the event."""

    # One resource, the account itself, reported on every run: nothing stale to clean up (see iam_password_policy).
    delete_old_evaluations_on_scheduled_notification = False

    def evaluate_parameters(self, rule_parameters: dict) -> dict:
        reject_unknown_parameters(rule_parameters, RULE_PARAMETERS)
        raw = rule_parameters.get("MonitoredEvent", "")
        event = str(raw).strip()
        if event not in MONITORED_EVENTS:
            raise InvalidParametersError(
                f"MonitoredEvent must be one of {', '.join(MONITORED_EVENTS)}; got {shown(raw)}."
            )
        return {"MonitoredEvent": event}

    def evaluate_periodic(self, event: dict, client_factory: object, valid_rule_parameters: dict) -> list[Evaluation]:
        account_id, monitored = event["accountId"], valid_rule_parameters["MonitoredEvent"]
        description = MONITORED_EVENTS[monitored]["description"]
        try:
            cloudtrail = client_factory.build_client("cloudtrail")
            trails = _call("DescribeTrails", cloudtrail.describe_trails, includeShadowTrails=True).get("trailList", [])
            targets = monitored_log_groups(trails, account_id)
            if not targets:
                annotation = (
                    "No multi-region CloudTrail trail delivers to a CloudWatch Logs log group of this account: "
                    f"nothing can alarm on {description}."
                )
                return [_evaluation(ComplianceType.NON_COMPLIANT, account_id, annotation)]
            findings = []
            for _trail, region, log_group in targets:
                finding = _log_group_finding(client_factory, region, log_group, monitored)
                if not finding:
                    annotation = f"Log group {log_group} ({region}) has a metric filter and an alarm for {description}."
                    return [_evaluation(ComplianceType.COMPLIANT, account_id, annotation)]
                findings.append(finding)
        except ReadFailed as error:
            return [_evaluation(ComplianceType.NON_COMPLIANT, account_id, f"Not evaluated: {error}.")]
        return [
            _evaluation(ComplianceType.NON_COMPLIANT, account_id, f"No alarm on {description}: {'; '.join(findings)}.")
        ]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(CloudWatchMetricFilterAlarm(), APPLICABLE_RESOURCES, event, context)
