"""Runbook script: turn on scan on push for an ECR repository, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
PutImageScanningConfiguration sets whether "images are scanned for known vulnerabilities after being pushed to the
repository" (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImageScanningConfiguration.html); it
changes no stored image. AWS marks that API as being deprecated in favour of the registry-level configuration
(PutRegistryScanningConfiguration); with ENHANCED registry scanning the registry's rules decide what is scanned
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced-enabling.html), so the output records
the registry's scan type next to the repository's setting.
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = (
    "ecr:DescribeRepositories",
    "ecr:GetRegistryScanningConfiguration",
    "ecr:PutImageScanningConfiguration",
)
# A repository name (2 to 256 characters), never an ARN: the repository is then one of this account and Region.
REPOSITORY_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")


def _repository_name(events: dict) -> str:
    name = events.get("RepositoryName")
    if not isinstance(name, str) or not 2 <= len(name) <= 256 or not REPOSITORY_NAME.match(name):
        raise ValueError(f"RepositoryName must be an ECR repository name of this account and Region, got {name!r}")
    return name


def _scan_on_push(ecr: object, name: str) -> bool:
    (repository,) = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    value = (repository.get("imageScanningConfiguration") or {}).get("scanOnPush", False)
    if not isinstance(value, bool):
        raise ValueError(f"DescribeRepositories answered scanOnPush {value!r}, expected true or false; nothing changed")
    return value


def _registry_note(scan_type: str) -> str:
    if scan_type == "ENHANCED":
        return " The registry uses ENHANCED scanning: its scanning rules, not this setting, decide what is scanned."
    return ""


def enable_scan_on_push(events: dict, context: object) -> dict:
    """Turn on scan on push for repository `events["RepositoryName"]` unless it already is.

    With DryRun true it reads the same settings and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    name = _repository_name(events)
    ecr = boto3.client("ecr")
    previous = {"ScanOnPush": _scan_on_push(ecr, name)}
    scan_type = ecr.get_registry_scanning_configuration().get("scanningConfiguration", {}).get("scanType", "BASIC")
    note = _registry_note(scan_type)
    result = {"RepositoryName": name, "RegistryScanType": scan_type, "DryRun": dry_run, "PreviousState": previous}
    if previous["ScanOnPush"]:
        return no_change(result, previous, f"Repository {name} already scanned images on push; nothing changed.{note}")
    target = {"ScanOnPush": True}
    if dry_run:
        message = f"Dry run: would turn on scan on push for repository {name}; nothing changed.{note}"
        return would_change(result, previous, target, message)
    answer = ecr.put_image_scanning_configuration(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
    current = {"ScanOnPush": answer["imageScanningConfiguration"]["scanOnPush"] is True}
    message = f"Turned on scan on push for repository {name}: images pushed from now on are scanned.{note}"
    return changed(result, target, current, message)
