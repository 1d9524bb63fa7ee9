"""AWS Config rule: EC2 instances require IMDSv2 (FSBP EC2.8, CIS v3.0 5.6; Prowler ec2_instance_imdsv2_enabled).

Change-triggered on AWS::EC2::Instance. Evaluated from the configuration item's configuration.metadataOptions
(AWS Config records the DescribeInstances shape in lower camel case); only when the item does not carry it does
the rule ask EC2 (DescribeInstances). COMPLIANT only when httpTokens is "required", as FSBP EC2.8 asks ("The
control fails if HttpTokens is set to optional": https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-8);
an instance whose metadata endpoint is disabled but whose tokens are optional is NON_COMPLIANT, with the
annotation saying so. Terminated (or terminating) instances are NOT_APPLICABLE.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    RuleEvaluationError,
    UnreadableField,
    as_object,
    fail_closed,
    field,
    handle,
)

APPLICABLE_RESOURCES = ["AWS::EC2::Instance"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("ec2:DescribeInstances",)
REQUIRED = "required"
GONE_STATES = ("shutting-down", "terminated")


def _from_configuration_item(configuration_item: dict) -> tuple[str | None, dict[str, str]] | None:
    """(state, {HttpTokens, HttpEndpoint}) as the item records them, or None if it records no metadataOptions."""
    if configuration_item.get("configuration") is None:
        return None
    configuration = as_object(configuration_item["configuration"], "configuration", json_string=True)
    state = None
    if configuration.get("state") is not None:
        state = field(as_object(configuration["state"], "configuration.state"), "name", "configuration.state", str)
    if configuration.get("metadataOptions") is None:
        return None if state not in GONE_STATES else (state, {})
    path = "configuration.metadataOptions"
    options = as_object(configuration["metadataOptions"], path)
    return state, {
        "HttpTokens": field(options, "httpTokens", path, str),
        "HttpEndpoint": field(options, "httpEndpoint", path, str, required=False) or "",
    }


def _from_ec2(client_factory: object, instance_id: str) -> tuple[str | None, dict[str, str]] | None:
    """(state, {HttpTokens, HttpEndpoint}) from DescribeInstances, or None if the instance no longer exists."""
    ec2 = client_factory.build_client("ec2")
    try:
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "InvalidInstanceID.NotFound":
            return None
        if error.response["Error"]["Code"] == "InvalidInstanceID.Malformed":
            raise UnreadableField("resourceId", "is not an instance id EC2 accepts") from None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceId", "is not an instance id EC2 accepts") from None
    instances = [i for r in reservations for i in r.get("Instances", []) if i.get("InstanceId") == instance_id]
    if not instances:
        return None
    instance = instances[0]
    options = instance.get("MetadataOptions") or {}
    if not isinstance(options.get("HttpTokens"), str):
        raise RuleEvaluationError(f"DescribeInstances reported no MetadataOptions.HttpTokens for {instance_id}.")
    state = (instance.get("State") or {}).get("Name")
    return state, {"HttpTokens": options["HttpTokens"], "HttpEndpoint": str(options.get("HttpEndpoint") or "")}


class Ec2InstanceImdsv2Required(ParameterlessRule):
    """NON_COMPLIANT when the instance's metadata service accepts IMDSv1 requests (HttpTokens not required)."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        recorded = _from_configuration_item(configuration_item)
        if recorded is None:
            recorded = _from_ec2(client_factory, configuration_item["resourceId"])
            if recorded is None:
                return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The instance no longer exists.")]
        state, options = recorded
        if state in GONE_STATES:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation=f"The instance is {state}.")]
        if options["HttpTokens"] == REQUIRED:
            annotation = "The instance requires IMDSv2 (HttpTokens required)."
            return [Evaluation(ComplianceType.COMPLIANT, annotation=annotation)]
        annotation = f"The instance accepts IMDSv1: HttpTokens is {options['HttpTokens'][:40]!r}, not 'required'."
        if options["HttpEndpoint"] == "disabled":
            annotation += " Its metadata endpoint is disabled now, but IMDSv1 returns when it is enabled."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(Ec2InstanceImdsv2Required(), APPLICABLE_RESOURCES, event, context)
