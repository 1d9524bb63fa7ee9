"""Runbook enable_rds_instance_copy_tags_to_snapshots: fixes, is idempotent, leaves compliant instances alone."""

from __future__ import annotations

import boto3

from ssm_documents.enable_rds_instance_copy_tags_to_snapshots import script
from tests.conftest import REPO_ROOT, load_example
from tests.ssm_documents.rds_instance_setting_runbook import SettingRunbook, SettingRunbookTests

FOLDER = REPO_ROOT / "ssm_documents" / "enable_rds_instance_copy_tags_to_snapshots"


class TestEnableCopyTagsToSnapshots(SettingRunbookTests):
    RUNBOOK = SettingRunbook(
        run=script.enable_copy_tags_to_snapshots,
        event=load_example(FOLDER / "events" / "enable_copy_tags_to_snapshots.json"),
        setting=script.SETTING,
        create="CopyTagsToSnapshot",
        words="copying tags to snapshots",
        iam_actions=script.IAM_ACTIONS,
    )

    def test_snapshots_taken_afterwards_carry_the_instance_tags(self, instances, api_calls):
        """What the setting is for: a snapshot made after the fix gets the instance's tags."""
        rds = boto3.client("rds")
        arn = rds.describe_db_instances(DBInstanceIdentifier="settlement-db")["DBInstances"][0]["DBInstanceArn"]
        rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "classification", "Value": "confidential"}])

        self.RUNBOOK.run(self.RUNBOOK.event_for(instances["settlement-db"]), None)
        snapshot = rds.create_db_snapshot(DBInstanceIdentifier="settlement-db", DBSnapshotIdentifier="after-fix")

        tags = rds.list_tags_for_resource(ResourceName=snapshot["DBSnapshot"]["DBSnapshotArn"])["TagList"]
        assert {"Key": "classification", "Value": "confidential"} in tags
