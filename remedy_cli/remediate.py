"""`remedy remediate`: start the deployed runbook on one resource, as the control's remediation configuration
would, after its plan and a confirmation; follow the execution to its end.

StartAutomationExecution with the document and parameters the CDK app deploys (remedy_cli.deployment; Trigger
"manual": a person starts this run), then GetAutomationExecution until the execution ends:
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StartAutomationExecution.html
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetAutomationExecution.html
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from catalogue import Control, Runbook
from remedy_cli.deployment import TRIGGER_PARAMETER, document_name, execution_parameters, runbook_role_arn

# AutomationExecutionStatus values after which nothing more happens:
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_AutomationExecution.html
ENDED = frozenset(
    {
        "Success",
        "TimedOut",
        "Cancelled",
        "Failed",
        "Rejected",
        "CompletedWithSuccess",
        "CompletedWithFailure",
        "Exited",
        "ChangeCalendarOverrideRejected",
    }
)
SUCCEEDED = frozenset({"Success", "CompletedWithSuccess"})
MANUAL_TRIGGER = "manual"  # the guard's Trigger for a run a person starts (ssm_documents/_support/controls.py)
# What the outcome shows of each step's outputs, first (the others follow).
STATE_OUTPUTS = ("Message", "PreviousState", "CurrentState")


def start_parameters(
    control: Control, runbook: Runbook, *, prefix: str, partition: str, account: str, region: str, resource_id: str
) -> dict[str, list[str]]:
    """The remediation configuration's parameters for the resource (the deployed runbook role as
    AutomationAssumeRole), with Trigger manual."""
    role = runbook_role_arn(prefix, runbook, partition=partition, account=account, region=region)
    return execution_parameters(control, runbook, role, resource_id) | {TRIGGER_PARAMETER: [MANUAL_TRIGGER]}


def start(ssm: Any, runbook: Runbook, parameters: dict[str, list[str]], prefix: str) -> str:
    """Start the deployed document; its execution id. ClientToken makes a retried request start one run."""
    response = ssm.start_automation_execution(
        DocumentName=document_name(prefix, runbook), Parameters=parameters, ClientToken=str(uuid.uuid4())
    )
    return response["AutomationExecutionId"]


def follow(
    ssm: Any,
    execution_id: str,
    *,
    poll_seconds: float,
    report: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Poll until the execution ends, reporting each step's status as it changes; the last execution read."""
    seen: dict[str, str] = {}
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        for step in execution.get("StepExecutions") or []:
            name, status = step.get("StepName", ""), step.get("StepStatus", "")
            if seen.get(name) != status:
                seen[name] = status
                report(f"  {name}: {status}")
        status = execution.get("AutomationExecutionStatus", "")
        if status in ENDED:
            return execution
        if status == "Waiting" and seen.get("_waiting") != "reported":
            seen["_waiting"] = "reported"
            report("  waiting for approval (approve or reject the execution in Systems Manager)")
        sleep(poll_seconds)


def _decoded(value: str) -> object:
    try:
        return json.loads(value)
    except ValueError:
        return value


def step_outputs(execution: dict) -> list[dict]:
    """Per step that ran: its status and outputs (one value each; JSON decoded), the state outputs first, also
    when they sit inside an output holding the script's whole payload (a `Result` map)."""
    steps = []
    for step in execution.get("StepExecutions") or []:
        outputs = {
            name: _decoded(values[0]) if len(values) == 1 else values
            for name, values in (step.get("Outputs") or {}).items()
        }
        states: dict = {}
        for value in outputs.values():
            if isinstance(value, dict):
                states.update({key: value[key] for key in STATE_OUTPUTS if key in value})
        states.update({key: outputs[key] for key in STATE_OUTPUTS if key in outputs})
        steps.append(
            {"step": step.get("StepName", ""), "status": step.get("StepStatus", ""), **states, "outputs": outputs}
        )
    return steps


def outcome_text(execution: dict) -> str:
    lines = [f"Execution {execution.get('AutomationExecutionId')}: {execution.get('AutomationExecutionStatus')}"]
    if execution.get("FailureMessage"):
        lines.append(f"  failure: {execution['FailureMessage']}")
    for step in step_outputs(execution):
        lines.append(f"  step {step['step']}: {step['status']}")
        for key in STATE_OUTPUTS:
            if key in step:
                shown = step[key] if isinstance(step[key], str) else json.dumps(step[key], sort_keys=True)
                lines.append(f"    {key}: {shown}")
    return "\n".join(lines) + "\n"


def confirmed(question: str, assume_yes: bool) -> bool | None:
    """True: go ahead (`assume_yes`, or the person answered yes on a terminal); False: they did not; None: no
    terminal to ask on."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        return None
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def report(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
