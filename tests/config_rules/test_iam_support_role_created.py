"""Rule iam_support_role_created: a role with AWSSupportAccess or none, users and groups not counting, every page,
failures, calls made."""

from __future__ import annotations

import json

import boto3
import pytest
import rule_support

from config_rules.iam_support_role_created import rule
from config_rules.iam_support_role_created.demo_seed import POLICY_ARN, ensure_support_policy
from tests.config_events import RuleExamples
from tests.conftest import ACCOUNT_ID
from tests.framework_requirements import rule_attribute_has

# CIS v3.0 1.17 "Ensure a support role has been created to manage incidents with AWS Support": "AWS provides a
# support center that can be used for incident notification and response, as well as technical support and customer
# services. Create an IAM Role, with the appropriate policy assigned, to allow authorized users to manage incidents
# with AWS Support." Its audit lists the entities of the AWSSupportAccess policy and checks PolicyRoles is not empty.
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "1.17"): rule_attribute_has("IAM_ACTIONS", "iam:ListEntitiesForPolicy"),
}

RULE = RuleExamples(rule)
ROOT = f"arn:aws:iam::{ACCOUNT_ID}:root"
STATEMENT = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [STATEMENT]})


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)


@pytest.fixture
def iam(aws):
    # moto holds no AWS managed policy unless told to load them all; AWS has AWSSupportAccess in every account.
    ensure_support_policy(ACCOUNT_ID)
    return boto3.client("iam")


def _only(result: list[dict]) -> dict:
    assert isinstance(result, list), result
    assert len(result) == 1, result
    return result[0]


def _role(iam, name: str, support: bool = True) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    if support:
        iam.attach_role_policy(RoleName=name, PolicyArn=POLICY_ARN)


def test_a_role_with_the_policy_is_compliant(iam, api_calls):
    _role(iam, "support-desk")
    api_calls.clear()

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"] == "AWSSupportAccess is attached to role(s) support-desk."
    assert (evaluation["ComplianceResourceId"], evaluation["ComplianceResourceType"]) == (ACCOUNT_ID, "AWS::::Account")
    assert evaluation["OrderingTimestamp"] == "2026-11-27T09:00:05.000Z"
    assert api_calls.operations == ["ListEntitiesForPolicy", "PutEvaluations"]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))
    [listing] = [c for c in api_calls.calls if c.operation == "ListEntitiesForPolicy"]
    assert (listing.params["PolicyArn"], listing.params["EntityFilter"]) == (POLICY_ARN, "Role")


def test_many_roles_are_named_up_to_a_limit(iam):
    for name in ("c-role", "a-role", "b-role", "d-role"):
        _role(iam, name)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["Annotation"] == "AWSSupportAccess is attached to role(s) a-role, b-role and 2 more."


def test_no_role_with_the_policy_is_non_compliant(iam, api_calls):
    _role(iam, "other-role", support=False)
    # A user or a group holding the policy is not a role: CIS asks for a role.
    iam.create_user(UserName="support-person")
    iam.attach_user_policy(UserName="support-person", PolicyArn=POLICY_ARN)
    iam.create_group(GroupName="support-people")
    iam.attach_group_policy(GroupName="support-people", PolicyArn=POLICY_ARN)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == (
        "No IAM role has the AWS managed policy AWSSupportAccess attached: there is no role to manage incidents "
        "with AWS Support."
    )


def test_the_policy_arn_follows_the_rules_partition(iam, api_calls):
    event = RULE.event("scheduled")
    event["configRuleArn"] = event["configRuleArn"].replace("arn:aws:", "arn:aws-us-gov:")

    RULE.evaluate(event)

    [listing] = [c for c in api_calls.calls if c.operation == "ListEntitiesForPolicy"]
    assert listing.params["PolicyArn"] == "arn:aws-us-gov:iam::aws:policy/AWSSupportAccess"


class PagedIam:
    """An IAM client whose ListEntitiesForPolicy answers the given pages in turn (moto ignores MaxItems)."""

    def __init__(self, pages: list[dict]) -> None:
        self.pages, self.markers = iter(pages), []

    def list_entities_for_policy(self, **kwargs):
        self.markers.append(kwargs.get("Marker"))
        return next(self.pages)


def test_every_page_is_read():
    client = PagedIam(
        [
            {"PolicyRoles": [], "IsTruncated": True, "Marker": "m1"},
            {"PolicyRoles": [{"RoleName": "late-role"}], "IsTruncated": False},
        ]
    )

    assert rule.support_roles(client, "aws") == ["late-role"]
    assert client.markers == [None, "m1"]


@pytest.mark.parametrize("code", ["AccessDenied", "ServiceFailure", "NoSuchEntity"])
def test_a_failed_read_is_non_compliant_never_compliant(iam, api_calls, code):
    _role(iam, "support-desk")
    api_calls.fail("ListEntitiesForPolicy", code=code)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == f"Not evaluated: ListEntitiesForPolicy failed: {code}."


def test_throttling_is_retried_then_evaluated(iam, api_calls):
    _role(iam, "support-desk")
    api_calls.fail("ListEntitiesForPolicy", code="Throttling", status=400, times=2)

    assert _only(RULE.evaluate(RULE.event("scheduled")))["ComplianceType"] == "COMPLIANT"
    assert api_calls.operations.count("ListEntitiesForPolicy") == 3


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({}, "PolicyRoles is None, expected a list of roles"),
        ({"PolicyRoles": ["support-desk"]}, "PolicyRoles is ['support-desk'], expected a list of roles"),
        ({"PolicyRoles": [{"RoleId": "AROA1"}]}, "PolicyRoles holds a role without a RoleName: [{'RoleId': 'AROA1'}]"),
        (
            {"PolicyRoles": [{"RoleName": "r"}], "IsTruncated": True},
            "ListEntitiesForPolicy answered IsTruncated true without a Marker",
        ),
    ],
)
def test_an_answer_without_the_expected_fields_is_non_compliant(iam, api_calls, answer, reason):
    api_calls.respond("ListEntitiesForPolicy", answer)

    evaluation = _only(RULE.evaluate(RULE.event("scheduled")))

    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == f"Not evaluated: {reason}."
