"""AWS Config rule: DynamoDB tables have point-in-time recovery on (FSBP DynamoDB.2).

Prowler's check: dynamodb_tables_pitr_enabled.

Change-triggered on AWS::DynamoDB::Table (resource id: the table name). AWS Config's resource schema records the
setting in supplementaryConfiguration.ContinuousBackupsDescription, but the rule reads it with
DescribeContinuousBackups every time (the live setting, not a recorded copy that may be missing or older than the
last UpdateContinuousBackups), as Prowler does: COMPLIANT only when PointInTimeRecoveryStatus is ENABLED
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeContinuousBackups.html). A table being
deleted (tableStatus DELETING) or that no longer exists is NOT_APPLICABLE.
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
    resource_name,
)

APPLICABLE_RESOURCES = ["AWS::DynamoDB::Table"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("dynamodb:DescribeContinuousBackups",)
# The PointInTimeRecoveryStatus values that pass (the other is DISABLED).
PASSING_STATUSES = ("ENABLED",)


def point_in_time_recovery(client_factory: object, table: str) -> str | None:
    """The table's PointInTimeRecoveryStatus ("NOT REPORTED" if DynamoDB gives none), or None if the table is gone."""
    dynamodb = client_factory.build_client("dynamodb")
    try:
        answer = dynamodb.describe_continuous_backups(TableName=table)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "TableNotFoundException":
            return None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceName", "is not a table name DynamoDB accepts") from None
    description = (answer.get("ContinuousBackupsDescription") or {}).get("PointInTimeRecoveryDescription") or {}
    status = description.get("PointInTimeRecoveryStatus")
    return status if isinstance(status, str) else "NOT REPORTED"


class DynamodbTablePointInTimeRecovery(ParameterlessRule):
    """NON_COMPLIANT when a table's point-in-time recovery is not ENABLED."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        if field(configuration, "tableStatus", "configuration", str) == "DELETING":
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The table is being deleted.")]
        table = resource_name(configuration_item)
        status = point_in_time_recovery(client_factory, table)
        if status is None:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The table no longer exists.")]
        if status in PASSING_STATUSES:
            annotation = f"Point-in-time recovery of table {table} is on."
            return [Evaluation(ComplianceType.COMPLIANT, annotation=annotation[:256])]
        annotation = f"Point-in-time recovery of table {table} is off ({status})."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(DynamodbTablePointInTimeRecovery(), APPLICABLE_RESOURCES, event, context)
