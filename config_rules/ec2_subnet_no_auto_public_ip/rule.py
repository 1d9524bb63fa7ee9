"""AWS Config rule: subnets do not assign a public IPv4 address on launch (FSBP EC2.15).

Prowler's check: vpc_subnet_no_public_ip_by_default (it reads MapPublicIpOnLaunch from DescribeSubnets, for subnets
with a network interface unless run with --scan-unused-services, and reports the subnet's SubnetArn).

Change-triggered on AWS::EC2::Subnet (resource id: the subnet id). Evaluated from the configuration item: AWS Config's
resource schema for AWS::EC2::Subnet records configuration.mapPublicIpOnLaunch as a boolean
(https://github.com/awslabs/aws-config-resource-schema). True is NON_COMPLIANT, false COMPLIANT; a missing field or
one of another type is NON_COMPLIANT naming it (DescribeSubnets always answers the flag, so absence is not read as
AWS's default). The comparison is compliance.ec2_subnet_no_auto_public_ip, which the runbook uses too. IPv6
(AssignIpv6AddressOnCreation) is not judged: FSBP EC2.15 and Prowler's check read only the IPv4 flag.
"""

from __future__ import annotations

from compliance.ec2_subnet_no_auto_public_ip import assigns_public_ip
from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, fail_closed, field, handle, item_configuration

APPLICABLE_RESOURCES = ["AWS::EC2::Subnet"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations): none, the item carries the setting.
IAM_ACTIONS: tuple[str, ...] = ()
# The configuration item field the rule judges (what FSBP EC2.15 reads: MapPublicIpOnLaunch must be false).
JUDGED_FIELDS = ("configuration.mapPublicIpOnLaunch",)


class Ec2SubnetNoAutoPublicIp(ParameterlessRule):
    """NON_COMPLIANT when a subnet's mapPublicIpOnLaunch is true."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        value = field(configuration, "mapPublicIpOnLaunch", "configuration", bool)
        subnet = configuration_item["resourceId"]
        vpc = field(configuration, "vpcId", "configuration", str, required=False) or "unknown"
        if assigns_public_ip(value, "the configuration item"):
            annotation = f"Subnet {subnet} (VPC {vpc}) assigns a public IPv4 address to instances launched in it."
            return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]
        annotation = f"Subnet {subnet} (VPC {vpc}) does not assign public IPv4 addresses on launch."
        return [Evaluation(ComplianceType.COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(Ec2SubnetNoAutoPublicIp(), APPLICABLE_RESOURCES, event, context)
