"""Rule ec2_ebs_volume_encryption: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import json

import boto3
import pytest

from config_rules.ec2_ebs_volume_encryption import rule
from tests.config_events import change_event, single_compliance
from tests.conftest import REPO_ROOT, load_example
from tests.framework_requirements import rule_attribute_has

# FSBP EC2.3: attached EBS volumes encrypted at rest; CIS v3.0 2.2.1 "EBS volume encryption is enabled in all
# Regions", as Prowler tests it (every volume encrypted).
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "EC2.3"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::EC2::Volume"),
    ("cis_aws_v3.0", "2.2.1"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::EC2::Volume"),
}

EVENTS = REPO_ROOT / "config_rules" / "ec2_ebs_volume_encryption" / "events"
RULE_IAM = (*rule.IAM_ACTIONS, "config:PutEvaluations")


def _evaluate(event: dict) -> list[dict] | dict:
    return rule.lambda_handler(event, None)


def _item(example: str) -> dict:
    return json.loads(load_example(EVENTS / f"{example}.json")["invokingEvent"])["configurationItem"]


def _event_for(volume_id: str) -> dict:
    """The not_recorded_in_item example (no `encrypted`), about `volume_id`."""
    item = _item("not_recorded_in_item")
    item["resourceId"] = item["resourceName"] = item["configuration"]["volumeId"] = volume_id
    return change_event("ec2-ebs-volume-encryption", item)


@pytest.mark.parametrize(
    ("example", "expected"),
    [("compliant", "COMPLIANT"), ("non_compliant", "NON_COMPLIANT"), ("deleted", "NOT_APPLICABLE")],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = _evaluate(load_example(EVENTS / f"{example}.json"))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == "vol-0123456789abcdef0"
    assert result[0]["ComplianceResourceType"] == "AWS::EC2::Volume"
    # No EC2 call: the configuration item carried the data; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


def test_non_compliant_annotation_says_unencrypted_and_where_attached(api_calls):
    result = _evaluate(load_example(EVENTS / "non_compliant.json"))

    assert result[0]["Annotation"] == (
        "The EBS volume is not encrypted at rest. It is attached to instance i-0123456789abcdef0 as /dev/sdf."
    )


def test_unattached_unencrypted_volume_says_so(api_calls):
    item = _item("non_compliant")
    item["configuration"]["attachments"] = []
    result = _evaluate(change_event("ec2-ebs-volume-encryption", item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"] == "The EBS volume is not encrypted at rest. It is not attached to any instance."


def test_falls_back_to_ec2_when_the_item_lacks_encrypted(api_calls):
    ec2 = boto3.client("ec2")
    plain = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    encrypted = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=True)["VolumeId"]
    api_calls.clear()

    result = _evaluate(_event_for(plain))
    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].endswith("It is not attached to any instance.")

    assert single_compliance(_evaluate(_event_for(encrypted))) == "COMPLIANT"
    assert api_calls.operations == ["DescribeVolumes", "PutEvaluations"] * 2
    api_calls.assert_within(RULE_IAM)


def test_fallback_on_a_volume_that_no_longer_exists_is_not_applicable(api_calls):
    result = _evaluate(_event_for("vol-0000000000000dead"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["DescribeVolumes", "PutEvaluations"]
    api_calls.assert_within(RULE_IAM)


@pytest.mark.parametrize(
    "parameters",
    [{"Encrypted": "true"}, {"KmsKeyId": "alias/aws/ebs"}, {"AssumeRoleMode": "false", "kmsKeyIds": ""}],
)
def test_unknown_rule_parameter_is_a_customer_error_and_evaluates_nothing(api_calls, parameters):
    event = load_example(EVENTS / "non_compliant.json")
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", **parameters})

    result = _evaluate(event)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert "This rule takes none" in result["customerErrorMessage"]
    assert next(name for name in parameters if name != "AssumeRoleMode") in result["customerErrorMessage"]
    assert api_calls.operations == []


def test_access_denied_is_reported_as_such(api_calls):
    api_calls.fail("DescribeVolumes", code="UnauthorizedOperation")
    result = _evaluate(_event_for("vol-0123456789abcdef0"))

    assert result["customerErrorCode"] == "UnauthorizedOperation"
    assert "PutEvaluations" not in api_calls.operations


def test_item_of_another_resource_type_is_not_applicable(api_calls):
    item = _item("non_compliant")
    item["resourceType"] = "AWS::EC2::Instance"
    result = _evaluate(change_event("ec2-ebs-volume-encryption", item))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]
