"""Rule lambda_function_not_public: outcomes per function policy statement, and the API calls made."""

from __future__ import annotations

import json

import pytest
import rule_support
from compliance.lambda_function_not_public import public_statements

from config_rules.lambda_function_not_public import rule
from resource_types.lambda_function.simulation import create_function
from tests.config_events import change_event, history_item, single_compliance
from tests.conftest import ACCOUNT_ID, REGION, REPO_ROOT, load_example
from tests.framework_requirements import rule_attribute_has

# FSBP Lambda.1 "Lambda function policies should prohibit public access": the control fails if the function's
# resource-based policy allows public access.
FRAMEWORK_REQUIREMENTS = {("aws_fsbp", "Lambda.1"): rule_attribute_has("PASSING_SETTINGS", "no public statement")}

EVENTS = REPO_ROOT / "config_rules" / "lambda_function_not_public" / "events"
RULE_IAM = (*rule.IAM_ACTIONS, "config:PutEvaluations", "config:GetResourceConfigHistory")
NAME = "payments-webhook"
INVOKE = "lambda:InvokeFunction"


def _evaluate(event: dict) -> list[dict] | dict:
    return rule.lambda_handler(event, None)


def _item() -> dict:
    return json.loads(load_example(EVENTS / "function_changed.json")["invokingEvent"])["configurationItem"]


@pytest.mark.parametrize(
    ("permissions", "expected"),
    [
        ([{"StatementId": "open", "Action": INVOKE, "Principal": "*"}], "NON_COMPLIANT"),
        ([{"StatementId": "open", "Action": INVOKE, "Principal": "*", "SourceAccount": ACCOUNT_ID}], "COMPLIANT"),
        ([{"StatementId": "org", "Action": INVOKE, "Principal": "*", "PrincipalOrgID": "o-a1b2c3d4e5"}], "COMPLIANT"),
        ([{"StatementId": "s3", "Action": INVOKE, "Principal": "s3.amazonaws.com"}], "COMPLIANT"),
        ([], "COMPLIANT"),
    ],
    ids=["everyone", "source-account", "organization", "service", "no-policy"],
)
def test_the_live_policy_decides(aws, api_calls, permissions, expected):
    create_function(REGION, NAME, permissions)
    api_calls.clear()

    result = _evaluate(load_example(EVENTS / "function_changed.json"))

    assert single_compliance(result) == expected
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (NAME, "AWS::Lambda::Function")
    assert api_calls.operations == ["GetPolicy", "PutEvaluations"]
    api_calls.assert_within(RULE_IAM)
    if expected == "NON_COMPLIANT":
        assert "open" in result[0]["Annotation"]


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "lambda:*"}, True),
        ({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::*:root"]}, "Action": INVOKE}, True),
        ({"Effect": "Deny", "Principal": "*", "Action": INVOKE}, False),
        ({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": INVOKE}, False),
        # Lambda writes AWS:SourceArn; condition keys are case-insensitive.
        ({"Effect": "Allow", "Principal": "*", "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}}}, False),
        ({"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"aws:SourceAccount": "*"}}}, True),
        (
            {"Effect": "Allow", "Principal": "*", "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "1"}}},
            True,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
            },
            True,
        ),
    ],
)
def test_which_statements_are_public(statement, public):
    assert bool(public_statements({"Statement": [statement]})) is public


def test_a_deleted_function_is_not_applicable_without_asking_lambda(aws, api_calls):
    assert single_compliance(_evaluate(load_example(EVENTS / "deleted.json"))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_function(REGION, NAME, [{"StatementId": "open", "Action": INVOKE, "Principal": "*"}])
    api_calls.clear()
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(_item())]})

    result = _evaluate(load_example(EVENTS / "oversized.json"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert api_calls.operations == ["GetResourceConfigHistory", "GetPolicy", "PutEvaluations"]


@pytest.mark.parametrize("code", ["AccessDeniedException", "TooManyRequestsException"])
def test_an_api_error_is_reported_and_never_compliant(aws, api_calls, monkeypatch, code):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_function(REGION, NAME)
    api_calls.fail("GetPolicy", code=code)

    result = _evaluate(load_example(EVENTS / "function_changed.json"))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations


@pytest.mark.parametrize("parameters", [{"AllowedAccounts": "1"}, {"AssumeRoleMode": "false", "x": ""}])
def test_unknown_rule_parameter_is_a_customer_error_and_evaluates_nothing(aws, api_calls, parameters):
    event = load_example(EVENTS / "function_changed.json")
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", **parameters})

    result = _evaluate(event)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert api_calls.operations == []


def test_item_of_another_resource_type_is_not_applicable(aws, api_calls):
    item = _item()
    item["resourceType"] = "AWS::Lambda::Alias"

    assert single_compliance(_evaluate(change_event("lambda-function-not-public", item))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]
