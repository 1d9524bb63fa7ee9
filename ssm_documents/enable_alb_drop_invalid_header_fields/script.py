"""Runbook script: make an Application Load Balancer drop invalid HTTP header fields, recording the previous
setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.

Safety:
- Only routing.http.drop_invalid_header_fields.enabled changes, from false to true; a load balancer that already
  drops them is left alone, and the runbook never sets it back to false.
- With it on, the load balancer removes header fields whose names do not match [-A-Za-z0-9]+ before routing a
  request (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes):
  a client or partner sending such a header (e.g. X_Client_Id, with underscores) loses it at the targets. That is why
  the control is manual: a person checks the application's clients first. Reverting is setting the attribute to
  false again (the output records the previous value).
- Only Application Load Balancers (Type "application", read with DescribeLoadBalancers) are changed: Network and
  Gateway Load Balancers have no such attribute and are refused.
- The ARN must name this account and Region: another account's load balancer is refused before any call to
  Elastic Load Balancing.
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
)
ATTRIBUTE = "routing.http.drop_invalid_header_fields.enabled"
# Same pattern as document.yaml's allowedPattern (resource_types/elbv2_load_balancer's name and id rules).
LOAD_BALANCER_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"loadbalancer/(app|net|gwy)/[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?/[0-9a-f]{1,32}$"
)


def _load_balancer_arn(events: dict, account: str, region: str) -> str:
    arn = events.get("LoadBalancerArn")
    match = LOAD_BALANCER_ARN.match(arn) if isinstance(arn, str) else None
    if not match:
        raise ValueError(f"LoadBalancerArn must be an Elastic Load Balancing v2 load balancer ARN, got {arn!r}")
    if (match["account"], match["region"]) != (account, region):
        raise ValueError(
            f"Load balancer {arn} is not in this account ({account}) and Region ({region}); nothing changed."
        )
    return arn


def _setting(elbv2: object, arn: str) -> dict:
    """The attribute's current value ("false" when absent: AWS's default)."""
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    values = [a.get("Value") for a in attributes if a.get("Key") == ATTRIBUTE]
    return {ATTRIBUTE: values[0] if values else "false"}


def enable_drop_invalid_header_fields(events: dict, context: object) -> dict:
    """Set routing.http.drop_invalid_header_fields.enabled of `events["LoadBalancerArn"]` to true unless it is.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    account = boto3.client("sts").get_caller_identity()["Account"]
    elbv2 = boto3.client("elbv2")
    arn = _load_balancer_arn(events, account, elbv2.meta.region_name)
    kind = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0].get("Type")
    if kind != "application":
        raise ValueError(
            f"Load balancer {arn} is a {kind} load balancer, not an Application Load Balancer; nothing changed."
        )
    previous = _setting(elbv2, arn)
    result = {"LoadBalancerArn": arn, "DryRun": dry_run, "PreviousState": previous}
    if previous[ATTRIBUTE] == "true":
        message = f"Load balancer {arn} already drops invalid header fields; nothing changed."
        return no_change(result, previous, message)
    planned = {ATTRIBUTE: "true"}
    if dry_run:
        message = f"Dry run: would make load balancer {arn} drop invalid header fields; nothing changed."
        return would_change(result, previous, planned, message)
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": ATTRIBUTE, "Value": "true"}])
    current = _setting(elbv2, arn)
    message = (
        f"Load balancer {arn} now drops HTTP header fields with invalid names ({ATTRIBUTE} was "
        f"{previous[ATTRIBUTE]}); set it back to false to revert."
    )
    return changed(result, planned, current, message)
