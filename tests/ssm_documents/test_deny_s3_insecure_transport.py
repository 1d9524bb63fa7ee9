"""Runbook deny_s3_insecure_transport: adds the deny, keeps every statement, refuses what it cannot do safely."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.deny_s3_insecure_transport import script
from tests.conftest import REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "deny_s3_insecure_transport" / "events" / "deny_insecure_transport.json"
)
BUCKET = EVENT["BucketName"]
ARN = f"arn:aws:s3:::{BUCKET}"
READER = {
    "Sid": "ReportingReads",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:role/reporting"},
    "Action": ["s3:GetObject"],
    "Resource": f"{ARN}/*",
}


def _policy(s3) -> dict | None:
    try:
        return json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchBucketPolicy"
        return None


@pytest.fixture
def s3(aws):
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def test_adds_the_deny_and_keeps_every_existing_statement(s3, api_calls):
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [READER]}))
    previous = s3.get_bucket_policy(Bucket=BUCKET)["Policy"]
    api_calls.clear()

    result = script.deny_insecure_transport(dict(EVENT), None)

    policy = _policy(s3)
    assert policy["Statement"] == [READER, script.deny_statement(ARN, script.SID)]
    assert policy["Version"] == "2012-10-17"
    assert result["Changed"] is True
    assert result["PreviousState"] == {"Policy": previous, "DeniesInsecureTransport": False}
    assert json.loads(result["CurrentState"]["Policy"]) == policy
    assert api_calls.mutating == ["PutBucketPolicy"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_bucket_without_a_policy_gets_one_with_the_deny_only(s3, api_calls):
    result = script.deny_insecure_transport(dict(EVENT), None)

    assert _policy(s3) == {"Version": "2012-10-17", "Statement": [script.deny_statement(ARN, script.SID)]}
    assert result["PreviousState"] == {"Policy": "", "DeniesInsecureTransport": False}


def test_a_single_statement_object_is_kept_as_it_is(s3, api_calls):
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": READER}))

    script.deny_insecure_transport(dict(EVENT), None)

    assert _policy(s3)["Statement"] == [READER, script.deny_statement(ARN, script.SID)]


def test_second_run_makes_no_mutating_call(s3, api_calls):
    script.deny_insecure_transport(dict(EVENT), None)
    api_calls.clear()

    result = script.deny_insecure_transport(dict(EVENT), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_compliant_bucket_is_left_alone(s3, api_calls):
    deny = {**script.deny_statement(ARN, script.SID), "Sid": "TeamOwnDeny"}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    api_calls.clear()

    result = script.deny_insecure_transport(dict(EVENT), None)

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"]
    assert _policy(s3)["Statement"] == [deny]
    assert api_calls.mutating == []


def test_a_policy_that_would_exceed_20_kb_is_refused_unchanged(s3, api_calls):
    # Padding inside a statement (S3 accepts up to 20 KB): the policy is just under the limit before the deny.
    resources: list[str] = []
    text = ""
    while len(text) < script.MAX_POLICY_BYTES - 200:
        resources.append(f"{ARN}/{'p' * 60}-{len(resources):04d}/*")
        statement = {**READER, "Resource": resources}
        text = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))
    assert len(text) <= script.MAX_POLICY_BYTES
    s3.put_bucket_policy(Bucket=BUCKET, Policy=text)
    api_calls.clear()

    with pytest.raises(script.PolicyRefused, match="over S3's 20480-byte limit; nothing changed"):
        script.deny_insecure_transport(dict(EVENT), None)

    assert api_calls.mutating == []
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == text


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("{not json", "not JSON"),
        ('{"Version": "2012-10-17"}', "no Statement list"),
        (json.dumps({"Statement": [{**READER, "Sid": script.SID}]}), f"Sid {script.SID} exists"),
    ],
)
def test_a_policy_it_cannot_extend_safely_is_refused_unchanged(s3, api_calls, policy, message):
    # moto stores any text; S3 validates policies on PutBucketPolicy, so unparsable text reaches the runbook only
    # through a stub of GetBucketPolicy (here).
    api_calls.respond("GetBucketPolicy", {"Policy": policy})

    with pytest.raises(script.PolicyRefused, match=message):
        script.deny_insecure_transport(dict(EVENT), None)

    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(s3, api_calls):
    api_calls.fail("PutBucketPolicy", code="AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        script.deny_insecure_transport(dict(EVENT), None)

    assert _policy(s3) is None


def test_missing_bucket_fails_without_any_change(aws, api_calls):
    with pytest.raises(ClientError, match="NoSuchBucket"):
        script.deny_insecure_transport(dict(EVENT), None)
    assert api_calls.mutating == []


def test_missing_bucket_name_is_a_clear_error(aws, api_calls):
    with pytest.raises(ValueError, match="BucketName is required"):
        script.deny_insecure_transport({}, None)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(s3, api_calls):
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [READER]}))
    previous = s3.get_bucket_policy(Bucket=BUCKET)["Policy"]
    api_calls.clear()

    result = script.deny_insecure_transport({**EVENT, "DryRun": True}, None)

    assert api_calls.mutating == []
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == previous
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert json.loads(result["PlannedState"]["Policy"])["Statement"] == [READER, script.deny_statement(ARN, script.SID)]
    assert result["CurrentState"] == result["PreviousState"] == {"Policy": previous, "DeniesInsecureTransport": False}
    assert result["Message"].startswith("Dry run: would add statement RemedyDenyInsecureTransport")
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.deny_insecure_transport({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
