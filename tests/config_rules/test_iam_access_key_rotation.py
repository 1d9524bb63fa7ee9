"""Rule iam_access_key_rotation: one evaluation per IAM user by key age and status; the API calls made."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from config_rules.iam_access_key_rotation import rule
from tests.conftest import REPO_ROOT, load_example

EVENTS = REPO_ROOT / "config_rules" / "iam_access_key_rotation" / "events"
SCHEDULED = load_example(EVENTS / "scheduled.json")
ALLOWED = (*rule.IAM_ACTIONS, "config:PutEvaluations")
NO_OLD_EVALUATIONS = {"EvaluationResults": []}


def _evaluate(event: dict) -> list[dict] | dict:
    return rule.lambda_handler(event, None)


def _by_user(result: list[dict]) -> dict[str, dict]:
    assert isinstance(result, list), result
    return {evaluation["ComplianceResourceId"]: evaluation for evaluation in result}


def _advance_clock(monkeypatch, days: float) -> None:
    """Make the rule see `days` more days elapsed than really have (keys look older)."""
    real_now = rule._now()
    monkeypatch.setattr(rule, "_now", lambda: real_now + timedelta(days=days))


def _old_evaluation(user_id: str, compliance: str = "COMPLIANT") -> dict:
    """An evaluation AWS Config holds from an earlier run (as GetComplianceDetailsByConfigRule returns it)."""
    return {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": "iam-access-key-rotation",
                "ResourceType": "AWS::IAM::User",
                "ResourceId": user_id,
            }
        },
        "ComplianceType": compliance,
    }


@pytest.fixture
def iam(aws):
    return boto3.client("iam")


def _user(iam, name: str, keys: int = 1, inactive: bool = False) -> tuple[str, list[str]]:
    user_id = iam.create_user(UserName=name)["User"]["UserId"]
    key_ids = [iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for _ in range(keys)]
    if inactive:
        for key_id in key_ids:
            iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
    return user_id, key_ids


def test_recent_keys_and_users_without_keys_are_compliant(iam, api_calls):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice", keys=2)
    nokeys, _ = _user(iam, "no-keys", keys=0)
    api_calls.clear()

    result = _by_user(_evaluate(SCHEDULED))

    assert {user: e["ComplianceType"] for user, e in result.items()} == {
        alice: "COMPLIANT",
        nokeys: "COMPLIANT",
    }
    assert all(e["ComplianceResourceType"] == "AWS::IAM::User" for e in result.values())
    assert result[alice]["Annotation"] == "User alice has no active access key older than 90 days (2 active key(s))."
    assert api_calls.operations == [
        "ListUsers",
        "ListAccessKeys",
        "ListAccessKeys",
        "GetComplianceDetailsByConfigRule",
        "PutEvaluations",
    ]
    api_calls.assert_within(ALLOWED)


def test_active_key_older_than_the_limit_is_non_compliant(iam, api_calls, monkeypatch):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, (key_id,) = _user(iam, "alice")
    retired, _ = _user(iam, "retired", inactive=True)
    _advance_clock(monkeypatch, 91.5)

    result = _by_user(_evaluate(SCHEDULED))

    assert result[alice]["ComplianceType"] == "NON_COMPLIANT"
    assert result[alice]["Annotation"] == (
        f"User alice has active access key(s) not rotated within 90 days: {key_id} (91 days old)."
    )
    # An inactive key cannot authenticate, however old.
    assert result[retired]["ComplianceType"] == "COMPLIANT"
    assert api_calls.mutating == ["PutEvaluations"]
    api_calls.assert_within(ALLOWED)


@pytest.mark.parametrize(("elapsed_days", "expected"), [(90.9, "COMPLIANT"), (91.0, "NON_COMPLIANT")])
def test_limit_is_in_whole_days(iam, api_calls, monkeypatch, elapsed_days, expected):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice")
    _advance_clock(monkeypatch, elapsed_days)

    assert _by_user(_evaluate(SCHEDULED))[alice]["ComplianceType"] == expected


def test_max_access_key_age_parameter_sets_the_limit(iam, api_calls, monkeypatch):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice")
    _advance_clock(monkeypatch, 31)

    assert _by_user(_evaluate(SCHEDULED))[alice]["ComplianceType"] == "COMPLIANT"
    result = _by_user(_evaluate(load_example(EVENTS / "scheduled_max_age_30.json")))
    assert result[alice]["ComplianceType"] == "NON_COMPLIANT"
    assert "not rotated within 30 days" in result[alice]["Annotation"]


def test_old_evaluation_of_a_deleted_user_becomes_not_applicable(iam, api_calls):
    alice, _ = _user(iam, "alice")
    deleted_user_id = "AIDADELETEDUSER000001"
    api_calls.respond(
        "GetComplianceDetailsByConfigRule",
        {"EvaluationResults": [_old_evaluation(deleted_user_id, "NON_COMPLIANT"), _old_evaluation(alice)]},
    )

    result = _by_user(_evaluate(SCHEDULED))

    assert {user: e["ComplianceType"] for user, e in result.items()} == {
        deleted_user_id: "NOT_APPLICABLE",
        alice: "COMPLIANT",
    }
    assert result[deleted_user_id]["ComplianceResourceType"] == "AWS::IAM::User"
    put = next(call for call in api_calls.calls if call.operation == "PutEvaluations")
    assert {e["ComplianceResourceId"] for e in json.loads(put.params)["Evaluations"]} == {
        deleted_user_id,
        alice,
    }


def test_user_deleted_while_listing_gets_no_evaluation_of_its_own(iam, api_calls):
    alice, _ = _user(iam, "alice")
    api_calls.respond("GetComplianceDetailsByConfigRule", {"EvaluationResults": [_old_evaluation(alice)]})
    api_calls.fail("ListAccessKeys", code="NoSuchEntity", message="The user cannot be found.", status=404)

    result = _evaluate(SCHEDULED)

    # Not an error: the clean-up of old evaluations reports the vanished user NOT_APPLICABLE.
    assert [(e["ComplianceResourceId"], e["ComplianceType"]) for e in result] == [(alice, "NOT_APPLICABLE")]


def test_users_on_every_list_users_page_are_evaluated(iam, api_calls, before_call_hook):
    """ListUsers is paginated (moto returns one page, so pages of one user are served here)."""
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    user_ids = {_user(iam, name)[0] for name in ("alice", "bob", "carol")}
    all_users = boto3.session.Session().client("iam").list_users()["Users"]  # own session: not intercepted

    def one_user_per_page(model, params, **_kwargs):
        if model.name != "ListUsers":
            return None
        index = int(params["body"].get("Marker", "0"))  # IAM is a query API: params are in the body
        page = {"Users": all_users[index : index + 1], "IsTruncated": index + 1 < len(all_users)}
        if page["IsTruncated"]:
            page["Marker"] = str(index + 1)
        http = AWSResponse("https://emulated.invalid", 200, {}, None)
        return http, {**page, "ResponseMetadata": {"HTTPStatusCode": 200}}

    before_call_hook(one_user_per_page)

    result = _by_user(_evaluate(SCHEDULED))

    assert api_calls.operations.count("ListUsers") == 3
    assert set(result) == user_ids


@pytest.mark.parametrize(
    "parameters",
    [
        {"MaxAccessKeyAge": "90", "MaxKeyAge": "90"},
        {"MaxAccessKeyAge": "0"},
        {"MaxAccessKeyAge": "3651"},
        {"MaxAccessKeyAge": "ninety"},
        {"MaxAccessKeyAge": "-5"},
        {"MaxAccessKeyAge": "9.5"},
        {"MaxAccessKeyAge": ""},
    ],
)
def test_bad_rule_parameters_are_a_customer_error_and_evaluate_nothing(aws, api_calls, parameters):
    event = dict(SCHEDULED)
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", **parameters})

    result = _evaluate(event)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert ("MaxKeyAge" if "MaxKeyAge" in parameters else "MaxAccessKeyAge") in result["customerErrorMessage"]
    assert api_calls.operations == []


@pytest.mark.parametrize(("value", "expected"), [("1", 1), (" 30 ", 30), ("3650", 3650), (45, 45)])
def test_valid_max_access_key_age_values(value, expected):
    assert rule.parse_max_access_key_age(value) == expected


def test_access_denied_is_reported_as_such(iam, api_calls):
    api_calls.fail("ListUsers", code="AccessDenied")

    result = _evaluate(SCHEDULED)

    assert result["customerErrorCode"] == "AccessDenied"
    assert "PutEvaluations" not in api_calls.operations
