"""Gate on AWS limits of what `cdk synth` wrote: sizes, counts and API constraints moto never enforces.

Usage: python -m infra.limits [--headroom 0.8] [--top 10] FOLDER [FOLDER...]

Walks every `*.template.json` (nested stacks included), every conformance pack body (inline TemplateBody,
or the TemplateS3Uri file asset) and every standalone `*-conformance-pack*.yaml` under the folders, and checks:
  A. the botocore service model's constraints (length, pattern, enum, item count, range) of the API call
     CloudFormation makes for each resource (API_CALLS);
  B. AWS quotas no model states (the Quota constants below, each with its documentation page).
Project policy: artifacts stay under 80% of every AWS limit, so growth and run-time input never reach it
(--headroom). Model enum/pattern/minimum violations and integer settings out of range fail whatever the headroom.
Each top-level FOLDER is one deployment environment (one account and region) for the per-account quotas.
Exit status 1, with the failures listed, if any check fails.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import botocore
import botocore.session
import yaml

DEFAULT_HEADROOM = 0.8


class Quota(NamedTuple):
    """An AWS limit no service model states: its name, maximum, unit and documentation page."""

    name: str
    maximum: int
    unit: str
    source: str


# --- B. Documented quotas ---------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html
# ("must not exceed 64KB ... also includes the content specified for input parameters at runtime"):
# UTF-8 bytes of the content as json.dumps (default separators) writes it.
SSM_DOCUMENT_CONTENT = Quota(
    "SSM document content",
    65_536,
    "bytes",
    "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html",
)
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
# CDK always uploads stack templates to its bootstrap asset bucket, so the S3 figure applies to stacks; the
# 51,200-byte inline figure does not (it does apply to a conformance pack's TemplateBody, see below).
CFN_TEMPLATE_BODY = Quota(
    "CloudFormation template body (from S3)",
    1_048_576,
    "bytes",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html",
)
# Same page: resources, parameters and outputs per stack (a nested template is a stack of its own).
CFN_RESOURCES = Quota("resources per stack", 500, "resources", CFN_TEMPLATE_BODY.source)
CFN_PARAMETERS = Quota("parameters per stack", 200, "parameters", CFN_TEMPLATE_BODY.source)
CFN_OUTPUTS = Quota("outputs per stack", 200, "outputs", CFN_TEMPLATE_BODY.source)
# https://docs.aws.amazon.com/config/latest/APIReference/API_PutConformancePack.html
# TemplateBody at most 51,200 bytes; a TemplateS3Uri template at most 300 KB. The standalone pack file is
# deployed with --template-body file://... (see its header), so the TemplateBody figure applies to it.
PACK_TEMPLATE_BODY = Quota(
    "conformance pack TemplateBody",
    51_200,
    "bytes",
    "https://docs.aws.amazon.com/config/latest/APIReference/API_PutConformancePack.html",
)
PACK_TEMPLATE_S3 = Quota("conformance pack template (TemplateS3Uri)", 307_200, "bytes", PACK_TEMPLATE_BODY.source)
# Same API page: 60 input parameters. (botocore 1.44's model says 330 for ConformancePackInputParameters, so
# the model check does not cover it: this quota is checked on the stack resource and on standalone pack files.)
S3_DEPLOYED_PACK_FILE = "--template-s3-uri"  # in a standalone pack file's header: it is deployed from S3
PACK_INPUT_PARAMETERS = Quota("conformance pack input parameters", 60, "parameters", PACK_TEMPLATE_BODY.source)
# https://docs.aws.amazon.com/config/latest/developerguide/configlimits.html
PACK_RULES = Quota(
    "Config rules per conformance pack",
    130,
    "rules",
    "https://docs.aws.amazon.com/config/latest/developerguide/configlimits.html",
)
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
# Environment: 4 KB in aggregate; measured as the UTF-8 bytes of json.dumps(Variables), approximately how
# AWS counts it. Deployment package: 250 MB unzipped, function code and all its layers together; 5 layers.
LAMBDA_ENVIRONMENT = Quota(
    "Lambda environment variables",
    4_096,
    "bytes",
    "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
)
LAMBDA_UNZIPPED = Quota("Lambda code + layers unzipped", 262_144_000, "bytes", LAMBDA_ENVIRONMENT.source)
LAMBDA_LAYERS = Quota("Lambda layers per function", 5, "layers", LAMBDA_ENVIRONMENT.source)
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
# Policy sizes in characters, whitespace not counted: measured as json.dumps(doc, separators=(",", ":")).
IAM_MANAGED_POLICY = Quota(
    "IAM managed policy",
    6_144,
    "chars",
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
)
IAM_ROLE_INLINE_POLICIES = Quota("IAM role inline policies (aggregate)", 10_240, "chars", IAM_MANAGED_POLICY.source)
IAM_TRUST_POLICY = Quota("IAM role trust policy (default quota)", 2_048, "chars", IAM_MANAGED_POLICY.source)
IAM_ROLES_PER_ACCOUNT = Quota("IAM roles per account", 1_000, "roles", IAM_MANAGED_POLICY.source)
# https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_CreateActionTarget.html
ACTION_TARGET_ID = Quota(
    "Security Hub action target Id",
    20,
    "chars",
    "https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_CreateActionTarget.html",
)
ACTION_TARGET_NAME = Quota("Security Hub action target Name", 20, "chars", ACTION_TARGET_ID.source)
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (pattern as json.dumps writes it)
EVENT_PATTERN = Quota(
    "EventBridge event pattern",
    2_048,
    "chars",
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html",
)
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html
EVENT_TARGETS = Quota(
    "EventBridge targets per rule",
    5,
    "targets",
    "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html",
)
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html (DocumentLimitExceeded)
SSM_DOCUMENTS_PER_ACCOUNT = Quota("SSM documents per account and region", 500, "documents", SSM_DOCUMENT_CONTENT.source)
# https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigRule.html (MaxNumberOfConfigRulesExceeded)
CONFIG_RULES_PER_ACCOUNT = Quota(
    "AWS Config rules per account and region",
    1_000,
    "rules",
    "https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigRule.html",
)
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackInstances.html
# ("The maximum number of organizational unit (OUs) supported by a CreateStackInstances operation is 50.")
STACKSET_OUS = Quota(
    "OUs per CreateStackInstances operation",
    50,
    "OUs",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackInstances.html",
)
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html (stack instances per
# stack set). A StackSet over OUs names no account: it is measured at the organization size the product is
# designed for (ORGANIZATION_ACCOUNTS, every account in the StackSet's OUs) times its regions.
STACKSET_INSTANCES = Quota(
    "stack instances per stack set (at ORGANIZATION_ACCOUNTS accounts)",
    100_000,
    "instances",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html",
)
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html (Dashboards: 500 widgets per
# dashboard, 500 metrics per widget, 2,500 metrics per dashboard across its widgets) and
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
# (0-500 widgets). A math, search or Metrics Insights expression is one entry of a widget's "metrics".
DASHBOARD_WIDGETS = Quota(
    "CloudWatch dashboard widgets",
    500,
    "widgets",
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html",
)
DASHBOARD_WIDGET_METRICS = Quota("CloudWatch metrics per dashboard widget", 500, "metrics", DASHBOARD_WIDGETS.source)
DASHBOARD_METRICS = Quota("CloudWatch metrics per dashboard", 2_500, "metrics", DASHBOARD_WIDGETS.source)
ORGANIZATION_ACCOUNTS = 1_000
# What each per-account counter is checked against (per top-level folder, stack templates only).
ACCOUNT_QUOTAS = {
    "ssm_documents": SSM_DOCUMENTS_PER_ACCOUNT,
    "config_rules": CONFIG_RULES_PER_ACCOUNT,
    "iam_roles": IAM_ROLES_PER_ACCOUNT,
}
COUNTED_TYPES = {
    "AWS::SSM::Document": "ssm_documents",
    "AWS::Config::ConfigRule": "config_rules",
    "AWS::IAM::Role": "iam_roles",
}

# --- Intrinsic functions ------------------------------------------------------------------------------------------
# A value CloudFormation only knows at deploy time becomes a run of PLACEHOLDER characters: its length is a
# stand-in, and pattern/enum checks skip any string holding one. Sizes count each as one ASCII character.
PLACEHOLDER = "\ue000"
# Pseudo parameters: the longest value each can take (worst case for length checks).
PSEUDO_PARAMETERS = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "ap-southeast-2",
    "AWS::Partition": "aws-us-gov",
    "AWS::URLSuffix": "amazonaws.com.cn",
    "AWS::StackName": "s" * 128,
    "AWS::StackId": "arn:aws-us-gov:cloudformation:ap-southeast-2:123456789012:stack/" + "s" * 128 + "/" + "u" * 36,
}
ARN_STAND_IN = 100  # Fn::GetAtt of an ...Arn attribute: a typical ARN of a CDK-named resource
VALUE_STAND_IN = 64  # any other Ref / GetAtt / import: names and ids CloudFormation generates fit in 64
NO_VALUE = object()  # Ref AWS::NoValue: the property is removed
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def stand_in(length: int) -> str:
    """A deploy-time value of the given length."""
    return PLACEHOLDER * length


def is_opaque(text: str) -> bool:
    """True if a string holds a deploy-time value (pattern and enum checks cannot judge it)."""
    return PLACEHOLDER in text


def resolve(value: Any) -> Any:
    """The value with every intrinsic function replaced by its worst-case-length result or a stand-in."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref" or name.startswith("Fn::"):
                return _intrinsic(name, argument)
        resolved = {key: resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}
    if isinstance(value, list):
        return [item for item in map(resolve, value) if item is not NO_VALUE]
    return value


def _intrinsic(name: str, argument: Any) -> Any:
    """One intrinsic function call, resolved."""
    handler = _INTRINSICS.get(name)
    try:
        return handler(argument) if handler else stand_in(VALUE_STAND_IN)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError):
        return stand_in(VALUE_STAND_IN)  # malformed (cfn-lint reports it): count it as an unknown value


def _ref(name: Any) -> Any:
    if name == "AWS::NoValue":
        return NO_VALUE
    return PSEUDO_PARAMETERS.get(name, stand_in(VALUE_STAND_IN)) if isinstance(name, str) else stand_in(VALUE_STAND_IN)


def _get_att(argument: Any) -> str:
    attribute = argument[1] if isinstance(argument, list) else str(argument).partition(".")[2]
    return stand_in(ARN_STAND_IN if str(attribute).endswith("Arn") else VALUE_STAND_IN)


def _join(argument: Any) -> str:
    delimiter, items = argument
    items = resolve(items)
    if not isinstance(items, list) or not all(isinstance(item, str | int | float) for item in items):
        return stand_in(VALUE_STAND_IN)
    return str(delimiter).join(str(item) for item in items)


def _sub(argument: Any) -> str:
    text, variables = (argument, {}) if isinstance(argument, str) else argument
    variables = resolve(variables)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            value = variables[name]
            return value if isinstance(value, str) else json_text(value)
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        return _get_att(name) if "." in name else stand_in(VALUE_STAND_IN)

    return _SUB_VARIABLE.sub(replace, text)


def _select(argument: Any) -> Any:
    index, items = resolve(argument)
    try:
        return items[int(index)]
    except (TypeError, ValueError, IndexError, KeyError):
        return stand_in(VALUE_STAND_IN)


def _if(argument: Any) -> Any:
    """Fn::If: whichever branch is longer (the worst case)."""
    branches = [resolve(branch) for branch in argument[1:]]
    return max(branches, key=lambda branch: -1 if branch is NO_VALUE else len(json_text(branch)))


def _base64(argument: Any) -> str:
    text = resolve(argument)
    length = len(text) if isinstance(text, str) else VALUE_STAND_IN
    return stand_in(4 * math.ceil(length / 3))


_INTRINSICS: dict[str, Callable[[Any], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Sub": _sub,
    "Fn::Select": _select,
    "Fn::If": _if,
    "Fn::Base64": _base64,
    "Fn::ToJsonString": lambda argument: json_text(resolve(argument)),
}


def json_text(value: Any, **dumps_options: Any) -> str:
    """json.dumps of a resolved value, each stand-in character kept as one character."""
    return json.dumps(value, **dumps_options).replace("\\ue000", PLACEHOLDER)


def byte_size(text: str) -> int:
    """UTF-8 size of a resolved string, a stand-in character counting one byte."""
    return len(text.replace(PLACEHOLDER, "x").encode())


def compact_chars(document: Any) -> int:
    """Characters of an IAM policy without whitespace, as IAM counts them against its quotas."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return len(document)
    return len(json_text(document, separators=(",", ":")))


# --- Records ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measurement:
    """One measured value against one limit."""

    artifact: str
    limit: str
    source: str
    measured: int
    maximum: int
    unit: str = ""
    headroom_applies: bool = True  # False for a setting's allowed range: it fails only beyond the maximum

    @property
    def percent(self) -> float:
        """Measured value as a percentage of the limit."""
        return 100.0 * self.measured / self.maximum if self.maximum else math.inf

    def fails(self, headroom: float) -> bool:
        """True if the value exceeds headroom x limit (the limit itself for a setting's range)."""
        return self.measured > self.maximum * (headroom if self.headroom_applies else 1.0)

    def message(self, headroom: float) -> str:
        """The failure: artifact, limit, measured value, bound and source."""
        bound = f"{headroom:.0%} of {self.maximum:,}" if self.headroom_applies else f"{self.maximum:,}"
        measured = f"{self.measured:,} {self.unit}".rstrip()
        return f"{self.artifact}: {self.limit} {measured} > {bound} (source: {self.source})"


@dataclass
class LimitsReport:
    """Everything measured, what failed, and how many model patterns Python could not check."""

    measurements: list[Measurement]
    failures: list[str]
    skipped_patterns: int = 0

    def table(self, n: int = 10) -> str:
        """The n measurements closest to their limit, as a plain-text table."""
        top = sorted(self.measurements, key=lambda m: m.percent, reverse=True)[:n]
        rows = [
            (f"{m.percent:.1f}%", m.artifact, m.limit, f"{m.measured:,}/{m.maximum:,} {m.unit}".strip()) for m in top
        ]
        header = ("percent", "artifact", "limit", "measured/limit")
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(3)]
        return "\n".join(
            f"{row[0]:>{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip()
            for row in (header, *rows)
        )


@dataclass
class _LimitsRun:
    """Accumulates one run's measurements and failures."""

    measurements: list[Measurement] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped_patterns: int = 0
    asset_sizes: dict[Path, int] = field(default_factory=dict)
    top: Path | None = None  # the folder being checked: file names are shown relative to it

    def label(self, path: Path) -> str:
        """A file's name as reports show it: relative to the folder given (`<mode>/<file>` in a nested assembly)."""
        return str(path.relative_to(self.top)) if self.top and path.is_relative_to(self.top) else path.name

    def quota(self, artifact: str, quota: Quota, measured: int) -> None:
        self.measurements.append(Measurement(artifact, quota.name, quota.source, measured, quota.maximum, quota.unit))

    def problem(self, artifact: str, what: str, source: str) -> None:
        self.problems.append(f"{artifact}: {what} (source: {source})")

    def report(self, headroom: float) -> LimitsReport:
        over = [m.message(headroom) for m in self.measurements if m.fails(headroom)]
        return LimitsReport(self.measurements, self.problems + over, self.skipped_patterns)


@dataclass
class _Scope:
    """Where resources come from: a stack template or a conformance pack body inside one."""

    run: _LimitsRun
    prefix: str  # artifact prefix: "X.template.json:", "X.template.json:Pack/", "pack.yaml:"
    folder: Path  # the cloud assembly folder (assets are relative to it)
    resources: dict

    def artifact(self, logical_id: str) -> str:
        return self.prefix + logical_id


# --- A. Service model constraints --------------------------------------------------------------------------------
class CloudFormationApiCall(NamedTuple):
    """An API call CloudFormation makes for a resource type, and how its properties become the call's input."""

    service: str
    operation: str
    inputs: Callable[[dict], list[dict]]


def _pick(props: dict, *names: str, **renamed: str) -> dict:
    """The named properties that are present (renamed: API member name = CloudFormation property name)."""
    picked = {name: props[name] for name in names if name in props}
    picked.update({api: props[cfn] for api, cfn in renamed.items() if cfn in props})
    return picked


def _as_json(props: dict, *names: str) -> dict:
    """CloudFormation takes these members as JSON objects where the API takes a JSON string."""
    return {
        key: json_text(value) if key in names and not isinstance(value, str) else value for key, value in props.items()
    }


def _members(*names: str, json_members: tuple[str, ...] = (), **renamed: str) -> Callable[[dict], list[dict]]:
    """An input builder: the named properties, JSON objects turned into strings where the API takes one."""
    return lambda props: [_as_json(_pick(props, *names, **renamed), *json_members)]


def _all_but(*excluded: str, wrap: str = "", json_members: tuple[str, ...] = ()) -> Callable[[dict], list[dict]]:
    """An input builder: every property but the excluded ones, optionally wrapped in one member."""

    def build(props: dict) -> list[dict]:
        api_input = _as_json({k: v for k, v in props.items() if k not in excluded}, *json_members)
        return [{wrap: api_input} if wrap else api_input]

    return build


def _role_policies(props: dict) -> list[dict]:
    """PutRolePolicy for each of a role's own Policies."""
    role_name = _pick(props, "RoleName")
    return [
        {**role_name, **_as_json(_pick(policy, "PolicyName", "PolicyDocument"), "PolicyDocument")}
        for policy in props.get("Policies", [])
        if isinstance(policy, dict)
    ]


def _policy_per_role(props: dict) -> list[dict]:
    """PutRolePolicy for each role an AWS::IAM::Policy names."""
    policy = _as_json(_pick(props, "PolicyName", "PolicyDocument"), "PolicyDocument")
    roles = props.get("Roles") or [None]
    return [{**policy, **({"RoleName": role} if role is not None else {})} for role in roles]


def _targets(props: dict) -> list[dict]:
    """PutTargets with the rule's Targets (CloudFormation's target members are the API's)."""
    if not props.get("Targets"):
        return []
    return [{"Rule": props.get("Name", stand_in(VALUE_STAND_IN)), **_pick(props, "EventBusName", "Targets")}]


SSM_DOCUMENT_MEMBERS = ("Content", "Name", "DocumentType", "DocumentFormat", "TargetType", "VersionName", "Requires")
EVENT_RULE_MEMBERS = ("Name", "EventPattern", "ScheduleExpression", "State", "Description", "EventBusName", "RoleArn")
ROLE_MEMBERS = ("RoleName", "Path", "AssumeRolePolicyDocument", "Description", "MaxSessionDuration")


# Resource type -> the calls CloudFormation makes. CloudFormation properties that are not members of the
# call's input are ignored. A pack's TemplateBody is left out: its documented quota measures it in bytes.
def _stack_instances(props: dict) -> list[dict]:
    """One CreateStackInstances call per group of deployment targets and regions."""
    common = _pick(props, "StackSetName", "OperationPreferences", "CallAs")
    return [
        {**common, **_pick(group, "DeploymentTargets", "Regions")} for group in _dicts(props.get("StackInstancesGroup"))
    ]


API_CALLS: dict[str, list[CloudFormationApiCall]] = {
    "AWS::Config::ConfigRule": [
        CloudFormationApiCall(
            "config", "PutConfigRule", _all_but("Tags", wrap="ConfigRule", json_members=("InputParameters",))
        )
    ],
    "AWS::Config::RemediationConfiguration": [
        CloudFormationApiCall("config", "PutRemediationConfigurations", lambda p: [{"RemediationConfigurations": [p]}])
    ],
    "AWS::Config::ConformancePack": [CloudFormationApiCall("config", "PutConformancePack", _all_but("TemplateBody"))],
    "AWS::SSM::Document": [
        CloudFormationApiCall(
            "ssm", "CreateDocument", _members(*SSM_DOCUMENT_MEMBERS, "Attachments", "Tags", json_members=("Content",))
        )
    ],
    "AWS::Events::Rule": [
        CloudFormationApiCall("events", "PutRule", _members(*EVENT_RULE_MEMBERS, json_members=("EventPattern",))),
        CloudFormationApiCall("events", "PutTargets", _targets),
    ],
    "AWS::Lambda::Function": [CloudFormationApiCall("lambda", "CreateFunction", _all_but("Code", "Tags"))],
    "AWS::IAM::Role": [
        CloudFormationApiCall(
            "iam",
            "CreateRole",
            _members(*ROLE_MEMBERS, "PermissionsBoundary", json_members=("AssumeRolePolicyDocument",)),
        ),
        CloudFormationApiCall("iam", "PutRolePolicy", _role_policies),
    ],
    "AWS::IAM::Policy": [CloudFormationApiCall("iam", "PutRolePolicy", _policy_per_role)],
    "AWS::IAM::ManagedPolicy": [
        CloudFormationApiCall(
            "iam",
            "CreatePolicy",
            _members(
                "Path",
                "PolicyDocument",
                "Description",
                PolicyName="ManagedPolicyName",
                json_members=("PolicyDocument",),
            ),
        )
    ],
    "AWS::SecurityHub::ActionTarget": [
        CloudFormationApiCall("securityhub", "CreateActionTarget", _members("Name", "Description", "Id"))
    ],
    "AWS::CloudFormation::StackSet": [
        CloudFormationApiCall(
            "cloudformation", "CreateStackSet", _all_but("StackInstancesGroup", "OperationPreferences", "Tags")
        ),
        CloudFormationApiCall("cloudformation", "CreateStackInstances", _stack_instances),
    ],
    "AWS::SNS::Topic": [CloudFormationApiCall("sns", "CreateTopic", _members(Name="TopicName"))],
    "AWS::SQS::Queue": [CloudFormationApiCall("sqs", "CreateQueue", _members("QueueName"))],
    "AWS::DynamoDB::Table": [CloudFormationApiCall("dynamodb", "CreateTable", _members("TableName"))],
    "AWS::DynamoDB::GlobalTable": [CloudFormationApiCall("dynamodb", "CreateTable", _members("TableName"))],
    "AWS::Logs::LogGroup": [CloudFormationApiCall("logs", "CreateLogGroup", _members(logGroupName="LogGroupName"))],
    "AWS::CloudWatch::Dashboard": [
        CloudFormationApiCall("cloudwatch", "PutDashboard", _members("DashboardName", "DashboardBody"))
    ],
}


@functools.cache
def _botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def operation_input(service: str, operation: str) -> tuple[Any, str]:
    """(input shape, source text) of one API operation, from the installed botocore's service model (cached)."""
    model = _botocore_session().get_service_model(service)
    source = f"botocore {botocore.__version__} model {service} {model.api_version} {operation}"
    return model.operation_model(operation).input_shape, source


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """The model's pattern in Python syntax, or None if it is Java-only (e.g. \\p{L})."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _as_string(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _as_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class _ModelWalk:
    """Checks one API input against its shape's constraints."""

    run: _LimitsRun
    artifact: str
    operation: str
    source: str

    def visit(self, shape: Any, value: Any, path: str) -> None:
        check = getattr(self, f"_{shape.type_name}", None)
        if check:
            check(shape, value, path)

    def _structure(self, shape: Any, value: Any, path: str) -> None:
        if isinstance(value, dict):
            for name, member in shape.members.items():
                if name in value:
                    self.visit(member, value[name], f"{path}.{name}" if path else name)

    def _list(self, shape: Any, value: Any, path: str) -> None:
        if isinstance(value, list):
            self._count(shape, len(value), path, "items")
            for index, item in enumerate(value):
                self.visit(shape.member, item, f"{path}[{index}]")

    def _map(self, shape: Any, value: Any, path: str) -> None:
        if isinstance(value, dict):
            self._count(shape, len(value), path, "entries")
            for key, item in value.items():
                self.visit(shape.key, key, f"{path} key")
                self.visit(shape.value, item, f"{path}.{key}")

    def _string(self, shape: Any, value: Any, path: str) -> None:
        text = _as_string(value)
        if text is None:
            return
        if not is_opaque(text):
            self._enum(shape, text, path)
            self._pattern(shape, text, path)
        if text and not text.replace(PLACEHOLDER, ""):
            return  # wholly a deploy-time value: CloudFormation supplies one that fits
        self._count(shape, len(text), path, "chars")

    def _integer(self, shape: Any, value: Any, path: str) -> None:
        number = _as_integer(value)
        if number is None:
            return
        self._count(shape, number, path, "", headroom_applies=False)

    _long = _integer

    def _enum(self, shape: Any, text: str, path: str) -> None:
        if shape.enum and text not in shape.enum:
            allowed = ", ".join(shape.enum[:12]) + (", ..." if len(shape.enum) > 12 else "")
            self._problem(f"{path} {text!r} is not one of {allowed}")

    def _pattern(self, shape: Any, text: str, path: str) -> None:
        pattern = shape.metadata.get("pattern")
        if pattern is None:
            return
        compiled = _compiled(pattern)
        if compiled is None:
            self.run.skipped_patterns += 1
        elif not compiled.fullmatch(text):
            self._problem(f"{path} {_shorten(text)!r} does not match pattern {pattern}")

    def _count(self, shape: Any, measured: int, path: str, unit: str, headroom_applies: bool = True) -> None:
        """Minimum (a failure whatever the headroom) and maximum (a measurement) of a length, count or value."""
        minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
        if minimum is not None and measured < minimum:
            self._problem(f"{path} {f'{measured:,} {unit}'.rstrip()} < minimum {minimum:,}")
        if maximum is not None:
            limit = f"{self.operation} {path} {_MEASURE_NAMES[unit]}"
            self.run.measurements.append(
                Measurement(self.artifact, limit, self.source, measured, maximum, unit, headroom_applies)
            )

    def _problem(self, what: str) -> None:
        self.run.problem(self.artifact, f"{self.operation} {what}", self.source)


_MEASURE_NAMES = {"chars": "length", "items": "count", "entries": "count", "": "value"}


def _shorten(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[:length] + "..."


def check_model(run: _LimitsRun, artifact: str, resource_type: str, props: dict) -> None:
    """Check every API call CloudFormation makes for the resource against botocore's service model."""
    for call in API_CALLS.get(resource_type, []):
        shape, source = operation_input(call.service, call.operation)
        walk = _ModelWalk(run, artifact, call.operation, source)
        for api_input in call.inputs(props):
            walk.visit(shape, api_input, "")


# --- B. Documented quotas, per resource ---------------------------------------------------------------------------
def _ssm_document(scope: _Scope, logical_id: str, resource: dict, props: dict) -> None:
    """SSM refuses content over 64 KB (input parameters at run time included, hence the headroom)."""
    content = props.get("Content", "")
    text = content if isinstance(content, str) else json_text(content)
    scope.run.quota(scope.artifact(logical_id), SSM_DOCUMENT_CONTENT, byte_size(text))


def _event_rule(scope: _Scope, logical_id: str, resource: dict, props: dict) -> None:
    """Event pattern size and targets per rule."""
    artifact = scope.artifact(logical_id)
    if "EventPattern" in props:
        pattern = props["EventPattern"]
        scope.run.quota(artifact, EVENT_PATTERN, len(pattern if isinstance(pattern, str) else json_text(pattern)))
    scope.run.quota(artifact, EVENT_TARGETS, len(_dicts(props.get("Targets"))))


def _iam_role(scope: _Scope, logical_id: str, resource: dict, props: dict) -> None:
    """Trust policy size (its inline policies: _inline_policies)."""
    if "AssumeRolePolicyDocument" in props:
        scope.run.quota(scope.artifact(logical_id), IAM_TRUST_POLICY, compact_chars(props["AssumeRolePolicyDocument"]))


def _managed_policy(scope: _Scope, logical_id: str, resource: dict, props: dict) -> None:
    """Managed policy size."""
    scope.run.quota(scope.artifact(logical_id), IAM_MANAGED_POLICY, compact_chars(props.get("PolicyDocument", {})))


def _action_target(scope: _Scope, logical_id: str, resource: dict, props: dict) -> None:
    """Id (alphanumeric) and Name lengths: stated in the API reference, not in the model."""
    artifact = scope.artifact(logical_id)
    target_id, name = _as_string(props.get("Id")), _as_string(props.get("Name"))
    if target_id is not None:
        scope.run.quota(artifact, ACTION_TARGET_ID, len(target_id))
        if not is_opaque(target_id) and not re.fullmatch(r"[A-Za-z0-9]+", target_id):
            scope.run.problem(
                artifact, f"{ACTION_TARGET_ID.name} {target_id!r} is not alphanumeric", ACTION_TARGET_ID.source
            )
    if name is not None:
        scope.run.quota(artifact, ACTION_TARGET_NAME, len(name))


def _stack_set(scope: _Scope, logical_id: str, resource: dict, props: dict) -> None:
    """OUs per instances operation, and instances at the designed organization size."""
    artifact = scope.artifact(logical_id)
    instances = 0
    for group in _dicts(props.get("StackInstancesGroup")):
        targets = group.get("DeploymentTargets") or {}
        units = targets.get("OrganizationalUnitIds") or []
        regions = group.get("Regions") or []
        scope.run.quota(artifact, STACKSET_OUS, len(units) if isinstance(units, list) else 1)
        accounts = targets.get("Accounts")
        count = len(accounts) if isinstance(accounts, list) and not units else ORGANIZATION_ACCOUNTS
        instances += count * (len(regions) if isinstance(regions, list) else 1)
    scope.run.quota(artifact, STACKSET_INSTANCES, instances)


def _lambda_function(scope: _Scope, logical_id: str, resource: dict, props: dict) -> None:
    """Environment size, layer count, and code plus layers unzipped (from the cloud assembly's assets)."""
    artifact = scope.artifact(logical_id)
    variables = (props.get("Environment") or {}).get("Variables")
    if variables:
        scope.run.quota(artifact, LAMBDA_ENVIRONMENT, byte_size(json_text(variables)))
    layers = (resource.get("Properties") or {}).get("Layers")
    layers = layers if isinstance(layers, list) else []
    scope.run.quota(artifact, LAMBDA_LAYERS, len(layers))
    if "ImageUri" in (props.get("Code") or {}):
        return  # a container image: no zip package to measure
    sizes = [_function_code_size(scope, resource), *(_layer_size(scope, layer) for layer in layers)]
    if None in sizes:
        scope.run.problem(
            artifact, f"cannot measure {LAMBDA_UNZIPPED.name}: code or layer asset not found", LAMBDA_UNZIPPED.source
        )
    else:
        scope.run.quota(artifact, LAMBDA_UNZIPPED, sum(sizes))


def _function_code_size(scope: _Scope, resource: dict) -> int | None:
    """Unzipped size of a function's code: inline ZipFile text or its asset."""
    code = (resource.get("Properties") or {}).get("Code") or {}
    if isinstance(code.get("ZipFile"), str):
        return len(code["ZipFile"].encode())
    return _asset_size(scope, resource, code)


def _layer_size(scope: _Scope, layer: Any) -> int | None:
    """Unzipped size of a layer of this template (`{"Ref": id}`); None for one that is not (an ARN)."""
    layer_id = layer.get("Ref") if isinstance(layer, dict) else None
    resource = scope.resources.get(layer_id) if isinstance(layer_id, str) else None
    if not resource or resource.get("Type") != "AWS::Lambda::LayerVersion":
        return None
    return _asset_size(scope, resource, (resource.get("Properties") or {}).get("Content") or {})


def _asset_size(scope: _Scope, resource: dict, location: dict) -> int | None:
    """Unzipped size of a resource's file asset: Metadata aws:asset:path, else the asset its S3Key names."""
    asset = (resource.get("Metadata") or {}).get("aws:asset:path")
    path = scope.folder / asset if isinstance(asset, str) else _asset_by_key(scope.folder, location.get("S3Key"))
    if path is None or not path.exists():
        return None
    if path not in scope.run.asset_sizes:
        scope.run.asset_sizes[path] = unzipped_size(path)
    return scope.run.asset_sizes[path]


def _asset_by_key(folder: Path, key: Any) -> Path | None:
    """The cloud assembly's `asset.<hash>*` for an S3 key or URI ending in `<hash>.<ext>`."""
    if not isinstance(key, str) or is_opaque(key.rsplit("/", 1)[-1]):
        return None
    asset_hash = key.rsplit("/", 1)[-1].split(".", 1)[0]
    return next(iter(sorted(folder.glob(f"asset.{asset_hash}*"))), None) if asset_hash else None


def unzipped_size(path: Path) -> int:
    """Sum of the file sizes of an asset folder, of the members of a .zip asset, or the size of a file."""
    if path.is_dir():
        return sum(
            os.stat(os.path.join(root, name)).st_size  # os.walk: symlinked folders are not followed
            for root, _dirs, files in os.walk(path)
            for name in files
        )
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    return path.stat().st_size


def _conformance_pack(scope: _Scope, logical_id: str, resource: dict, props: dict) -> Counter:
    """Body size, rules and resources of a pack the stack deploys; returns the counts of its body."""
    artifact = scope.artifact(logical_id)
    if isinstance(props.get("ConformancePackInputParameters"), list):
        scope.run.quota(artifact, PACK_INPUT_PARAMETERS, len(props["ConformancePackInputParameters"]))
    body = _pack_body(scope, props)
    if body is None:
        scope.run.problem(
            artifact, "cannot measure the conformance pack template: body not found", PACK_TEMPLATE_S3.source
        )
        return Counter()
    text, quota = body
    scope.run.quota(artifact, quota, len(text.encode()))
    return check_pack_body(scope.run, f"{artifact}/", scope.folder, _parse_pack(scope.run, artifact, text))


def _pack_body(scope: _Scope, props: dict) -> tuple[str, Quota] | None:
    """(template text, its size quota) of a pack: its TemplateBody, or the file asset its TemplateS3Uri names."""
    if isinstance(props.get("TemplateBody"), str):
        return props["TemplateBody"], PACK_TEMPLATE_BODY
    path = _asset_by_key(scope.folder, props.get("TemplateS3Uri"))
    if path is None or not path.is_file():
        return None
    return path.read_text(), PACK_TEMPLATE_S3


def _dashboard(scope: _Scope, logical_id: str, resource: dict, props: dict) -> None:
    """Widgets per dashboard, metrics per widget and per dashboard, counted in the body CloudFormation sends."""
    artifact = scope.artifact(logical_id)
    try:
        body = json.loads(props.get("DashboardBody", ""))
    except (TypeError, ValueError) as problem:
        scope.run.problem(artifact, f"cannot parse the dashboard body: {problem}", DASHBOARD_WIDGETS.source)
        return
    widgets = _dicts(body.get("widgets")) if isinstance(body, dict) else []
    counts = [len((widget.get("properties") or {}).get("metrics") or []) for widget in widgets]
    scope.run.quota(artifact, DASHBOARD_WIDGETS, len(widgets))
    scope.run.quota(artifact, DASHBOARD_WIDGET_METRICS, max(counts, default=0))
    scope.run.quota(artifact, DASHBOARD_METRICS, sum(counts))


DocumentedCheck = Callable[[_Scope, str, dict, dict], Counter | None]
DOCUMENTED_CHECKS: dict[str, DocumentedCheck] = {
    "AWS::SSM::Document": _ssm_document,
    "AWS::Events::Rule": _event_rule,
    "AWS::IAM::Role": _iam_role,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::SecurityHub::ActionTarget": _action_target,
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Config::ConformancePack": _conformance_pack,
    "AWS::CloudFormation::StackSet": _stack_set,
    "AWS::CloudWatch::Dashboard": _dashboard,
}


def _of_type(resources: dict, resource_type: str) -> dict[str, dict]:
    """Logical id -> Properties of the resources of one type."""
    return {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in resources.items()
        if isinstance(resource, dict) and resource.get("Type") == resource_type
    }


def _inline_policies(scope: _Scope) -> None:
    """IAM counts a role's inline policies together: its own Policies plus each AWS::IAM::Policy naming it."""
    roles = _of_type(scope.resources, "AWS::IAM::Role")
    totals = {
        logical_id: sum(compact_chars(p.get("PolicyDocument", {})) for p in _dicts(resolve(props.get("Policies"))))
        for logical_id, props in roles.items()
    }
    for props in _of_type(scope.resources, "AWS::IAM::Policy").values():
        size = compact_chars(resolve(props.get("PolicyDocument", {})))
        for role in _dicts(props.get("Roles")):
            if role.get("Ref") in totals:
                totals[role["Ref"]] += size
    for logical_id, total in totals.items():
        scope.run.quota(scope.artifact(logical_id), IAM_ROLE_INLINE_POLICIES, total)


def _dicts(value: Any) -> list[dict]:
    """The mappings of a list (anything else: none)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def check_resources(scope: _Scope) -> Counter:
    """Model and documented checks of every resource in scope; returns the per-account counts it adds."""
    counts: Counter = Counter()
    for logical_id, resource in scope.resources.items():
        if not isinstance(resource, dict):
            continue
        resource_type = resource.get("Type", "")
        props = resolve(resource.get("Properties") or {})
        check_model(scope.run, scope.artifact(logical_id), resource_type, props)
        documented = DOCUMENTED_CHECKS.get(resource_type)
        if documented:
            counts.update(documented(scope, logical_id, resource, props) or {})
        if resource_type in COUNTED_TYPES:
            counts[COUNTED_TYPES[resource_type]] += 1
    _inline_policies(scope)
    return counts


# --- Templates and packs ------------------------------------------------------------------------------------------
class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !GetAtt, !Sub...) and dates left as strings."""


_CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        value = value.split(".", 1) if name == "Fn::GetAtt" else value
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _short_form)


def parse_template(text: str) -> dict:
    """A CloudFormation template given as JSON or YAML text."""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(parsed, dict):
        raise ValueError("not a template (a mapping)")
    return parsed


def _parse_pack(run: _LimitsRun, artifact: str, text: str) -> dict:
    """A conformance pack template, or {} with a failure if it cannot be parsed."""
    try:
        return parse_template(text)
    except (ValueError, yaml.YAMLError) as problem:
        run.problem(artifact, f"cannot parse the conformance pack template: {problem}", PACK_RULES.source)
        return {}


def check_pack_body(run: _LimitsRun, prefix: str, folder: Path, template: dict) -> Counter:
    """Rules per pack and every resource of a conformance pack template; returns its per-account counts."""
    counts = check_resources(_Scope(run, prefix, folder, template.get("Resources") or {}))
    run.quota(prefix.rstrip("/:"), PACK_RULES, counts["config_rules"])
    return counts


def check_stack_template(run: _LimitsRun, path: Path) -> Counter:
    """Size and counts of one stack template, and all its resources; returns its per-account counts."""
    data = path.read_bytes()
    try:
        template = json.loads(data)
    except ValueError as problem:
        run.problem(run.label(path), f"cannot parse the template: {problem}", CFN_TEMPLATE_BODY.source)
        return Counter()
    run.quota(run.label(path), CFN_TEMPLATE_BODY, len(data))
    for quota, section in ((CFN_RESOURCES, "Resources"), (CFN_PARAMETERS, "Parameters"), (CFN_OUTPUTS, "Outputs")):
        run.quota(run.label(path), quota, len(template.get(section) or {}))
    return check_resources(_Scope(run, f"{run.label(path)}:", path.parent, template.get("Resources") or {}))


def check_pack_file(run: _LimitsRun, path: Path) -> None:
    """A standalone conformance pack file: an alternative to the stack's rules, so not counted per account.

    Its header says how to deploy it: `--template-s3-uri` (300 KB) or, otherwise, `--template-body` (51,200 bytes).
    """
    text = path.read_text()
    quota = PACK_TEMPLATE_S3 if S3_DEPLOYED_PACK_FILE in text else PACK_TEMPLATE_BODY
    run.quota(run.label(path), quota, len(text.encode()))
    template = _parse_pack(run, run.label(path), text)
    run.quota(run.label(path), PACK_INPUT_PARAMETERS, len(template.get("Parameters") or {}))
    check_pack_body(run, f"{run.label(path)}:", path.parent, template)


def cloud_assemblies(folder: Path) -> list[Path]:
    """`folder` and every cloud assembly inside it (a folder with its own manifest.json, e.g. another
    deployment mode synthesized into cdk.out/<mode>): each is a deployment of its own."""
    return [folder, *sorted(p.parent for p in folder.rglob("manifest.json") if p.parent != folder)]


def _own_files(assembly: Path, pattern: str, assemblies: list[Path]) -> list[Path]:
    """Files under `assembly` matching `pattern` that belong to no assembly nested deeper in it."""
    owned = []
    for path in sorted(assembly.rglob(pattern)):
        owner = max((a for a in assemblies if path.is_relative_to(a)), key=lambda a: len(a.parts))
        if owner == assembly:
            owned.append(path)
    return owned


def _check_environment(run: _LimitsRun, folder: Path, assemblies: list[Path]) -> None:
    """Every template and pack file of one cloud assembly, and its per-account totals."""
    totals: Counter = Counter()
    for path in _own_files(folder, "*.template.json", assemblies):
        totals.update(check_stack_template(run, path))
    for path in _own_files(folder, "*-conformance-pack*.yaml", assemblies):
        check_pack_file(run, path)
    for counter, quota in ACCOUNT_QUOTAS.items():
        run.quota(f"{folder} (per account and region)", quota, totals[counter])


def check(folders: list[Path], headroom: float = DEFAULT_HEADROOM) -> LimitsReport:
    """Measure everything synth wrote in the folders against AWS limits; fail what exceeds headroom x limit."""
    run = _LimitsRun()
    for folder in folders:
        assemblies = cloud_assemblies(Path(folder))
        run.top = Path(folder)
        for assembly in assemblies:
            _check_environment(run, assembly, assemblies)
    return run.report(headroom)


def found_any(folders: Iterable[Path]) -> bool:
    """True if any folder holds a template or conformance pack file."""
    return any(
        next(Path(f).rglob(pattern), None)
        for f in folders
        for pattern in ("*.template.json", "*-conformance-pack*.yaml")
    )


def main(argv: list[str]) -> int:
    """CLI: print the measurements closest to their limits, then the failures; exit 1 on any failure."""
    parser = argparse.ArgumentParser(prog="python -m infra.limits", description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[Path("cdk.out")], metavar="FOLDER")
    parser.add_argument("--headroom", type=float, default=DEFAULT_HEADROOM, help="fraction of each limit (0.8)")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="rows of the usage table (10)")
    args = parser.parse_args(argv)
    if args.headroom <= 0:
        parser.error("--headroom must be positive")
    if not found_any(args.folders):
        print(f"no templates under {', '.join(map(str, args.folders))}: run cdk synth first", file=sys.stderr)
        return 1
    report = check(args.folders, args.headroom)
    print(report.table(args.top))
    for failure in report.failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(
        f"limits: {len(report.measurements)} measurement(s), {len(report.failures)} failure(s) at "
        f"{args.headroom:.0%} headroom; {report.skipped_patterns} model pattern check(s) skipped (Java-only regex)"
    )
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
