"""AWS Config's side of a custom rule: the configuration items it records and the events it invokes a rule with.

Shared by the local simulation (simulation/config_service.py), which invokes the synthesized rule functions on
moto, and by `remedy scan`, which invokes the catalogue's rule code against a live account. Event shapes follow
AWS's examples (https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_example-events.html).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import resource_types

CHANGE_NOTIFICATION = "ConfigurationItemChangeNotification"
SCHEDULED_NOTIFICATION = "ScheduledNotification"


def now() -> str:
    """The current time as AWS Config writes it in events (ISO 8601, UTC)."""
    return datetime.now(UTC).isoformat()


def configuration_items(resource_type: str, account: str, region: str) -> list[dict]:
    """The items of one type as AWS Config records them, built from service reads by the type's simulation module
    (resource_types/<type>/simulation.py) through boto3's default session; UnknownResourceTypeError for a type the
    registry does not declare."""
    return resource_types.get(resource_type).simulation().configuration_items(account, region)


def change_notification(item: dict, resource_type: str, account: str) -> dict:
    """The invoking event of a configuration change: `item` (resourceId, ARN, configuration, ...) completed with
    the envelope fields AWS Config records on every item."""
    configuration_item = {
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": now(),
        "configurationStateId": 1,
        "awsAccountId": account,
        "configurationItemStatus": "OK",
        "resourceType": resource_type,
        "availabilityZone": "Not Applicable",
        "relationships": [],
        "relatedEvents": [],
        **item,
    }
    return {
        "configurationItem": configuration_item,
        "notificationCreationTime": now(),
        "messageType": CHANGE_NOTIFICATION,
        "recordVersion": "1.3",
    }


def scheduled_notification(account: str) -> dict:
    """The invoking event of a periodic evaluation."""
    return {
        "awsAccountId": account,
        "notificationCreationTime": now(),
        "messageType": SCHEDULED_NOTIFICATION,
        "recordVersion": "1.0",
    }


def rule_event(
    rule_name: str, rule_parameters: dict, invoking_event: dict, token: str, account: str, region: str
) -> dict:
    """The event AWS Config passes a rule's function: the invoking event, the rule's parameters and the result
    token its PutEvaluations call must carry."""
    return {
        "version": "1.0",
        "invokingEvent": json.dumps(invoking_event),
        "ruleParameters": json.dumps(rule_parameters),
        "resultToken": token,
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/"
        "AWSServiceRoleForConfig",
        "configRuleArn": f"arn:aws:config:{region}:{account}:config-rule/{rule_name}",
        "configRuleName": rule_name,
        "configRuleId": f"config-rule-{rule_name[-12:]}",
        "accountId": account,
    }
