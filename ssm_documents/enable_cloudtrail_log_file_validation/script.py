"""Runbook script: turn on CloudTrail log file integrity validation of a trail, recording the previous setting.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.
UpdateTrail "must be called from the Region in which the trail was created" and changes only the settings it is
given (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html); validation adds signed
digest files beside the logs (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html).
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "cloudtrail:GetTrail", "cloudtrail:UpdateTrail")
TRAIL = re.compile(
    r"^(?:arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/)?(?![\d.]+$)(?!.*[._-]{2})"
    r"[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$"
)
_ARN = re.compile(r"^arn:aws[a-z-]*:cloudtrail:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):trail/")


def _trail_name(events: dict) -> str:
    name = events.get("TrailName")
    if not isinstance(name, str) or not TRAIL.match(name):
        raise ValueError(f"TrailName must be a CloudTrail trail name or trail ARN, got {name!r}")
    return name


def _check_owner_and_region(trail: dict, account: str, region: str) -> str:
    """The trail's ARN, if this account owns it and this is its home Region; else ValueError (nothing changed)."""
    arn = trail.get("TrailARN") or ""
    match = _ARN.match(arn)
    if not match:
        raise ValueError(f"GetTrail answered no trail ARN ({arn!r}); nothing changed")
    if match["account"] != account:
        raise ValueError(
            f"Trail {arn} belongs to account {match['account']} (an organization trail): only that account can "
            "change it; nothing changed"
        )
    home = trail.get("HomeRegion") or match["region"]
    if home != region:
        raise ValueError(f"Trail {arn} has home Region {home}: run this runbook there; nothing changed")
    return arn


def enable_log_file_validation(events: dict, context: object) -> dict:
    """Turn on log file validation of `events["TrailName"]` unless it already is.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    name = _trail_name(events)
    account = boto3.client("sts").get_caller_identity()["Account"]
    cloudtrail = boto3.client("cloudtrail")
    trail = cloudtrail.get_trail(Name=name)["Trail"]
    arn = _check_owner_and_region(trail, account, cloudtrail.meta.region_name)
    previous = {"LogFileValidationEnabled": trail.get("LogFileValidationEnabled") is True}
    result = {"TrailName": name, "TrailARN": arn, "DryRun": dry_run, "PreviousState": previous}
    if previous["LogFileValidationEnabled"]:
        message = f"Log file validation of trail {arn} was already on; nothing changed."
        return no_change(result, previous, message)
    target = {"LogFileValidationEnabled": True}
    if dry_run:
        message = f"Dry run: would turn on log file validation of trail {arn}; nothing changed."
        return would_change(result, previous, target, message)
    answer = cloudtrail.update_trail(Name=arn, EnableLogFileValidation=True)
    current = {"LogFileValidationEnabled": answer.get("LogFileValidationEnabled") is True}
    message = f"Turned on log file validation of trail {arn}: CloudTrail delivers a signed digest file every hour."
    return changed(result, target, current, message)
