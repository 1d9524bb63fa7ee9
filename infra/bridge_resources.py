"""The Security Hub -> EventBridge -> SSM bridge for Prowler findings, and the failure path.

Derived from the catalogue: the EventBridge patterns list the catalogue's Prowler check ids, its Security Hub
control ids (FSBP, CIS v3.0) and runbook document names; the bridge's mapping is bridge_config.json, generated
into its asset.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_securityhub as securityhub
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

import resource_types
from catalogue import REPO_ROOT, Catalogue
from infra.bridge_config import (  # the action target's id is part of the bridge config
    ACTION_TARGET_NAME,
    action_target_id,
    bridge_config,
    bridge_role_path,
    runbook_role_path,
)
from infra.bridge_operations import BridgeOperations
from infra.runbooks import controls_parameter_name
from infra.runtimes import LAMBDA_RUNTIME
from prowler_bridge.retry import MAX_RECEIVE_COUNT

BRIDGE_SOURCE = REPO_ROOT / "prowler_bridge"
# The registry's identity part (ARN -> AWS Config resource id), which the bridge imports; its simulation.py
# files are for the emulated AWS Config only and stay out of the asset.
RESOURCE_TYPES_SOURCE = REPO_ROOT / "resource_types"
# EventBridge limits an event pattern to 2,048 characters; we keep patterns under 80% of that and, past it,
# match on a prefix ("prowler-", the documents' "<Prefix>-"). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
MAX_PATTERN_CHARS = int(2048 * 0.8)


# The standards our users are audited against, as Security Hub names them.
SECURITY_HUB_STANDARDS = {
    "CisV300": "standards/cis-aws-foundations-benchmark/v/3.0.0",
    "Fsbp": "standards/aws-foundational-security-best-practices/v/1.0.0",
}
AUTOMATION_END_STATUSES = ["Success", "Failed", "TimedOut", "Cancelled"]
BRIDGE_TIMEOUT_SECONDS = 60
RETRY_TIMEOUT_SECONDS = 60
RETRY_BATCH_SIZE = 5
# Lambda asks for a source queue visibility timeout of at least six times the function's timeout
# (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
FAILURE_QUEUE_VISIBILITY_SECONDS = 6 * RETRY_TIMEOUT_SECONDS
# SQS keeps a message at most 14 days (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
QUEUE_RETENTION_DAYS = 14
# The bridge's asynchronous invocations: Lambda's two retries (its maximum), then the on-failure destination; an
# event older than this goes there unretried (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
BRIDGE_ASYNC_RETRIES = 2
BRIDGE_MAX_EVENT_AGE_SECONDS = 6 * 3600
NOTIFY_EMAILS = "remedy:notifyEmails"
NOTIFY_HTTPS_ENDPOINTS = "remedy:notifyHttpsEndpoints"
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def bridge_asset(config: dict) -> Path:
    """A folder holding the prowler_bridge package plus the generated bridge_config.json, and the registry's
    identity part (resource_types/ without its simulation modules)."""
    folder = Path(tempfile.mkdtemp(prefix="remedy-bridge-"))
    package = folder / "prowler_bridge"
    shutil.copytree(
        BRIDGE_SOURCE, package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "events", "bridge_config.json")
    )
    shutil.copytree(
        RESOURCE_TYPES_SOURCE,
        folder / "resource_types",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "simulation.py"),
    )
    (package / "bridge_config.json").write_text(json.dumps(config, indent=1, sort_keys=True))
    return folder


def lookup_grants(catalogue: Catalogue) -> list[resource_types.LookupGrant]:
    """The IAM grants the bridge's resource id lookups need, for the resource types the catalogue's controls use
    (resource_types/: e.g. iam:GetUser for IAM users); an unregistered type stops synth naming it."""
    types = sorted({control.resource_type for control in catalogue.controls})
    return [grant for name in types for grant in resource_types.get(name).lookup_grants]


def findings_imported_pattern(config: dict) -> dict:
    """Failed, active, open Prowler findings of the checks the catalogue maps."""
    generator_ids = sorted(f"prowler-{check}" for check in config["checks"])
    pattern = {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {
            "findings": {
                "ProductFields": {"ProviderName": ["Prowler"]},
                "GeneratorId": generator_ids,
                "Compliance": {"Status": ["FAILED"]},
                "RecordState": ["ACTIVE"],
                "Workflow": {"Status": ["NEW", "NOTIFIED"]},
            }
        },
    }
    if len(json.dumps(pattern)) > MAX_PATTERN_CHARS:
        pattern["detail"]["findings"]["GeneratorId"] = [{"prefix": "prowler-"}]
    return pattern


def control_findings_pattern(config: dict) -> dict:
    """Failed, active, open Security Hub CSPM control findings of the controls the catalogue maps: consolidated
    ones (GeneratorId security-control/<id>) and per-standard ones (<standard path>/<id>), as in
    https://docs.aws.amazon.com/securityhub/latest/userguide/asff-changes-consolidation.html"""
    consolidated = {f"security-control/{control}" for control in config["security_controls"]}
    pattern = {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {
            "findings": {
                "GeneratorId": sorted(consolidated | set(config["standard_controls"])),
                "Compliance": {"Status": ["FAILED"]},
                "RecordState": ["ACTIVE"],
                "Workflow": {"Status": ["NEW", "NOTIFIED"]},
            }
        },
    }
    if len(json.dumps(pattern)) > MAX_PATTERN_CHARS:
        standards = sorted({generator.rsplit("/", 1)[0] + "/" for generator in config["standard_controls"]})
        pattern["detail"]["findings"]["GeneratorId"] = [{"prefix": p} for p in ["security-control/", *standards]]
    return pattern


def findings_v2_pattern(config: dict) -> dict:
    """Security Hub's OCSF findings ("Findings Imported V2") of the mapped controls, failed and New or In Progress:
    https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-v2-cwe-event-rules.html (field names as in
    https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_OcsfStringFilter.html)."""
    pattern = {
        "source": ["aws.securityhub"],
        "detail-type": ["Findings Imported V2"],
        "detail": {
            "findings": {
                "compliance": {"control": sorted(config["security_controls"]), "status": ["Fail"]},
                "status": ["New", "In Progress"],
            }
        },
    }
    if len(json.dumps(pattern)) > MAX_PATTERN_CHARS:
        del pattern["detail"]["findings"]["compliance"]["control"]  # the bridge maps the control itself
    return pattern


def automation_status_pattern(config: dict) -> dict:
    """Our runbooks' executions reaching an end state, whoever started them (bridge or AWS Config)."""
    pattern = {
        "source": ["aws.ssm"],
        "detail-type": ["EC2 Automation Execution Status-change Notification"],
        "detail": {
            "Definition": sorted({c["document"] for c in config["controls"].values()}),
            "Status": AUTOMATION_END_STATUSES,
        },
    }
    if len(json.dumps(pattern)) > MAX_PATTERN_CHARS:
        pattern["detail"]["Definition"] = [{"prefix": f"{config['prefix'].capitalize()}-"}]
    return pattern


def nag_account(stack: cdk.Stack) -> str:
    """The account as cdk-nag writes it in a finding id: the literal id of a stack bound to an account."""
    return "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account


def member_role_name_template(prefix: str) -> str:
    """The member role's name, one per region of a member account (IAM names are global to the account)."""
    return f"{prefix}-bridge-member-{{region}}"


def pass_runbook_roles(stack: cdk.Stack, prefix: str) -> iam.PolicyStatement:
    """iam:PassRole on the runbook roles' path, to SSM only: one statement whatever the number of runbooks."""
    return iam.PolicyStatement(
        actions=["iam:PassRole"],
        resources=[f"arn:{stack.partition}:iam::{stack.account}:role{runbook_role_path(prefix)}*"],
        conditions={"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
    )


def document_arn_pattern(prefix: str) -> str:
    """Every version of every Automation document of this deployment (their names share the prefix)."""
    return f"arn:{{partition}}:ssm:*:{{account}}:automation-definition/{prefix.capitalize()}-*:*"


def bridge_role_name(prefix: str, region: str) -> str:
    """Deterministic, so member accounts can trust exactly this role."""
    return f"{prefix}-bridge-{region}"


def context_role_path(scope: Construct, prefix: str) -> str:
    """The bridge and member roles' IAM path for this app: remedy:rolePath, else /<prefix>/ (validated)."""
    return bridge_role_path(prefix, scope.node.try_get_context("remedy:rolePath"))


class BridgeMemberRole(Construct):
    """In a member account: the role the administrator account's bridge assumes to start runbooks here."""

    def __init__(
        self, scope: Construct, construct_id: str, *, catalogue: Catalogue, prefix: str, administrator_account: str
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        path = context_role_path(self, prefix)
        bridge_role = f"arn:{stack.partition}:iam::{administrator_account}:role{path}{bridge_role_name(prefix, '*')}"
        self.role = iam.Role(
            self,
            "Role",
            role_name=member_role_name_template(prefix).format(region=stack.region),
            path=path,
            description=f"Assumed by the Remedy bridge of account {administrator_account} to remediate here",
            assumed_by=iam.AccountPrincipal(administrator_account).with_conditions(
                {"ArnLike": {"aws:PrincipalArn": bridge_role}}
            ),
        )
        self.wildcard_resources: list[str] = []
        account, partition = stack.account, stack.partition
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["ssm:StartAutomationExecution"],
                resources=[f"arn:{partition}:ssm:*:{account}:automation-definition/{prefix.capitalize()}-*:*"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["ssm:GetAutomationExecution"],
                resources=[f"arn:{partition}:ssm:*:{account}:automation-execution/*"],
            )
        )
        self.role.add_to_policy(pass_runbook_roles(stack, prefix))
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["config:StartRemediationExecution", "config:DescribeRemediationExecutionStatus"],
                resources=[f"arn:{partition}:config:*:{account}:config-rule/*"],
            )
        )
        # Before a start, the bridge reads the resource's compliance (no resource-level permission exists).
        self.role.add_to_policy(iam.PolicyStatement(actions=["config:GetComplianceDetailsByResource"], resources=["*"]))
        # The run-time controls of this account and region (one member role per region: no wildcard).
        parameter = f"arn:{partition}:ssm:{stack.region}:{account}:parameter{controls_parameter_name(prefix)}"
        self.role.add_to_policy(iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameter]))
        for grant in lookup_grants(catalogue):
            resources = [template.format(partition=partition, account=account) for template in grant.resources]
            self.role.add_to_policy(iam.PolicyStatement(actions=list(grant.actions), resources=resources))
            self.wildcard_resources += [
                template.format(partition="<AWS::Partition>", account="<AWS::AccountId>")
                for template in grant.resources
                if "*" in template
            ]


class StatusForwarding(Construct):
    """In a member account: our runbooks' end-of-execution events go to the bridge account's default bus, where
    the bridge updates the findings of executions it started there and reports failures centrally."""

    def __init__(
        self, scope: Construct, construct_id: str, *, catalogue: Catalogue, prefix: str, bridge_bus_arn: str
    ) -> None:
        super().__init__(scope, construct_id)
        bus = events.EventBus.from_event_bus_arn(self, "BridgeBus", bridge_bus_arn)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="Lets EventBridge forward Remedy runbook status events to the bridge account's bus",
        )
        self.rule = events.Rule(
            self,
            "AutomationStatusToBridge",
            description="Remedy runbook executions ending here -> the bridge account's event bus",
            event_pattern=_pattern(automation_status_pattern(bridge_config(catalogue, prefix))),
            targets=[targets.EventBus(bus, role=self.role)],
        )


class ProwlerBridge(Construct):
    """EventBridge rules, the bridge Lambda, its ledger, the custom action and the failure notifications."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalogue: Catalogue,
        prefix: str,
        dependencies_layer_dir: Path,
        allowed_accounts: list[str],
        allowed_regions: list[str],
        organization_id: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.config = bridge_config(catalogue, prefix, stack.node.try_get_context("remedy:homeRegion"))
        self._failure_path_and_ledger()
        log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR)
        self.role_path = context_role_path(self, prefix)
        self.role = iam.Role(
            self,
            "Role",
            role_name=bridge_role_name(prefix, stack.region),
            path=self.role_path,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Remedy Prowler bridge: starts catalogue runbooks for Security Hub findings",
        )
        environment = {
            "ALLOWED_ACCOUNTS": ",".join(allowed_accounts),
            "ORGANIZATION_ID": organization_id or "",
            "MEMBER_ROLE_NAME": member_role_name_template(prefix),
            "MEMBER_ROLE_PATH": self.role_path,
            "ALLOWED_REGIONS": ",".join(allowed_regions),
        }
        self._function(dependencies_layer_dir, log_group, environment)
        self._retry_consumer(stack, prefix, environment)
        self._grant(stack, catalogue, prefix, [log_group, self.retry_log_group], allowed_accounts, organization_id)
        self._on_failure_destination()
        self.action_target = cdk.CfnResource(
            self,
            "RemediateActionTarget",
            type="AWS::SecurityHub::ActionTarget",
            properties={
                "Name": ACTION_TARGET_NAME,
                "Id": action_target_id(prefix),
                "Description": "Run the Remedy runbook for the selected findings",
            },
        )
        self._security_hub(stack)
        self._accept_member_status_events(stack, allowed_accounts, organization_id)
        self._event_rules(stack, prefix)
        self._admit_services(stack, prefix)
        self._subscriptions()
        self._alarms(prefix)
        self.operations = BridgeOperations(self, "Operations", bridge=self)  # metrics, alarms, audit records

    def _failure_path_and_ledger(self) -> None:
        """The encrypted failure topic, the failure queue with its parked-message queue, and the ledger."""
        self.key = kms.Key(
            self, "FailureKey", enable_key_rotation=True, description="Encrypts Remedy remediation failure messages"
        )
        self.failure_topic = sns.Topic(self, "FailureTopic", master_key=self.key, enforce_ssl=True)
        # Where messages the retry consumer refused, or could not retry MAX_RECEIVE_COUNT times, wait for a person.
        self.parked_queue = sqs.Queue(
            self,
            "ParkedQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(QUEUE_RETENTION_DAYS),
        )
        # A standard queue: EventBridge's target DLQ and Lambda's on-failure destination take no FIFO queue
        # (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html); the ledger's failure
        # item keeps one failure message per resource in flight instead (handler._queue_failure).
        self.failure_queue = sqs.Queue(
            self,
            "FailureQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(QUEUE_RETENTION_DAYS),
            visibility_timeout=cdk.Duration.seconds(FAILURE_QUEUE_VISIBILITY_SECONDS),
            # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
            # The consumer parks a message on its MAX_RECEIVE_COUNT-th receive; SQS moves one only once its receive
            # count exceeds maxReceiveCount, a receive later, so the policy parks what the consumer could not
            # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVE_COUNT, queue=self.parked_queue),
        )
        self.ledger = dynamodb.TableV2(
            self,
            "Ledger",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            time_to_live_attribute="expires_at",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )

    def _function(self, dependencies_layer_dir: Path, log_group: logs.LogGroup, environment: dict) -> None:
        """The bridge Lambda: its code with the generated bridge_config.json, pinned boto3 in a layer."""
        self.code = lambda_.Code.from_asset(str(bridge_asset(self.config)))
        # boto3 as pinned and tested, not the runtime's own copy (the same folder as the rules' rdklib layer).
        self.layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(dependencies_layer_dir)),
            compatible_runtimes=[LAMBDA_RUNTIME],
            description="boto3 (and rdklib), pinned, for the Remedy bridge",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Remedy bridge: Security Hub findings (Prowler, custom action) to SSM Automation",
            runtime=LAMBDA_RUNTIME,
            handler="prowler_bridge.handler.lambda_handler",
            code=self.code,
            layers=[self.layer],
            role=self.role,
            log_group=log_group,
            timeout=cdk.Duration.seconds(BRIDGE_TIMEOUT_SECONDS),
            memory_size=256,
            environment=self._environment(environment),
        )

    def _environment(self, environment: dict) -> dict:
        return {
            "LEDGER_TABLE": self.ledger.table_name,
            "FAILURE_TOPIC_ARN": self.failure_topic.topic_arn,
            "FAILURE_QUEUE_URL": self.failure_queue.queue_url,
            **environment,
        }

    def _retry_consumer(self, stack: cdk.Stack, prefix: str, environment: dict) -> None:
        """The failure queue's consumer (prowler_bridge.retry): the bridge's code, settings and permissions, its
        own role on the bridge's path (member roles trust <prefix>-bridge-*), fed in batches with partial failures."""
        self.retry_log_group = logs.LogGroup(self, "RetryLogs", retention=logs.RetentionDays.ONE_YEAR)
        self.retry_role = iam.Role(
            self,
            "RetryRole",
            role_name=f"{prefix}-bridge-retry-{stack.region}",
            path=self.role_path,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Remedy bridge retry: re-validates and retries failed remediations from the failure queue",
        )
        self.retry_function = lambda_.Function(
            self,
            "RetryFunction",
            description="Remedy bridge retry: the failure queue's consumer (re-validate, back off, retry or park)",
            runtime=LAMBDA_RUNTIME,
            handler="prowler_bridge.retry.lambda_handler",
            code=self.code,
            layers=[self.layer],
            role=self.retry_role,
            log_group=self.retry_log_group,
            timeout=cdk.Duration.seconds(RETRY_TIMEOUT_SECONDS),
            memory_size=256,
            environment={**self._environment(environment), "PARKED_QUEUE_URL": self.parked_queue.queue_url},
        )
        # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html (partial batch responses)
        self.retry_function.add_event_source(
            event_sources.SqsEventSource(
                self.failure_queue, batch_size=RETRY_BATCH_SIZE, report_batch_item_failures=True, max_concurrency=2
            )
        )

    def _on_failure_destination(self) -> None:
        """The bridge's asynchronous invocations (EventBridge's) that fail every attempt: their record, holding
        the original event, goes to the failure queue. Lambda sends it with the function's execution role
        (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html), which may already
        send to the queue with the key. The L1 resource: CDK's SqsDestination would grant kms:GenerateDataKey*
        and kms:ReEncrypt* (action wildcards) on top."""
        invoke_config = lambda_.CfnEventInvokeConfig(
            self,
            "FunctionAsyncInvoke",
            function_name=self.function.function_name,
            qualifier="$LATEST",
            maximum_retry_attempts=BRIDGE_ASYNC_RETRIES,
            maximum_event_age_in_seconds=BRIDGE_MAX_EVENT_AGE_SECONDS,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=self.failure_queue.queue_arn)
            ),
        )
        invoke_config.node.add_dependency(self.role)  # Lambda checks the role's access to the destination

    def _event_rules(self, stack: cdk.Stack, prefix: str) -> None:
        """Prowler's and Security Hub's findings (ASFF and OCSF), the custom action and our runbooks' end states.
        Named rules: the key policy admits EventBridge's dead-letter deliveries for exactly these ARNs."""
        target = targets.LambdaFunction(self.function, dead_letter_queue=self.failure_queue, retry_attempts=4)
        self.rule_arns: list[str] = []

        def rule(construct_id: str, name: str, description: str, pattern: events.EventPattern) -> None:
            rule_name = f"{prefix}-bridge-{name}"
            events.Rule(
                self,
                construct_id,
                rule_name=rule_name,
                description=description,
                event_pattern=pattern,
                targets=[target],
            )
            self.rule_arns.append(f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/{rule_name}")

        rule(
            "ProwlerFindingsImported",
            "prowler-findings",
            "Failed Prowler findings of catalogue checks -> Remedy bridge",
            _pattern(findings_imported_pattern(self.config)),
        )
        rule(
            "ControlFindingsImported",
            "control-findings",
            "Failed Security Hub control findings of catalogue controls -> Remedy bridge",
            _pattern(control_findings_pattern(self.config)),
        )
        rule(
            "FindingsImportedV2",
            "findings-v2",
            "Failed Security Hub OCSF findings of catalogue controls -> Remedy bridge",
            _pattern(findings_v2_pattern(self.config)),
        )
        rule(
            "RemediateCustomAction",
            "custom-action",
            "Security Hub 'Remediate' custom action -> Remedy bridge",
            events.EventPattern(
                source=["aws.securityhub"],
                detail_type=["Security Hub Findings - Custom Action"],
                resources=[self.action_target.ref],
            ),
        )
        rule(
            "AutomationStatusChanged",
            "automation-status",
            "Remedy runbook executions ending -> finding update or failure notification",
            _pattern(automation_status_pattern(self.config)),
        )

    def _admit_services(self, stack: cdk.Stack, prefix: str) -> None:
        """What AWS services may do with the failure key and topic (the key policy also keeps CDK's statement
        that delegates to IAM: the bridge and retry roles use the key through their own policies, and so does
        Lambda sending the bridge's on-failure records with the bridge's role; no SNS subscription is an
        encrypted queue, so sns.amazonaws.com needs no use of the key,
        https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)."""
        # EventBridge writes undeliverable events to the encrypted target DLQ, for our rules only
        # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeDeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"ArnEquals": {"aws:SourceArn": self.rule_arns}},
            )
        )
        # CloudWatch alarms publish to the encrypted topic: the key statement AWS documents
        # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services), and
        # the topic policy admits only this account's <prefix>-bridge-* alarms (aws:SourceArn, aws:SourceAccount:
        # https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.failure_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.failure_topic.topic_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": self._alarm_arn(stack, prefix, "*")},
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )

    @staticmethod
    def _alarm_arn(stack: cdk.Stack, prefix: str, name: str) -> str:
        return f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:{prefix}-bridge-{name}"

    def _subscriptions(self) -> None:
        """The failure topic's subscribers, by context: none unless remedy:notifyEmails and/or
        remedy:notifyHttpsEndpoints list some (comma lists); anything else stops synth with the setting's name."""
        for address in notify_emails(self.node.try_get_context(NOTIFY_EMAILS)):
            self.failure_topic.add_subscription(subscriptions.EmailSubscription(address))
        for url in notify_https_endpoints(self.node.try_get_context(NOTIFY_HTTPS_ENDPOINTS)):
            self.failure_topic.add_subscription(
                subscriptions.UrlSubscription(url, protocol=sns.SubscriptionProtocol.HTTPS)
            )

    def _alarms(self, prefix: str) -> None:
        """Parked messages (a person must look) and retry consumer errors notify the failure topic."""
        self.parked_alarm = cloudwatch.Alarm(
            self,
            "ParkedMessagesAlarm",
            alarm_name=f"{prefix}-bridge-parked-messages",
            alarm_description="Remedy: failure messages were parked (refused or not retryable): see the parked queue",
            metric=self.parked_queue.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(5), statistic="Maximum"
            ),
            threshold=0,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.retry_errors_alarm = cloudwatch.Alarm(
            self,
            "RetryErrorsAlarm",
            alarm_name=f"{prefix}-bridge-retry-errors",
            alarm_description="Remedy: the bridge's retry consumer failed (see its log group)",
            metric=self.retry_function.metric_errors(period=cdk.Duration.minutes(5), statistic="Sum"),
            threshold=0,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        for alarm in (self.parked_alarm, self.retry_errors_alarm):
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.failure_topic))

    def _security_hub(self, stack: cdk.Stack) -> None:
        """What the bridge needs of Security Hub, by context: enabling it with the CIS v3.0 and FSBP standards
        (remedy:enableSecurityHub, default false: it is usually on already), and the Prowler import
        (remedy:subscribeProwler, default true; false where the subscription exists: a second one fails)."""
        context = self.node.try_get_context
        hub = None
        if str(context("remedy:enableSecurityHub") or "false").lower() == "true":
            hub = securityhub.CfnHub(self, "Hub", enable_default_standards=False, auto_enable_controls=True)
            for standard_id, path in SECURITY_HUB_STANDARDS.items():
                securityhub.CfnStandard(
                    self, standard_id, standards_arn=f"arn:{stack.partition}:securityhub:{stack.region}::{path}"
                ).add_dependency(hub)
        if str(context("remedy:subscribeProwler") or "true").lower() != "false":
            subscription = securityhub.CfnProductSubscription(
                self,
                "ProwlerImport",
                product_arn=f"arn:{stack.partition}:securityhub:{stack.region}::product/prowler/prowler",
            )
            if hub is not None:
                subscription.add_dependency(hub)

    def _accept_member_status_events(self, stack: cdk.Stack, accounts: list[str], organization: str | None) -> None:
        """The default bus accepts events from the organization's accounts (one statement for any number), else
        from the listed accounts: member stacks forward their runbooks' status events here."""
        foreign = [a for a in accounts if a and a != stack.account]
        if not organization and not foreign:
            return
        bus = f"arn:{stack.partition}:events:{stack.region}:{stack.account}:event-bus/default"
        if organization:
            principal: object = "*"
            condition: dict | None = {"StringEquals": {"aws:PrincipalOrgID": organization}}
        else:
            principal, condition = {"AWS": [f"arn:{stack.partition}:iam::{a}:root" for a in foreign]}, None
        statement = {
            "Sid": "RemedyMemberStatusEvents",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "events:PutEvents",
            "Resource": bus,
            **({"Condition": condition} if condition else {}),
        }
        events.CfnEventBusPolicy(
            self,
            "MemberStatusEvents",
            event_bus_name="default",
            statement_id="RemedyMemberStatusEvents",
            statement=statement,
        )

    def _grant(
        self,
        stack: cdk.Stack,
        catalogue: Catalogue,
        prefix: str,
        log_groups: list,
        accounts: list[str],
        organization: str | None,
    ) -> None:
        """Exactly the calls the bridge makes, scoped to this deployment's resources where AWS allows; the retry
        consumer runs the same code, so its role gets the same, plus sending to the parked queue (its event
        source mapping's grant adds receiving and deleting from the failure queue, and kms:Decrypt)."""
        self.wildcard_resources: list[str] = []  # cdk-nag's rendering of each scoped wildcard, for nag.py
        policy = [*self._remediation_statements(stack, catalogue, prefix), *self._own_resource_statements(log_groups)]
        assume = self._assume_statement(stack, prefix, accounts, organization)
        if assume is not None:
            policy.append(assume)
        for statement in policy:
            self.role.add_to_policy(statement)
            self.retry_role.add_to_policy(statement)
        self.retry_role.add_to_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.parked_queue.queue_arn])
        )

    def _scoped(self, stack: cdk.Stack, template: str) -> str:
        """An ARN in this account; `template` uses {partition} and {account} placeholders."""
        self.wildcard_resources.append(template.format(partition="<AWS::Partition>", account=nag_account(stack)))
        return template.format(partition=stack.partition, account=stack.account)

    def _remediation_statements(self, stack: cdk.Stack, catalogue: Catalogue, prefix: str) -> list:
        """Starting and following runbooks (SSM or AWS Config), the checks before a start, finding updates."""

        def scoped(template: str) -> str:
            return self._scoped(stack, template)

        return [
            iam.PolicyStatement(
                actions=["ssm:StartAutomationExecution"], resources=[scoped(document_arn_pattern(prefix))]
            ),
            iam.PolicyStatement(
                actions=["ssm:GetAutomationExecution"],
                resources=[scoped("arn:{partition}:ssm:*:{account}:automation-execution/*")],
            ),
            pass_runbook_roles(stack, prefix),
            # Config rule ARNs carry a generated id, not the rule name.
            iam.PolicyStatement(
                actions=["config:StartRemediationExecution", "config:DescribeRemediationExecutionStatus"],
                resources=[scoped("arn:{partition}:config:*:{account}:config-rule/*")],
            ),
            # Before a start, the bridge reads the resource's compliance (no resource-level permission exists).
            iam.PolicyStatement(actions=["config:GetComplianceDetailsByResource"], resources=[scoped("*")]),
            # Before a start, the run-time controls of the account and region (prowler_bridge/run_controls.py).
            iam.PolicyStatement(
                actions=["ssm:GetParameter"],
                resources=[scoped("arn:{partition}:ssm:*:{account}:parameter" + controls_parameter_name(prefix))],
            ),
            *(
                iam.PolicyStatement(actions=list(grant.actions), resources=[scoped(r) for r in grant.resources])
                for grant in lookup_grants(catalogue)
            ),
            iam.PolicyStatement(
                actions=["securityhub:BatchUpdateFindings"],
                resources=[scoped("arn:{partition}:securityhub:*:{account}:hub/default")],
            ),
        ]

    def _own_resource_statements(self, log_groups: list) -> list:
        """The bridge's own resources: failure topic and queue (and their key), ledger table, log groups."""
        return [
            iam.PolicyStatement(actions=["sns:Publish"], resources=[self.failure_topic.topic_arn]),
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.failure_queue.queue_arn]),
            # The topic and queue are encrypted with this key: publishing needs exactly these two.
            iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key.key_arn]),
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                resources=[self.ledger.table_arn],
            ),
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[g.log_group_arn for g in log_groups]
            ),
        ]

    def _assume_statement(
        self, stack: cdk.Stack, prefix: str, accounts: list[str], organization: str | None
    ) -> iam.PolicyStatement | None:
        """Assuming the member accounts' runbook-starting roles (None when the bridge serves its own account)."""
        assume = _assume_member_roles(stack, prefix, self.role_path, accounts, organization)
        if assume is not None:
            role = member_role_name_template(prefix).format(region="*")
            self.wildcard_resources += [
                f"arn:<AWS::Partition>:iam::{account}:role{self.role_path}{role}"
                for account in (["*"] if organization else [a for a in accounts if a])
            ]
        return assume


def _assume_member_roles(
    stack: cdk.Stack, prefix: str, path: str, accounts: list[str], organization: str | None
) -> iam.PolicyStatement | None:
    """sts:AssumeRole on the member roles (on `path`): of any account of the organization (aws:ResourceOrgID),
    one statement whatever the number of accounts; else of the listed accounts; else none (own account only)."""
    role = path + member_role_name_template(prefix).format(region="*")
    if organization:
        return iam.PolicyStatement(
            actions=["sts:AssumeRole"],
            resources=[f"arn:{stack.partition}:iam::*:role{role}"],
            conditions={"StringEquals": {"aws:ResourceOrgID": organization}},
        )
    foreign = [a for a in accounts if a]
    if not foreign:
        return None
    return iam.PolicyStatement(
        actions=["sts:AssumeRole"], resources=[f"arn:{stack.partition}:iam::{a}:role{role}" for a in foreign]
    )


def _context_list(value: object) -> list[str]:
    """A context value given as a comma list (-c) or a JSON list (cdk.json), stripped, empty items dropped."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def notify_emails(value: object) -> list[str]:
    """remedy:notifyEmails, validated: e-mail addresses, or a ValueError naming the setting."""
    addresses = _context_list(value)
    bad = [a for a in addresses if not _EMAIL.match(a)]
    if bad:
        raise ValueError(f"{NOTIFY_EMAILS} must be a comma list of e-mail addresses; not one: {bad}")
    return addresses


def notify_https_endpoints(value: object) -> list[str]:
    """remedy:notifyHttpsEndpoints, validated: https:// URLs with a host, or a ValueError naming the setting."""
    urls = _context_list(value)
    bad = [u for u in urls if urlsplit(u).scheme != "https" or not urlsplit(u).hostname or " " in u]
    if bad:
        raise ValueError(f"{NOTIFY_HTTPS_ENDPOINTS} must be a comma list of https:// URLs; not one: {bad}")
    return urls


def _pattern(raw: dict) -> events.EventPattern:
    """An EventPattern from the plain dict form (the same dict the simulation matches against)."""
    return events.EventPattern(
        source=raw.get("source"),
        detail_type=raw.get("detail-type"),
        detail=raw.get("detail"),
        resources=raw.get("resources"),
    )
