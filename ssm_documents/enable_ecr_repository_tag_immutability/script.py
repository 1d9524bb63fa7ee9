"""Runbook script: make every image tag of an ECR repository immutable, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
PutImageTagMutability with IMMUTABLE and no exclusion filters: "all image tags within the repository will be
immutable which will prevent them from being overwritten"
(https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImageTagMutability.html). From then on a push of a
tag already in the repository fails with ImageTagAlreadyExistsException
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html): a pipeline re-pushing `latest`
or a branch tag stops working. No image or tag is deleted; PreviousState keeps the setting and its exclusion filters
so a person can put them back. What complies comes from compliance.ecr_repository_tag_immutability, which the rule
imports too.
"""

import re

import boto3
from compliance.ecr_repository_tag_immutability import COMPLIANT_SETTING, DEFAULT_SETTING, is_compliant, overwritable

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("ecr:DescribeRepositories", "ecr:PutImageTagMutability")
# A repository name (2 to 256 characters), never an ARN: the repository is then one of this account and Region.
REPOSITORY_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")


def _repository_name(events: dict) -> str:
    name = events.get("RepositoryName")
    if not isinstance(name, str) or not 2 <= len(name) <= 256 or not REPOSITORY_NAME.match(name):
        raise ValueError(f"RepositoryName must be an ECR repository name of this account and Region, got {name!r}")
    return name


def _tag_mutability(ecr: object, name: str) -> dict:
    """The repository's setting and exclusion filters, as DescribeRepositories answers them (the default if absent)."""
    (repository,) = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    setting = repository.get("imageTagMutability") or DEFAULT_SETTING
    filters = repository.get("imageTagMutabilityExclusionFilters") or []
    if not isinstance(setting, str) or not isinstance(filters, list):
        raise ValueError(
            f"DescribeRepositories answered imageTagMutability {setting!r} with exclusion filters {filters!r}, "
            "expected a setting and a list; nothing changed"
        )
    return {"ImageTagMutability": setting, "ExclusionFilters": filters}


def _filters_note(previous: dict) -> str:
    filters = previous["ExclusionFilters"]
    if not filters:
        return ""
    shown = ", ".join(str(f.get("filter")) if isinstance(f, dict) else repr(f) for f in filters)
    return f" Its exclusion filters ({shown}) are removed; PreviousState keeps them."


def enable_tag_immutability(events: dict, context: object) -> dict:
    """Set repository `events["RepositoryName"]` to IMMUTABLE unless it already is.

    With DryRun true it reads the same setting and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    name = _repository_name(events)
    ecr = boto3.client("ecr")
    previous = _tag_mutability(ecr, name)
    result = {"RepositoryName": name, "DryRun": dry_run, "PreviousState": previous}
    if is_compliant(previous["ImageTagMutability"]):
        return no_change(result, previous, f"Repository {name} already had immutable image tags; nothing changed.")
    target = {"ImageTagMutability": COMPLIANT_SETTING, "ExclusionFilters": []}
    was = f"{previous['ImageTagMutability']} ({overwritable(previous['ImageTagMutability'])})"
    note = _filters_note(previous)
    effect = "a push of a tag already in it will fail with ImageTagAlreadyExistsException"
    if dry_run:
        message = f"Dry run: would make every tag of repository {name} immutable, {effect}; it is {was}.{note}"
        return would_change(result, previous, target, message + " Nothing changed.")
    ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability=COMPLIANT_SETTING)
    current = _tag_mutability(ecr, name)
    if current != target:
        raise RuntimeError(f"Repository {name} reads {current} after PutImageTagMutability, expected {target}")
    message = f"Made every tag of repository {name} immutable (it was {was}): {effect}.{note}"
    return changed(result, target, current, message)
