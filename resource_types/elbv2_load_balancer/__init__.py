"""AWS::ElasticLoadBalancingV2::LoadBalancer: the AWS Config resource id is the load balancer ARN itself.

ARN: arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/<app|net|gwy>/<name>/<id>, as Prowler
reports it (DescribeLoadBalancers' LoadBalancerArn). The type's primary identifier is the ARN ("Ref returns the
Amazon Resource Name (ARN) of the load balancer":
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticloadbalancingv2-loadbalancer.html),
which AWS Config records as the resource id. A listener or target group ARN is not a load balancer ARN.
"""

from __future__ import annotations

import re

from resource_types import IamScope, ResourceType
from resource_types.arn import Arn, MalformedArnError

# "This name must be unique per region per account, can have a maximum of 32 characters, must contain only
# alphanumeric characters or hyphens, must not begin or end with a hyphen"
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html); the id is
# hexadecimal. app = Application, net = Network, gwy = Gateway Load Balancer.
LOAD_BALANCER_RESOURCE = r"loadbalancer/(?:app|net|gwy)/[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?/[0-9a-f]{1,32}"
_RESOURCE = re.compile(rf"^{LOAD_BALANCER_RESOURCE}$")


def parse(arn: Arn) -> str:
    """arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/<kind>/<name>/<id> -> the same ARN."""
    valid = arn.service == "elasticloadbalancing" and arn.region and re.fullmatch(r"\d{12}", arn.account or "")
    if not valid or not _RESOURCE.match(arn.resource):
        raise MalformedArnError(
            f"{arn.text!r} is not an Elastic Load Balancing v2 load balancer ARN "
            "(arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/<app|net|gwy>/<name>/<id>)"
        )
    return arn.text


def to_arn(key: str, *, partition: str = "aws", region: str = "", account: str = "") -> str:
    """The load balancer's ARN: the key is the ARN."""
    return key


RESOURCE_TYPE = ResourceType(
    config_type="AWS::ElasticLoadBalancingV2::LoadBalancer",
    asff_type="AwsElbv2LoadBalancer",
    ocsf_type="AWS::ElasticLoadBalancingV2::LoadBalancer",
    parse=parse,
    to_arn=to_arn,
    # list_elasticloadbalancingv2.html in the Service Authorization Reference: ModifyLoadBalancerAttributes takes
    # the loadbalancer/app and loadbalancer/net resource types (the Describe* actions take none); the runbooks
    # change Application Load Balancers only.
    iam_scopes=(
        IamScope(
            actions=("elasticloadbalancing:ModifyLoadBalancerAttributes",),
            resources=("arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/app/*/*",),
        ),
    ),
)
