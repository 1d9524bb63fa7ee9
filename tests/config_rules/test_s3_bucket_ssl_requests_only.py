"""Rule s3_bucket_ssl_requests_only: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import json

import boto3
import pytest

from config_rules.s3_bucket_ssl_requests_only import rule
from ssm_documents.deny_s3_insecure_transport import script
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.framework_requirements import both, rule_attribute_has


def _denies_over_plain_http(_params: dict, rule_module: object) -> bool:
    return rule_module.SECURE_TRANSPORT_CONDITION == {"Bool": {"aws:SecureTransport": "false"}}


# CIS v3.0 2.1.1 "Ensure S3 Bucket Policy is set to deny HTTP requests"; FSBP S3.5 "S3 general purpose buckets
# should require requests to use SSL" (a policy statement denying s3:* when aws:SecureTransport is false).
FRAMEWORK_REQUIREMENTS = {
    ("cis_aws_v3.0", "2.1.1"): both(rule_attribute_has("DENIED_ACTIONS", "s3:*"), _denies_over_plain_http),
    ("aws_fsbp", "S3.5"): both(rule_attribute_has("DENIED_ACTIONS", "s3:*"), _denies_over_plain_http),
}

RULE = RuleExamples(rule)
BUCKET = "example-bucket"
ARN = f"arn:aws:s3:::{BUCKET}"
DENY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [ARN, f"{ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def _with_policy(policy: object) -> dict:
    item = RULE.item("compliant")
    text = policy if isinstance(policy, str) or policy is None else json.dumps(policy)
    item["supplementaryConfiguration"] = {"BucketPolicy": {"policyText": text}}
    return RULE.change_event(item)


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("compliant", "COMPLIANT"),
        ("non_compliant", "NON_COMPLIANT"),
        ("no_policy", "NON_COMPLIANT"),
        ("deleted", "NOT_APPLICABLE"),
    ],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == BUCKET
    assert api_calls.operations == ["PutEvaluations"]


def test_annotations_say_why(api_calls):
    assert "no bucket policy" in RULE.evaluate(RULE.event("no_policy"))[0]["Annotation"]
    assert "no statement denying s3:*" in RULE.evaluate(RULE.event("non_compliant"))[0]["Annotation"]


def _variant(**changes: object) -> dict:
    statement = {**DENY, **changes}
    return {"Version": "2012-10-17", "Statement": [{k: v for k, v in statement.items() if v is not None}]}


# Each deny that misses part of what AWS documents leaves some HTTP requests allowed.
WEAKER = {
    "allow_not_deny": _variant(Effect="Allow"),
    "one_principal": _variant(Principal={"AWS": "arn:aws:iam::123456789012:root"}),
    "put_object_only": _variant(Action="s3:PutObject"),
    "objects_only": _variant(Resource=f"{ARN}/*"),
    "bucket_only": _variant(Resource=ARN),
    "a_prefix_only": _variant(Resource=[ARN, f"{ARN}/exports/*"]),
    "another_bucket": _variant(Resource=["arn:aws:s3:::other", "arn:aws:s3:::other/*"]),
    "secure_transport_true": _variant(Condition={"Bool": {"aws:SecureTransport": "true"}}),
    "narrowed_by_ip": _variant(
        Condition={"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    ),
    "no_condition": _variant(Condition=None),
}
# Equivalent spellings of the documented statement.
EQUIVALENT = {
    "documented": _variant(),
    "single_statement_object": {"Version": "2012-10-17", "Statement": DENY},
    "any_action": _variant(Action=["*"]),
    "aws_star_principal": _variant(Principal={"AWS": ["*"]}),
    "wildcard_resource": _variant(Resource="*"),
    "bucket_wildcard": _variant(Resource=f"{ARN}*"),
    "list_condition_value": _variant(Condition={"Bool": {"aws:SecureTransport": ["false"]}}),
}


@pytest.mark.parametrize("name", WEAKER)
def test_a_weaker_deny_is_non_compliant(api_calls, name):
    assert single_compliance(RULE.evaluate(_with_policy(WEAKER[name]))) == "NON_COMPLIANT"


@pytest.mark.parametrize("name", EQUIVALENT)
def test_equivalent_spellings_are_compliant(api_calls, name):
    assert single_compliance(RULE.evaluate(_with_policy(EQUIVALENT[name]))) == "COMPLIANT"


@pytest.mark.parametrize("policy", [*WEAKER.values(), *EQUIVALENT.values()])
def test_the_runbook_judges_a_policy_as_the_rule_does(policy):
    text = json.dumps(policy)
    assert (script.extended_policy(text, ARN) is None) is rule.denies_insecure_transport(text, BUCKET)


@pytest.mark.parametrize(
    ("policy_text", "named"),
    [("{not json", "is not JSON"), ('["a list"]', "is not a policy"), ('{"Version": "2012-10-17"}', "Statement")],
)
def test_unreadable_policy_text_fails_closed_naming_it(api_calls, policy_text, named):
    result = RULE.evaluate(_with_policy(policy_text))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert rule.POLICY_PATH in result[0]["Annotation"] and named in result[0]["Annotation"]


def test_policy_text_of_another_type_fails_closed(api_calls):
    item = RULE.item("compliant")
    item["supplementaryConfiguration"] = {"BucketPolicy": {"policyText": 7}}
    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert rule.POLICY_PATH in result[0]["Annotation"]


def test_history_item_with_json_string_supplementary_is_read(api_calls):
    item = RULE.item("compliant")
    history = history_item(item)
    assert isinstance(history["supplementaryConfiguration"]["BucketPolicy"], str)
    item["supplementaryConfiguration"] = history["supplementaryConfiguration"]

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "COMPLIANT"


def test_falls_back_to_s3_when_the_item_lacks_the_policy(api_calls):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    event = RULE.event("not_recorded_in_item")

    assert single_compliance(RULE.evaluate(event)) == "NON_COMPLIANT"

    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(_variant()))
    api_calls.clear()
    assert single_compliance(RULE.evaluate(event)) == "COMPLIANT"
    assert api_calls.operations == ["GetBucketPolicy", "PutEvaluations"]
    api_calls.assert_within((*rule.IAM_ACTIONS, "config:PutEvaluations"))


def test_access_denied_is_reported_as_such(api_calls):
    api_calls.fail("GetBucketPolicy", code="AccessDenied")
    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert result["customerErrorCode"] == "AccessDenied"
    assert "PutEvaluations" not in api_calls.operations
