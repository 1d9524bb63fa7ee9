"""Rule lambda_function_not_public: outcomes per function policy statement, and the API calls made."""

from __future__ import annotations

import pytest
import rule_support
from compliance.lambda_function_not_public import public_statements

from config_rules.lambda_function_not_public import rule
from resource_types.lambda_function.simulation import create_function
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.conftest import ACCOUNT_ID, REGION
from tests.framework_requirements import rule_attribute_has

# FSBP Lambda.1 "Lambda function policies should prohibit public access": the control fails if the function's
# resource-based policy allows public access.
FRAMEWORK_REQUIREMENTS = {("aws_fsbp", "Lambda.1"): rule_attribute_has("PASSING_SETTINGS", "no public statement")}

RULE = RuleExamples(rule)
NAME = "payments-webhook"
INVOKE = "lambda:InvokeFunction"


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

    result = RULE.evaluate(RULE.event("function_changed"))

    assert single_compliance(result) == expected
    assert (result[0]["ComplianceResourceId"], result[0]["ComplianceResourceType"]) == (NAME, "AWS::Lambda::Function")
    assert api_calls.operations == ["GetPolicy", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)
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
    assert single_compliance(RULE.evaluate(RULE.event("deleted"))) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_function(REGION, NAME, [{"StatementId": "open", "Action": INVOKE, "Principal": "*"}])
    api_calls.clear()
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(RULE.item("function_changed"))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert api_calls.operations == ["GetResourceConfigHistory", "GetPolicy", "PutEvaluations"]


@pytest.mark.parametrize("code", ["AccessDeniedException", "TooManyRequestsException"])
def test_an_api_error_is_reported_and_never_compliant(aws, api_calls, monkeypatch, code):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    create_function(REGION, NAME)
    api_calls.fail("GetPolicy", code=code)

    result = RULE.evaluate(RULE.event("function_changed"))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations
