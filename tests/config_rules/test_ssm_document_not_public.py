"""Rule ssm_document_not_public: one evaluation per document the account owns, by its share permission."""

from __future__ import annotations

import json

import pytest
import rule_support
from botocore.awsrequest import AWSResponse

from config_rules.ssm_document_not_public import rule
from resource_types.ssm_document.simulation import create_document
from tests.config_events import RuleExamples
from tests.conftest import REGION
from tests.framework_requirements import both, rule_attribute_has

# FSBP SSM.4 "SSM documents should not be public": "This control checks whether AWS Systems Manager documents that
# are owned by the account are public. This control fails if SSM documents with the owner Self are public."
# (https://docs.aws.amazon.com/securityhub/latest/userguide/ssm-controls.html#ssm-4): it judges AWS::SSM::Document
# and reads the documents' share permission.
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "SSM.4"): both(
        rule_attribute_has("APPLICABLE_RESOURCES", "AWS::SSM::Document"),
        rule_attribute_has("IAM_ACTIONS", "ssm:ListDocuments", "ssm:DescribeDocumentPermission"),
    ),
}

RULE = RuleExamples(rule)
SCHEDULED = RULE.event("scheduled")
ALLOWED = (*rule.IAM_ACTIONS, "config:PutEvaluations")
NO_OLD_EVALUATIONS = {"EvaluationResults": []}
PARTNER = "111122223333"


def _body(params: object) -> dict:
    """A request's parameters (SSM speaks JSON: botocore holds the serialized body)."""
    return json.loads(params) if isinstance(params, bytes | str) else params


def _by_document(result: list[dict]) -> dict[str, dict]:
    assert isinstance(result, list), result
    return {evaluation["ComplianceResourceId"]: evaluation for evaluation in result}


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    """The waits the rule sleeps between throttled calls (no real sleeping in tests)."""
    slept: list[float] = []
    monkeypatch.setattr(rule_support, "sleep", slept.append)
    return slept


@pytest.fixture
def documents(aws, api_calls):
    """Make documents shared as given; no old evaluations; the recorder is cleared after."""
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)

    def make(**shares: list[str]) -> None:
        for name, accounts in shares.items():
            create_document(REGION, name.replace("_", "-"), accounts)
        api_calls.clear()

    return make


def test_public_documents_are_non_compliant_private_and_named_shares_compliant(documents, api_calls):
    documents(Public_Doc=["all"], Private_Doc=[], Partner_Doc=[PARTNER])

    result = _by_document(RULE.evaluate(SCHEDULED))

    assert {name: e["ComplianceType"] for name, e in result.items()} == {
        "Public-Doc": "NON_COMPLIANT",
        "Private-Doc": "COMPLIANT",
        "Partner-Doc": "COMPLIANT",
    }
    assert all(e["ComplianceResourceType"] == "AWS::SSM::Document" for e in result.values())
    assert result["Public-Doc"]["Annotation"] == "Document Public-Doc is shared publicly (all accounts)."
    assert result["Partner-Doc"]["Annotation"] == "Document Partner-Doc is not public (shared with 1 named account(s))."
    assert result["Private-Doc"]["Annotation"] == "Document Private-Doc is not public (not shared)."
    listing = next(_body(c.params) for c in api_calls.calls if c.operation == "ListDocuments")
    assert listing["Filters"] == [{"Key": "Owner", "Values": ["Self"]}]
    assert listing["MaxResults"] == rule.LIST_PAGE_SIZE
    shares = [_body(c.params) for c in api_calls.calls if c.operation == "DescribeDocumentPermission"]
    assert sorted(p["Name"] for p in shares) == ["Partner-Doc", "Private-Doc", "Public-Doc"]
    assert {p["PermissionType"] for p in shares} == {"Share"}
    assert api_calls.mutating == ["PutEvaluations"]
    api_calls.assert_within(ALLOWED)


def test_public_alongside_named_accounts_is_non_compliant(documents, api_calls):
    documents(Mixed_Doc=[])
    # moto drops "all" when named accounts are added (and the reverse); AWS keeps both, as the runbook's page says.
    api_calls.respond("DescribeDocumentPermission", {"AccountIds": [PARTNER, "all"], "AccountSharingInfoList": []})

    assert _by_document(RULE.evaluate(SCHEDULED))["Mixed-Doc"]["ComplianceType"] == "NON_COMPLIANT"


def _paged_shares(name: str):
    """DescribeDocumentPermission for `name` in two pages: a named account, then "all" (moto never pages it)."""

    def hook(model, params, **_kwargs):
        if model.name != "DescribeDocumentPermission" or _body(params["body"]).get("Name") != name:
            return None
        page = (
            {"AccountIds": ["all"]}
            if _body(params["body"]).get("NextToken")
            else {"AccountIds": [PARTNER], "NextToken": "t1"}
        )
        return AWSResponse("https://emulated.invalid", 200, {}, None), {
            **page,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    return hook


def test_every_page_of_shares_is_read(documents, api_calls, before_call_hook):
    documents(Paged_Doc=[])
    before_call_hook(_paged_shares("Paged-Doc"))

    assert _by_document(RULE.evaluate(SCHEDULED))["Paged-Doc"]["ComplianceType"] == "NON_COMPLIANT"
    tokens = [_body(c.params).get("NextToken") for c in api_calls.calls if c.operation == "DescribeDocumentPermission"]
    assert tokens == [None, "t1"]


def test_every_page_of_documents_is_read(documents, api_calls):
    documents(**{f"Doc_{n:03}": [] for n in range(rule.LIST_PAGE_SIZE + 3)})

    result = _by_document(RULE.evaluate(SCHEDULED))

    assert len(result) == rule.LIST_PAGE_SIZE + 3
    assert api_calls.operations.count("ListDocuments") == 2


def test_no_documents_reports_nothing(aws, api_calls):
    api_calls.respond("GetComplianceDetailsByConfigRule", NO_OLD_EVALUATIONS)
    # moto refuses PutEvaluations with an empty Evaluations list (rdklib sends one when there is nothing to report).
    api_calls.respond("PutEvaluations", {"FailedEvaluations": []})

    assert RULE.evaluate(SCHEDULED) == []
    assert "DescribeDocumentPermission" not in api_calls.operations


def _fail_one_document(name: str, code: str):
    def hook(model, params, **_kwargs):
        if model.name == "DescribeDocumentPermission" and _body(params["body"]).get("Name") == name:
            error = {"Error": {"Code": code, "Message": "denied by test"}}
            return AWSResponse("https://emulated.invalid", 400, {}, None), {
                **error,
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
        return None

    return hook


def test_a_document_whose_permission_cannot_be_read_is_non_compliant_and_the_others_evaluated(
    documents, api_calls, before_call_hook
):
    documents(Locked_Doc=[], Public_Doc=["all"], Private_Doc=[])
    before_call_hook(_fail_one_document("Locked-Doc", "AccessDeniedException"))

    result = _by_document(RULE.evaluate(SCHEDULED))

    assert result["Locked-Doc"]["ComplianceType"] == "NON_COMPLIANT"
    assert result["Locked-Doc"]["Annotation"] == (
        "Not evaluated: the share permission of document Locked-Doc could not be read "
        "(DescribeDocumentPermission AccessDeniedException); the next run evaluates it again."
    )
    assert result["Public-Doc"]["ComplianceType"] == "NON_COMPLIANT"
    assert result["Private-Doc"]["ComplianceType"] == "COMPLIANT"


def test_a_document_deleted_since_listed_gets_no_evaluation_of_its_own(documents, api_calls, before_call_hook):
    documents(Gone_Doc=[], Private_Doc=[])
    before_call_hook(_fail_one_document("Gone-Doc", "InvalidDocument"))

    result = _by_document(RULE.evaluate(SCHEDULED))

    assert set(result) == {"Private-Doc"}


def test_throttled_calls_are_retried(documents, api_calls, waits):
    documents(Public_Doc=["all"])
    for operation in ("ListDocuments", "DescribeDocumentPermission"):
        api_calls.fail(operation, code="ThrottlingException", message="Rate exceeded", status=400, times=2)

    assert _by_document(RULE.evaluate(SCHEDULED))["Public-Doc"]["ComplianceType"] == "NON_COMPLIANT"
    assert len(waits) == 4


def test_a_list_that_cannot_be_read_fails_closed_and_reports_nothing(documents, api_calls):
    documents(Public_Doc=["all"])
    api_calls.fail("ListDocuments", code="AccessDeniedException")

    result = RULE.evaluate(SCHEDULED)

    assert result["customerErrorCode"] == "AccessDeniedException"
    assert "PutEvaluations" not in api_calls.operations


def test_old_evaluation_of_a_deleted_document_becomes_not_applicable(documents, api_calls):
    documents(Private_Doc=[])
    old = {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": "ssm-document-not-public",
                "ResourceType": "AWS::SSM::Document",
                "ResourceId": "Deleted-Doc",
            }
        },
        "ComplianceType": "NON_COMPLIANT",
    }
    api_calls.respond("GetComplianceDetailsByConfigRule", {"EvaluationResults": [old]})

    result = _by_document(RULE.evaluate(SCHEDULED))

    assert {name: e["ComplianceType"] for name, e in result.items()} == {
        "Deleted-Doc": "NOT_APPLICABLE",
        "Private-Doc": "COMPLIANT",
    }
