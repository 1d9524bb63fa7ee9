"""`make demo` across an emulated AWS Organization (simulation.organization), in process on moto.

For every member account and region: seeds resources for the controls deployed there (account-global controls
only in the home region), evaluates that (account, region)'s Config rules, runs its automatic remediations and
presses Remediate for its manual ones. Then Prowler-format findings of every member reach the security
account's Security Hub as cross-region aggregation delivers them; the bridge there starts runbooks in the
members through their member roles, and the runbooks' status events come back through the members' forwarding
rules. One finding names a bucket deleted after the scan: its runbook fails in the member, and the failure is
notified and queued in the security account. Run by simulation.demo when the assembly has the organization's
stacks (make demo).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import resource_types
from catalogue import Catalogue
from simulation.account import EmulatedAccount
from simulation.demo import (
    _say,
    _table,
    approve_waiting,
    audit_records,
    bridge_decisions,
    compliance_state,
    control_summary,
    execution_entry,
    failure_line,
    findings_for_seeds,
    report_executions,
    scan_time,
)
from simulation.organization import EmulatedOrganization
from simulation.prowler_findings import prowler_finding
from simulation.seeds import SeededResource, seed_account


def _where(unit: EmulatedAccount) -> str:
    return f"{unit.account}/{unit.region}"


class OrganizationDemo:
    """One run of the loop across the organization; the steps print what happens and why."""

    def __init__(self, catalogue: Catalogue, assembly: Path, prefix: str) -> None:
        self.catalogue = catalogue
        self.organization = EmulatedOrganization(assembly, prefix=prefix).provision()
        self.rule_of = {c.id: f"{prefix}-{c.id}" for c in catalogue.controls}
        self.seeded: dict[tuple[str, str], list[SeededResource]] = {}
        self.scanned_at = ""  # when Prowler's scan saw the seeded resources (set by seed())
        self.approvals: list[dict] = []

    def controls_in(self, unit: EmulatedAccount) -> list:
        """The catalogue controls deployed in this (account, region): global ones in the home region only."""
        return [c for c in self.catalogue.controls if self.rule_of[c.id] in unit.config.rules]

    def snapshot(self) -> dict[tuple[str, str], dict[str, dict]]:
        states = {}
        for unit in self.organization.members():
            with self.organization.acting_as(unit):
                states[(unit.account, unit.region)] = compliance_state(
                    unit.config, self.controls_in(unit), self.rule_of
                )
        return states

    def run(self) -> dict:
        organization = self.organization
        _say(
            f"Emulated organization {organization.organization_id}: security account "
            f"{organization.security_account} (bridge in {organization.bridge_region}), members "
            + ", ".join(f"{a} ({n})" for a, n in organization.member_accounts.items())
            + f" in {', '.join(organization.regions)}"
        )
        self.seed()
        before = self.snapshot()
        self.show("Compliance before remediation (each member account and region's own AWS Config rules)", before)
        started = self.automatic_remediations()
        manual_fixed = self.manual_remediations(started)
        findings, bridge_runs, workflow = self.prowler_round_trip()
        failures = organization.failure_messages()
        _say(f"\n== Failures queued centrally ({organization.security_account}'s bridge failure queue) ==")
        for failure in failures:
            _say(f"  {failure_line(failure)}")
        after = self.snapshot()
        self.show("Compliance after remediation", after)
        return self.report(before, after, manual_fixed, findings, bridge_runs, workflow, failures)

    def seed(self) -> None:
        _say("\n== Seeding every member account and region (account-global resources once, in the home region) ==")
        self.scanned_at = scan_time()  # Prowler's scan sees the resources as seeded
        for unit in self.organization.members():
            controls = [c.id for c in self.controls_in(unit)]
            with self.organization.acting_as(unit):
                seeded = seed_account(controls, unit.account, unit.region, in_process=True)
            self.seeded[(unit.account, unit.region)] = seeded
            bad = sum(r.non_compliant for r in seeded)
            _say(f"  {_where(unit):26} {len(seeded)} resources, {bad} non-compliant, controls: {', '.join(controls)}")

    def show(self, title: str, states: dict[tuple[str, str], dict[str, dict]]) -> None:
        _say(f"\n== {title} ==")
        rows = []
        for (account, region), state in states.items():
            for control_id, s in state.items():
                status = "COMPLIANT" if not s["non_compliant"] else f"NON_COMPLIANT ({s['non_compliant']})"
                rows.append([account, region, control_id, str(s["resources"]), status])
        _say(_table(rows, ["account", "region", "control", "resources", "status"]))

    def automatic_remediations(self) -> set[str]:
        _say("\n== Automatic remediations (each member's AWS Config remediation configurations, Automatic: true) ==")
        started: set[str] = set()
        for unit in self.organization.members():
            with self.organization.acting_as(unit):
                started.update(unit.start_automatic_remediations())
        self.organization.settle()
        self._report_executions(started)
        return started

    def manual_remediations(self, earlier: set[str]) -> set[tuple[str, str, str]]:
        _say("\n== Manual remediations (the AWS Config console's Remediate button, in each member and region) ==")
        fixed = set()
        for unit in self.organization.members():
            for control in [c for c in self.controls_in(unit) if not c.remediation.automatic]:
                rule_name = self.rule_of[control.id]
                with self.organization.acting_as(unit):
                    unit.config.evaluate(rule_name)
                    for _type, resource_id in unit.config.non_compliant(rule_name)[:1]:
                        key = {"resourceType": control.resource_type, "resourceId": resource_id}
                        unit.config.start_remediation_execution({"ConfigRuleName": rule_name, "ResourceKeys": [key]})
                        fixed.add((unit.account, unit.region, control.id))
                self.organization.settle()
        self.approve_waiting()
        self._report_executions({i for _u, i, _d in self.organization.executions()} - earlier)
        return fixed

    def prowler_round_trip(self) -> tuple[list[dict], int, dict]:
        _say("\n== Prowler findings: member hubs -> aggregation into the security account -> bridge -> members ==")
        organization = self.organization
        findings_by_unit = self.prowler_findings()
        executions_before = {i for _u, i, _d in organization.executions()}
        for unit, findings in findings_by_unit:
            organization.import_findings(unit, findings)
        organization.settle()
        self.press_custom_action(findings_by_unit)
        bridge_runs = [i for _u, i, _d in organization.executions() if i not in executions_before]
        total = sum(len(f) for _u, f in findings_by_unit)
        _say(f"  {total} finding(s) imported; the bridge started {len(bridge_runs)} runbook execution(s) in members:")
        self._report_executions(set(bridge_runs))
        repeat_before = len(list(organization.executions()))
        for unit, findings in findings_by_unit:  # Prowler's next scan re-imports the same Ids
            organization.import_findings(unit, findings)
        organization.settle()
        repeated = len(list(organization.executions())) - repeat_before
        _say(f"  Re-import of the same findings (Prowler's next scan) started {repeated} execution(s)")
        _say(
            "  Bridge decisions: " + bridge_decisions(organization.security.lambdas, organization.bridge_function_id())
        )
        with organization.acting_as(organization.security):
            hub = organization.security.security_hub.findings()
        workflow = dict(Counter(f.get("Workflow", {}).get("Status") for f in hub.values()))
        _say(f"  Finding workflow states in {organization.security_account}'s hub: {workflow}")
        return [f for _u, fs in findings_by_unit for f in fs], len(bridge_runs), workflow

    def prowler_findings(self) -> list[tuple[EmulatedAccount, list[dict]]]:
        """Each member's findings of a scan taken before remediation; the last member also reports a resource
        (a bucket, with today's catalogue) that is deleted before its finding arrives (its runbook fails there)."""
        found = []
        for unit in self.organization.members():
            with self.organization.acting_as(unit):
                unit.config.evaluate_all()
            seeded = self.seeded[(unit.account, unit.region)]
            found.append(
                (
                    unit,
                    findings_for_seeds(self.catalogue, unit.config, self.rule_of, seeded, unit.region, self.scanned_at),
                )
            )
        unit, findings = found[-1]
        # An automatic control whose resource type can name a missing resource, so the bridge starts its runbook
        # (which fails on the missing resource): the first such control of the catalogue.
        control, stale = next(
            (c, kind.to_arn(key, region=unit.region, account=unit.account))
            for c in self.catalogue.controls
            if c.remediation.automatic
            for kind in (resource_types.get(c.resource_type),)
            if (key := kind.simulation().stale_key(unit.account, unit.region))
        )
        findings.append(
            prowler_finding(
                control.prowler_checks[0], stale, account=unit.account, region=unit.region, timestamp=self.scanned_at
            )
        )
        _say(f"  {_where(unit)}: a finding names {stale}, deleted after the scan (its runbook will fail)")
        return found

    def press_custom_action(self, findings_by_unit: list[tuple[EmulatedAccount, list[dict]]]) -> None:
        """A person selects the findings of manual controls still open and chooses the custom action 'Remediate'."""
        still_open = []
        for unit, findings in findings_by_unit:
            open_ids = {
                resource_id
                for control in self.controls_in(unit)
                if not control.remediation.automatic
                for _type, resource_id in unit.config.non_compliant(self.rule_of[control.id])
            }
            seeded = {r.arn: r.resource_id for r in self.seeded[(unit.account, unit.region)]}
            still_open += [f["Id"] for f in findings if seeded.get(f["Resources"][0]["Id"]) in open_ids]
        if not still_open:
            return
        _say(f"  In the security account, a person selects the {len(still_open)} open finding(s) of manual controls")
        _say("  and chooses the Security Hub custom action 'Remediate'")
        with self.organization.acting_as(self.organization.security):
            self.organization.security.security_hub.custom_action(still_open)
        self.organization.settle()
        self.approve_waiting()

    def approve_waiting(self) -> None:
        """In each member, a person approves the destructive runbooks waiting for approval (the demo stands in)."""
        for unit in self.organization.members():
            self.approvals += approve_waiting(
                unit.ssm, f"{_where(unit):26} ", lambda unit=unit: self.organization.acting_as(unit)
            )
        self.organization.settle()

    def _report_executions(self, execution_ids: set[str]) -> None:
        for unit in self.organization.members():
            ids = [i for i, _d, _p in unit.ssm.started if i in execution_ids]
            if ids:
                report_executions(unit.ssm, ids, where=f"{_where(unit):26} ")
        if not execution_ids:
            _say("  (none)")

    def report(self, before, after, manual_fixed, findings, bridge_runs, workflow, failures) -> dict:  # noqa: ANN001
        organization = self.organization
        results = [
            {
                "account": account,
                "region": region,
                "control": control_id,
                "automatic": self.catalogue.control(control_id).remediation.automatic,
                "resources": after[(account, region)][control_id]["resources"],
                "non_compliant_before": state["non_compliant"],
                "non_compliant_after": after[(account, region)][control_id]["non_compliant"],
                "remediated_manually": (account, region, control_id) in manual_fixed,
            }
            for (account, region), unit_state in before.items()
            for control_id, state in unit_state.items()
        ]
        with organization.acting_as(organization.security):
            records = audit_records(organization.security)
        return {
            "organization": {
                "id": organization.organization_id,
                "security_account": organization.security_account,
                "bridge_region": organization.bridge_region,
                "members": organization.member_accounts,
                "regions": list(organization.regions),
            },
            "account": organization.security_account,
            "region": organization.bridge_region,
            "controls": self._controls(results),
            "results": results,
            "prowler_findings_imported": len(findings),
            "bridge_executions": bridge_runs,
            "approvals_given_by_the_demo": self.approvals,
            "finding_workflow": workflow,
            "failures_queued": failures,
            "audit_records": records,
            "automation_executions": [execution_entry(unit, i, d) for unit, i, d in organization.executions()],
        }

    def _controls(self, results: list[dict]) -> list[dict]:
        """Per control, summed over every member account and region it is deployed in."""
        controls = []
        for control in self.catalogue.controls:
            rows = [r for r in results if r["control"] == control.id]
            controls.append(
                control_summary(
                    control,
                    resources=sum(r["resources"] for r in rows),
                    before=sum(r["non_compliant_before"] for r in rows),
                    after=sum(r["non_compliant_after"] for r in rows),
                    manual=any(r["remediated_manually"] for r in rows),
                )
            )
        return controls
