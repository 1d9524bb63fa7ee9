"""Runbook enable_ecr_repository_tag_immutability: makes one repository's tags immutable, records the setting and
its exclusion filters, is idempotent, refuses anything but a repository name of this account and Region, dry run."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from resource_types.ecr_repository.simulation import create_repository
from ssm_documents.enable_ecr_repository_tag_immutability import script
from tests.conftest import ACCOUNT_ID, REGION, REPO_ROOT, load_example

RUNBOOK = REPO_ROOT / "ssm_documents" / "enable_ecr_repository_tag_immutability"
EVENT = load_example(RUNBOOK / "events" / "enable_ecr_repository_tag_immutability.json")
NAME = EVENT["RepositoryName"]
MUTABLE = {"ImageTagMutability": "MUTABLE", "ExclusionFilters": []}
IMMUTABLE = {"ImageTagMutability": "IMMUTABLE", "ExclusionFilters": []}
DEV_TAGS = [{"filter": "dev-*", "filterType": "WILDCARD"}]


@pytest.fixture
def ecr(aws):
    create_repository(REGION, NAME, scan_on_push=True, tag_mutability="MUTABLE")
    create_repository(REGION, "customer-portal", scan_on_push=True, tag_mutability="MUTABLE")
    return boto3.client("ecr")


def _mutability(client, name: str = NAME) -> str:
    return client.describe_repositories(repositoryNames=[name])["repositories"][0]["imageTagMutability"]


def test_makes_that_repositorys_tags_immutable_only(ecr, api_calls):
    api_calls.clear()

    result = script.enable_tag_immutability(dict(EVENT), None)

    assert _mutability(ecr) == "IMMUTABLE"
    assert _mutability(ecr, "customer-portal") == "MUTABLE"
    assert (result["Changed"], result["PreviousState"], result["CurrentState"]) == (True, MUTABLE, IMMUTABLE)
    assert "ImageTagAlreadyExistsException" in result["Message"]
    assert api_calls.mutating == ["PutImageTagMutability"]
    api_calls.assert_within(script.IAM_ACTIONS)


@pytest.mark.parametrize("setting", ["IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"])
def test_exclusion_filters_are_removed_and_kept_in_the_previous_state(aws, api_calls, setting):
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName=NAME, imageTagMutability=setting, imageTagMutabilityExclusionFilters=DEV_TAGS)

    result = script.enable_tag_immutability(dict(EVENT), None)

    repository = ecr.describe_repositories(repositoryNames=[NAME])["repositories"][0]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert not repository.get("imageTagMutabilityExclusionFilters")
    assert result["PreviousState"] == {"ImageTagMutability": setting, "ExclusionFilters": DEV_TAGS}
    assert result["CurrentState"] == IMMUTABLE
    assert "exclusion filters (dev-*) are removed; PreviousState keeps them." in result["Message"]


def test_a_namespaced_repository_is_fixed(aws, api_calls):
    create_repository(REGION, "claims/batch-worker", scan_on_push=True, tag_mutability="MUTABLE")

    result = script.enable_tag_immutability({**EVENT, "RepositoryName": "claims/batch-worker"}, None)

    assert result["Changed"] is True
    assert _mutability(boto3.client("ecr"), "claims/batch-worker") == "IMMUTABLE"


def test_second_run_makes_no_mutating_call(ecr, api_calls):
    script.enable_tag_immutability(dict(EVENT), None)
    api_calls.clear()

    result = script.enable_tag_immutability(dict(EVENT), None)

    assert (result["Changed"], result["WouldChange"]) == (False, False)
    assert result["PreviousState"] == result["CurrentState"] == IMMUTABLE
    assert api_calls.mutating == []


def test_an_immutable_repository_is_left_alone(aws, api_calls):
    create_repository(REGION, NAME, scan_on_push=True, tag_mutability="IMMUTABLE")
    api_calls.clear()

    result = script.enable_tag_immutability(dict(EVENT), None)

    assert result["Changed"] is False
    assert result["Message"] == f"Repository {NAME} already had immutable image tags; nothing changed."
    assert api_calls.operations == ["DescribeRepositories"]


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        "a",
        "Payments",
        f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/{NAME}",
        f"arn:aws:ecr:{REGION}:210987654321:repository/{NAME}",
        "payments//api",
        "x" * 257,
    ],
)
def test_anything_but_a_repository_name_is_refused_before_any_call(aws, api_calls, name):
    with pytest.raises(ValueError, match="RepositoryName must be an ECR repository name"):
        script.enable_tag_immutability({**EVENT, "RepositoryName": name}, None)
    assert api_calls.operations == []


def test_a_repository_of_another_region_is_not_touched(aws, api_calls):
    create_repository("eu-west-1", NAME, scan_on_push=True, tag_mutability="MUTABLE")
    api_calls.clear()

    with pytest.raises(ClientError, match="RepositoryNotFoundException"):
        script.enable_tag_immutability(dict(EVENT), None)

    assert api_calls.mutating == []
    assert _mutability(boto3.client("ecr", region_name="eu-west-1")) == "MUTABLE"


def test_aws_error_fails_the_step_and_changes_nothing(ecr, api_calls):
    api_calls.fail("PutImageTagMutability", code="AccessDeniedException")

    with pytest.raises(ClientError, match="AccessDeniedException"):
        script.enable_tag_immutability(dict(EVENT), None)

    assert _mutability(ecr) == "MUTABLE"


def test_an_unreadable_setting_fails_without_any_change(ecr, api_calls):
    api_calls.respond("DescribeRepositories", {"repositories": [{"repositoryName": NAME, "imageTagMutability": 1}]})

    with pytest.raises(ValueError, match="expected a setting and a list; nothing changed"):
        script.enable_tag_immutability(dict(EVENT), None)
    assert api_calls.mutating == []


def test_dry_run_returns_the_plan_and_changes_nothing(ecr, api_calls):
    api_calls.clear()

    result = script.enable_tag_immutability({**EVENT, "DryRun": "true"}, None)

    assert api_calls.mutating == []
    assert _mutability(ecr) == "MUTABLE"
    assert (result["DryRun"], result["WouldChange"], result["Changed"]) == (True, True, False)
    assert (result["PreviousState"], result["PlannedState"], result["CurrentState"]) == (MUTABLE, IMMUTABLE, MUTABLE)
    assert result["Message"].startswith(f"Dry run: would make every tag of repository {NAME} immutable")
    assert result["Message"].endswith("Nothing changed.")
    api_calls.assert_within(script.IAM_ACTIONS)


def test_dry_run_must_be_a_boolean(aws, api_calls):
    with pytest.raises(ValueError, match="DryRun must be true or false"):
        script.enable_tag_immutability({**EVENT, "DryRun": "yes"}, None)
    assert api_calls.operations == []


def test_a_change_that_does_not_read_back_fails_the_step(ecr, api_calls):
    # The call is answered without reaching the repository: the read back still shows MUTABLE.
    api_calls.respond("PutImageTagMutability", {"repositoryName": NAME, "imageTagMutability": "IMMUTABLE"})

    with pytest.raises(RuntimeError, match="after PutImageTagMutability, expected"):
        script.enable_tag_immutability(dict(EVENT), None)
    assert _mutability(ecr) == "MUTABLE"
