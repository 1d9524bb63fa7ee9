"""`make demo`: the whole loop on an emulated account or organization, no AWS account needed.

On an assembly of the organization layout (<Prefix>Security and <Prefix>Member), simulation.organization_demo
runs the loop across a security account and member accounts in two regions (in-process moto only). Otherwise,
on one account: seeds compliant and non-compliant resources for every catalogue control, evaluates the
synthesized Config rules, runs the automatic remediations, presses the Remediate button for the manual ones,
sends Prowler-format findings through Security Hub, EventBridge and the bridge, re-evaluates, and writes a
JSON and a Markdown report.

    python -m simulation.demo [--assembly cdk.out] [--output demo-output] [--endpoint-url http://127.0.0.1:5000]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import boto3

from catalogue import FRAMEWORK_TITLES, Catalogue, Control, load_catalogue
from simulation.prowler_findings import prowler_finding
from simulation.seeds import SeededResource, seed_account

if TYPE_CHECKING:
    from simulation.account import EmulatedAccount, SsmAutomationService
    from simulation.config_service import ConfigService
    from simulation.lambda_service import LambdaService

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


def _say(text: str = "") -> None:
    print(text, flush=True)


def _frameworks(control: Control) -> str:
    return "; ".join(f"{FRAMEWORK_TITLES[k]} {', '.join(v)}" for k, v in control.frameworks.items())


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def compliance_state(config: ConfigService, controls: list[Control], rule_of: dict[str, str]) -> dict[str, dict]:
    """Evaluate every rule now; per control, the resources in scope and the non-compliant ones."""
    config.evaluate_all()
    state = {}
    for control in controls:
        evaluations = config.evaluations[rule_of[control.id]]
        counts = Counter(e["ComplianceType"] for e in evaluations.values())
        state[control.id] = {
            "resources": len(evaluations) - counts.get("NOT_APPLICABLE", 0),
            "non_compliant": counts.get("NON_COMPLIANT", 0),
            "non_compliant_ids": sorted(k[1] for k, e in evaluations.items() if e["ComplianceType"] == "NON_COMPLIANT"),
        }
    return state


def findings_for_seeds(
    catalogue: Catalogue,
    config: ConfigService,
    rule_of: dict[str, str],
    seeded: list[SeededResource],
    region: str,
    scanned_at: str,
) -> list[dict]:
    """What a Prowler scan taken at `scanned_at` (before remediation) reported, for the seeded resources that
    still exist."""
    findings = []
    for resource in seeded:
        evaluation = config.evaluations[rule_of[resource.control_id]].get(
            (resource.resource_type, resource.resource_id), {}
        )
        if not resource.non_compliant or evaluation.get("ComplianceType") == "NOT_APPLICABLE":
            continue
        control = catalogue.control(resource.control_id)
        for check in control.prowler_checks:
            findings.append(
                prowler_finding(
                    check,
                    resource.arn,
                    account=config.account,
                    region=region,
                    severity=control.severity,
                    timestamp=scanned_at,
                )
            )
    return findings


def scan_time() -> str:
    """Now, as Prowler stamps a finding's UpdatedAt (ISO 8601, UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def execution_entry(unit: EmulatedAccount, execution_id: str, document: str) -> dict:
    """One automation execution of report.json: where, on which resource for which control, started by what, how it
    ended."""
    trigger, resource_id = unit.ssm.origins.get(execution_id, ("api", ""))
    parameters = next((p for started, _d, p in unit.ssm.started if started == execution_id), {})
    control_id = parameters.get("ControlId") or [""]  # SSM passes parameter values as lists of strings
    return {
        "control_id": control_id[0] if isinstance(control_id, list) else str(control_id),
        "account": unit.account,
        "region": unit.region,
        "execution_id": execution_id,
        "document": document,
        "resource_id": resource_id,
        "trigger": trigger,
        "status": unit.ssm.status(execution_id),
    }


def control_summary(control: Control, *, resources: int, before: int, after: int, manual: bool) -> dict:
    """A control's line of report.json: what it is and how many resources were non-compliant before and after."""
    return {
        "id": control.id,
        "title": control.title,
        "frameworks": {k: list(v) for k, v in control.frameworks.items()},
        "automatic": control.remediation.automatic,
        "destructive": control.remediation.destructive,
        "home_region_only": control.home_region_only,
        "resources": resources,
        "non_compliant_before": before,
        "non_compliant_after": after,
        "remediated_manually": manual,
    }


def report_executions(ssm: SsmAutomationService, execution_ids: list[str], where: str = "") -> None:
    """One line per execution: document, status and the runbook's own message."""
    if not execution_ids:
        _say("  (none)")
    for execution_id in execution_ids:
        response = ssm.get({"AutomationExecutionId": execution_id})["AutomationExecution"]
        outputs = response.get("Outputs", {})
        messages = [v[0] for k, v in outputs.items() if k.endswith("Message") and v and v[0]]
        message = messages[-1] if messages else ""
        if not message:
            result = next((v for k, v in outputs.items() if k.endswith("Result") and v), [""])
            message = _message_of(result[0]) or response.get("FailureMessage", "")
        _say(f"  {where}{response.get('DocumentName', '?'):42} {response['AutomationExecutionStatus']:8} {message}")


def approve_waiting(
    ssm: SsmAutomationService, where: str = "", acting: Callable[[], contextlib.AbstractContextManager] | None = None
) -> list[dict]:
    """Stand in for a person: show each waiting approval request (the runbook's plan) and approve it as its first
    approver. In AWS that principal reads the request (console or SNS topic) and chooses Approve or Deny."""
    approvals = []
    for execution_id in ssm.waiting():
        request, document = ssm.approval_request(execution_id), ssm.started_document(execution_id)
        approver = request["Approvers"][0]
        _say(f"  {where}{document} waits for approval; the request's message (the runbook's plan):")
        for line in str(request.get("Message", "")).splitlines():
            _say(f"      | {line}")
        _say(f"  {where}The demo approves it as {approver}, standing in for the person a bank names there")
        with acting() if acting else contextlib.nullcontext():
            ssm.signal(execution_id, "Approve", approver, "approved by the demo, standing in for a person")
        approvals.append({"execution_id": execution_id, "document": document, "approver": approver})
    return approvals


def bridge_decisions(lambdas: LambdaService, function_id: str) -> str:
    """The bridge's decisions, counted from its JSON log lines."""
    decisions: Counter = Counter()
    for line in lambdas.logs.get(function_id, []):
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            decisions[(record.get("decision"), record.get("reason", ""))] += 1
    return ", ".join(f"{d}{'/' + r if r else ''} x{n}" for (d, r), n in decisions.items())


def audit_records(account: EmulatedAccount) -> int:
    """How many audit records (one per ended runbook execution) the bridge wrote to its audit bucket."""
    function = account.lambdas.functions[
        next(k for k, f in account.lambdas.functions.items() if f.handler.startswith("prowler_bridge."))
    ]
    pages = boto3.client("s3", region_name=account.region).get_paginator("list_objects_v2")
    return sum(
        page.get("KeyCount", 0) for page in pages.paginate(Bucket=function.environment["AUDIT_BUCKET"], Prefix="audit/")
    )


class Demo:
    """One run of the loop; the steps print what happens and why."""

    def __init__(
        self, catalogue: Catalogue, assembly: Path, region: str, endpoint_url: str | None, prefix: str
    ) -> None:
        from simulation.account import EmulatedAccount

        self.catalogue, self.region, self.prefix = catalogue, region, prefix
        self.in_process = endpoint_url is None
        self.account = EmulatedAccount(assembly, region=region, endpoint_url=endpoint_url).provision()
        self.rule_of = {c.id: f"{prefix}-{c.id}" for c in catalogue.controls}
        self.approvals: list[dict] = []
        missing = [r for r in self.rule_of.values() if r not in self.account.config.rules]
        if missing:
            raise SystemExit(f"the cloud assembly lacks rules {missing}: run `make synth` after changing the catalogue")

    def snapshot(self) -> dict[str, dict]:
        return compliance_state(self.account.config, self.catalogue.controls, self.rule_of)

    def show(self, title: str, state: dict[str, dict]) -> None:
        _say(f"\n== {title} ==")
        rows = []
        for control in self.catalogue.controls:
            s = state[control.id]
            status = "COMPLIANT" if not s["non_compliant"] else f"NON_COMPLIANT ({s['non_compliant']})"
            rows.append([control.id, _frameworks(control), str(s["resources"]), status])
        _say(_table(rows, ["control", "frameworks", "resources", "status"]))

    def run(self) -> dict:
        account = self.account
        _say(f"Emulated account {account.account} in {self.region}: seeding resources for every control")
        seeded = seed_account([c.id for c in self.catalogue.controls], account.account, self.region, self.in_process)
        self.scanned_at = scan_time()  # Prowler's scan sees the resources as seeded
        for resource in seeded:
            flag = "non-compliant" if resource.non_compliant else "compliant"
            _say(f"  {resource.control_id:38} {resource.resource_id:28} {flag:14} {resource.note}")

        before = self.snapshot()
        self.show("Compliance before remediation (AWS Config rules, evaluated from the synthesized stack)", before)

        _say("\n== Automatic remediations (AWS Config remediation configurations with Automatic: true) ==")
        started = account.run_automatic_remediations()
        self._report_executions(started)
        manual_fixed = self._run_manual_remediations(started)
        findings, workflow, bridge_runs = self._run_bridge(seeded)

        after = self.snapshot()
        self.show("Compliance after remediation", after)
        return self._report(before, after, seeded, findings, workflow, bridge_runs, manual_fixed)

    def _run_manual_remediations(self, started: list[str]) -> list[str]:
        """The AWS Config console's Remediate button, on one non-compliant resource per manual control; the ids of
        the controls remediated."""
        account = self.account
        _say("\n== Manual remediations (the AWS Config console's Remediate button, one resource per control) ==")
        manual_fixed: list[str] = []
        for control in self.catalogue.controls:
            if control.remediation.automatic:
                continue
            rule_name = self.rule_of[control.id]
            runbook = account.config.remediations[rule_name].document
            description = account.interpreter.documents[runbook].get("description", "").splitlines()[0].lstrip("# ")
            account.config.evaluate(rule_name)
            for resource_id in self._non_compliant(rule_name)[:1]:
                _say(f"  About to run {runbook} on {resource_id}: {description}.")
                account.config.start_remediation_execution(
                    {
                        "ConfigRuleName": rule_name,
                        "ResourceKeys": [{"resourceType": control.resource_type, "resourceId": resource_id}],
                    }
                )
                manual_fixed.append(control.id)
            account.settle()
        self.approvals += approve_waiting(account.ssm)
        account.settle()
        self._report_executions([e[0] for e in account.ssm.started if e[0] not in started])
        return manual_fixed

    def _run_bridge(self, seeded: list) -> tuple[list[dict], Counter, int]:
        """Prowler's findings through Security Hub, EventBridge and the bridge, then the 'Remediate' custom action on
        those still open, then a re-import; (findings, workflow states now, executions the bridge started)."""
        account = self.account
        _say("\n== Prowler findings through Security Hub, EventBridge and the bridge ==")
        account.config.evaluate_all()
        findings = self._prowler_findings(seeded)
        executions_before = len(account.ssm.started)
        account.security_hub.import_findings(findings)
        account.settle()
        self._remediate_still_open(findings, seeded)
        bridge_runs = len(account.ssm.started) - executions_before
        _say(f"  {len(findings)} finding(s) imported; the bridge started {bridge_runs} runbook execution(s):")
        self._report_executions([e[0] for e in account.ssm.started[executions_before:]])
        repeat_before = len(account.ssm.started)
        account.security_hub.import_findings(findings)  # Prowler's next scan re-imports the same Ids
        account.settle()
        _say(
            f"  Re-import of the same findings (Prowler's next scan) started "
            f"{len(account.ssm.started) - repeat_before} execution(s)"
        )
        _say("  Bridge decisions: " + bridge_decisions(account.lambdas, self._bridge_id()))
        workflow = Counter(f.get("Workflow", {}).get("Status") for f in account.security_hub.findings().values())
        _say(f"  Finding workflow states now: {dict(workflow)}")
        return findings, workflow, bridge_runs

    def _remediate_still_open(self, findings: list[dict], seeded: list) -> None:
        """A person selects the findings of manual controls still open and chooses the custom action 'Remediate'."""
        account = self.account
        still_open = [
            f["Id"]
            for f in findings
            if self._is_non_compliant(self._control_of_check(f["GeneratorId"]), f["Resources"][0]["Id"], seeded)
        ]
        if not still_open:
            return
        _say(
            f"  A person selects the {len(still_open)} finding(s) of manual controls still open and chooses "
            "the Security Hub custom action 'Remediate'"
        )
        account.security_hub.custom_action(still_open)
        account.settle()
        self.approvals += approve_waiting(account.ssm)
        account.settle()

    def _bridge_id(self) -> str:
        return next(
            k for k, f in self.account.lambdas.functions.items() if f.handler == "prowler_bridge.handler.lambda_handler"
        )

    def _is_non_compliant(self, control_id: str, arn: str, seeded: list[SeededResource]) -> bool:
        resource = next(r for r in seeded if r.control_id == control_id and r.arn == arn)
        return resource.resource_id in self._non_compliant(self.rule_of[control_id])

    def _non_compliant(self, rule_name: str) -> list[str]:
        return [resource_id for _type, resource_id in self.account.config.non_compliant(rule_name)]

    def _control_of_check(self, generator_id: str) -> str:
        return self.catalogue.prowler_check_map()[generator_id.removeprefix("prowler-")]

    def _prowler_findings(self, seeded: list[SeededResource]) -> list[dict]:
        return findings_for_seeds(
            self.catalogue, self.account.config, self.rule_of, seeded, self.region, self.scanned_at
        )

    def _report_executions(self, execution_ids: list[str]) -> None:
        report_executions(self.account.ssm, execution_ids)

    def _report(self, before, after, seeded, findings, workflow, bridge_runs, manual_fixed) -> dict:  # noqa: ANN001
        controls = [
            control_summary(
                control,
                resources=after[control.id]["resources"],
                before=before[control.id]["non_compliant"],
                after=after[control.id]["non_compliant"],
                manual=control.id in manual_fixed,
            )
            for control in self.catalogue.controls
        ]
        return {
            "account": self.account.account,
            "region": self.region,
            "controls": controls,
            "prowler_findings_imported": len(findings),
            "bridge_executions": bridge_runs,
            "approvals_given_by_the_demo": self.approvals,
            "finding_workflow": dict(workflow),
            "audit_records": audit_records(self.account),
            "automation_executions": [execution_entry(self.account, i, d) for i, d, _p in self.account.ssm.started],
        }


def _message_of(value: object) -> str:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, dict):
        return str(value.get("Message", ""))
    return ""


def failure_line(failure: dict) -> str:
    """A message of the bridge's failure queue, in one line."""
    return f"{failure['account']}/{failure['region']} {failure['document']} {failure['status']}: {failure['reason']}"


def _control_table(report: dict) -> list[str]:
    """One row per control (one account), or an account x control table with the region in each cell."""
    if "results" not in report:
        lines = [
            f"Emulated account {report['account']} in {report['region']}.",
            "",
            "| Control | Automatic | Non-compliant before | Non-compliant after |",
            "|---|---|---|---|",
        ]
        for control in report["controls"]:
            mode = "yes" if control["automatic"] else "no (Remediate button)"
            lines.append(
                f"| `{control['id']}` {control['title']} | {mode} | {control['non_compliant_before']} | "
                f"{control['non_compliant_after']} |"
            )
        return lines
    organization = report["organization"]
    controls = [c["id"] for c in report["controls"]]
    lines = [
        f"Emulated organization {organization['id']}: security account {organization['security_account']} (bridge "
        f"in {organization['bridge_region']}), members in {', '.join(organization['regions'])}. Each cell: "
        "region: non-compliant before -> after; a control of account-global resources is in the home region only.",
        "",
        "| Account | " + " | ".join(f"`{c}`" for c in controls) + " |",
        "|---" * (len(controls) + 1) + "|",
    ]
    for account, name in organization["members"].items():
        cells = []
        for control in controls:
            rows = [r for r in report["results"] if r["account"] == account and r["control"] == control]
            cells.append(
                "<br>".join(f"{r['region']}: {r['non_compliant_before']} -> {r['non_compliant_after']}" for r in rows)
            )
        lines.append(f"| {account} ({name}) | " + " | ".join(cells) + " |")
    return lines


def write_reports(report: dict, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = folder / "report.json", folder / "report.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    columns = ["execution_id", "account", "region", "document", "status"]
    columns = [c for c in columns if c in (report["automation_executions"] or [{}])[0] or c == "execution_id"]
    lines = [
        "# Remedy demo report",
        "",
        *_control_table(report),
        "",
        f"Prowler findings imported: {report['prowler_findings_imported']}; runbook executions the bridge "
        f"started: {report['bridge_executions']}; finding workflow states: {report['finding_workflow']}; audit "
        f"records written (one per ended runbook execution): {report.get('audit_records', 0)}.",
        *[f"Failure queued centrally: {failure_line(f)}" for f in report.get("failures_queued", [])],
        *[
            f"Approved by the demo, standing in for a person: {a['document']} execution {a['execution_id']} "
            f"as {a['approver']}."
            for a in report.get("approvals_given_by_the_demo", [])
        ],
        "",
        "| " + " | ".join(c.replace("_id", "").capitalize() for c in columns) + " |",
        "|---" * len(columns) + "|",
        *["| " + " | ".join(str(e[c]) for c in columns) + " |" for e in report["automation_executions"]],
        "",
    ]
    markdown_path.write_text("\n".join(lines))
    return json_path, markdown_path


def unfixed(report: dict) -> list[str]:
    """Controls (in an organization: account/region/control) left non-compliant that the run set out to fix."""
    rows = report.get("results") or [{**c, "control": c["id"]} for c in report["controls"]]
    return [
        "/".join(filter(None, (r.get("account"), r.get("region"), r["control"])))
        for r in rows
        if (r["automatic"] or r["remediated_manually"]) and r["non_compliant_after"]
    ]


def narrowed(catalogue: Catalogue, control_ids: str | None) -> Catalogue:
    """The catalogue with only the named controls (the assembly still deploys them all; the demo seeds, judges and
    reports these): SystemExit naming an id the catalogue lacks."""
    if not control_ids:
        return catalogue
    wanted = [c.strip() for c in control_ids.split(",") if c.strip()]
    unknown = sorted(set(wanted) - {c.id for c in catalogue.controls})
    if unknown:
        raise SystemExit(f"unknown control id(s): {', '.join(unknown)}")
    controls = [c for c in catalogue.controls if c.id in wanted]
    return dataclasses.replace(catalogue, controls=controls)


def _run(catalogue: Catalogue, args: argparse.Namespace) -> dict:
    """The organization's loop when the assembly has its stacks (in-process moto only), else one account's."""
    organization = (args.assembly / f"{args.prefix.capitalize()}Security.template.json").is_file()
    if organization and args.endpoint_url:
        raise SystemExit("the organization demo runs on in-process moto only: drop --endpoint-url")
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
        context = contextlib.nullcontext()
    else:
        from moto import mock_aws

        context = mock_aws()
    with context:
        if organization:
            from simulation.organization_demo import OrganizationDemo

            run = OrganizationDemo(catalogue, args.assembly, args.prefix)
            closable = run.organization
        else:
            run = Demo(catalogue, args.assembly, args.region, args.endpoint_url, args.prefix)
            closable = run.account
        try:
            return run.run()
        finally:
            closable.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assembly", default="cdk.out", type=Path, help="synthesized cloud assembly (make synth)")
    parser.add_argument("--output", default="demo-output", type=Path, help="folder for report.json and report.md")
    parser.add_argument("--endpoint-url", help="a moto server to run against instead of in-process moto")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--prefix", default="remedy", help="remedy:resourcePrefix the assembly was synthesized with")
    parser.add_argument(
        "--controls", help="comma-separated control ids: seed, judge and report these only (default: every control)"
    )
    args = parser.parse_args(argv)

    for key, value in DUMMY_CREDENTIALS.items():  # never real credentials, never a real endpoint
        os.environ[key] = value
    os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = args.region
    os.environ.pop("AWS_PROFILE", None)
    report = _run(narrowed(load_catalogue(), args.controls), args)
    json_path, markdown_path = write_reports(report, args.output)
    _say(f"\nReports: {json_path} and {markdown_path}")

    left = unfixed(report)
    if left:
        _say(f"Still non-compliant after remediation: {left}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
