"""Build AWS Config rule invocation events shaped as AWS Config sends them to Lambda."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

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


class RuleExamples:
    """One rule's example events and its handler, as the rule's test module uses them.

    `rule` is the rule module (config_rules/<folder>/rule.py); its examples are in the folder's `events/`.
    `iam` is what its Lambda role may call: the rule's read actions, PutEvaluations, and the history lookup of
    oversized items.
    """

    def __init__(self, rule: ModuleType, config_rule_name: str | None = None) -> None:
        folder = Path(rule.__file__).parent
        self.rule = rule
        self.events = folder / "events"
        self.config_rule_name = config_rule_name or folder.name.replace("_", "-")
        self.iam = (*rule.IAM_ACTIONS, "config:PutEvaluations", "config:GetResourceConfigHistory")

    def event(self, example: str) -> dict:
        """The example event `events/<example>.json`."""
        return json.loads((self.events / f"{example}.json").read_text())

    def item(self, example: str) -> dict:
        """The configuration item of a change-notification example."""
        return json.loads(self.event(example)["invokingEvent"])["configurationItem"]

    def change_event(self, item: dict, rule_parameters: dict | None = None) -> dict:
        """A change notification carrying `item`, sent to this rule."""
        return change_event(self.config_rule_name, item, rule_parameters)

    def evaluate(self, event: dict) -> list[dict] | dict:
        """The rule's Lambda handler on `event`: its evaluations, or rdklib's error response."""
        return self.rule.lambda_handler(event, None)


def set_field(item: dict, path: str, value: object) -> dict:
    """Set the dotted `path` of `item` (a `[N]` list index allowed) to `value`; return `item`."""
    keys = path.replace("[", ".").replace("]", "").split(".")
    node: object = item
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return item
