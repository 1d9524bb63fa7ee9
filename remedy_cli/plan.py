"""`remedy plan`: what each control's runbook would change on a resource, from its own dry run, read-only.

The runbook (ssm_documents/<runbook>/document.yaml, its script.py steps) runs in this process through the SSM
Automation interpreter (remedy_cli.automation) with DryRun=true and its other parameters filled as the control's
remediation configuration fills them. Its steps' clients (a script's boto3.client(), an API step's) come from a
session guarded as the scan's is (remedy_cli.aws.ReadOnlyGuard): a call that is not a read is refused before it is
sent, whatever the runbook does.
Steps the dry run never reaches (an approval, the change itself) are listed, not run. The build's guard step
(remediation pause and modes) is not part of the plan: it decides whether a run goes ahead, not what it changes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import boto3

from catalogue import DRY_RUN_PARAMETER, Catalogue, Control, Runbook
from remedy_cli.automation import SsmAutomation
from remedy_cli.deployment import document_name, execution_parameters, runbook_role_arn

APPROVE_ACTION = "aws:approve"
SCRIPT_ACTION = "aws:executeScript"
# What a plan shows of a step's outputs (a runbook returns them from its dry run), in this order.
PLAN_FIELDS = ("Message", "WouldChange", "PreviousState", "PlannedState")
SUCCESS = "Success"


@dataclass
class Plan:
    """One resource's plan: the runbook's dry run (status, each step's plan fields) and the steps not run."""

    control: str
    account: str
    region: str
    resource_type: str
    resource_id: str
    runbook: str
    document: str
    status: str
    failure: str = ""
    steps: list[dict] = field(default_factory=list)
    not_run: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def local_document(runbook: Runbook) -> dict:
    """The runbook's document with script.py as each script step's Script (the deployed document carries the part
    of script.py its handler reaches, which behaves the same)."""
    document = copy.deepcopy(runbook.document)
    script = (runbook.folder / "script.py").read_text()
    for step in document.get("mainSteps") or []:
        if step.get("action") == SCRIPT_ACTION:
            step.setdefault("inputs", {})["Script"] = script
    return document


def plan_fields(outputs: dict) -> dict:
    """Message, WouldChange, PreviousState and PlannedState of a step's outputs (or of an output holding the
    script's whole payload, such as a `Result` StringMap)."""
    merged: dict = {}
    for name, value in outputs.items():
        if isinstance(value, dict) and any(key in value for key in PLAN_FIELDS):
            merged.update(value)
        else:
            merged[name] = value
    return {key: merged[key] for key in PLAN_FIELDS if key in merged}


def _not_run(step: dict) -> dict:
    if step.get("action") == APPROVE_ACTION:
        reason = "needs a person: an approval step is never run in a plan"
    else:
        reason = "not run in a plan (the dry run ends before it): " + " ".join(str(step.get("description", "")).split())
    return {"step": step["name"], "action": step.get("action", ""), "reason": reason}


class Planner:
    """Runs controls' runbooks in dry-run mode, each region's steps through `session_for(region)` (guarded)."""

    def __init__(
        self,
        catalogue: Catalogue,
        session_for: Callable[[str], boto3.Session],
        *,
        prefix: str,
        account: str,
        partition: str,
    ) -> None:
        self.catalogue, self.session_for = catalogue, session_for
        self.prefix, self.account, self.partition = prefix, account, partition

    def parameters(self, control: Control, region: str, resource_id: str) -> dict[str, list[str]]:
        """The remediation configuration's parameters for the resource, as the source document declares them,
        with DryRun true."""
        runbook = self.catalogue.runbooks[control.remediation.runbook]
        role = runbook_role_arn(self.prefix, runbook, partition=self.partition, account=self.account, region=region)
        filled = execution_parameters(control, runbook, role, resource_id)
        declared = runbook.parameters
        return {name: values for name, values in filled.items() if name in declared} | {DRY_RUN_PARAMETER: ["true"]}

    def plan(self, control: Control, region: str, resource_id: str) -> Plan:
        runbook = self.catalogue.runbooks[control.remediation.runbook]
        name = document_name(self.prefix, runbook)
        session = self.session_for(region)
        automation = SsmAutomation(session_factory=lambda: session)
        document = local_document(runbook)
        automation.register(name, document)
        result = Plan(control.id, self.account, region, control.resource_type, resource_id, runbook.name, name, "")
        try:
            execution_id = automation.start_automation_execution(
                DocumentName=name, Parameters=self.parameters(control, region, resource_id)
            )
        except ValueError as problem:  # a parameter the document refuses (a resource id of the wrong form)
            result.status, result.failure = "Failed", str(problem)
            return result
        execution = automation.executions[execution_id]
        result.status, result.failure = execution.status, execution.failure_message
        for step in execution.step_executions:
            entry = {"step": step["StepName"], "action": step["Action"], "status": step["StepStatus"]}
            entry.update(plan_fields(step["Outputs"]))
            if step["FailureMessage"]:
                entry["failure"] = step["FailureMessage"]
            result.steps.append(entry)
        ran = {step["StepName"] for step in execution.step_executions}
        result.not_run = [_not_run(step) for step in document["mainSteps"] if step["name"] not in ran]
        return result


def _shown(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def plan_text(plans: list[Plan]) -> str:
    """Each plan: the resource, the runbook's dry-run status, each step's plan and the steps not run."""
    if not plans:
        return "Nothing to plan: no non-compliant resource found.\n"
    lines = []
    for plan in plans:
        lines.append(f"{plan.control}  {plan.account}  {plan.region}  {plan.resource_type}  {plan.resource_id}")
        lines.append(f"  runbook {plan.runbook} (deployed as {plan.document}), dry run: {plan.status}")
        if plan.failure:
            lines.append(f"  failure: {plan.failure}")
        for step in plan.steps:
            lines.append(f"  step {step['step']} ({step['action']}): {step['status']}")
            lines += [f"    {key}: {_shown(step[key])}" for key in (*PLAN_FIELDS, "failure") if key in step]
        lines += [f"  not run: {s['step']} ({s['action']}): {s['reason']}" for s in plan.not_run]
        lines.append("")
    return "\n".join(lines)
