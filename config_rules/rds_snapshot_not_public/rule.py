"""AWS Config rule: RDS DB snapshots are not public (FSBP RDS.1; Prowler rds_snapshots_public_access).

Change-triggered on AWS::RDS::DBSnapshot (resource id: the snapshot identifier). Who may restore a snapshot is its
"restore" attribute: "all" makes a manual DB snapshot public, account ids share it with those accounts
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html). The rule reads it
with DescribeDBSnapshotAttributes every time (the live setting, not a recorded copy): NON_COMPLIANT when it holds
"all"; sharing with named accounts is not public. A snapshot that no longer exists is NOT_APPLICABLE.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    RuleEvaluationError,
    UnreadableField,
    fail_closed,
    handle,
    resource_name,
)

APPLICABLE_RESOURCES = ["AWS::RDS::DBSnapshot"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("rds:DescribeDBSnapshotAttributes",)
RESTORE_ATTRIBUTE = "restore"
# Values of the restore attribute that make a snapshot public.
PUBLIC_RESTORE_VALUES = ("all",)


def restore_values(client_factory: object, identifier: str) -> list[str] | None:
    """The accounts that may restore the snapshot ("all" for anyone), or None if it no longer exists."""
    rds = client_factory.build_client("rds")
    try:
        result = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=identifier)["DBSnapshotAttributesResult"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "DBSnapshotNotFound":
            return None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceName", "is not a DB snapshot identifier RDS accepts") from None
    values: list[str] = []
    for attribute in result.get("DBSnapshotAttributes") or []:
        if attribute.get("AttributeName") == RESTORE_ATTRIBUTE:
            found = attribute.get("AttributeValues")
            if not isinstance(found, list):
                raise RuleEvaluationError(f"DescribeDBSnapshotAttributes gave no restore values for {identifier}.")
            values += found
    return values


class RdsSnapshotNotPublic(ParameterlessRule):
    """NON_COMPLIANT when any AWS account may restore the DB snapshot."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        identifier = resource_name(configuration_item)
        values = restore_values(client_factory, identifier)
        if values is None:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The DB snapshot no longer exists.")]
        if any(value in PUBLIC_RESTORE_VALUES for value in values):
            annotation = f"DB snapshot {identifier} is public: any AWS account can restore it."
            return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]
        shared = [value for value in values if value not in PUBLIC_RESTORE_VALUES]
        how = f"shared with {len(shared)} named account(s) only" if shared else "not shared"
        return [Evaluation(ComplianceType.COMPLIANT, annotation=f"DB snapshot {identifier} is not public ({how}).")]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(RdsSnapshotNotPublic(), APPLICABLE_RESOURCES, event, context)
