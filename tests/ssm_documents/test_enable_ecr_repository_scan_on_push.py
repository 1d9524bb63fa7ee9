"""Runbook enable_ecr_repository_scan_on_push: turns scan on push on for one repository, records the registry's scan
type, is idempotent, refuses anything but a repository name, dry run."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.ecr_repository.simulation import create_repository
from ssm_documents.enable_ecr_repository_scan_on_push import script
from tests.conftest import REGION, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "enable_ecr_repository_scan_on_push"
EVENT = load_example(RUNBOOK / "events" / "enable_ecr_repository_scan_on_push.json")
NAME = EVENT["RepositoryName"]
OFF, ON = {"ScanOnPush": False}, {"ScanOnPush": True}


@pytest.fixture
def ecr(aws):
    create_repository(REGION, NAME, scan_on_push=False)
    create_repository(REGION, "customer-portal", scan_on_push=False)
    return boto3.client("ecr")


def _scan_on_push(client, name: str = NAME) -> bool:
    return client.describe_repositories(repositoryNames=[name])["repositories"][0]["imageScanningConfiguration"][
        "scanOnPush"
    ]


def test_turns_scan_on_push_on_for_that_repository_only(ecr, api_calls):
    api_calls.clear()

    result = script.enable_scan_on_push(dict(EVENT), None)

    assert _scan_on_push(ecr) is True
    assert _scan_on_push(ecr, "customer-portal") is False
    assert (result["Changed"], result["PreviousState"], result["CurrentState"]) == (True, OFF, ON)
    assert result["RegistryScanType"] == "BASIC"
    assert api_calls.mutating == ["PutImageScanningConfiguration"]
    api_calls.assert_within(script.IAM_ACTIONS)


def test_a_namespaced_repository_is_fixed(aws, api_calls):
    create_repository(REGION, "claims/batch-worker", scan_on_push=False)

    result = script.enable_scan_on_push({**EVENT, "RepositoryName": "claims/batch-worker"}, None)

    assert result["Changed"] is True
    assert _scan_on_push(boto3.client("ecr"), "claims/batch-worker") is True


def test_second_run_makes_no_mutating_call(ecr, api_calls):
    script.enable_scan_on_push(dict(EVENT), None)
    api_calls.clear()

    result = script.enable_scan_on_push(dict(EVENT), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert result["PreviousState"] == result["CurrentState"] == ON
    assert api_calls.mutating == []


def test_enhanced_registry_scanning_is_recorded_and_the_setting_still_set(ecr, api_calls):
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )

    result = script.enable_scan_on_push(dict(EVENT), None)

    assert result["RegistryScanType"] == "ENHANCED"
    assert result["Message"].endswith("its scanning rules, not this setting, decide what is scanned.")
    assert _scan_on_push(ecr) is True


@pytest.mark.parametrize(
    "name",
    [None, "", "a", "Payments", f"arn:aws:ecr:{REGION}:123456789012:repository/{NAME}", "payments//api", "x" * 257],
)
def test_anything_but_a_repository_name_is_refused_before_any_call(aws, api_calls, name):
    with pytest.raises(ValueError, match="RepositoryName must be an ECR repository name"):
        script.enable_scan_on_push({**EVENT, "RepositoryName": name}, None)
    assert api_calls.operations == []


def test_a_missing_repository_fails_without_any_change(aws, api_calls):
    with pytest.raises(ClientError, match="RepositoryNotFoundException"):
        script.enable_scan_on_push(dict(EVENT), None)
    assert api_calls.mutating == []


def test_aws_error_fails_the_step_and_changes_nothing(ecr, api_calls):
    api_calls.fail("PutImageScanningConfiguration", code="AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDeniedException"):
        script.enable_scan_on_push(dict(EVENT), None)

    assert _scan_on_push(ecr) is False


def test_an_unreadable_setting_fails_without_any_change(ecr, api_calls):
    api_calls.respond(
        "DescribeRepositories",
        {"repositories": [{"repositoryName": NAME, "imageScanningConfiguration": {"scanOnPush": "no"}}]},
    )

    with pytest.raises(ValueError, match="expected true or false; nothing changed"):
        script.enable_scan_on_push(dict(EVENT), None)
    assert api_calls.mutating == []


def test_dry_run_returns_the_plan_and_changes_nothing(ecr, api_calls):
    api_calls.clear()

    result = script.enable_scan_on_push({**EVENT, "DryRun": "true"}, None)

    assert api_calls.mutating == []
    assert _scan_on_push(ecr) is False
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert (result["PreviousState"], result["PlannedState"], result["CurrentState"]) == (OFF, ON, OFF)
    assert result["Message"] == f"Dry run: would turn on scan on push for repository {NAME}; nothing changed."
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.enable_scan_on_push({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []
