"""The Remedy stack: every catalogue control's rule, runbook, role and remediation, iterated from the catalogue.

Nothing here names a control: adding one to the catalogue is enough for it to deploy. The controls live in
nested stacks laid out by infra/layout.py (rule stacks and runbook stacks, each item placed by a stable hash of
its name), so the catalogue can grow to hundreds of controls without reaching CloudFormation's per-stack limits.
The parent stack holds what exists once: the Prowler bridge and the bridge member role, and in a member the
nested Prowler scan (infra/prowler_scan_stack.py).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from catalogue import Catalogue, Control, RuleModule, Runbook, deployed
from infra import config_resources
from infra.bridge_config import runbook_role_name_template, runbook_role_path
from infra.bridge_resources import BridgeMemberRole, ProwlerBridge, StatusForwarding
from infra.config_resources import camel
from infra.layout import StackLayout, stack_layout
from infra.prowler_scan_stack import ProwlerScanNestedStack, ScanSettings
from infra.runbooks import (
    APPROVAL_TOPIC_CONTEXT,
    APPROVERS_CONTEXT,
    ApprovalDefaults,
    approval_defaults,
    controls_parameter_name,
    document_name,
    fill,
    guard_target,
    render_document,
    runbook_grants,
)
from infra.runtimes import LAMBDA_RUNTIME
from remedy_cli import deployment

DEPLOYMENT_MODES = ("standalone", "conformance-pack")
# What a role may hold beyond the calls its code makes (tests/infra/test_least_privilege.py checks both ways).
# Lambda writes a function's logs with its execution role:
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
LAMBDA_SERVICE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# The bridge's failure queue and topic are encrypted with a customer key: SQS and SNS call KMS with the sender's
# credentials (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html,
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
# StartAutomationExecution hands the runbook role (AutomationAssumeRole) to SSM: the caller needs iam:PassRole on it,
# authorised with the call, never called (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
MEMBER_SERVICE_ACTIONS = ("iam:PassRole",)
BRIDGE_SERVICE_ACTIONS = (*LAMBDA_SERVICE_ACTIONS, *MEMBER_SERVICE_ACTIONS, "kms:GenerateDataKey", "kms:Decrypt")
# The retry consumer runs the bridge's code; Lambda's event source mapping polls the failure queue with the
# consumer's role (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html: ReceiveMessage, DeleteMessage,
# GetQueueAttributes). sqs:GetQueueUrl comes with CDK's SqsEventSource grant (grantConsumeMessages), unused.
RETRY_SERVICE_ACTIONS = (
    *BRIDGE_SERVICE_ACTIONS,
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
)
# rdklib reads an oversized configuration item (OversizedConfigurationItemChangeNotification) from AWS Config's
# history: only rules triggered by configuration changes receive one.
OVERSIZED_ITEM_ACTIONS = ("config:GetResourceConfigHistory",)
# A conformance pack body goes inline while it stays under 80% of PutConformancePack's 51,200-byte TemplateBody;
# a larger one is uploaded as an asset and passed as TemplateS3Uri (300 KB).
# https://docs.aws.amazon.com/config/latest/APIReference/API_PutConformancePack.html
PACK_INLINE_BYTES = int(51_200 * 0.8)


def runbook_role_arn(stack: cdk.Stack, prefix: str, runbook: Runbook) -> str:
    """The runbook role's ARN from its deterministic path and name, usable from any stack of the deployment."""
    return deployment.runbook_role_arn(
        prefix, runbook, partition=stack.partition, account=stack.account, region=stack.region
    )


class RemedyStack(cdk.Stack):
    """The parent stack: runbook and rule nested stacks from the catalogue (unless `controls` is false), the
    bridge (unless `prowler_bridge` is false), in a member account the member role and status forwarding, and
    with `prowler_scan` the nested stack ProwlerScan."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalogue: Catalogue,
        prefix: str,
        deployment_mode: str,
        rdklib_layer_dir: Path,
        prowler_bridge: bool = True,
        bridge_accounts: list[str] | None = None,
        bridge_regions: list[str] | None = None,
        bridge_administrator_account: str | None = None,
        organization_id: str | None = None,
        controls: bool = True,
        prowler_scan: ScanSettings | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Context-dependent catalogue settings (e.g. remedy:s3KmsKeyArn) resolved once, for rules, runbooks and bridge.
        catalogue = deployed(catalogue, self.node.try_get_context)
        if deployment_mode not in DEPLOYMENT_MODES:
            raise ValueError(f"remedy:deploymentMode must be one of {DEPLOYMENT_MODES}, got {deployment_mode!r}")
        self.catalogue = catalogue
        self.prefix = prefix
        self.documents, self.roles, self.functions = {}, {}, {}
        if controls:
            self._nested_stacks(deployment_mode, rdklib_layer_dir)
        self.member_role = self._bridge_member(bridge_administrator_account) if bridge_administrator_account else None
        self.bridge = None
        if prowler_bridge:
            self.bridge = ProwlerBridge(
                self,
                "ProwlerBridge",
                catalogue=catalogue,
                prefix=prefix,
                dependencies_layer_dir=rdklib_layer_dir,
                allowed_accounts=bridge_accounts or [],
                allowed_regions=bridge_regions or [],
                organization_id=organization_id,
            )
        self.prowler_scan = None
        if prowler_scan:
            self.prowler_scan = ProwlerScanNestedStack(self, "ProwlerScan", catalogue=catalogue, settings=prowler_scan)

    def _bridge_member(self, administrator_account: str) -> BridgeMemberRole:
        """A member account's side of a central bridge: the role it assumes, and the forwarding of run status
        events to its bus (in remedy:bridgeRegion, default this stack's region)."""
        member_role = BridgeMemberRole(
            self,
            "BridgeMember",
            catalogue=self.catalogue,
            prefix=self.prefix,
            administrator_account=administrator_account,
        )
        bridge_region = self.node.try_get_context("remedy:bridgeRegion") or self.region
        StatusForwarding(
            self,
            "StatusForwarding",
            catalogue=self.catalogue,
            prefix=self.prefix,
            bridge_bus_arn=f"arn:{self.partition}:events:{bridge_region}:{administrator_account}:event-bus/default",
        )
        return member_role

    def _nested_stacks(self, deployment_mode: str, rdklib_layer_dir: Path) -> None:
        """Runbook stacks first, then rule stacks, each depending on the runbook stacks its controls use."""
        layout = stack_layout(self.catalogue)
        runbook_stacks = {
            key: RunbookStack(
                self,
                key,
                runbooks=[self.catalogue.runbooks[n] for n in names],
                catalogue=self.catalogue,
                prefix=self.prefix,
            )
            for key, names in layout.runbook_slots.items()
        }
        pack_name = self.node.try_get_context("remedy:conformancePackName") or f"{self.prefix}-controls"
        rule_stacks = {}
        for key, content in layout.rule_slots.items():
            rule_stacks[key] = RuleStack(
                self,
                key,
                catalogue=self.catalogue,
                rules=[self.catalogue.rules[n] for n in content.rules],
                controls=content.controls,
                prefix=self.prefix,
                rdklib_layer_dir=rdklib_layer_dir,
                pack_name=f"{pack_name}-{key.lower()}" if deployment_mode == "conformance-pack" else None,
            )
            for runbook in content.runbooks():
                rule_stacks[key].node.add_dependency(runbook_stacks[layout.runbook_stack_of(runbook)])
        self._home_region_condition(layout, {**runbook_stacks, **rule_stacks})
        self.runbook_stacks, self.rule_stacks = runbook_stacks, rule_stacks
        self.documents = {k: v for s in runbook_stacks.values() for k, v in s.documents.items()}
        self.roles = {k: v for s in runbook_stacks.values() for k, v in s.roles.items()}
        self.functions = {k: v for s in rule_stacks.values() for k, v in s.functions.items()}

    def _home_region_condition(self, layout: StackLayout, stacks: dict[str, cdk.NestedStack]) -> None:
        """With remedy:homeRegion set, the Home* stacks exist only when this stack deploys in that region."""
        home_region = self.node.try_get_context("remedy:homeRegion")
        if not home_region:
            return
        condition = cdk.CfnCondition(
            self, "IsHomeRegion", expression=cdk.Fn.condition_equals(cdk.Aws.REGION, str(home_region))
        )
        home = {k for k, s in layout.rule_slots.items() if s.home_region_only}
        home |= {layout.runbook_stack_of(r) for r in layout.home_runbooks}
        for key in home:
            stacks[key].nested_stack_resource.cfn_options.condition = condition


class RunbookStack(cdk.NestedStack):
    """SSM Automation documents and the role each one runs as."""

    def __init__(
        self, scope: Construct, construct_id: str, *, runbooks: list[Runbook], catalogue: Catalogue, prefix: str
    ) -> None:
        super().__init__(
            scope, construct_id, description=f"Remedy runbooks: {', '.join(r.name for r in runbooks)}"[:1024]
        )
        self.prefix = prefix
        self.catalogue = catalogue
        self.documents: dict[str, ssm.CfnDocument] = {}
        self.roles: dict[str, iam.Role] = {}
        for runbook in runbooks:
            self.documents[runbook.name] = self._document(runbook)
            self.roles[runbook.name] = self._runbook_role(runbook)

    def _document(self, runbook: Runbook) -> ssm.CfnDocument:
        return ssm.CfnDocument(
            self,
            f"{runbook.document_stem}Document",
            name=document_name(self.prefix, runbook),
            document_type="Automation",
            document_format="JSON",
            content=render_document(
                runbook, self._approval_defaults(), target=guard_target(self.catalogue, runbook), prefix=self.prefix
            ),
            update_method="NewVersion",
        )

    def _approval_defaults(self) -> ApprovalDefaults:
        """remedy:approvers / remedy:approvalTopicArn, in the account and region this stack deploys to."""
        context = self.node.try_get_context
        return approval_defaults(
            context(APPROVERS_CONTEXT),
            context(APPROVAL_TOPIC_CONTEXT),
            prefix=self.prefix,
            partition=self.partition,
            account=self.account,
            region=self.region,
        )

    def _runbook_role(self, runbook: Runbook) -> iam.Role:
        role = iam.Role(
            self,
            f"{runbook.document_stem}AutomationRole",
            # Deterministic: rule stacks and the bridge derive the ARN from the path and name.
            role_name=runbook_role_name_template(self.prefix, runbook.document_stem).format(region=self.region),
            path=runbook_role_path(self.prefix),
            description=f"Assumed by SSM Automation for {document_name(self.prefix, runbook)} only",
            assumed_by=iam.ServicePrincipal(
                "ssm.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnLike": {"aws:SourceArn": f"arn:{self.partition}:ssm:*:{self.account}:automation-execution/*"},
                },
            ),
        )
        # Exactly the actions the runbook calls (script IAM_ACTIONS, its API steps, the guard's), on this account's
        # resources where the action allows it, and the catalogue's service actions under their conditions; no
        # wildcards. The guard's ssm:GetParameter only on this account's and region's controls parameter.
        where = {"partition": self.partition, "region": self.region, "account": self.account}
        as_nag_reports = {"partition": "<AWS::Partition>", "region": "<AWS::Region>", "account": "<AWS::AccountId>"}
        role.add_to_policy(iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[self.controls_parameter_arn()]))
        for grant in runbook_grants(runbook):
            actions = [a for a in grant.actions if a != "ssm:GetParameter" or a in runbook.iam_actions]
            if not actions:
                continue
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=actions,
                    resources=fill(grant.resources, **where),
                    conditions=fill(grant.conditions, **where) if grant.conditions else None,
                )
            )
            for pattern in fill(grant.resources, **as_nag_reports):
                if pattern != "*":  # "*" is acknowledged for every runbook role in infra/nag.py
                    cdk.Validations.of(role).acknowledge(
                        cdk.Acknowledgment(
                            id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{pattern}]",
                            reason="Runbook role: any resource of this type in this account (or, for KMS keys, "
                            "this region): the one AWS Config found non-compliant is known only at run time.",
                        )
                    )
        return role

    def controls_parameter_arn(self) -> str:
        """The ARN of /<prefix>/remediation-controls here (a name starting with / adds no second slash)."""
        name = controls_parameter_name(self.prefix)
        return f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter{name}"


class RuleStack(cdk.NestedStack):
    """Rule functions (Lambda, rdklib) and the Config rules and remediations of the controls that use them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalogue: Catalogue,
        rules: list[RuleModule],
        controls: list[Control],
        prefix: str,
        rdklib_layer_dir: Path,
        pack_name: str | None,
    ) -> None:
        super().__init__(scope, construct_id, description=f"Remedy rules: {', '.join(r.name for r in rules)}"[:1024])
        self.catalogue, self.prefix, self.controls = catalogue, prefix, controls
        self._layers(rdklib_layer_dir, rules[0].folder.parent / "_layer")
        self.functions = {rule.name: self._rule_function(rule) for rule in rules}
        if pack_name:
            self._conformance_pack(pack_name)
        else:
            self._standalone_config_resources()

    def _layers(self, rdklib_layer_dir: Path, support_dir: Path) -> None:
        self.rdklib_layer = lambda_.LayerVersion(
            self,
            "RdklibLayer",
            code=lambda_.Code.from_asset(str(rdklib_layer_dir)),
            compatible_runtimes=[LAMBDA_RUNTIME],
            description="rdklib and boto3, pinned, for the Remedy AWS Config rule functions",
        )
        # Code every rule shares (config_rules/_layer/python/rule_support.py), beside the rule folders.
        self.rule_support_layer = lambda_.LayerVersion(
            self,
            "RuleSupportLayer",
            code=lambda_.Code.from_asset(str(support_dir), exclude=["__pycache__", "*.pyc"]),
            compatible_runtimes=[LAMBDA_RUNTIME],
            description="Remedy rule_support: what every AWS Config rule function shares",
        )

    # Detection -----------------------------------------------------------------------------------
    def _rule_function(self, rule: RuleModule) -> lambda_.Function:
        stem = camel(rule.name)
        log_group = logs.LogGroup(self, f"{stem}RuleLogs", retention=logs.RetentionDays.ONE_YEAR)
        role = iam.Role(
            self,
            f"{stem}RuleRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs AWS Config rule module {rule.name}: read-only calls and PutEvaluations",
        )
        change_triggered = any(
            c.detection.trigger == "change" for c in self.catalogue.controls if c.detection.rule == rule.name
        )
        read_actions = sorted(
            {*rule.iam_actions, "config:PutEvaluations", *(OVERSIZED_ITEM_ACTIONS if change_triggered else ())}
        )
        role.add_to_policy(iam.PolicyStatement(actions=read_actions, resources=["*"]))
        role.add_to_policy(
            iam.PolicyStatement(actions=list(LAMBDA_SERVICE_ACTIONS), resources=[log_group.log_group_arn])
        )
        function = lambda_.Function(
            self,
            f"{stem}RuleFunction",
            description=f"AWS Config custom rule {rule.name} (rdklib)",
            runtime=LAMBDA_RUNTIME,
            handler="rule.lambda_handler",
            code=lambda_.Code.from_asset(str(rule.folder), exclude=["events", "demo_seed.py", "__pycache__", "*.pyc"]),
            layers=[self.rdklib_layer, self.rule_support_layer],
            role=role,
            log_group=log_group,
            timeout=cdk.Duration.seconds(300),
            memory_size=256,
        )
        # Only AWS Config, and only on behalf of this account, may invoke the rule.
        function.add_permission(
            "InvokedByConfigOfThisAccount",
            principal=iam.ServicePrincipal("config.amazonaws.com"),
            source_account=self.account,
            action="lambda:InvokeFunction",
        )
        return function

    # Wiring --------------------------------------------------------------------------------------
    def _role_arn(self, control: Control) -> str:
        return runbook_role_arn(self, self.prefix, self.catalogue.runbooks[control.remediation.runbook])

    def _standalone_config_resources(self) -> None:
        for control in self.controls:
            runbook = self.catalogue.runbooks[control.remediation.runbook]
            function = self.functions[control.detection.rule]
            rule = cdk.CfnResource(
                self,
                f"{camel(control.id)}Rule",
                type="AWS::Config::ConfigRule",
                properties=config_resources.config_rule_properties(control, self.prefix, function.function_arn),
            )
            rule.node.add_dependency(function)
            remediation = cdk.CfnResource(
                self,
                f"{camel(control.id)}Remediation",
                type="AWS::Config::RemediationConfiguration",
                properties=config_resources.remediation_properties(
                    control, runbook, self.prefix, self._role_arn(control)
                ),
            )
            remediation.add_resource_dependency(rule)

    def _conformance_pack(self, pack_name: str) -> None:
        """This stack's controls as one conformance pack; its body inline when small, else from S3."""
        template = config_resources.conformance_pack_template(self.catalogue, self.prefix, self.controls)
        values: dict[str, str] = {}
        for rule_name, function in self.functions.items():
            values[config_resources.function_parameter(rule_name)] = function.function_arn
        for control in self.controls:
            runbook = self.catalogue.runbooks[control.remediation.runbook]
            values[config_resources.role_parameter(runbook)] = self._role_arn(control)
        body = json.dumps(template, separators=(",", ":"), sort_keys=True)
        # Unique across the nested stacks, so every logical id of the deployment names one resource.
        stem = f"{camel(pack_name)}ConformancePack"
        properties: dict = {
            "ConformancePackName": pack_name,
            "ConformancePackInputParameters": [
                {"ParameterName": name, "ParameterValue": value} for name, value in sorted(values.items())
            ],
        }
        if len(body.encode()) <= PACK_INLINE_BYTES:
            properties["TemplateBody"] = body
        else:
            folder = Path(tempfile.mkdtemp(prefix="remedy-pack-"))
            (folder / "conformance-pack.json").write_text(body)
            asset = s3_assets.Asset(self, f"{stem}Template", path=str(folder / "conformance-pack.json"))
            properties["TemplateS3Uri"] = asset.s3_object_url
        pack = cdk.CfnResource(self, stem, type="AWS::Config::ConformancePack", properties=properties)
        for function in self.functions.values():
            pack.node.add_dependency(function)
