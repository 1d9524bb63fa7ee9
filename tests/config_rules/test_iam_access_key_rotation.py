"""Rule iam_access_key_rotation: one evaluation per IAM user by key age and status; the API calls made."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import rule_support
from botocore.awsrequest import AWSResponse

from config_rules.iam_access_key_rotation import rule
from tests.config_events import RuleExamples
from tests.conftest import ACCOUNT_ID, REPO_ROOT
from tests.framework_requirements import at_most

# CIS v3.0 1.14 and FSBP IAM.3: "access keys are rotated every 90 days or less".
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "1.14"): at_most("MaxAccessKeyAge", 90),
    ("aws_fsbp", "IAM.3"): at_most("MaxAccessKeyAge", 90),
}
PROWLER_REQUIREMENTS = {
    "iam_rotate_access_key_90_days": at_most("MaxAccessKeyAge", 90),
    "check14": at_most("MaxAccessKeyAge", 90),
}

RULE = RuleExamples(rule)
SCHEDULED = RULE.event("scheduled")
ALLOWED = (*rule.IAM_ACTIONS, "config:PutEvaluations")
NO_OLD_EVALUATIONS = {"EvaluationResults": []}


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


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    """The waits the rule sleeps (no real sleeping in tests)."""
    slept: list[float] = []
    monkeypatch.setattr(rule_support, "sleep", slept.append)
    return slept


def _user(iam, name: str, keys: int = 1, inactive: bool = False) -> tuple[str, list[str]]:
    user_id = iam.create_user(UserName=name)["User"]["UserId"]
    key_ids = [iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for _ in range(keys)]
    if inactive:
        for key_id in key_ids:
            iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
    return user_id, key_ids


def test_recent_keys_and_users_without_keys_are_compliant_from_the_credential_report(iam, api_calls, waits):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice", keys=2)
    nokeys, _ = _user(iam, "no-keys", keys=0)
    api_calls.clear()

    result = _by_user(RULE.evaluate(SCHEDULED))

    assert {user: e["ComplianceType"] for user, e in result.items()} == {
        alice: "COMPLIANT",
        nokeys: "COMPLIANT",
    }
    assert all(e["ComplianceResourceType"] == "AWS::IAM::User" for e in result.values())
    assert re.fullmatch(
        r"User alice has no active access key older than 90 days \(2 active key\(s\), IAM credential report of .+\)\.",
        result[alice]["Annotation"],
    )
    # No report existed: IAM starts one (STARTED), the rule waits once and asks again (COMPLETE), then reads it.
    assert api_calls.operations == [
        "GenerateCredentialReport",
        "GenerateCredentialReport",
        "GetCredentialReport",
        "ListUsers",
        "GetComplianceDetailsByConfigRule",
        "PutEvaluations",
    ]
    assert waits == [rule.REPORT_FIRST_WAIT_SECONDS]
    assert api_calls.calls[3].params["MaxItems"] == 1000
    api_calls.assert_within(ALLOWED)


def test_active_key_older_than_the_limit_is_non_compliant_and_confirmed_with_list_access_keys(
    iam, api_calls, monkeypatch
):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, (key_id,) = _user(iam, "alice")
    retired, _ = _user(iam, "retired", inactive=True)
    _advance_clock(monkeypatch, 91.5)

    result = _by_user(RULE.evaluate(SCHEDULED))

    assert result[alice]["ComplianceType"] == "NON_COMPLIANT"
    assert result[alice]["Annotation"] == (
        f"User alice has active access key(s) not rotated within 90 days: {key_id} (91 days old)."
    )
    # An inactive key cannot authenticate, however old: the report suffices for that user.
    assert result[retired]["ComplianceType"] == "COMPLIANT"
    assert [c.params["UserName"] for c in api_calls.calls if c.operation == "ListAccessKeys"] == ["alice"]
    assert api_calls.mutating == ["PutEvaluations"]
    api_calls.assert_within(ALLOWED)


def _report(*rows: dict, generated: datetime | None = None) -> dict:
    """A GetCredentialReport response holding `rows` (missing report columns are "N/A" / "false")."""
    header = [
        "user",
        "arn",
        "user_creation_time",
        "password_enabled",
        "access_key_1_active",
        "access_key_1_last_rotated",
        "access_key_2_active",
        "access_key_2_last_rotated",
    ]
    defaults = dict.fromkeys(header, "N/A") | {"access_key_1_active": "false", "access_key_2_active": "false"}
    lines = [",".join(header)] + [",".join({**defaults, **row}[column] for column in header) for row in rows]
    return {
        "Content": ("\n".join(lines) + "\n").encode(),
        "GeneratedTime": generated or datetime.now(UTC),
        "ReportFormat": "text/csv",
    }


def _row(iam, name: str, **columns: str) -> dict:
    user = iam.get_user(UserName=name)["User"]
    return {"user": name, "arn": user["Arn"], "user_creation_time": user["CreateDate"].isoformat(), **columns}


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def test_a_key_rotated_since_the_report_is_read_as_it_is_now(iam, api_calls):
    """The report (up to 4 hours old) shows an old key; IAM shows it was replaced: COMPLIANT, no stale finding."""
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice")
    api_calls.respond("GenerateCredentialReport", {"State": "COMPLETE"})
    api_calls.respond(
        "GetCredentialReport",
        _report(_row(iam, "alice", access_key_1_active="true", access_key_1_last_rotated=_days_ago(200))),
    )

    result = _by_user(RULE.evaluate(SCHEDULED))

    assert result[alice]["ComplianceType"] == "COMPLIANT"
    assert result[alice]["Annotation"] == "User alice has no active access key older than 90 days (1 active key(s))."
    assert api_calls.operations.count("ListAccessKeys") == 1


@pytest.mark.parametrize(
    "columns",
    [
        {"access_key_1_active": "TRUE", "access_key_1_last_rotated": _days_ago(1)},
        {"access_key_1_active": "true", "access_key_1_last_rotated": "yesterday"},
        {"access_key_2_active": "true", "access_key_2_last_rotated": "N/A"},
        {"user_creation_time": "not a time"},
        {"user_creation_time": "2001-01-01T00:00:00+00:00"},  # a namesake deleted since: not this user's row
    ],
)
def test_a_row_the_rule_cannot_trust_is_read_from_iam_instead(iam, api_calls, monkeypatch, columns):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, (key_id,) = _user(iam, "alice")
    api_calls.respond("GenerateCredentialReport", {"State": "COMPLETE"})
    api_calls.respond("GetCredentialReport", _report({**_row(iam, "alice"), **columns}))
    _advance_clock(monkeypatch, 100)

    result = _by_user(RULE.evaluate(SCHEDULED))

    assert result[alice]["ComplianceType"] == "NON_COMPLIANT"
    assert key_id in result[alice]["Annotation"]
    assert api_calls.operations.count("ListAccessKeys") == 1


def test_a_user_created_after_the_report_is_read_from_iam(iam, api_calls):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice")
    api_calls.respond("GenerateCredentialReport", {"State": "COMPLETE"})
    api_calls.respond("GetCredentialReport", _report())

    result = _by_user(RULE.evaluate(SCHEDULED))

    assert result[alice]["ComplianceType"] == "COMPLIANT"
    assert [c.params["UserName"] for c in api_calls.calls if c.operation == "ListAccessKeys"] == ["alice"]


def test_a_report_still_being_generated_is_awaited_within_the_budget_then_fails_the_invocation(iam, api_calls, waits):
    _user(iam, "alice")
    api_calls.respond("GenerateCredentialReport", {"State": "INPROGRESS"})

    with pytest.raises(rule_support.RuleEvaluationError, match="credential report was not ready within 120 s"):
        RULE.evaluate(SCHEDULED)

    assert waits == [2, 4, 8, 16, 16, 16, 16, 16, 16]
    assert sum(waits) <= rule.REPORT_WAIT_SECONDS
    assert api_calls.operations == ["GenerateCredentialReport"] * 10  # nothing evaluated, nothing reported


@pytest.mark.parametrize("code", ["ReportInProgress", "ReportNotPresent", "ReportExpired"])
def test_a_report_not_ready_when_read_is_generated_again(iam, api_calls, waits, code):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice")
    iam.generate_credential_report()
    api_calls.fail("GetCredentialReport", code=code, status=404 if code == "ReportInProgress" else 410, times=1)

    assert _by_user(RULE.evaluate(SCHEDULED))[alice]["ComplianceType"] == "COMPLIANT"
    assert api_calls.operations[:4] == [
        "GenerateCredentialReport",
        "GetCredentialReport",
        "GenerateCredentialReport",
        "GetCredentialReport",
    ]
    assert waits == [2]


@pytest.mark.parametrize("code", ["ReportNotPresent", "ReportExpired"])
def test_a_report_that_never_becomes_readable_fails_the_invocation(iam, api_calls, code):
    _user(iam, "alice")
    api_calls.respond("GenerateCredentialReport", {"State": "COMPLETE"})
    api_calls.fail("GetCredentialReport", code=code, status=410)

    with pytest.raises(rule_support.RuleEvaluationError, match=code):
        RULE.evaluate(SCHEDULED)

    assert "PutEvaluations" not in api_calls.operations


@pytest.mark.parametrize(
    "content", [b"user,arn\nalice,arn:aws:iam::123456789012:user/alice\n", b"\xff\xfe not text", b""]
)
def test_an_unreadable_report_fails_the_invocation(iam, api_calls, content):
    _user(iam, "alice")
    api_calls.respond("GenerateCredentialReport", {"State": "COMPLETE"})
    api_calls.respond("GetCredentialReport", {"Content": content, "GeneratedTime": datetime.now(UTC)})

    with pytest.raises(rule_support.RuleEvaluationError, match="credential report"):
        RULE.evaluate(SCHEDULED)

    assert "PutEvaluations" not in api_calls.operations


def test_throttled_calls_are_retried_with_backoff(iam, api_calls, waits, monkeypatch):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice")
    iam.generate_credential_report()
    _advance_clock(monkeypatch, 100)
    for operation in ("GenerateCredentialReport", "ListUsers", "ListAccessKeys"):
        api_calls.fail(operation, code="Throttling", message="Rate exceeded", status=400, times=2)

    assert _by_user(RULE.evaluate(SCHEDULED))[alice]["ComplianceType"] == "NON_COMPLIANT"
    assert api_calls.operations.count("ListAccessKeys") == 3
    # Two waits per throttled operation, growing (0.5 s then 1 s, each with jitter down to half).
    assert len(waits) == 6
    assert all(
        0.25 <= first <= 0.5 and 0.5 <= second <= 1 for first, second in zip(waits[::2], waits[1::2], strict=True)
    )


def _throttle_one_user(name: str):
    def hook(model, params, **_kwargs):
        if model.name == "ListAccessKeys" and params["body"].get("UserName") == name:
            error = {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}
            return AWSResponse("https://emulated.invalid", 400, {}, None), {
                **error,
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
        return None

    return hook


def test_one_user_throttled_past_the_retries_among_100_is_reported_and_the_others_evaluated(
    iam, api_calls, monkeypatch, before_call_hook
):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    users = {f"user-{n:03}": _user(iam, f"user-{n:03}")[0] for n in range(100)}
    _advance_clock(monkeypatch, 100)  # every key looks old: every user is read with ListAccessKeys
    before_call_hook(_throttle_one_user("user-042"))

    result = _by_user(RULE.evaluate(SCHEDULED))

    assert set(result) == set(users.values())
    throttled = result.pop(users["user-042"])
    assert throttled["ComplianceType"] == "NON_COMPLIANT"
    assert throttled["Annotation"] == (
        "Not evaluated: the access keys of user user-042 could not be read (ListAccessKeys Throttling); "
        "the next run evaluates them again."
    )
    assert {e["ComplianceType"] for e in result.values()} == {"NON_COMPLIANT"}
    assert all("not rotated within 90 days" in e["Annotation"] for e in result.values())
    assert api_calls.operations.count("ListAccessKeys") == 99 + rule_support.RETRY_ATTEMPTS


@pytest.mark.parametrize(("elapsed_days", "expected"), [(90.9, "COMPLIANT"), (91.0, "NON_COMPLIANT")])
def test_limit_is_in_whole_days(iam, api_calls, monkeypatch, elapsed_days, expected):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice")
    _advance_clock(monkeypatch, elapsed_days)

    assert _by_user(RULE.evaluate(SCHEDULED))[alice]["ComplianceType"] == expected


def test_max_access_key_age_parameter_sets_the_limit(iam, api_calls, monkeypatch):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    alice, _ = _user(iam, "alice")
    _advance_clock(monkeypatch, 31)

    assert _by_user(RULE.evaluate(SCHEDULED))[alice]["ComplianceType"] == "COMPLIANT"
    result = _by_user(RULE.evaluate(RULE.event("scheduled_max_age_30")))
    assert result[alice]["ComplianceType"] == "NON_COMPLIANT"
    assert "not rotated within 30 days" in result[alice]["Annotation"]


def test_old_evaluation_of_a_deleted_user_becomes_not_applicable(iam, api_calls):
    alice, _ = _user(iam, "alice")
    deleted_user_id = "AIDADELETEDUSER000001"
    api_calls.respond(
        "GetComplianceDetailsByConfigRule",
        {"EvaluationResults": [_old_evaluation(deleted_user_id, "NON_COMPLIANT"), _old_evaluation(alice)]},
    )

    result = _by_user(RULE.evaluate(SCHEDULED))

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


def test_user_deleted_while_listing_gets_no_evaluation_of_its_own(iam, api_calls, monkeypatch):
    alice, _ = _user(iam, "alice")
    _advance_clock(monkeypatch, 100)  # the report shows an old key: the rule reads the user's keys
    api_calls.respond("GetComplianceDetailsByConfigRule", {"EvaluationResults": [_old_evaluation(alice)]})
    api_calls.fail("ListAccessKeys", code="NoSuchEntity", message="The user cannot be found.", status=404)

    result = RULE.evaluate(SCHEDULED)

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

    result = _by_user(RULE.evaluate(SCHEDULED))

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
        {"MaxAccessKeyAge": "\u00b9\u00b2"},  # superscript digits: str.isdigit() says yes, int() says no
        {"MaxAccessKeyAge": "9" * 5000},  # longer than int() converts
        {"MaxAccessKeyAge": 30},  # AWS Config passes strings
    ],
)
def test_bad_rule_parameters_are_a_customer_error_and_evaluate_nothing(aws, api_calls, parameters):
    event = dict(SCHEDULED)
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", **parameters})

    result = RULE.evaluate(event)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert ("MaxKeyAge" if "MaxKeyAge" in parameters else "MaxAccessKeyAge") in result["customerErrorMessage"]
    assert api_calls.operations == []


@pytest.mark.parametrize(("value", "expected"), [("1", 1), (" 30 ", 30), ("3650", 3650), (45, 45)])
def test_valid_max_access_key_age_values(value, expected):
    assert rule.parse_max_access_key_age(value) == expected


def test_access_denied_is_reported_as_such(iam, api_calls):
    api_calls.fail("ListUsers", code="AccessDenied")

    result = RULE.evaluate(SCHEDULED)

    assert result["customerErrorCode"] == "AccessDenied"
    assert "PutEvaluations" not in api_calls.operations


# Calls per run, by the number of users -----------------------------------------------------------------------------
def _emulated_account(users: int, old_every: int):
    """Answers the rule's IAM and Config calls for `users` users; every `old_every`-th has a 200-day-old key."""
    names = [f"user-{n:05}" for n in range(users)]
    created = datetime(2026, 1, 1, tzinfo=UTC)
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{{}}".format

    def rotated(n: int) -> str:
        return _days_ago(200 if old_every and n % old_every == 0 else 10)

    rows = [
        {
            "user": name,
            "arn": arn(name),
            "user_creation_time": created.isoformat(),
            "access_key_1_active": "true",
            "access_key_1_last_rotated": rotated(n),
        }
        for n, name in enumerate(names)
    ]
    report = _report(*rows)
    ids = {name: f"AIDA{n:017}" for n, name in enumerate(names)}

    def answer(model, params, **_kwargs):
        body = params["body"]
        if model.name == "GenerateCredentialReport":
            page = {"State": "COMPLETE"}
        elif model.name == "GetCredentialReport":
            page = report
        elif model.name == "ListUsers":
            start, size = int(body.get("Marker", "0")), int(body["MaxItems"])
            listed = [
                {"UserName": n, "UserId": ids[n], "Arn": arn(n), "Path": "/", "CreateDate": created}
                for n in names[start : start + size]
            ]
            page = {"Users": listed, "IsTruncated": start + size < users}
            if page["IsTruncated"]:
                page["Marker"] = str(start + size)
        elif model.name == "ListAccessKeys":
            key = {"UserName": body["UserName"], "AccessKeyId": "AKIA0000000000000000", "Status": "Active"}
            page = {"AccessKeyMetadata": [{**key, "CreateDate": created}], "IsTruncated": False}
        elif model.name == "GetComplianceDetailsByConfigRule":
            body = json.loads(body)
            start = int(body.get("NextToken") or "0")
            page = {"EvaluationResults": [_old_evaluation(ids[n]) for n in names[start : start + 100]]}
            if start + 100 < users:
                page["NextToken"] = str(start + 100)
        else:
            return None
        return AWSResponse("https://emulated.invalid", 200, {}, None), {
            **page,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    return answer


@pytest.mark.parametrize(
    ("users", "old_every"), [(10, 0), (100, 0), (1_000, 0), (1_000, 100), (10_000, 100)], ids=lambda v: str(v)
)
def test_calls_per_run_grow_with_pages_of_users_not_with_users(aws, api_calls, before_call_hook, users, old_every):
    before_call_hook(_emulated_account(users, old_every))

    result = RULE.evaluate(SCHEDULED)

    assert len(result) == users
    old = math.ceil(users / old_every) if old_every else 0
    assert sum(e["ComplianceType"] == "NON_COMPLIANT" for e in result) == old
    rule_calls = [op for op in api_calls.operations if op.startswith(("Generate", "GetCredential", "List"))]
    # The report (1 + 1), the users 1,000 a page, and ListAccessKeys only for the users the report shows old keys.
    assert len(rule_calls) == 2 + math.ceil(users / 1000) + old
    # rdklib's clean-up reads old evaluations 100 a page and reports 100 evaluations a call.
    assert api_calls.operations.count("GetComplianceDetailsByConfigRule") == math.ceil(users / 100)
    assert api_calls.operations.count("PutEvaluations") == math.ceil(users / 100)
    before = 1 + users + math.ceil(users / 100)  # ListUsers 100 a page, ListAccessKeys for every user
    print(f"\naccess-key rule, {users} users ({old} old): {len(rule_calls)} IAM calls (before: {before}), ", end="")
    print(f"{len(api_calls.operations)} calls with rdklib's clean-up and PutEvaluations")


def test_waiting_for_the_report_and_retries_fit_in_the_functions_timeout():
    """The rule function's timeout (infra/stack.py) leaves room for the report wait and the retry budget."""
    stack = (REPO_ROOT / "infra" / "stack.py").read_text()
    rule_function = stack[stack.index("def _rule_function") :]
    timeout = int(re.search(r"timeout=cdk\.Duration\.seconds\((\d+)\)", rule_function).group(1))

    assert timeout * 0.6 >= rule.REPORT_WAIT_SECONDS + rule_support.RETRY_BUDGET_SECONDS
