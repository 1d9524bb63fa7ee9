"""Runbook enable_rds_instance_deletion_protection: fixes, is idempotent, leaves compliant instances alone."""

from __future__ import annotations

from ssm_documents.enable_rds_instance_deletion_protection import script
from tests.conftest import REPO_ROOT, load_example
from tests.ssm_documents.rds_instance_setting_runbook import SettingRunbook, SettingRunbookTests

FOLDER = REPO_ROOT / "ssm_documents" / "enable_rds_instance_deletion_protection"


class TestEnableDeletionProtection(SettingRunbookTests):
    RUNBOOK = SettingRunbook(
        run=script.enable_deletion_protection,
        event=load_example(FOLDER / "events" / "enable_deletion_protection.json"),
        setting=script.SETTING,
        create="DeletionProtection",
        words="deletion protection",
        iam_actions=script.IAM_ACTIONS,
    )
