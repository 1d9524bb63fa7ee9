"""The Remedy stack: every catalogue control's rule, runbook, role and remediation, iterated from the catalogue.

Nothing here names a control: adding one to the catalogue is enough for it to deploy.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from catalogue import Catalogue, RuleModule, Runbook
from infra import config_resources
from infra.bridge_config import runbook_role_name_template
from infra.config_resources import camel
from infra.prowler_bridge import BridgeMemberRole, ProwlerBridge
from infra.runbooks import document_name, render_document, runbook_iam_actions

DEPLOYMENT_MODES = ("standalone", "conformance-pack")
# Conformance packs take at most 60 input parameters.
MAX_PACK_PARAMETERS = 60


class RemedyStack(cdk.Stack):
    """Config rules (Lambda, rdklib), SSM Automation runbooks with their roles, remediation configurations."""

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
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if deployment_mode not in DEPLOYMENT_MODES:
            raise ValueError(f"remedy:deploymentMode must be one of {DEPLOYMENT_MODES}, got {deployment_mode!r}")
        self.catalogue = catalogue
        self.prefix = prefix
        self.rdklib_layer = lambda_.LayerVersion(
            self,
            "RdklibLayer",
            code=lambda_.Code.from_asset(str(rdklib_layer_dir)),
            description="rdklib, pinned, for the Remedy AWS Config rule functions",
        )
        # Code every rule shares (config_rules/_layer/python/rule_support.py), beside the rule folders.
        support_dir = next(iter(catalogue.rules.values())).folder.parent / "_layer"
        self.rule_support_layer = lambda_.LayerVersion(
            self,
            "RuleSupportLayer",
            code=lambda_.Code.from_asset(str(support_dir), exclude=["__pycache__", "*.pyc"]),
            description="Remedy rule_support: what every AWS Config rule function shares",
        )
        self.functions = {name: self._rule_function(rule) for name, rule in catalogue.rules.items()}
        self.roles: dict[str, iam.Role] = {}
        self.documents: dict[str, ssm.CfnDocument] = {}
        for name, runbook in catalogue.runbooks.items():
            self.documents[name] = self._document(runbook)
            self.roles[name] = self._runbook_role(runbook)

        if deployment_mode == "standalone":
            self._standalone_config_resources()
        else:
            self._conformance_pack()
        self.member_role = None
        if bridge_administrator_account:
            self.member_role = BridgeMemberRole(
                self,
                "BridgeMember",
                prefix=prefix,
                administrator_account=bridge_administrator_account,
                runbook_roles=self.roles,
            )
        self.bridge = None
        if prowler_bridge:
            self.bridge = ProwlerBridge(
                self,
                "ProwlerBridge",
                catalogue=catalogue,
                prefix=prefix,
                documents=self.documents,
                runbook_roles=self.roles,
                allowed_accounts=bridge_accounts or [],
                allowed_regions=bridge_regions or [],
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
        read_actions = sorted({*rule.iam_actions, "config:PutEvaluations", "config:GetResourceConfigHistory"})
        role.add_to_policy(iam.PolicyStatement(actions=read_actions, resources=["*"]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        function = lambda_.Function(
            self,
            f"{stem}RuleFunction",
            description=f"AWS Config custom rule {rule.name} (rdklib)",
            runtime=lambda_.Runtime.determine_latest_python_runtime(self),
            handler="rule.lambda_handler",
            code=lambda_.Code.from_asset(str(rule.folder), exclude=["events", "__pycache__", "*.pyc"]),
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

    # Remediation ---------------------------------------------------------------------------------
    def _document(self, runbook: Runbook) -> ssm.CfnDocument:
        return ssm.CfnDocument(
            self,
            f"{runbook.document_stem}Document",
            name=document_name(self.prefix, runbook),
            document_type="Automation",
            document_format="JSON",
            content=render_document(runbook),
            update_method="NewVersion",
        )

    def _runbook_role(self, runbook: Runbook) -> iam.Role:
        role = iam.Role(
            self,
            f"{runbook.document_stem}AutomationRole",
            # Deterministic: the bridge derives this name from its configuration to pass the role.
            role_name=runbook_role_name_template(self.prefix, runbook.document_stem).format(region=self.region),
            description=f"Assumed by SSM Automation for {document_name(self.prefix, runbook)} only",
            assumed_by=iam.ServicePrincipal(
                "ssm.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnLike": {"aws:SourceArn": f"arn:{self.partition}:ssm:*:{self.account}:automation-execution/*"},
                },
            ),
        )
        # Exactly the actions the runbook calls (script IAM_ACTIONS plus its API steps); no action wildcards.
        role.add_to_policy(iam.PolicyStatement(actions=runbook_iam_actions(runbook), resources=["*"]))
        return role

    # Wiring --------------------------------------------------------------------------------------
    def _standalone_config_resources(self) -> None:
        for control in self.catalogue.controls:
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
                    control, runbook, self.prefix, self.roles[runbook.name].role_arn
                ),
            )
            remediation.add_resource_dependency(rule)
            remediation.node.add_dependency(self.documents[runbook.name])

    def _conformance_pack(self) -> None:
        template = config_resources.conformance_pack_template(self.catalogue, self.prefix)
        values: dict[str, str] = {}
        for rule_name, function in self.functions.items():
            values[config_resources.function_parameter(rule_name)] = function.function_arn
        for runbook_name, role in self.roles.items():
            values[config_resources.role_parameter(self.catalogue.runbooks[runbook_name])] = role.role_arn
        if len(values) > MAX_PACK_PARAMETERS:
            raise ValueError(f"conformance pack needs {len(values)} input parameters; AWS allows {MAX_PACK_PARAMETERS}")
        pack = cdk.CfnResource(
            self,
            "ConformancePack",
            type="AWS::Config::ConformancePack",
            properties={
                "ConformancePackName": self.node.try_get_context("remedy:conformancePackName")
                or f"{self.prefix}-controls",
                "TemplateBody": json.dumps(template, indent=1),
                "ConformancePackInputParameters": [
                    {"ParameterName": name, "ParameterValue": value} for name, value in sorted(values.items())
                ],
            },
        )
        for construct in (*self.functions.values(), *self.documents.values(), *self.roles.values()):
            pack.node.add_dependency(construct)
