"""AWS Config rule: RDS DB instances are not publicly accessible (FSBP RDS.2, CIS v3.0 2.3.3; Prowler
rds_instance_no_public_access).

Change-triggered on AWS::RDS::DBInstance, whose resource id is the DbiResourceId. Evaluated from the configuration
item's configuration.publiclyAccessible, as AWS Config's managed rule rds-instance-public-access-check does
(https://docs.aws.amazon.com/config/latest/developerguide/rds-instance-public-access-check.html); only when the item
does not carry it does the rule ask RDS (DescribeDBInstances filtered by dbi-resource-id). A publiclyAccessible that
is not a JSON boolean (the string "false", a number) is NON_COMPLIANT with an annotation naming it.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    RuleEvaluationError,
    as_object,
    fail_closed,
    field,
    handle,
    resource_name,
)

APPLICABLE_RESOURCES = ["AWS::RDS::DBInstance"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("rds:DescribeDBInstances",)
# The configuration item fields the decision reads (AWS Config records DescribeDBInstances in lower camel case).
CHECKED_FIELDS = ("publiclyAccessible",)


def _from_configuration_item(configuration_item: dict) -> bool | None:
    """publiclyAccessible as the item records it, or None if the item does not record it."""
    if configuration_item.get("configuration") is None:
        return None
    configuration = as_object(configuration_item["configuration"], "configuration", json_string=True)
    return field(configuration, "publiclyAccessible", "configuration", bool, required=False)


def _from_rds(client_factory: object, resource_id: str) -> bool | None:
    """PubliclyAccessible from DescribeDBInstances, or None if no instance has this DbiResourceId any more."""
    rds = client_factory.build_client("rds")
    try:
        instances = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [resource_id]}])
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "DBInstanceNotFound":
            return None
        raise
    found = instances.get("DBInstances") or []
    if not found:
        return None
    if not isinstance(found[0].get("PubliclyAccessible"), bool):
        raise RuleEvaluationError(f"DescribeDBInstances reported no PubliclyAccessible flag for {resource_id}.")
    return found[0]["PubliclyAccessible"]


class RdsInstanceNotPublic(ParameterlessRule):
    """NON_COMPLIANT when the DB instance is publicly accessible."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        public = _from_configuration_item(configuration_item)
        if public is None:
            public = _from_rds(client_factory, configuration_item["resourceId"])
            if public is None:
                return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The DB instance no longer exists.")]
        name = resource_name(configuration_item)
        if public:
            annotation = f"DB instance {name} is publicly accessible (PubliclyAccessible is true)."
            return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]
        annotation = f"DB instance {name} is not publicly accessible."
        return [Evaluation(ComplianceType.COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(RdsInstanceNotPublic(), APPLICABLE_RESOURCES, event, context)
