"""Operating the bridge: its audit bucket, alarms on runbook failures and one CloudWatch dashboard per deployment.

Metrics come from the bridge's own decision log lines (CloudWatch Embedded Metric Format, prowler_bridge/findings.py
metric_members): namespace Remedy, metric Decisions, dimensions Deployment (the resource prefix), Decision, Control
and Reason (skips). No code here lists controls: the dashboard queries them with CloudWatch Metrics Insights, so
the number of controls changes nothing in the dashboard body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from prowler_bridge.audit import AUDIT_PREFIX
from prowler_bridge.findings import DEPLOYMENT_VARIABLE, METRIC_NAME, METRIC_NAMESPACE

if TYPE_CHECKING:
    from infra.bridge_resources import ProwlerBridge

RETENTION_CONTEXT = "remedy:auditRetentionDays"
DEFAULT_RETENTION_DAYS = 400
MINIMUM_RETENTION_DAYS = 365  # audit records are kept at least a year
PERIOD = cdk.Duration.minutes(5)
DASHBOARD_COLUMN = 12  # half of the dashboard's 24 grid columns: two widgets a row
TOP_CONTROLS = 20
# Dashboard quotas: 500 widgets per dashboard, 500 metrics per widget, 2,500 metrics per dashboard
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html). A Metrics Insights query
# counts as one metric in its widget, processes up to 10,000 metrics and returns at most 500 series, the top ones
# by ORDER BY (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-limits.html):
# the worst case of findings.py (5,166 metrics for 300 controls) stays within one query's reach.


def retention_days(scope: Construct) -> int:
    """remedy:auditRetentionDays (default 400); fewer than 365 days fails synth."""
    raw = scope.node.try_get_context(RETENTION_CONTEXT)
    text = str(DEFAULT_RETENTION_DAYS if raw is None else raw).strip()
    if not text.isdigit() or int(text) < MINIMUM_RETENTION_DAYS:
        raise ValueError(
            f"{RETENTION_CONTEXT} must be a whole number of days >= {MINIMUM_RETENTION_DAYS} "
            f"(audit records are kept at least a year); got {raw!r}"
        )
    return int(text)


def insights_query(prefix: str, dimensions: str, where: str = "", group_by: str = "", limit: int = 0) -> str:
    """A Metrics Insights query over the bridge's Decisions metric of one deployment."""
    schema = f'SCHEMA("{METRIC_NAMESPACE}", {dimensions})'
    query = f"SELECT SUM({METRIC_NAME}) FROM {schema} WHERE Deployment = '{prefix}'"  # noqa: S608 - not SQL
    query += f" AND {where}" if where else ""
    query += f" GROUP BY {group_by}" if group_by else ""
    return query + (f" ORDER BY SUM() DESC LIMIT {limit}" if limit else "")


class BridgeOperations(Construct):
    """The audit bucket (its writer's grant and environment), alarms and the dashboard of one bridge."""

    def __init__(self, scope: Construct, construct_id: str, *, bridge: ProwlerBridge) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.prefix = bridge.config["prefix"]
        self.name = f"{self.prefix}-bridge-{stack.region}"
        self.retention_days = retention_days(self)
        self.audit_bucket = self._audit_bucket()
        self._audit_writer(bridge)
        self.alarms = self._alarms(bridge, stack)
        self.dashboard = self._dashboard(bridge)

    def _audit_bucket(self) -> s3.Bucket:
        """SSE-KMS with its own key (Remedy's own control of S3 KMS encryption finds SSE-S3 non-compliant),
        versioned, TLS only, never public; Object Lock in governance mode for the retention period, and lifecycle
        expiry after it. Governance mode: no one can overwrite or delete a locked version except a principal
        granted s3:BypassGovernanceRetention who asks to bypass it (a CloudTrail-logged act), and the retention can
        still be corrected; compliance mode could not be undone by anyone, root included
        (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html). Lifecycle expiry adds a delete
        marker after the retention period; the version is removed a day later, when its lock has ended (S3 does not
        delete a locked version: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html)."""
        self.audit_key = kms.Key(
            self, "AuditKey", enable_key_rotation=True, description="Encrypts Remedy's audit records of runbook runs"
        )
        days = cdk.Duration.days(self.retention_days)
        return s3.Bucket(
            self,
            "AuditBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.audit_key,
            bucket_key_enabled=True,
            versioned=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.governance(days),
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAuditRecords",
                    prefix=AUDIT_PREFIX,
                    expiration=days,
                    noncurrent_version_expiration=cdk.Duration.days(1),
                ),
                s3.LifecycleRule(id="RemoveExpiredDeleteMarkers", expired_object_delete_marker=True),
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _audit_writer(self, bridge: ProwlerBridge) -> None:
        """The bridge writes new audit records and nothing else: s3:PutObject under audit/ (and the key's data key
        for it), only as a conditional
        write that cannot replace an object (s3:if-none-match present:
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html)."""
        # The retry consumer runs the bridge's handler on redriven events (status events included): the same grant.
        for function, role in ((bridge.function, bridge.role), (bridge.retry_function, bridge.retry_role)):
            function.add_environment("AUDIT_BUCKET", self.audit_bucket.bucket_name)
            function.add_environment(DEPLOYMENT_VARIABLE, self.prefix)
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["s3:PutObject"],
                    resources=[self.audit_bucket.arn_for_objects(f"{AUDIT_PREFIX}*")],
                    conditions={"Null": {"s3:if-none-match": "false"}},
                )
            )
            # PutObject into a bucket encrypted with a KMS key needs kms:GenerateDataKey on it:
            # https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
            role.add_to_policy(iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[self.audit_key.key_arn]))

    def decisions(self, decision: str) -> cloudwatch.Metric:
        """The count of one decision of this deployment (all controls)."""
        return cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name=METRIC_NAME,
            dimensions_map={"Deployment": self.prefix, "Decision": decision},
            statistic="Sum",
            period=PERIOD,
        )

    def _alarms(self, bridge: ProwlerBridge, stack: cdk.Stack) -> list[cloudwatch.Alarm]:
        """Runbook failures (the bridge's failure_notified decisions) and bridge errors, to the failure topic."""
        action = cloudwatch_actions.SnsAction(bridge.failure_topic)
        specs = [
            ("RunbookFailures", "runbook-failures", self.decisions("failure_notified"), "runbook executions failed"),
            ("StartFailures", "start-failures", self.decisions("failed"), "findings could not be remediated"),
            ("BridgeErrors", "errors", bridge.function.metric_errors(period=PERIOD), "bridge invocations failed"),
        ]
        alarms = []
        for construct_id, suffix, metric, what in specs:
            alarm = cloudwatch.Alarm(
                self,
                construct_id,
                alarm_name=f"{self.name}-{suffix}",
                alarm_description=f"Remedy bridge {self.prefix} ({stack.region}): {what}; dashboard {self.name}",
                metric=metric,
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarms.append(alarm)
        return alarms

    def _query(self, label: str, query: str) -> cloudwatch.MathExpression:
        return cloudwatch.MathExpression(expression=query, label=label, period=PERIOD, using_metrics={})

    def _dashboard(self, bridge: ProwlerBridge) -> cloudwatch.Dashboard:
        """Decisions by control and in total, failures, skips by reason, the Lambda's health, the failure queue."""
        widgets = [self._title_widget(), *self._decision_widgets(), *self._health_widgets(bridge)]
        rows = [widgets[:1], *(widgets[i : i + 2] for i in range(1, len(widgets), 2))]  # two widgets a row
        return cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.name, widgets=rows)

    def _title_widget(self) -> cloudwatch.TextWidget:
        return cloudwatch.TextWidget(
            markdown=f"# Remedy bridge `{self.prefix}`\nDecisions of the bridge (metric "
            f"{METRIC_NAMESPACE}/{METRIC_NAME}, from its log lines), its Lambda function and its failure "
            "queue. Audit records: "
            f"s3://{self.audit_bucket.bucket_name}/{AUDIT_PREFIX}, kept {self.retention_days} days.",
            width=24,
            height=2,
        )

    def _decision_graph(self, title: str, *query_arguments: object, **query_options: object) -> cloudwatch.GraphWidget:
        """A graph of one Metrics Insights query over the bridge's Decisions metric."""
        query = insights_query(self.prefix, *query_arguments, **query_options)
        return cloudwatch.GraphWidget(title=title, left=[self._query("", query)], width=DASHBOARD_COLUMN)

    def _decision_widgets(self) -> list[cloudwatch.IWidget]:
        """The bridge's decisions: in total, by control, its runbooks' failures by control, skips by reason."""
        by_control = "Deployment, Control, Decision"
        return [
            self._decision_graph("Decisions (all controls)", "Deployment, Decision", group_by="Decision"),
            self._decision_graph(
                f"Decisions by control (top {TOP_CONTROLS})",
                by_control,
                group_by="Control, Decision",
                limit=TOP_CONTROLS,
            ),
            self._decision_graph(
                "Runbook failures by control",
                by_control,
                "Decision = 'failure_notified'",
                "Control",
                limit=TOP_CONTROLS,
            ),
            self._decision_graph(
                "Skips by reason", "Deployment, Decision, Reason", group_by="Reason", limit=TOP_CONTROLS
            ),
        ]

    def _health_widgets(self, bridge: ProwlerBridge) -> list[cloudwatch.IWidget]:
        """The alarms, the bridge Lambda's errors, throttles and duration, the failure queue's backlog."""
        width = DASHBOARD_COLUMN
        function = bridge.function
        return [
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=width, height=4),
            cloudwatch.GraphWidget(
                title="Bridge Lambda: errors and throttles",
                left=[function.metric_errors(period=PERIOD), function.metric_throttles(period=PERIOD)],
                width=width,
            ),
            cloudwatch.GraphWidget(
                title="Bridge Lambda: duration",
                left=[
                    function.metric_duration(period=PERIOD, statistic="Average"),
                    function.metric_duration(period=PERIOD, statistic="p99"),
                ],
                width=width,
            ),
            cloudwatch.GraphWidget(
                title="Failure queue: messages waiting",
                left=[bridge.failure_queue.metric_approximate_number_of_messages_visible(period=PERIOD)],
                width=width,
            ),
        ]
