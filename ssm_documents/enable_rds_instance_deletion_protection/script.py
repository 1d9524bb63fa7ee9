"""Runbook script: turn deletion protection on for one RDS DB instance (FSBP RDS.8).

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module. The work is the
shared enable_instance_setting (config_rules/_layer/python/compliance/rds_instance_setting.py):
only DeletionProtection changes.
"""

import boto3
from compliance.rds_instance_setting import enable_instance_setting

from ssm_documents._support.controls import _dry_run

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("rds:DescribeDBInstances", "rds:ModifyDBInstance")
SETTING = "DeletionProtection"


def enable_deletion_protection(events: dict, context: object) -> dict:
    """Turn deletion protection on for the instance events["DbiResourceId"] unless on (DryRun: plan)."""
    dry_run = _dry_run(events)
    return enable_instance_setting(boto3.client("rds"), events.get("DbiResourceId"), SETTING, dry_run)
