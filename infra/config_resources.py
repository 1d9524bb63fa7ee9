"""AWS Config rule and remediation configuration definitions, derived from catalogue entries.

One builder serves both deployment modes: standalone stack resources, and the resources inside
a conformance pack (deployed by the stack, or standalone for put-(organization-)conformance-pack).
"""

from __future__ import annotations

import copy

from catalogue import Catalogue, Control, Runbook
from remedy_cli.deployment import document_name, remediation_parameters

# rdklib: evaluate with the rule Lambda's own role instead of assuming a role through STS.
RDKLIB_RULE_PARAMETERS = {"AssumeRoleMode": "false"}
# At most 10% of non-compliant resources are remediated at once; stop if 10% of executions fail.
EXECUTION_CONTROLS = {"SsmControls": {"ConcurrentExecutionRatePercentage": 10, "ErrorPercentage": 10}}


def camel(text: str) -> str:
    """kebab-case or snake_case -> CamelCase, for logical ids and parameter names."""
    return "".join(part.capitalize() for part in text.replace("_", "-").split("-"))


def rule_name(prefix: str, control: Control) -> str:
    return f"{prefix}-{control.id}"


def config_rule_properties(control: Control, prefix: str, function_arn: object) -> dict:
    """Properties of the AWS::Config::ConfigRule for `control` (Lambda-backed custom rule)."""
    detection = control.detection
    if detection.trigger == "change":
        message_types = [
            "ConfigurationItemChangeNotification",
            "OversizedConfigurationItemChangeNotification",
        ]
    else:
        message_types = ["ScheduledNotification"]
    source_details = []
    for message_type in message_types:
        detail = {"EventSource": "aws.config", "MessageType": message_type}
        if message_type == "ScheduledNotification":
            detail["MaximumExecutionFrequency"] = detection.frequency
        source_details.append(detail)
    frameworks = "; ".join(f"{name} {', '.join(ids)}" for name, ids in control.frameworks.items())
    properties: dict = {
        "ConfigRuleName": rule_name(prefix, control),
        "Description": f"{control.title} ({frameworks})"[:256],
        "Source": {
            "Owner": "CUSTOM_LAMBDA",
            "SourceIdentifier": function_arn,
            "SourceDetails": source_details,
        },
        "InputParameters": {**detection.parameters, **RDKLIB_RULE_PARAMETERS},
    }
    if detection.trigger == "change":
        properties["Scope"] = {"ComplianceResourceTypes": list(detection.resource_types)}
    return properties


def remediation_properties(control: Control, runbook: Runbook, prefix: str, role_arn: object) -> dict:
    """Properties of the AWS::Config::RemediationConfiguration: automatic or the console's Remediate button."""
    remediation = control.remediation
    parameters = remediation_parameters(control, runbook, role_arn)
    return {
        "ConfigRuleName": rule_name(prefix, control),
        "TargetType": "SSM_DOCUMENT",
        "TargetId": document_name(prefix, runbook),
        "ResourceType": control.resource_type,
        "Parameters": parameters,
        "Automatic": remediation.automatic,
        "MaximumAutomaticAttempts": remediation.maximum_attempts,
        "RetryAttemptSeconds": remediation.retry_attempt_seconds,
        "ExecutionControls": copy.deepcopy(EXECUTION_CONTROLS),
    }


def function_parameter(rule_module: str) -> str:
    return f"{camel(rule_module)}RuleFunctionArn"


def role_parameter(runbook: Runbook) -> str:
    return f"{runbook.document_stem}AutomationRoleArn"


def conformance_pack_template(catalogue: Catalogue, prefix: str, controls: list[Control] | None = None) -> dict:
    """A conformance pack holding `controls` (default: all), each a rule and its remediation configuration.

    Lambda function and runbook role ARNs are pack parameters: the stack passes its own, and the
    standalone template takes them from put-conformance-pack / put-organization-conformance-pack.
    """
    parameters: dict = {}
    resources: dict = {}
    for control in catalogue.controls if controls is None else controls:
        runbook = catalogue.runbooks[control.remediation.runbook]
        function_param = function_parameter(control.detection.rule)
        role_param = role_parameter(runbook)
        parameters[function_param] = {
            "Type": "String",
            "Description": f"ARN of the Lambda function of rule module {control.detection.rule}",
        }
        parameters[role_param] = {
            "Type": "String",
            "Description": f"ARN of the role runbook {document_name(prefix, runbook)} runs as",
        }
        rule_id = f"{camel(control.id)}Rule"
        resources[rule_id] = {
            "Type": "AWS::Config::ConfigRule",
            "Properties": config_rule_properties(control, prefix, {"Ref": function_param}),
        }
        resources[f"{camel(control.id)}Remediation"] = {
            "Type": "AWS::Config::RemediationConfiguration",
            "DependsOn": rule_id,
            "Properties": remediation_properties(control, runbook, prefix, {"Ref": role_param}),
        }
    return {
        "Description": "Remedy controls: AWS Config rules with their SSM Automation remediations.",
        "Parameters": parameters,
        "Resources": resources,
    }
