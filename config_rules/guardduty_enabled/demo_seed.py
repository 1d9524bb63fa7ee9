"""Demo seed: GuardDuty suspended in the Region (a detector that exists, DISABLED)."""

from __future__ import annotations

import boto3

import resource_types
from catalogue import Control
from simulation.seeds import SeededResource


def seed(control: Control, account: str, region: str, in_process: bool = True) -> list[SeededResource]:
    guardduty = boto3.client("guardduty", region_name=region)
    detector_ids = guardduty.list_detectors()["DetectorIds"]
    if detector_ids:
        guardduty.update_detector(DetectorId=detector_ids[0], Enable=False)
    else:
        guardduty.create_detector(Enable=False)
    kind = resource_types.get(control.resource_type)
    return [
        SeededResource(
            control.id,
            kind.config_type,
            account,
            kind.to_arn(account, region=region),
            True,
            f"GuardDuty suspended in {region}: no threat detection on the account's activity there",
        )
    ]
