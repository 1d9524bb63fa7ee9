"""Input that cannot misroute: other action targets, out-of-scope status events, ledger keys within DynamoDB's."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest

from prowler_bridge import handler
from prowler_bridge.findings import ledger_key
from tests.conftest import ACCOUNT_ID, REGION
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import EXECUTION_ID, decisions, params_of

PAB = "s3_bucket_level_public_access_block"
OURS = asff.CUSTOM_ACTION_ARN


def _custom_action(resources: list, **envelope) -> dict:
    event = asff.custom_action_event(asff.prowler_finding(PAB, asff.bucket_arn()))
    return {**event, "resources": resources, **envelope}


FOREIGN_ACTIONS = {
    "another deployment's action": [OURS.replace("RemedyRemediate", "OtherRemediate")],
    "another account's action": [OURS.replace(ACCOUNT_ID, asff.OTHER_ACCOUNT_ID)],
    "another region's action": [OURS.replace(REGION, "eu-west-1")],
    "another partition": [OURS.replace("arn:aws:", "arn:aws-cn:")],
    "ours and another": [OURS, OURS.replace("RemedyRemediate", "OtherRemediate")],
    "no action target": [],
    "the action name only": ["RemedyRemediate"],
}


@pytest.mark.parametrize("case", FOREIGN_ACTIONS, ids=list(FOREIGN_ACTIONS))
def test_custom_action_of_another_action_target_is_refused_before_any_call(bridge, case):
    with pytest.raises(ValueError, match="action target"):
        handler.lambda_handler(_custom_action(FOREIGN_ACTIONS[case]), None)
    assert bridge.calls.calls == []


def test_custom_action_forwarded_from_another_account_is_refused(bridge):
    event = _custom_action(
        [OURS.replace(ACCOUNT_ID, asff.OTHER_ACCOUNT_ID)], account=asff.OTHER_ACCOUNT_ID
    )  # a member account's own "Remediate", sent to our bus
    with pytest.raises(ValueError, match="not the bridge's own"):
        handler.lambda_handler(event, None)
    assert bridge.calls.mutating == []


def test_action_targets_account_comes_from_the_lambda_context_without_sts(bridge):
    context = SimpleNamespace(invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:remedy-bridge")
    assert handler._own_account(context) == ACCOUNT_ID
    assert bridge.calls.calls == []
    handler.lambda_handler(_custom_action([OURS]), context)
    assert len(params_of(bridge.calls, "StartAutomationExecution")) == 1


@pytest.mark.parametrize(
    ("envelope", "env", "reason"),
    [
        ({"region": "eu-west-1"}, {}, "region_out_of_scope"),
        ({"account": asff.OTHER_ACCOUNT_ID}, {}, "account_out_of_scope"),
        ({"account": asff.OTHER_ACCOUNT_ID}, {"ALLOWED_ACCOUNTS": ACCOUNT_ID}, "account_out_of_scope"),
    ],
)
def test_status_events_of_accounts_or_regions_out_of_scope_change_nothing(
    bridge, capsys, monkeypatch, envelope, env, reason
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    event = {**asff.status_event(EXECUTION_ID, "Remedy-EnableS3BucketPublicAccessBlock", "Failed"), **envelope}
    handler.lambda_handler(event, None)
    assert bridge.calls.mutating == []
    assert {c.operation for c in bridge.calls.calls} <= {"GetCallerIdentity"}
    (line,) = decisions(capsys)
    assert (line["decision"], line["reason"]) == ("skipped", reason)


@pytest.mark.parametrize(
    "finding_id",
    ["f" * 5000, "prowler-\u00e9\u6f22\u5b57-finding", "sha256:" + "0" * 64, "tab\there"],
    ids=["long", "multibyte", "looks hashed", "control character"],
)
def test_long_or_non_ascii_finding_ids_are_keyed_by_their_digest(bridge, capsys, finding_id):
    finding = {**asff.prowler_finding(PAB, asff.bucket_arn()), "Id": finding_id}
    handler.lambda_handler(asff.imported_event(finding), None)
    handler.lambda_handler(asff.imported_event(finding), None)  # Prowler re-imports the same Id

    digest = "sha256:" + hashlib.sha256(finding_id.encode()).hexdigest()
    claim = params_of(bridge.calls, "TransactWriteItems")[0]["TransactItems"][0]["Put"]
    assert claim["Item"]["pk"] == {"S": f"finding#{digest}"}
    assert len(claim["Item"]["pk"]["S"].encode()) <= 2048
    (update,) = params_of(bridge.calls, "BatchUpdateFindings")  # Security Hub is told the finding's own Id
    assert update["FindingIdentifiers"][0]["Id"] == finding_id
    assert [line.get("reason") for line in decisions(capsys)] == [None, "duplicate"]


def test_ordinary_finding_ids_are_their_own_key():
    assert ledger_key("prowler-s3-123456789012-us-east-1-abc") == "prowler-s3-123456789012-us-east-1-abc"
    assert ledger_key("x" * 1025) == ledger_key("x" * 1025) != ledger_key("x" * 1026)
