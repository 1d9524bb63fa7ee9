"""AWS Config rule: Application Load Balancers drop invalid HTTP header fields (FSBP ELB.4).

Prowler's check: elbv2_alb_drop_invalid_header_fields_enabled.

Change-triggered on AWS::ElasticLoadBalancingV2::LoadBalancer (resource id: the load balancer ARN). Only
Application Load Balancers are judged (the item's configuration.type "application"); Network and Gateway Load
Balancers have no such attribute and are NOT_APPLICABLE. The rule reads the live attribute
routing.http.drop_invalid_header_fields.enabled with DescribeLoadBalancerAttributes, as Prowler does: COMPLIANT
only when it is "true". AWS's default is false
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes),
so an absent attribute is false. A load balancer that no longer exists is NOT_APPLICABLE.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    UnreadableField,
    fail_closed,
    field,
    handle,
    item_configuration,
)

APPLICABLE_RESOURCES = ["AWS::ElasticLoadBalancingV2::LoadBalancer"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("elasticloadbalancing:DescribeLoadBalancerAttributes",)
# The attribute that must be "true" for an Application Load Balancer to pass.
PASSING_SETTINGS = ("routing.http.drop_invalid_header_fields.enabled",)
ATTRIBUTE = PASSING_SETTINGS[0]


def drop_invalid_header_fields(client_factory: object, arn: str) -> str | None:
    """The attribute's value ("false" when absent: AWS's default), or None if the load balancer is gone."""
    elbv2 = client_factory.build_client("elbv2")
    try:
        attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn).get("Attributes") or []
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "LoadBalancerNotFound":
            return None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceId", "is not a load balancer ARN Elastic Load Balancing accepts") from None
    values = [a.get("Value") for a in attributes if isinstance(a, dict) and a.get("Key") == ATTRIBUTE]
    return values[0] if values and isinstance(values[0], str) else "false"


class Elbv2AlbDropInvalidHeaderFields(ParameterlessRule):
    """NON_COMPLIANT when an Application Load Balancer routes invalid header fields to its targets."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        kind = field(configuration, "type", "configuration", str)
        if kind != "application":
            annotation = f"A {kind} load balancer: only Application Load Balancers have this setting."
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation=annotation[:256])]
        arn = field(configuration_item, "resourceId", "configurationItem", str)
        value = drop_invalid_header_fields(client_factory, arn)
        if value is None:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The load balancer no longer exists.")]
        if value == "true":
            return [Evaluation(ComplianceType.COMPLIANT, annotation="Drops HTTP headers with invalid header fields.")]
        annotation = f"Routes HTTP headers with invalid header fields to its targets ({ATTRIBUTE} is {value})."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(Elbv2AlbDropInvalidHeaderFields(), APPLICABLE_RESOURCES, event, context)
