"""AWS Config rule: SSM documents owned by the account are not public (FSBP SSM.4).

Prowler's check: ssm_documents_set_as_public (it lists the account's documents, ListDocuments with Owner Self, and
reads DescribeDocumentPermission with PermissionType Share; AccountIds ["all"] fails).

Periodic: the configuration item of an AWS::SSM::Document does not record its sharing (AWS Config's resource schema,
AWS::SSM::Document.properties.json, has no permission field), and sharing a document changes no item, so a change
trigger would never see it; AWS Config's own managed rule ssm-document-not-public is periodic too
(https://docs.aws.amazon.com/config/latest/developerguide/ssm-document-not-public.html). The rule lists the documents
the account owns (ssm:ListDocuments, Owner Self, 50 a page) and reads each one's share permission
(ssm:DescribeDocumentPermission, PermissionType Share): "If you share a document publicly, you must specify All as
the account ID" (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ModifyDocumentPermission.html),
so a document whose AccountIds hold "all" is NON_COMPLIANT. Sharing with named accounts is COMPLIANT: SSM.4 asks
only that documents not be public. A document whose permission cannot be read is NON_COMPLIANT with the error in the
annotation; the others are evaluated. A list that cannot be read fails the invocation: nothing is reported
COMPLIANT without data. Documents deleted since the last run are reported NOT_APPLICABLE by rdklib's clean-up of
old evaluations (config:GetComplianceDetailsByConfigRule).
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, Retrier, error_code, handle

APPLICABLE_RESOURCES = ["AWS::SSM::Document"]
RESOURCE_TYPE = "AWS::SSM::Document"
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations). rdklib's clean-up of
# evaluations of deleted documents calls config:GetComplianceDetailsByConfigRule.
IAM_ACTIONS = (
    "ssm:ListDocuments",
    "ssm:DescribeDocumentPermission",
    "config:GetComplianceDetailsByConfigRule",
)
# The account id that makes a document public.
PUBLIC = "all"
# ListDocuments MaxResults accepts 1..50
# (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListDocuments.html).
LIST_PAGE_SIZE = 50
# DescribeDocumentPermission's error for a document that does not exist (deleted since it was listed).
MISSING_DOCUMENT_CODES = ("InvalidDocument",)


def _documents(ssm: object, retrier: Retrier) -> list[str]:
    """The names of the documents this account owns in the region."""
    names, token = [], None
    while True:
        kwargs = {"Filters": [{"Key": "Owner", "Values": ["Self"]}], "MaxResults": LIST_PAGE_SIZE}
        page = retrier.call(ssm.list_documents, **kwargs, **({"NextToken": token} if token else {}))
        names.extend(document["Name"] for document in page.get("DocumentIdentifiers", []))
        token = page.get("NextToken")
        if not token:
            return names


def shared_with(ssm: object, retrier: Retrier, name: str) -> list[str]:
    """The account ids (or "all") the document is shared with."""
    accounts, token = [], None
    while True:
        kwargs = {"Name": name, "PermissionType": "Share", **({"NextToken": token} if token else {})}
        page = retrier.call(ssm.describe_document_permission, **kwargs)
        accounts.extend(page.get("AccountIds") or [])
        token = page.get("NextToken")
        if not token:
            return accounts


def _evaluation(name: str, compliance: str, annotation: str) -> Evaluation:
    return Evaluation(compliance, resourceId=name, resourceType=RESOURCE_TYPE, annotation=annotation[:256])


def _evaluate_document(name: str, accounts: list[str]) -> Evaluation:
    if any(str(account).lower() == PUBLIC for account in accounts):
        return _evaluation(name, ComplianceType.NON_COMPLIANT, f"Document {name} is shared publicly (all accounts).")
    shown = f"shared with {len(accounts)} named account(s)" if accounts else "not shared"
    return _evaluation(name, ComplianceType.COMPLIANT, f"Document {name} is not public ({shown}).")


class SsmDocumentNotPublic(ParameterlessRule):
    """NON_COMPLIANT for each document of the account shared with all AWS accounts."""

    def evaluate_periodic(self, event: dict, client_factory: object, valid_rule_parameters: dict) -> list[Evaluation]:
        ssm = client_factory.build_client("ssm")
        retrier = Retrier()
        evaluations = []
        for name in _documents(ssm, retrier):
            try:
                accounts = shared_with(ssm, retrier, name)
            except botocore.exceptions.ClientError as error:
                if error_code(error) in MISSING_DOCUMENT_CODES:
                    continue  # deleted since listed: rdklib's clean-up marks it NOT_APPLICABLE
                annotation = (
                    f"Not evaluated: the share permission of document {name} could not be read "
                    f"(DescribeDocumentPermission {error_code(error)}); the next run evaluates it again."
                )
                evaluations.append(_evaluation(name, ComplianceType.NON_COMPLIANT, annotation))
                continue
            evaluations.append(_evaluate_document(name, accounts))
        return evaluations


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(SsmDocumentNotPublic(), APPLICABLE_RESOURCES, event, context)
