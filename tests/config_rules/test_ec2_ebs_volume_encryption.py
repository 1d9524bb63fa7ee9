"""Rule ec2_ebs_volume_encryption: outcomes per configuration item, and the API calls made."""

from __future__ import annotations

import boto3
import pytest

from config_rules.ec2_ebs_volume_encryption import rule
from tests.config_events import RuleExamples, single_compliance
from tests.framework_requirements import rule_attribute_has

# FSBP EC2.3: attached EBS volumes encrypted at rest; CIS v3.0 2.2.1 "EBS volume encryption is enabled in all
# Regions", as Prowler tests it (every volume encrypted).
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "EC2.3"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::EC2::Volume"),
    ("cis_aws_v3.0", "2.2.1"): rule_attribute_has("APPLICABLE_RESOURCES", "AWS::EC2::Volume"),
}

RULE = RuleExamples(rule)
RULE_IAM = (*rule.IAM_ACTIONS, "config:PutEvaluations")


def _event_for(volume_id: str) -> dict:
    """The not_recorded_in_item example (no `encrypted`), about `volume_id`."""
    item = RULE.item("not_recorded_in_item")
    item["resourceId"] = item["resourceName"] = item["configuration"]["volumeId"] = volume_id
    return RULE.change_event(item)


@pytest.mark.parametrize(
    ("example", "expected"),
    [("compliant", "COMPLIANT"), ("non_compliant", "NON_COMPLIANT"), ("deleted", "NOT_APPLICABLE")],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == "vol-0123456789abcdef0"
    assert result[0]["ComplianceResourceType"] == "AWS::EC2::Volume"
    # No EC2 call: the configuration item carried the data; only the evaluation is reported.
    assert api_calls.operations == ["PutEvaluations"]


def test_non_compliant_annotation_says_unencrypted_and_where_attached(api_calls):
    result = RULE.evaluate(RULE.event("non_compliant"))

    assert result[0]["Annotation"] == (
        "The EBS volume is not encrypted at rest. It is attached to instance i-0123456789abcdef0 as /dev/sdf."
    )


def test_unattached_unencrypted_volume_says_so(api_calls):
    item = RULE.item("non_compliant")
    item["configuration"]["attachments"] = []
    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"] == "The EBS volume is not encrypted at rest. It is not attached to any instance."


def test_falls_back_to_ec2_when_the_item_lacks_encrypted(api_calls):
    ec2 = boto3.client("ec2")
    plain = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    encrypted = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=True)["VolumeId"]
    api_calls.clear()

    result = RULE.evaluate(_event_for(plain))
    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].endswith("It is not attached to any instance.")

    assert single_compliance(RULE.evaluate(_event_for(encrypted))) == "COMPLIANT"
    assert api_calls.operations == ["DescribeVolumes", "PutEvaluations"] * 2
    api_calls.assert_within(RULE_IAM)


def test_fallback_on_a_volume_that_no_longer_exists_is_not_applicable(api_calls):
    result = RULE.evaluate(_event_for("vol-0000000000000dead"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["DescribeVolumes", "PutEvaluations"]
    api_calls.assert_within(RULE_IAM)


def test_access_denied_is_reported_as_such(api_calls):
    api_calls.fail("DescribeVolumes", code="UnauthorizedOperation")
    result = RULE.evaluate(_event_for("vol-0123456789abcdef0"))

    assert result["customerErrorCode"] == "UnauthorizedOperation"
    assert "PutEvaluations" not in api_calls.operations
