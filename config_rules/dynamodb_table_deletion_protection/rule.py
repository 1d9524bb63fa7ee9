"""AWS Config rule: DynamoDB tables have deletion protection on (FSBP DynamoDB.6).

Prowler's check: dynamodb_table_deletion_protection_enabled (it reads DescribeTable's DeletionProtectionEnabled,
absent counting as false).

Change-triggered on AWS::DynamoDB::Table (resource id: the table name). Evaluated from the configuration item: AWS
Config records DescribeTable's Table in lower camel case, so the setting is configuration.deletionProtectionEnabled
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html). Only when the item does
not carry it does the rule ask DynamoDB (DescribeTable). COMPLIANT only when it is true; a value that is not a JSON
boolean is NON_COMPLIANT. A table being deleted (tableStatus DELETING) or that no longer exists is NOT_APPLICABLE.
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
IAM_ACTIONS = ("dynamodb:DescribeTable",)
# The configuration item fields the decision reads (DescribeTable's Table in lower camel case).
CHECKED_FIELDS = ("tableStatus", "deletionProtectionEnabled")


def _from_dynamodb(client_factory: object, table: str) -> dict | None:
    """{"status", "protected"} from DescribeTable, or None if the table no longer exists. DynamoDB's default is
    off, so an answer without DeletionProtectionEnabled counts as off (as Prowler reads it)."""
    dynamodb = client_factory.build_client("dynamodb")
    try:
        described = dynamodb.describe_table(TableName=table)["Table"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceName", "is not a table name DynamoDB accepts") from None
    return {"status": described.get("TableStatus"), "protected": described.get("DeletionProtectionEnabled") is True}


class DynamodbTableDeletionProtection(ParameterlessRule):
    """NON_COMPLIANT when a table's deletion protection is off."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        status = field(configuration, "tableStatus", "configuration", str)
        protected = field(configuration, "deletionProtectionEnabled", "configuration", bool, required=False)
        table = resource_name(configuration_item)
        if status != "DELETING" and protected is None:
            live = _from_dynamodb(client_factory, table)
            if live is None:
                return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The table no longer exists.")]
            status, protected = live["status"], live["protected"]
        if status == "DELETING":
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The table is being deleted.")]
        if protected:
            annotation = f"Deletion protection of table {table} is on."
            return [Evaluation(ComplianceType.COMPLIANT, annotation=annotation[:256])]
        annotation = f"Deletion protection of table {table} is off (DeletionProtectionEnabled is false)."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(DynamodbTableDeletionProtection(), APPLICABLE_RESOURCES, event, context)
