"""AWS Config rule: the default security group of every VPC allows no traffic (FSBP EC2.2, CIS v3.0 5.4).

Change-triggered on AWS::EC2::SecurityGroup. Evaluated from the configuration item alone: AWS Config records a
group's configuration.groupName, ipPermissions (inbound rules) and ipPermissionsEgress (outbound rules), as
DescribeSecurityGroups returns them in lower camel case. A default group (groupName "default") with any rule
is NON_COMPLIANT; other groups are NOT_APPLICABLE. A field that is missing or not of the recorded type is
NON_COMPLIANT with an annotation naming it. No API call: the item always carries the rules.
"""

from __future__ import annotations

from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, as_object, fail_closed, field, handle, item_configuration

APPLICABLE_RESOURCES = ["AWS::EC2::SecurityGroup"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations): none, the item carries the rules.
IAM_ACTIONS: tuple[str, ...] = ()
DEFAULT_GROUP_NAME = "default"  # every VPC's default group has this name, which no other group may take
# The rule lists of a group AWS Config records; the requirement is that both are empty.
RULE_LISTS = ("ipPermissions", "ipPermissionsEgress")


def _rule_counts(configuration: dict) -> dict[str, int]:
    """Number of permissions per rule list, each checked to be a list of objects."""
    counts = {}
    for name in RULE_LISTS:
        permissions = field(configuration, name, "configuration", list)
        for index, permission in enumerate(permissions):
            as_object(permission, f"configuration.{name}[{index}]")
        counts[name] = len(permissions)
    return counts


class Ec2DefaultSecurityGroupClosed(ParameterlessRule):
    """NON_COMPLIANT when a VPC's default security group has any inbound or outbound rule."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        name = field(configuration, "groupName", "configuration", str)
        if name != DEFAULT_GROUP_NAME:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="Not a VPC's default security group.")]
        counts = _rule_counts(configuration)
        if not any(counts.values()):
            return [Evaluation(ComplianceType.COMPLIANT, annotation="The default security group has no rules.")]
        annotation = (
            f"The default security group allows traffic: {counts['ipPermissions']} inbound and "
            f"{counts['ipPermissionsEgress']} outbound permission(s)."
        )
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation)]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(Ec2DefaultSecurityGroupClosed(), APPLICABLE_RESOURCES, event, context)
