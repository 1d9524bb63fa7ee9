"""What every catalogue rule does alike, tested once over all of them (a new rule is covered by adding it).

- A rule parameter the rule does not take is a customer error naming it, and the rule calls no AWS API, whatever
  the event (an oversized item is not looked up): a misspelt parameter would otherwise be ignored silently and the
  rule would judge with its defaults.
- A change notification about a resource type the rule does not apply to is NOT_APPLICABLE, reported without any
  other call (AWS Config sends a rule only its scope's types, but a rule's scope can be widened by hand).
"""

from __future__ import annotations

import importlib
import json

import pytest

from catalogue import load_catalogue
from tests.config_events import RuleExamples, single_compliance

RULES = {
    folder: RuleExamples(importlib.import_module(f"config_rules.{folder}.rule"))
    for folder in sorted({control.detection.rule for control in load_catalogue().controls})
}
# A resource type no catalogue rule applies to.
UNRELATED_TYPE = "AWS::CloudFormation::Stack"


def _examples(rule: RuleExamples) -> list[str]:
    return sorted(path.stem for path in rule.events.glob("*.json"))


def _change_example(rule: RuleExamples) -> str | None:
    """An example change notification of the rule, or None for a periodic rule."""
    for example in _examples(rule):
        if json.loads(rule.event(example)["invokingEvent"]).get("messageType") == "ConfigurationItemChangeNotification":
            return example
    return None


@pytest.mark.parametrize(
    ("folder", "example"), [(folder, name) for folder, rule in RULES.items() for name in _examples(rule)]
)
def test_an_unknown_rule_parameter_is_a_customer_error_and_calls_nothing(api_calls, folder, example):
    rule = RULES[folder]
    event = rule.event(example)
    event["ruleParameters"] = json.dumps({**json.loads(event["ruleParameters"]), "NoSuchParameter": "x"})

    result = rule.evaluate(event)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert "'NoSuchParameter'" in result["customerErrorMessage"]
    assert api_calls.operations == []


@pytest.mark.parametrize("folder", [folder for folder, rule in RULES.items() if _change_example(rule)])
def test_an_item_of_a_type_the_rule_does_not_judge_is_not_applicable(api_calls, folder):
    rule = RULES[folder]
    assert UNRELATED_TYPE not in rule.rule.APPLICABLE_RESOURCES
    event = rule.event(_change_example(rule))
    invoking = json.loads(event["invokingEvent"])
    invoking["configurationItem"]["resourceType"] = UNRELATED_TYPE

    result = rule.evaluate({**event, "invokingEvent": json.dumps(invoking)})

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["ComplianceResourceType"] == UNRELATED_TYPE
    assert api_calls.operations == ["PutEvaluations"]
