"""Build AWS Config rule invocation events shaped as AWS Config sends them to Lambda."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.conftest import ACCOUNT_ID, REGION

# rdklib sends PutEvaluations with TestMode=True only for this exact token (moto accepts it, stores nothing).
TEST_RESULT_TOKEN = "TESTMODE"
# Rules evaluate with their own Lambda role, never by assuming a role through the real STS endpoint.
RDKLIB_RESERVED = {"AssumeRoleMode": "false"}


def _base(rule_name: str, invoking_event: dict, rule_parameters: dict | None) -> dict:
    params = {**RDKLIB_RESERVED, **(rule_parameters or {})}
    return {
        "version": "1.0",
        "invokingEvent": json.dumps(invoking_event),
        "ruleParameters": json.dumps(params),
        "resultToken": TEST_RESULT_TOKEN,
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/config-role",
        "configRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT_ID}:config-rule/config-rule-abcdef",
        "configRuleName": rule_name,
        "configRuleId": "config-rule-abcdef",
        "accountId": ACCOUNT_ID,
    }


def scheduled_event(rule_name: str, rule_parameters: dict | None = None) -> dict:
    """A ScheduledNotification event (periodic rules)."""
    invoking = {
        "awsAccountId": ACCOUNT_ID,
        "notificationCreationTime": datetime.now(UTC).isoformat(),
        "messageType": "ScheduledNotification",
        "recordVersion": "1.0",
    }
    return _base(rule_name, invoking, rule_parameters)


def change_event(
    rule_name: str,
    configuration_item: dict,
    rule_parameters: dict | None = None,
) -> dict:
    """A ConfigurationItemChangeNotification event carrying `configuration_item`."""
    invoking = {
        "configurationItem": configuration_item,
        "notificationCreationTime": datetime.now(UTC).isoformat(),
        "messageType": "ConfigurationItemChangeNotification",
        "recordVersion": "1.3",
    }
    return _base(rule_name, invoking, rule_parameters)


def configuration_item(
    resource_type: str,
    resource_id: str,
    configuration: dict,
    supplementary: dict | None = None,
    status: str = "OK",
    resource_name: str | None = None,
    arn: str | None = None,
) -> dict:
    """A configuration item as it appears inside a change notification."""
    return {
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": datetime.now(UTC).isoformat(),
        "configurationStateId": 1,
        "awsAccountId": ACCOUNT_ID,
        "configurationItemStatus": status,
        "resourceType": resource_type,
        "resourceId": resource_id,
        "resourceName": resource_name or resource_id,
        "ARN": arn or "",
        "awsRegion": REGION,
        "availabilityZone": "Not Applicable",
        "configurationStateMd5Hash": "",
        "tags": {},
        "relationships": [],
        "relatedEvents": [],
        "configuration": configuration if status in ("OK", "ResourceDiscovered") else None,
        "supplementaryConfiguration": supplementary or {},
    }


def single_compliance(result: list[dict]) -> str:
    """The ComplianceType of a rule invocation that must report exactly one evaluation."""
    assert len(result) == 1, result
    return result[0]["ComplianceType"]


def history_item(item: dict) -> dict:
    """A change notification's configuration item as GetResourceConfigHistory returns it (configuration values
    as JSON strings, as AWS Config serialises them there)."""
    return {
        "version": "1.3",
        "accountId": item["awsAccountId"],
        "configurationItemCaptureTime": item["configurationItemCaptureTime"],
        "configurationItemStatus": item["configurationItemStatus"],
        "configurationStateId": str(item["configurationStateId"]),
        "arn": item["ARN"],
        "resourceType": item["resourceType"],
        "resourceId": item["resourceId"],
        "resourceName": item["resourceName"],
        "awsRegion": item["awsRegion"],
        "availabilityZone": item["availabilityZone"],
        "tags": item["tags"],
        "relatedEvents": [],
        "relationships": [],
        "configuration": json.dumps(item["configuration"]),
        "supplementaryConfiguration": {k: json.dumps(v) for k, v in item["supplementaryConfiguration"].items()},
    }
