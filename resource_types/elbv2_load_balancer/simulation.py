"""Elastic Load Balancing v2 load balancers in the emulated account: configuration items as AWS Config records
them, demo seed helpers."""

from __future__ import annotations

import boto3

from resource_types.simulation import lower_camel

DROP_INVALID_HEADER_FIELDS = "routing.http.drop_invalid_header_fields.enabled"


def configuration_items(account: str, region: str) -> list[dict]:
    """The region's load balancers (resource id and ARN: the load balancer ARN; name: its name), configuration
    holding DescribeLoadBalancers' entry in lowerCamelCase (type, scheme, vpcId, ...), with tags."""
    elbv2 = boto3.client("elbv2", region_name=region)
    items = []
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        for balancer in page["LoadBalancers"]:
            arn = balancer["LoadBalancerArn"]
            descriptions = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"]
            tags = descriptions[0].get("Tags", []) if descriptions else []
            items.append(
                {
                    "resourceId": arn,
                    "resourceName": balancer["LoadBalancerName"],
                    "ARN": arn,
                    "awsRegion": region,
                    "availabilityZone": "Multiple Availability Zones",
                    "configuration": lower_camel(balancer),
                    "supplementaryConfiguration": {},
                    "tags": {t["Key"]: t["Value"] for t in tags},
                }
            )
    return items


def default_subnets(region: str) -> list[str]:
    """Two subnets of the region's default VPC in different Availability Zones (an Application Load Balancer
    needs two: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html)."""
    ec2 = boto3.client("ec2", region_name=region)
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    by_zone = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets}
    return [by_zone[zone] for zone in sorted(by_zone)[:2]]


def create_load_balancer(region: str, name: str, kind: str = "application", drop_invalid: bool | None = None) -> str:
    """An internal load balancer of `kind` in the default VPC, with drop_invalid_header_fields set as given (None:
    left at AWS's default, false); its ARN."""
    elbv2 = boto3.client("elbv2", region_name=region)
    arn = elbv2.create_load_balancer(Name=name, Subnets=default_subnets(region), Scheme="internal", Type=kind)[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    if drop_invalid is not None:
        attribute = {"Key": DROP_INVALID_HEADER_FIELDS, "Value": str(drop_invalid).lower()}
        elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[attribute])
    return arn


def stale_key(account: str, region: str) -> str:
    """The ARN of a load balancer no seed creates: a finding naming it outlives its resource."""
    return f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/remedy-deleted-alb/0000000000000000"
