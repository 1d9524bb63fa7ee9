"""Runbook enable_cloudtrail_log_file_validation: fixes, is idempotent, refuses trails it must not change.

moto's UpdateTrail outside a trail's home Region answers TrailNotFoundException (AWS: InvalidHomeRegionException);
the runbook refuses such a trail itself from GetTrail's answer, before any change, so the tests set that answer.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ssm_documents.enable_cloudtrail_log_file_validation import script
from tests.conftest import ACCOUNT_ID, REGION, REPO_ROOT, load_example

EVENT = load_example(
    REPO_ROOT / "ssm_documents" / "enable_cloudtrail_log_file_validation" / "events" / "enable_log_file_validation.json"
)
NAME = EVENT["TrailName"]
ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_ID}:trail/{NAME}"


@pytest.fixture
def cloudtrail(aws):
    boto3.client("s3").create_bucket(Bucket="trail-logs")
    client = boto3.client("cloudtrail")
    client.create_trail(Name=NAME, S3BucketName="trail-logs", IsMultiRegionTrail=True)
    return client


def _validation(cloudtrail) -> bool:
    return cloudtrail.get_trail(Name=NAME)["Trail"]["LogFileValidationEnabled"]


def _run(**extra: object) -> dict:
    return script.enable_log_file_validation({**EVENT, **extra}, None)


def test_turns_validation_on_and_records_the_previous_setting(cloudtrail, api_calls):
    result = _run()

    assert _validation(cloudtrail) is True
    assert (result["Changed"], result["TrailARN"]) == (True, ARN)
    assert result["PreviousState"] == {"LogFileValidationEnabled": False}
    assert result["CurrentState"] == result["PlannedState"] == {"LogFileValidationEnabled": True}
    assert api_calls.mutating == ["UpdateTrail"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_a_trail_arn_is_accepted_too(cloudtrail, api_calls):
    assert _run(TrailName=ARN)["Changed"] is True
    assert _validation(cloudtrail) is True


def test_second_run_makes_no_mutating_call(cloudtrail, api_calls):
    _run()
    api_calls.clear()

    result = _run()

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert api_calls.mutating == []


def test_compliant_trail_is_left_alone(cloudtrail, api_calls):
    cloudtrail.update_trail(Name=NAME, EnableLogFileValidation=True)
    api_calls.clear()

    result = _run()

    assert result["Changed"] is False
    assert result["PreviousState"] == result["CurrentState"] == {"LogFileValidationEnabled": True}
    assert api_calls.mutating == []


def _answer_get_trail(api_calls, **trail: object) -> None:
    api_calls.respond(
        "GetTrail",
        {"Trail": {"Name": NAME, "TrailARN": ARN, "HomeRegion": REGION, "LogFileValidationEnabled": False, **trail}},
    )


def test_an_organization_trail_of_another_account_is_refused(cloudtrail, api_calls):
    other = f"arn:aws:cloudtrail:{REGION}:111111111111:trail/organization-trail"
    _answer_get_trail(api_calls, TrailARN=other, IsOrganizationTrail=True)

    with pytest.raises(ValueError, match=r"belongs to account 111111111111 .*nothing changed"):
        _run()
    assert api_calls.mutating == []


def test_a_trail_of_another_home_region_is_refused(cloudtrail, api_calls):
    shadow = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT_ID}:trail/{NAME}"
    _answer_get_trail(api_calls, TrailARN=shadow, HomeRegion="eu-west-1")

    with pytest.raises(ValueError, match="home Region eu-west-1: run this runbook there; nothing changed"):
        _run()
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(cloudtrail, api_calls):
    api_calls.fail("UpdateTrail", code="AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDeniedException"):
        _run()
    assert _validation(cloudtrail) is False


def test_missing_trail_fails_without_any_change(aws, api_calls):
    with pytest.raises(ClientError, match="TrailNotFoundException"):
        _run()
    assert api_calls.mutating == []


@pytest.mark.parametrize("name", [None, "", "ab", "my--trail", "192.168.5.4", "-trail", "arn:aws:s3:::bucket"])
def test_anything_but_a_trail_name_or_arn_is_refused_before_any_call(aws, api_calls, name):
    with pytest.raises(ValueError, match="TrailName must be a CloudTrail trail name or trail ARN"):
        _run(TrailName=name)
    assert api_calls.operations == []


def test_dry_run_returns_the_plan_and_changes_nothing(cloudtrail, api_calls):
    result = _run(DryRun=True)

    assert api_calls.mutating == []
    assert _validation(cloudtrail) is False
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert result["PreviousState"] == result["CurrentState"] == {"LogFileValidationEnabled": False}
    assert result["PlannedState"] == {"LogFileValidationEnabled": True}
    assert result["Message"] == f"Dry run: would turn on log file validation of trail {ARN}; nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        _run(DryRun="yes")
    assert api_calls.operations == []
