"""AWS Config rule: RDS DB clusters have deletion protection on (FSBP RDS.7).

Prowler's check: rds_cluster_deletion_protection (it reads DescribeDBClusters' DeletionProtection of every cluster but
DocumentDB's, and reports arn:<partition>:rds:<region>:<account>:cluster:<identifier>).

Change-triggered on AWS::RDS::DBCluster (resource id: the DbClusterResourceId). Evaluated from the configuration item:
AWS Config records DescribeDBClusters' DBCluster in lower camel case, so the setting is configuration.deletionProtection
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html). Only when the item does not carry it
does the rule ask RDS (DescribeDBClusters, matched on the DbClusterResourceId). COMPLIANT only when it is true; a value
that is not a JSON boolean is NON_COMPLIANT. A cluster being deleted (status deleting) or that no longer exists is
NOT_APPLICABLE. Aurora (provisioned and Serverless), Multi-AZ DB clusters and the members of a global database each
hold their own DeletionProtection (ModifyDBCluster: "Valid for Cluster Type: Aurora DB clusters and Multi-AZ DB
clusters", https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html), so each is judged.
"""

from __future__ import annotations

from compliance.rds_cluster_deletion_protection import find_cluster, is_protected
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    fail_closed,
    field,
    handle,
    item_configuration,
    resource_name,
)

APPLICABLE_RESOURCES = ["AWS::RDS::DBCluster"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("rds:DescribeDBClusters",)
# The configuration item fields the decision reads (DescribeDBClusters' DBCluster in lower camel case).
CHECKED_FIELDS = ("status", "deletionProtection")


class RdsClusterDeletionProtection(ParameterlessRule):
    """NON_COMPLIANT when a DB cluster's deletion protection is off."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        status = field(configuration, "status", "configuration", str, required=False)
        protected = field(configuration, "deletionProtection", "configuration", bool, required=False)
        name = resource_name(configuration_item)
        if status != "deleting" and protected is None:
            cluster = find_cluster(client_factory.build_client("rds"), configuration_item["resourceId"])
            if cluster is None:
                return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The DB cluster no longer exists.")]
            status, protected = cluster.get("Status"), is_protected(cluster)
        if status == "deleting":
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The DB cluster is being deleted.")]
        if protected:
            annotation = f"Deletion protection of DB cluster {name} is on."
            return [Evaluation(ComplianceType.COMPLIANT, annotation=annotation[:256])]
        annotation = f"Deletion protection of DB cluster {name} is off (DeletionProtection is false)."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(RdsClusterDeletionProtection(), APPLICABLE_RESOURCES, event, context)
