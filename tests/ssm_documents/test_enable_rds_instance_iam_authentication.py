"""Runbook enable_rds_instance_iam_authentication: fixes, is idempotent, leaves compliant instances alone."""

from __future__ import annotations

import pytest

from ssm_documents.enable_rds_instance_iam_authentication import script
from tests.conftest import REPO_ROOT, load_example
from tests.ssm_documents.rds_instance_setting_runbook import SettingRunbook, SettingRunbookTests, described

FOLDER = REPO_ROOT / "ssm_documents" / "enable_rds_instance_iam_authentication"


class TestEnableIamAuthentication(SettingRunbookTests):
    RUNBOOK = SettingRunbook(
        run=script.enable_iam_authentication,
        event=load_example(FOLDER / "events" / "enable_iam_authentication.json"),
        setting=script.SETTING,
        create="EnableIAMDatabaseAuthentication",
        words="IAM database authentication",
        iam_actions=script.IAM_ACTIONS,
        with_other_changes_pending="(at the maintenance window, with the pending DBInstanceClass)",
    )

    @pytest.mark.parametrize("engine", ["oracle-ee", "sqlserver-se", "db2-se"])
    def test_an_engine_without_iam_authentication_is_refused(self, instances, api_calls, engine):
        resource_id = instances["settlement-db"]
        api_calls.respond("DescribeDBInstances", described(resource_id, Engine=engine))

        with pytest.raises(ValueError, match=f"engine {engine} has no IAM database authentication"):
            self.RUNBOOK.run(self.RUNBOOK.event_for(resource_id), None)
        assert api_calls.mutating == []

    def test_a_change_already_pending_for_the_maintenance_window_is_not_made_again(self, instances, api_calls):
        resource_id = instances["settlement-db"]
        pending = {"IAMDatabaseAuthenticationEnabled": True}
        api_calls.respond("DescribeDBInstances", described(resource_id, PendingModifiedValues=pending))

        result = self.RUNBOOK.run(self.RUNBOOK.event_for(resource_id), None)

        assert (result["Changed"], result["WouldChange"]) == (False, False)
        assert result["CurrentState"] == self.RUNBOOK.state(False, pending=True)
        assert result["Message"] == (
            "DB instance settlement-db had IAM database authentication already pending for the maintenance window; "
            "nothing changed."
        )
        assert api_calls.mutating == []

    def test_with_other_modifications_pending_the_change_waits_for_the_maintenance_window(self, instances, api_calls):
        """RDS then reports the flag among PendingModifiedValues (moto applies it at once: the answer is AWS's
        shape)."""
        resource_id = instances["settlement-db"]
        api_calls.respond("DescribeDBInstances", described(resource_id, PendingModifiedValues={"DBInstanceClass": "x"}))
        pending = {"DBInstanceClass": "x", "IAMDatabaseAuthenticationEnabled": True}
        api_calls.respond(
            "ModifyDBInstance", {"DBInstance": described(resource_id, PendingModifiedValues=pending)["DBInstances"][0]}
        )

        result = self.RUNBOOK.run(self.RUNBOOK.event_for(resource_id), None)

        assert result["CurrentState"] == self.RUNBOOK.state(False, pending=True)
        assert result["PlannedState"] == self.RUNBOOK.state(True)
