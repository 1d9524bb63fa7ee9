"""Runbook enable_rds_instance_auto_minor_version_upgrade: fixes, is idempotent, leaves compliant instances alone."""

from __future__ import annotations

import pytest

from ssm_documents.enable_rds_instance_auto_minor_version_upgrade import script
from tests.conftest import REPO_ROOT, load_example
from tests.ssm_documents.rds_instance_setting_runbook import SettingRunbook, SettingRunbookTests, described

FOLDER = REPO_ROOT / "ssm_documents" / "enable_rds_instance_auto_minor_version_upgrade"


class TestEnableAutoMinorVersionUpgrade(SettingRunbookTests):
    RUNBOOK = SettingRunbook(
        run=script.enable_auto_minor_version_upgrade,
        event=load_example(FOLDER / "events" / "enable_auto_minor_version_upgrade.json"),
        setting=script.SETTING,
        create="AutoMinorVersionUpgrade",
        words="automatic minor version upgrades",
        iam_actions=script.IAM_ACTIONS,
        held_by_aurora_cluster=False,  # Aurora sets automatic minor version upgrades per DB instance
    )

    def test_a_multi_az_db_cluster_member_is_refused_only_its_cluster_can_be_modified(self, instances, api_calls):
        resource_id = instances["settlement-db"]
        member = described(resource_id, Engine="postgres", DBClusterIdentifier="ledger")
        api_calls.respond("DescribeDBInstances", member)

        with pytest.raises(
            ValueError, match="member of Multi-AZ DB cluster ledger is modified only through its cluster"
        ):
            self.RUNBOOK.run(self.RUNBOOK.event_for(resource_id), None)
        assert api_calls.mutating == []
