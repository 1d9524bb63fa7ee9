"""Runbook script: turn copying tags to snapshots on for one RDS DB instance (FSBP RDS.17).

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module. The work is the
shared enable_instance_setting (config_rules/_layer/python/compliance/rds_instance_setting.py):
only CopyTagsToSnapshot changes.
"""

import boto3
from compliance.rds_instance_setting import enable_instance_setting

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("rds:DescribeDBInstances", "rds:ModifyDBInstance")
SETTING = "CopyTagsToSnapshot"


def enable_copy_tags_to_snapshots(events: dict, context: object) -> dict:
    """Turn copying tags to snapshots on for the instance events["DbiResourceId"] unless on (DryRun: plan)."""
    dry_run = _dry_run(events)
    return enable_instance_setting(boto3.client("rds"), events.get("DbiResourceId"), SETTING, dry_run)
