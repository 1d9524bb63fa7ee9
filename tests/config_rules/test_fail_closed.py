"""Every change-triggered rule fails closed: a configuration item it cannot read is never COMPLIANT.

Strictly typed fields (a string "false" where AWS Config records a JSON boolean is named in a NON_COMPLIANT
annotation), oversized items read with GetResourceConfigHistory (throttling retried with backoff; denied,
empty or still throttled: NON_COMPLIANT naming the failure), and an item naming no resource: RuleEvaluationError.
"""

from __future__ import annotations

import copy
import json
from types import ModuleType

import pytest
import rule_support

from config_rules.ec2_ebs_volume_encryption import rule as ebs_rule
from config_rules.s3_bucket_kms_encryption import rule as kms_rule
from config_rules.s3_bucket_level_public_access_block import rule as pab_rule
from tests.config_events import history_item, single_compliance
from tests.conftest import REPO_ROOT, load_example

PAB = "supplementaryConfiguration.PublicAccessBlockConfiguration"
SSE = "supplementaryConfiguration.ServerSideEncryptionConfiguration"
SSE_DEFAULT = f"{SSE}.rules[0].applyServerSideEncryptionByDefault"
RULES: dict[str, ModuleType] = {
    "ec2_ebs_volume_encryption": ebs_rule,
    "s3_bucket_kms_encryption": kms_rule,
    "s3_bucket_level_public_access_block": pab_rule,
}


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(rule_support, "sleep", slept.append)
    return slept


def _example(rule: str, name: str) -> dict:
    return load_example(REPO_ROOT / "config_rules" / rule / "events" / f"{name}.json")


def _with_item(event: dict, change) -> dict:
    """`event` with its configuration item changed in place by `change(item)`."""
    invoking = json.loads(event["invokingEvent"])
    change(invoking["configurationItem"])
    return {**event, "invokingEvent": json.dumps(invoking)}


def _set(path: str, value: object):
    """A change setting the dotted `path` (a [0] index allowed) of the item to `value`."""

    def change(item: dict) -> None:
        node: object = item
        keys = path.replace("[0]", ".0").split(".")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value

    return change


@pytest.mark.parametrize(
    ("rule", "example", "path", "value", "named"),
    [
        ("ec2_ebs_volume_encryption", "compliant", "configuration.encrypted", "true", "configuration.encrypted"),
        ("ec2_ebs_volume_encryption", "compliant", "configuration.encrypted", "false", "configuration.encrypted"),
        ("ec2_ebs_volume_encryption", "compliant", "configuration.encrypted", 1, "configuration.encrypted"),
        ("ec2_ebs_volume_encryption", "compliant", "configuration", "not json", "configuration"),
        ("ec2_ebs_volume_encryption", "compliant", "configuration", [], "configuration"),
        ("s3_bucket_level_public_access_block", "compliant", f"{PAB}.ignorePublicAcls", "false", PAB),
        ("s3_bucket_level_public_access_block", "compliant", f"{PAB}.ignorePublicAcls", "true", PAB),
        ("s3_bucket_level_public_access_block", "compliant", f"{PAB}.blockPublicAcls", 1, PAB),
        ("s3_bucket_level_public_access_block", "compliant", PAB, "[true, true, true, true]", PAB),
        ("s3_bucket_level_public_access_block", "compliant", PAB, "{not json", PAB),
        ("s3_bucket_level_public_access_block", "compliant", "supplementaryConfiguration", 7, "supplementary"),
        ("s3_bucket_kms_encryption", "compliant", f"{SSE_DEFAULT}.sseAlgorithm", ["aws:kms"], "sseAlgorithm"),
        ("s3_bucket_kms_encryption", "compliant", f"{SSE_DEFAULT}.kmsMasterKeyID", 5, "kmsMasterKeyID"),
        ("s3_bucket_kms_encryption", "compliant", f"{SSE}.rules", "aws:kms", f"{SSE}.rules"),
        ("s3_bucket_kms_encryption", "compliant", f"{SSE}.rules[0]", "aws:kms", f"{SSE}.rules[0]"),
        ("s3_bucket_kms_encryption", "compliant", SSE, "aws:kms", SSE),
    ],
)
def test_a_field_of_an_unexpected_type_is_non_compliant_naming_it(api_calls, rule, example, path, value, named):
    event = _with_item(_example(rule, example), _set(path, value))

    result = RULES[rule].lambda_handler(event, None)

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith("Not evaluated: configuration item field ")
    assert named in result[0]["Annotation"]
    assert api_calls.operations == ["PutEvaluations"]  # nothing else asked: the item was there, just unreadable


def test_a_missing_block_public_access_setting_is_named(api_calls):
    event = _with_item(
        _example("s3_bucket_level_public_access_block", "compliant"),
        lambda item: item["supplementaryConfiguration"]["PublicAccessBlockConfiguration"].pop("restrictPublicBuckets"),
    )

    result = pab_rule.lambda_handler(event, None)

    assert result[0]["Annotation"] == (
        f"Not evaluated: configuration item field {PAB}.restrictPublicBuckets is missing."
    )


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        ("s3_bucket_level_public_access_block", "PublicAccessBlockConfiguration"),
        ("s3_bucket_kms_encryption", "ServerSideEncryptionConfiguration"),
    ],
)
@pytest.mark.parametrize("example", ["compliant", "non_compliant"])
def test_a_supplementary_setting_given_as_a_json_string_is_read_as_the_object(api_calls, rule, key, example):
    """GetResourceConfigHistory serialises supplementary values as JSON strings; the result is the same."""
    event = _example(rule, example)
    stringified = _with_item(
        event,
        lambda item: item["supplementaryConfiguration"].update(
            {key: json.dumps(item["supplementaryConfiguration"][key])}
        ),
    )

    assert RULES[rule].lambda_handler(stringified, None) == RULES[rule].lambda_handler(event, None)


# Oversized configuration items ---------------------------------------------------------------------------------
def _history_item(rule: str, example: str) -> dict:
    """The example's item as GetResourceConfigHistory returns it."""
    return history_item(json.loads(_example(rule, example)["invokingEvent"])["configurationItem"])


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("example", ["compliant", "non_compliant"])
def test_an_oversized_item_is_read_from_the_configuration_history(api_calls, rule, example):
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [_history_item(rule, example)]})

    result = RULES[rule].lambda_handler(_example(rule, "oversized"), None)

    assert result == RULES[rule].lambda_handler(_example(rule, example), None)
    history = api_calls.calls[0]
    assert history.operation == "GetResourceConfigHistory"
    assert json.loads(history.params) == {
        "resourceType": RULES[rule].APPLICABLE_RESOURCES[0],
        "resourceId": result[0]["ComplianceResourceId"],
        "limit": 1,
    }
    api_calls.assert_within(("config:GetResourceConfigHistory", "config:PutEvaluations"))


@pytest.mark.parametrize("rule", RULES)
def test_a_throttled_history_lookup_is_retried_with_backoff(api_calls, waits, rule):
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [_history_item(rule, "compliant")]})
    api_calls.fail("GetResourceConfigHistory", code="ThrottlingException", status=400, times=3)

    assert single_compliance(RULES[rule].lambda_handler(_example(rule, "oversized"), None)) == "COMPLIANT"
    assert api_calls.operations == ["GetResourceConfigHistory"] * 4 + ["PutEvaluations"]
    assert len(waits) == 3
    assert waits[0] < waits[2]  # exponential: 0.25-0.5 s, then 1-2 s by the third retry


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    ("failure", "calls", "named"),
    [
        ({"code": "ThrottlingException", "status": 400}, rule_support.RETRY_ATTEMPTS, "failed: ThrottlingException"),
        ({"code": "AccessDeniedException", "status": 400}, 1, "failed: AccessDeniedException"),
        ({"code": "ResourceNotDiscoveredException", "status": 400}, 1, "failed: ResourceNotDiscoveredException"),
        (None, 1, "returned no configuration item"),
    ],
)
def test_an_oversized_item_that_cannot_be_read_is_non_compliant_naming_why(api_calls, rule, failure, calls, named):
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": []})
    if failure:
        api_calls.fail("GetResourceConfigHistory", **failure)

    result = RULES[rule].lambda_handler(_example(rule, "oversized"), None)

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"] == (
        f"Not evaluated: the oversized configuration item could not be read (GetResourceConfigHistory {named})."
    )
    assert result[0]["ComplianceResourceType"] == RULES[rule].APPLICABLE_RESOURCES[0]
    assert api_calls.operations == ["GetResourceConfigHistory"] * calls + ["PutEvaluations"]


@pytest.mark.parametrize("rule", RULES)
def test_an_oversized_item_of_a_deleted_resource_is_not_applicable_without_a_lookup(api_calls, rule):
    event = _example(rule, "oversized")
    invoking = json.loads(event["invokingEvent"])
    invoking["configurationItemSummary"]["configurationItemStatus"] = "ResourceDeleted"

    result = RULES[rule].lambda_handler({**event, "invokingEvent": json.dumps(invoking)}, None)

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


# The envelope -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("key", ["resourceId", "resourceType", "configurationItemCaptureTime"])
@pytest.mark.parametrize("value", [None, "", 5])
def test_an_item_naming_no_resource_fails_the_invocation_naming_the_field(api_calls, rule, key, value):
    event = _with_item(_example(rule, "compliant"), _set(key, value))

    with pytest.raises(rule_support.RuleEvaluationError, match=key):
        RULES[rule].lambda_handler(event, None)

    assert api_calls.operations == []


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("parameters", [{"AssumeRoleMode": False}, {"AssumeRoleMode": "false", "X": {"a": 1}}])
def test_a_parameter_that_is_not_a_string_is_a_customer_error(api_calls, rule, parameters):
    event = copy.deepcopy(_example(rule, "compliant"))
    event["ruleParameters"] = json.dumps(parameters)

    result = RULES[rule].lambda_handler(event, None)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert "must be a string" in result["customerErrorMessage"]
    assert api_calls.operations == []
