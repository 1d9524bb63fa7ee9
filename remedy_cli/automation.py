# Why not PyPI cdklabs.cdk-ssm-documents (0.0.82, evaluated by unpacking the wheel into /tmp): it is a jsii
# package, so the Python API is a proxy to a Node.js process. Its simulation runs aws:executeScript by writing the
# script to a temp file and starting a separate `python` through the npm module python-shell, and its API steps
# call the AWS SDK for JavaScript v3. Neither reaches an in-process moto mock_aws (another process, another SDK), and
# it pulls in aws-cdk-lib + jsii + Node just to run a document. Loading our YAML works (StringDocument.fromYaml), but
# the execution model does not fit, so Remedy uses the small interpreter below.
"""Run a rendered SSM Automation document (schemaVersion 0.3) in this process, against whatever boto3 reaches.

moto stores Automation documents but never runs them. `SsmAutomation` does, synchronously:

    automation = SsmAutomation()                       # in-process moto (mock_aws) in tests
    automation = SsmAutomation(endpoint_url=url)       # or a moto server
    automation.register("Remedy-EncryptEbsVolume", render_document(runbook))
    execution_id = automation.start_automation_execution(
        DocumentName="Remedy-EncryptEbsVolume", Parameters={"VolumeId": ["vol-0123abcd"]}
    )
    automation.get_automation_execution(AutomationExecutionId=execution_id)  # shaped like boto3's response

Supported actions: aws:executeScript (python, `Script` embedded), aws:executeAwsApi, aws:assertAwsResourceProperty,
aws:waitForAwsResourceProperty, aws:branch, aws:approve and aws:sleep (not slept). Any other action fails the
execution with "unsupported action". AutomationAssumeRole is never assumed (no STS call): steps run with the
credentials of the boto3 session. Step `timeoutSeconds` is recorded, not enforced; waits are bounded by
`wait_max_polls`. A `StepTimedOut` raised while a step runs (a test's stand-in for SSM stopping the step at its
timeout) ends the step TimedOut at once, and its maxAttempts and onFailure apply.

aws:approve follows https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-approve.html:
the step and the execution are Waiting until approvers decide, through `send_automation_signal` (SignalType
Approve or Reject, as SSM's SendAutomationSignal) or the `approve` callback. MinRequiredApprovals approvals
(default 1) resume the execution, with outputs ApprovalStatus and ApproverDecisions; a rejection fails the step
(onFailure then applies, Abort by default); `expire_approval` is the step's timeout (step and execution TimedOut).
Inputs are checked as documented: Approvers 1 to 10 principals, Message at most 4096 characters,
MinRequiredApprovals at most the number of approvers. Where this differs from AWS: the approver is whoever the
caller names (`Approver`, checked against Approvers by string), not an authenticated IAM principal; no SNS
message is published to NotificationArn (its value is only recorded); the timeout does not elapse on its own.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import io
import json
import os
import re
import sys
import time
import traceback
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3

__all__ = ["AutomationExecution", "SsmAutomation", "StepFailure", "StepTimedOut"]

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account, used for {{ global:ACCOUNT_ID }} when no role names one
MAX_STEP_RUNS = 1000  # a branch loop that never ends fails the execution instead of hanging
MAX_APPROVERS = 10  # aws:approve takes at most 10 approvers
MAX_APPROVAL_MESSAGE = 4096  # aws:approve: "The maximum message length is 4096 characters."
_VARIABLE = re.compile(r"\{\{\s*([\w:.\-]+)\s*\}\}")
_SELECTOR_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()
_NUMERIC = {
    "NumericEquals": lambda a, b: a == b,
    "NumericGreater": lambda a, b: a > b,
    "NumericLesser": lambda a, b: a < b,
    "NumericGreaterOrEquals": lambda a, b: a >= b,
    "NumericLesserOrEquals": lambda a, b: a <= b,
}


class StepFailure(Exception):
    """A step failed (raised inside the interpreter; recorded on the step, never raised to the caller)."""

    def __init__(self, message: str, status: str = "Failed", retry: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.retry = retry


class StepTimedOut(BaseException):  # not an Exception: no handler of the code under test may catch it
    """Raise it (e.g. from a botocore hook) to stand for SSM stopping a step at its timeoutSeconds: nothing after it
    in the step runs, not even the step's own error handling. The step ends TimedOut and its onFailure applies, as
    https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-handling-timeouts.html describes."""


@dataclass
class AutomationExecution:
    """One run of a document. `step_executions` holds one dict per step run, in order:
    StepName, Action, StepStatus, Inputs (resolved, without Script), Outputs ({name: typed value}),
    FailureMessage, Attempts, TimeoutSeconds, OnFailure, IsCritical, ExecutionLog (what a script printed)
    and Exception (the Python exception of a failed step; not part of get_automation_execution)."""

    execution_id: str
    document_name: str
    parameters: dict[str, Any]
    status: str = "InProgress"  # then "Success" | "Failed" | "TimedOut" | "Cancelled" | "Waiting"
    step_executions: list[dict] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    failure_message: str = ""

    def step(self, name: str) -> dict:
        """The last run of step `name` (KeyError if it never ran)."""
        for step in reversed(self.step_executions):
            if step["StepName"] == name:
                return step
        raise KeyError(name)

    @property
    def step_outputs(self) -> dict[str, Any]:
        """Every output of every step that ran, as "Step.Output" -> value (the document's list or not)."""
        return {f"{s['StepName']}.{n}": v for s in self.step_executions for n, v in s["Outputs"].items()}


class SsmAutomation:
    """An in-process stand-in for SSM Automation's StartAutomationExecution / GetAutomationExecution."""

    def __init__(
        self,
        session_factory: Callable[[], boto3.session.Session] | None = None,
        endpoint_url: str | None = None,
        approve: Callable[[str, dict], bool | None] | None = None,
        wait_poll_seconds: float = 0.0,
        wait_max_polls: int = 60,
    ) -> None:
        """session_factory: the boto3 session for API steps, also made boto3's default session while a script
        runs (default: boto3's default session, looked up at each step, so recorders attached to it see calls).
        endpoint_url: every client of a step reaches it (scripts through AWS_ENDPOINT_URL, set for the step).
        approve(step_name, inputs) decides aws:approve steps as they are reached: True approves, False rejects,
        None (and no callback, the default) leaves the execution Waiting for send_automation_signal."""
        self._session_factory = session_factory
        self.endpoint_url = endpoint_url
        self._approve = approve
        self.wait_poll_seconds = wait_poll_seconds
        self.wait_max_polls = wait_max_polls
        self.documents: dict[str, dict] = {}
        self.executions: dict[str, AutomationExecution] = {}
        self._waiting: dict[str, _AutomationRun] = {}  # executions paused at an aws:approve step

    # --- public API --------------------------------------------------------------------------------------------

    def register(self, name: str, document: dict | str) -> None:
        """Make a rendered document (a dict, or its JSON/YAML text) startable as `name`."""
        if isinstance(document, str):
            from catalogue import read_yaml  # JSON is YAML too

            document = read_yaml(document)
        if not isinstance(document, dict) or not isinstance(document.get("mainSteps"), list):
            raise ValueError(f"document {name!r}: not an Automation document (no mainSteps list)")
        if str(document.get("schemaVersion")) != "0.3":
            raise ValueError(f"document {name!r}: schemaVersion must be 0.3, got {document.get('schemaVersion')!r}")
        for step in document["mainSteps"]:
            inputs = step.get("inputs") or {}
            if step.get("action") == "aws:executeScript" and "Script" not in inputs:
                raise ValueError(
                    f"document {name!r} step {step.get('name')!r}: no Script; register the rendered document "
                    "(infra.runbooks.render_document), not document.yaml"
                )
        self.documents[name] = copy.deepcopy(document)

    def start_automation_execution(
        self,
        DocumentName: str,
        Parameters: dict[str, list[str]] | None = None,
    ) -> str:
        """Validate the parameters (ValueError naming the parameter, before anything runs), run, return the id."""
        if DocumentName not in self.documents:
            raise ValueError(f"document {DocumentName!r} is not registered (known: {sorted(self.documents)})")
        document = self.documents[DocumentName]
        parameters = _validate_parameters(document.get("parameters") or {}, Parameters or {})
        execution = AutomationExecution(str(uuid.uuid4()), DocumentName, parameters)
        self.executions[execution.execution_id] = execution
        run = _AutomationRun(self, document, execution)
        if run.run():
            self._waiting[execution.execution_id] = run
        return execution.execution_id

    def send_automation_signal(
        self,
        AutomationExecutionId: str,
        SignalType: str,
        Payload: dict[str, list[str]] | None = None,
        Approver: str | None = None,
    ) -> None:
        """Approve or Reject the aws:approve step an execution waits at, as `Approver` (one of its Approvers;
        default: the first); the execution then runs on to its end or its next approval."""
        run = self._waiting.get(AutomationExecutionId)
        if run is None:
            raise ValueError(f"automation execution {AutomationExecutionId!r} is not waiting for approval")
        if SignalType not in ("Approve", "Reject"):
            raise ValueError(f"SignalType must be Approve or Reject for an aws:approve step, got {SignalType!r}")
        comment = " ".join((Payload or {}).get("Comment", []))
        if run.decide(SignalType == "Approve", Approver, comment):
            del self._waiting[AutomationExecutionId]

    def expire_approval(self, AutomationExecutionId: str) -> None:
        """The waiting aws:approve step reaches its timeoutSeconds: step and execution end TimedOut."""
        run = self._waiting.pop(AutomationExecutionId, None)
        if run is None:
            raise ValueError(f"automation execution {AutomationExecutionId!r} is not waiting for approval")
        run.expire()

    def get_automation_execution(self, AutomationExecutionId: str) -> dict:
        """The execution shaped like boto3's GetAutomationExecution response."""
        execution = self.executions.get(AutomationExecutionId)
        if execution is None:
            raise ValueError(f"automation execution {AutomationExecutionId!r} does not exist")
        steps = [
            {
                "StepName": s["StepName"],
                "Action": s["Action"],
                "StepStatus": s["StepStatus"],
                "Inputs": {k: _text(v) for k, v in s["Inputs"].items()},
                "Outputs": {k: _string_list(v) for k, v in s["Outputs"].items()},
                "FailureMessage": s["FailureMessage"],
                "MaxAttempts": s["MaxAttempts"],
                "TimeoutSeconds": s["TimeoutSeconds"],
                "OnFailure": s["OnFailure"],
                "IsCritical": s["IsCritical"],
                "IsEnd": s["IsEnd"],
                "Attempts": s["Attempts"],
            }
            for s in execution.step_executions
        ]
        response = {
            "AutomationExecutionId": execution.execution_id,
            "DocumentName": execution.document_name,
            "AutomationExecutionStatus": execution.status,
            "StepExecutions": steps,
            "Outputs": {k: _string_list(v) for k, v in execution.outputs.items()},
            "Parameters": {k: _string_list(v) for k, v in execution.parameters.items()},
        }
        if execution.failure_message:
            response["FailureMessage"] = execution.failure_message
        return {"AutomationExecution": response}

    # --- used by _AutomationRun ---------------------------------------------------------------------------------------

    def _session(self) -> boto3.session.Session:
        if self._session_factory is not None:
            return self._session_factory()
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        return boto3.DEFAULT_SESSION

    def _client(self, service: str) -> Any:
        kwargs = {"endpoint_url": self.endpoint_url} if self.endpoint_url else {}
        return self._session().client(service, **kwargs)

    @contextlib.contextmanager
    def _script_environment(self) -> Iterator[None]:
        """While a script runs: its boto3.client(...) calls reach endpoint_url and use the configured session."""
        saved_endpoint = os.environ.get("AWS_ENDPOINT_URL")
        saved_session = boto3.DEFAULT_SESSION
        if self.endpoint_url:
            os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
        if self._session_factory is not None:
            boto3.DEFAULT_SESSION = self._session_factory()
        try:
            yield
        finally:
            if self._session_factory is not None:
                boto3.DEFAULT_SESSION = saved_session
            if self.endpoint_url:
                if saved_endpoint is None:
                    os.environ.pop("AWS_ENDPOINT_URL", None)
                else:
                    os.environ["AWS_ENDPOINT_URL"] = saved_endpoint


# --- parameters ------------------------------------------------------------------------------------------------


def _validate_parameters(declared: dict, given: dict) -> dict[str, Any]:
    """Typed parameter values (given ones converted and checked, defaults applied); ValueError on any problem."""
    if not isinstance(given, dict):
        raise ValueError("Parameters must be a dict of name -> list of strings")
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ValueError(f"parameter {unknown[0]!r} is not declared by the document (declared: {sorted(declared)})")
    values = {}
    for name, spec in declared.items():
        spec = spec or {}
        kind = spec.get("type", "String")
        if name in given:
            raw = given[name]
            if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
                raise ValueError(f"parameter {name!r}: the value must be a list of strings, got {raw!r}")
            values[name] = _convert_parameter(name, kind, raw)
            _check_constraints(name, kind, spec, values[name])
        elif "default" in spec:
            values[name] = _default_value(name, kind, copy.deepcopy(spec["default"]))
        else:
            raise ValueError(f"parameter {name!r} is required and has no default")
    return values


def _default_value(name: str, kind: str, default: Any) -> Any:
    """A declared default, typed (YAML may already give it the right type)."""
    expected = {"Integer": int, "Boolean": bool, "StringMap": dict, "StringList": list, "MapList": list}.get(kind)
    if expected is not None and isinstance(default, expected) and not (kind == "Integer" and isinstance(default, bool)):
        return default
    if kind in ("StringList", "MapList") and isinstance(default, list):
        return default
    return _convert_parameter(name, kind, [_text(default)])


def _single(name: str, kind: str, raw: list[str]) -> str:
    if len(raw) != 1:
        raise ValueError(f"parameter {name!r} ({kind}) takes exactly one value, got {len(raw)}")
    return raw[0]


def _convert_parameter(name: str, kind: str, raw: list[str]) -> Any:
    if kind == "String":
        return _single(name, kind, raw)
    if kind == "Integer":
        value = _single(name, kind, raw).strip()
        if not re.fullmatch(r"-?\d+", value):
            raise ValueError(f"parameter {name!r} must be an Integer, got {value!r}")
        return int(value)
    if kind == "Boolean":
        value = _single(name, kind, raw).strip().lower()
        if value not in ("true", "false"):
            raise ValueError(f"parameter {name!r} must be a Boolean (true or false), got {raw[0]!r}")
        return value == "true"
    if kind == "StringList":
        return list(raw)
    if kind in ("StringMap", "MapList"):
        try:
            parsed = [json.loads(item) if isinstance(item, str) else item for item in raw]
        except json.JSONDecodeError as error:
            raise ValueError(f"parameter {name!r} ({kind}) must be JSON: {error}") from None
        if kind == "StringMap":
            value = _single(name, kind, parsed)
            if not isinstance(value, dict):
                raise ValueError(f"parameter {name!r} must be a StringMap (a JSON object), got {value!r}")
            return value
        if not all(isinstance(item, dict) for item in parsed):
            raise ValueError(f"parameter {name!r} must be a MapList (JSON objects)")
        return parsed
    raise ValueError(f"parameter {name!r}: unsupported type {kind!r}")


def _check_constraints(name: str, kind: str, spec: dict, value: Any) -> None:
    items = value if kind == "StringList" else [value] if kind == "String" else []
    pattern = spec.get("allowedPattern")
    for item in items:
        if pattern is not None and not re.search(pattern, item):
            raise ValueError(f"parameter {name!r}: {item!r} does not match allowedPattern {pattern}")
        if "minChars" in spec and len(item) < int(spec["minChars"]):
            raise ValueError(f"parameter {name!r}: {item!r} is shorter than minChars {spec['minChars']}")
        if "maxChars" in spec and len(item) > int(spec["maxChars"]):
            raise ValueError(f"parameter {name!r}: {item!r} is longer than maxChars {spec['maxChars']}")
    allowed = spec.get("allowedValues")
    if allowed is not None:
        allowed_text = [_text(a) for a in allowed]
        for item in value if isinstance(value, list) else [value]:
            if _text(item) not in allowed_text:
                raise ValueError(f"parameter {name!r}: {_text(item)!r} is not one of allowedValues {allowed_text}")
    if isinstance(value, list):
        if "minItems" in spec and len(value) < int(spec["minItems"]):
            raise ValueError(f"parameter {name!r}: fewer than minItems {spec['minItems']} values")
        if "maxItems" in spec and len(value) > int(spec["maxItems"]):
            raise ValueError(f"parameter {name!r}: more than maxItems {spec['maxItems']} values")


# --- values ----------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A value as SSM writes it into a string: true/false, numbers as digits, maps and lists as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=_json_default)
    return str(value)


def _string_list(value: Any) -> list[str]:
    """boto3's list-of-strings form of a value (Outputs, Parameters)."""
    if isinstance(value, list):
        return [_text(item) for item in value]
    return [_text(value)]


def _json_default(value: Any) -> str:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _jsonable(value: Any) -> Any:
    """An AWS API response as SSM sees it: JSON (timestamps as ISO strings, streaming bodies dropped)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if not hasattr(v, "read")}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date, bytes)):
        return _json_default(value)
    return value


def select(document: Any, selector: str) -> Any:
    """The value at a JSONPath subset selector ($, $.A.B, $.A[0].B); _MISSING when absent."""
    selector = selector.strip()
    if not selector.startswith("$"):
        raise StepFailure(f"selector {selector!r} must start with $", retry=False)
    rest, position, value = selector[1:], 0, document
    while position < len(rest):
        match = _SELECTOR_TOKEN.match(rest, position)
        if not match:
            raise StepFailure(f"selector {selector!r} is not supported (only .Name and [n] parts)", retry=False)
        position = match.end()
        key, index = match.group(1), match.group(2)
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                return _MISSING
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return _MISSING
            value = value[int(index)]
    return value


def _typed_output(step: str, output: dict, value: Any) -> Any:
    name, kind = output.get("Name"), output.get("Type", "String")
    where = f"output {step}.{name} ({kind})"
    if kind == "String":
        if isinstance(value, (dict, list)):
            raise StepFailure(f"{where}: the selected value is a {type(value).__name__}, not a String", retry=False)
        return _text(value)
    if kind == "Integer":
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not re.fullmatch(r"-?\d+", str(value)):
            raise StepFailure(f"{where}: {value!r} is not an Integer", retry=False)
        return int(value)
    if kind == "Boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise StepFailure(f"{where}: {value!r} is not a Boolean", retry=False)
        return value
    if kind == "StringList":
        if not isinstance(value, list):
            raise StepFailure(f"{where}: {value!r} is not a list", retry=False)
        return [item if isinstance(item, (dict, list)) else _text(item) for item in value]
    if kind == "StringMap":
        if not isinstance(value, dict):
            raise StepFailure(f"{where}: {value!r} is not a map", retry=False)
        return value
    if kind == "MapList":
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise StepFailure(f"{where}: {value!r} is not a list of maps", retry=False)
        return value
    raise StepFailure(f"{where}: unsupported output type", retry=False)


def _snake_case(api: str) -> str:
    from botocore import xform_name

    return xform_name(api[:1].upper() + api[1:])


# --- the run ---------------------------------------------------------------------------------------------------


class _AutomationRun:
    """One execution of one document."""

    def __init__(self, automation: SsmAutomation, document: dict, execution: AutomationExecution) -> None:
        self.automation = automation
        self.document = document
        self.execution = execution
        self.variables: dict[str, Any] = dict(execution.parameters)
        self.approvals: dict[str, dict[str, dict]] = {}  # approve step -> approver -> decision
        self.index, self.runs, self.final_status = 0, 0, "Success"
        self.variables["automation:EXECUTION_ID"] = execution.execution_id
        self.variables["automation:DOCUMENT_EXECUTION_ID"] = execution.execution_id
        self.variables["global:ACCOUNT_ID"] = self._account_id()
        self.variables["global:AWS_PARTITION"] = "aws"
        now = datetime.datetime.now(datetime.UTC)
        self.variables["global:DATE"] = now.strftime("%Y-%m-%d")
        self.variables["global:DATE_TIME"] = now.strftime("%m-%d-%Y_%H.%M.%S")

    def _account_id(self) -> str:
        role = self.execution.parameters.get("AutomationAssumeRole")
        match = re.match(r"^arn:aws[a-z-]*:iam::(\d{12}):", role) if isinstance(role, str) else None
        return match.group(1) if match else os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)

    def _region(self) -> str:
        return self.automation._session().region_name or os.environ.get("AWS_REGION") or "us-east-1"

    # substitution

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, str):
            return value
        whole = _VARIABLE.fullmatch(value.strip())
        if whole:
            return copy.deepcopy(self._variable(whole.group(1)))
        return _VARIABLE.sub(lambda m: _text(self._variable(m.group(1))), value)

    def _variable(self, name: str) -> Any:
        if name == "global:REGION":
            return self._region()
        if name not in self.variables:
            raise StepFailure(f"variable {{{{ {name} }}}} is not defined (no such parameter or step output)")
        return self.variables[name]

    # flow

    def run(self) -> bool:
        """Run from the first step; True when the execution now waits at an aws:approve step."""
        self.index, self.runs, self.final_status = 0, 0, "Success"
        return self._loop()

    def _loop(self) -> bool:
        steps = self.document["mainSteps"]
        while 0 <= self.index < len(steps):
            self.runs += 1
            if self.runs > MAX_STEP_RUNS:
                self._fail(f"more than {MAX_STEP_RUNS} step runs")
                break
            step = steps[self.index]
            record, chosen = self._run_step(step)
            self.execution.step_executions.append(record)
            if record["StepStatus"] == "Waiting":
                self.execution.status = "Waiting"
                return True
            if not self._advance(step, record, chosen):
                break
        self._finish()
        return False

    def _fail(self, message: str, status: str = "Failed") -> None:
        if self.final_status == "Success":
            self.final_status = status
            self.execution.failure_message = self.execution.failure_message or message

    def _advance(self, step: dict, record: dict, chosen: str | None) -> bool:
        """Move self.index to the step that runs next; False when the execution ends here."""
        if record["StepStatus"] == "Success":
            if chosen is None and step.get("isEnd"):
                return False
            target = chosen or step.get("nextStep")
        else:
            if _is_true(step.get("isCritical", True)):
                self._fail(f"Step {step['name']} failed: {record['FailureMessage']}", record["StepStatus"])
            on_failure = str(step.get("onFailure", "Abort"))
            if on_failure.startswith("step:"):
                target = on_failure.removeprefix("step:")
            elif on_failure == "Continue" and not step.get("isEnd"):
                target = step.get("nextStep")
            else:  # Abort, or Continue at the last step
                return False
        if target is None:
            self.index += 1
            return True
        by_name = {s["name"]: i for i, s in enumerate(self.document["mainSteps"])}
        if target not in by_name:
            self.final_status = "Failed"
            self.execution.failure_message = f"Step {step['name']}: next step {target!r} does not exist"
            return False
        self.index = by_name[target]
        return True

    def _finish(self) -> None:
        self.execution.status = self.final_status
        self.execution.outputs = {
            name: self.variables[name] for name in self.document.get("outputs") or [] if name in self.variables
        }

    # approval

    def decide(self, approve: bool, approver: str | None, comment: str = "") -> bool:
        """Record one approver's decision on the waiting step; True when the execution no longer waits."""
        step, record = self.document["mainSteps"][self.index], self.execution.step_executions[-1]
        approvers = record["Inputs"].get("Approvers") or []
        approver = approver or approvers[0]
        if approver not in approvers:
            raise ValueError(f"{approver!r} is not one of the step's Approvers {approvers}")
        decisions = self.approvals.setdefault(record["StepName"], {})
        decisions[approver] = {"Decision": "Approved" if approve else "Rejected", "Comment": comment}
        approved = sum(d["Decision"] == "Approved" for d in decisions.values())
        if approve and approved < int(record["Inputs"].get("MinRequiredApprovals", 1)):
            return False
        status = "Approved" if approve else "Rejected"
        outputs = {"ApprovalStatus": status, "ApproverDecisions": dict(decisions)}
        if approve:
            record.update(StepStatus="Success", Outputs=outputs)
            for name, value in outputs.items():
                self.variables[f"{step['name']}.{name}"] = value
        else:
            message = f"approval rejected by {approver}" + (f": {comment}" if comment else "")
            record.update(StepStatus="Failed", Outputs=outputs, FailureMessage=message)
        self.execution.status = "InProgress"
        if self._advance(step, record, None):
            return not self._loop()
        self._finish()
        return True

    def expire(self) -> None:
        """The approval step timed out: as AWS documents, the step and the execution end TimedOut."""
        record = self.execution.step_executions[-1]
        record.update(StepStatus="TimedOut", FailureMessage="approval timed out before enough approvals")
        self._fail(f"Step {record['StepName']} timed out waiting for approval", "TimedOut")
        self._finish()

    def _approval(self, step: dict, inputs: dict) -> tuple[str | None, dict] | None:
        """Check an aws:approve step's inputs; None when it must wait for a decision."""
        approvers = inputs.get("Approvers")
        if isinstance(approvers, str):
            approvers = [approvers]
        if not isinstance(approvers, list) or not 1 <= len(approvers) <= MAX_APPROVERS:
            raise StepFailure(f"Approvers must list 1 to {MAX_APPROVERS} principals, got {approvers!r}", retry=False)
        inputs["Approvers"] = approvers
        message = inputs.get("Message", "")
        if len(_text(message)) > MAX_APPROVAL_MESSAGE:
            raise StepFailure(f"Message is longer than {MAX_APPROVAL_MESSAGE} characters", retry=False)
        needed = int(inputs.get("MinRequiredApprovals", 1))
        if not 1 <= needed <= len(approvers):
            raise StepFailure(f"MinRequiredApprovals {needed} must be from 1 to the number of approvers", retry=False)
        decide = self.automation._approve
        decision = decide(step["name"], inputs) if decide is not None else None
        if decision is None:
            return None
        if not decision:
            raise StepFailure(f"approval rejected: step {step['name']} was not approved", retry=False)
        outputs = {"ApprovalStatus": "Approved", "ApproverDecisions": {approvers[0]: {"Decision": "Approved"}}}
        return None, outputs

    def _run_step(self, step: dict) -> tuple[dict, str | None]:
        """Run one step with its retries; return its record and the step a branch chose (None: default flow)."""
        action = step.get("action", "")
        inputs = step.get("inputs") or {}
        record = {
            "StepName": step["name"],
            "Action": action,
            "StepStatus": "InProgress",
            "Inputs": {k: v for k, v in inputs.items() if k != "Script"},
            "Outputs": {},
            "FailureMessage": "",
            "Attempts": 0,
            "MaxAttempts": int(step.get("maxAttempts", 1)),
            "TimeoutSeconds": step.get("timeoutSeconds"),
            "OnFailure": str(step.get("onFailure", "Abort")),
            "IsCritical": _is_true(step.get("isCritical", True)),
            "IsEnd": bool(step.get("isEnd", False)),
            "ExecutionLog": "",
            "Exception": None,
        }
        while True:
            record["Attempts"] += 1
            try:
                # The embedded Script is code, not a template: SSM substitutes variables in the other inputs only.
                resolved = {k: v if k == "Script" else self.resolve(v) for k, v in inputs.items()}
                record["Inputs"] = {k: v for k, v in resolved.items() if k != "Script"}
                if action == "aws:approve":
                    decided = self._approval(step, resolved)
                    record["Inputs"] = {k: v for k, v in resolved.items() if k != "Script"}
                    if decided is None:
                        record["StepStatus"] = "Waiting"
                        return record, None
                    chosen, outputs = decided
                else:
                    chosen, outputs = self._action(step, action, resolved, record)
            except StepTimedOut as killed:
                message = f"Step timed out (stopped at its timeoutSeconds during {killed})"
                record.update(StepStatus="TimedOut", FailureMessage=message, Exception=killed)
                if record["Attempts"] < record["MaxAttempts"]:
                    continue
                return record, None
            except StepFailure as failure:
                record.update(StepStatus=failure.status, FailureMessage=str(failure), Exception=failure)
                if failure.retry and record["Attempts"] < record["MaxAttempts"]:
                    continue
                return record, None
            except Exception as error:  # the step's own error (a script's exception, an AWS error)
                record.update(StepStatus="Failed", FailureMessage=_describe(error), Exception=error)
                if record["Attempts"] < record["MaxAttempts"]:
                    continue
                return record, None
            record.update(StepStatus="Success", FailureMessage="", Exception=None, Outputs=outputs)
            for name, value in outputs.items():
                self.variables[f"{step['name']}.{name}"] = value
            return record, chosen

    def _action(self, step: dict, action: str, inputs: dict, record: dict) -> tuple[str | None, dict]:
        if action == "aws:executeScript":
            payload = self._execute_script(step, inputs, record)
            return None, self._outputs(step, {"Payload": payload})
        if action == "aws:executeAwsApi":
            response = self._call(inputs, exclude=())
            return None, self._outputs(step, response)
        if action == "aws:assertAwsResourceProperty":
            response = self._call(inputs, exclude=("PropertySelector", "DesiredValues"))
            self._check_property(inputs, response)
            return None, {}
        if action == "aws:waitForAwsResourceProperty":
            self._wait(inputs)
            return None, {}
        if action == "aws:branch":
            return self._branch(step, inputs), {}
        if action == "aws:sleep":
            return None, {}
        raise StepFailure(f"unsupported action {action!r} (step {step['name']})", retry=False)

    def _outputs(self, step: dict, response: dict) -> dict:
        outputs = {}
        for output in step.get("outputs") or []:
            value = select(response, output.get("Selector", "$"))
            if value is _MISSING or value is None:
                continue  # SSM leaves an output whose selector finds nothing unset
            outputs[output["Name"]] = _typed_output(step["name"], output, value)
        return outputs

    def _execute_script(self, step: dict, inputs: dict, record: dict) -> Any:
        runtime, handler, script = inputs.get("Runtime", ""), inputs.get("Handler"), inputs.get("Script")
        if not str(runtime).startswith("python"):
            raise StepFailure(f"unsupported Runtime {runtime!r} (python only)", retry=False)
        if not isinstance(script, str) or not handler:
            raise StepFailure("aws:executeScript needs an embedded Script and a Handler", retry=False)
        events = inputs.get("InputPayload") or {}
        events = json.loads(json.dumps(events, default=_json_default))
        module = types.ModuleType(f"ssm_automation_script_{step['name']}_{uuid.uuid4().hex[:8]}")
        module.__file__ = f"<{self.execution.document_name}:{step['name']}>"
        log = io.StringIO()
        sys.modules[module.__name__] = module  # a real module: dataclasses, pickling and typing find it
        try:
            with self.automation._script_environment(), contextlib.redirect_stdout(log):
                code = _compiled(script, module.__file__)
                exec(code, module.__dict__)  # noqa: S102 (the document's own script, as SSM runs it)
                function = module.__dict__.get(handler)
                if not callable(function):
                    raise StepFailure(f"Handler {handler!r} is not a function of the Script", retry=False)
                result = function(events, {})
        finally:
            sys.modules.pop(module.__name__, None)
            record["ExecutionLog"] += log.getvalue()
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as error:
            raise StepFailure(f"the script's return value is not JSON: {error}", retry=False) from None

    def _call(self, inputs: dict, exclude: tuple[str, ...]) -> dict:
        service, api = inputs.get("Service"), inputs.get("Api")
        if not service or not api:
            raise StepFailure("Service and Api are required", retry=False)
        client = self.automation._client(service)
        method = _snake_case(str(api))
        if not hasattr(client, method):
            raise StepFailure(f"{service} has no API {api!r}", retry=False)
        params = {k: v for k, v in inputs.items() if k not in ("Service", "Api", *exclude)}
        response = getattr(client, method)(**params)
        return _jsonable(response)

    @staticmethod
    def _matches(inputs: dict, response: dict) -> tuple[bool, Any]:
        actual = select(response, str(inputs.get("PropertySelector", "")))
        desired = inputs.get("DesiredValues") or []
        if actual is _MISSING:
            return False, actual
        values = actual if isinstance(actual, list) else [actual]
        desired_text = [_text(d).lower() if isinstance(d, bool) else _text(d) for d in desired]
        found = [_text(v).lower() if isinstance(v, bool) else _text(v) for v in values]
        return any(v in desired_text for v in found), actual

    def _check_property(self, inputs: dict, response: dict) -> None:
        ok, actual = self._matches(inputs, response)
        if not ok:
            shown = "nothing" if actual is _MISSING else repr(actual)
            raise StepFailure(
                f"{inputs.get('PropertySelector')} is {shown}, expected one of {inputs.get('DesiredValues')}"
            )

    def _wait(self, inputs: dict) -> None:
        polls = max(1, self.automation.wait_max_polls)
        actual = _MISSING
        for poll in range(polls):
            response = self._call(inputs, exclude=("PropertySelector", "DesiredValues"))
            ok, actual = self._matches(inputs, response)
            if ok:
                return
            if poll + 1 < polls and self.automation.wait_poll_seconds:
                time.sleep(self.automation.wait_poll_seconds)
        shown = "nothing" if actual is _MISSING else repr(actual)
        raise StepFailure(
            f"timed out after {polls} polls: {inputs.get('PropertySelector')} is {shown}, "
            f"expected one of {inputs.get('DesiredValues')}",
            status="TimedOut",
            retry=False,
        )

    def _branch(self, step: dict, inputs: dict) -> str | None:
        for choice in inputs.get("Choices") or []:
            if self._choice(choice):
                return choice["NextStep"]
        return inputs.get("Default")

    def _choice(self, choice: dict) -> bool:
        if "And" in choice:
            return all(self._choice(c) for c in choice["And"])
        if "Or" in choice:
            return any(self._choice(c) for c in choice["Or"])
        if "Not" in choice:
            inner = choice["Not"]
            return not self._choice(inner[0] if isinstance(inner, list) else inner)
        if "Variable" not in choice:
            raise StepFailure(f"choice {choice!r} has no Variable", retry=False)
        variable = choice["Variable"]  # already resolved
        for operator, operand in choice.items():
            if operator in ("Variable", "NextStep"):
                continue
            return _compare(operator, variable, operand)
        raise StepFailure(f"choice {choice!r} has no operator", retry=False)


@functools.lru_cache(maxsize=256)
def _compiled(script: str, filename: str) -> types.CodeType:
    """A step's script compiled once (a document runs many times in a test session)."""
    return compile(script, filename, "exec", dont_inherit=True)


def _compare(operator: str, variable: Any, operand: Any) -> bool:
    if operator == "StringEquals":
        return _text(variable) == _text(operand)
    if operator == "EqualsIgnoreCase":
        return _text(variable).lower() == _text(operand).lower()
    if operator == "StartsWith":
        return _text(variable).startswith(_text(operand))
    if operator == "EndsWith":
        return _text(variable).endswith(_text(operand))
    if operator == "Contains":
        if isinstance(variable, list):
            return _text(operand) in [_text(item) for item in variable]
        if isinstance(variable, dict):
            return _text(operand) in variable
        return _text(operand) in _text(variable)
    if operator == "BooleanEquals":
        return _as_bool(variable) == _as_bool(operand)
    if operator in _NUMERIC:
        try:
            return _NUMERIC[operator](float(variable), float(operand))
        except (TypeError, ValueError):
            raise StepFailure(f"{operator}: {variable!r} is not a number", retry=False) from None
    raise StepFailure(f"unsupported branch operator {operator!r}", retry=False)


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise StepFailure(f"BooleanEquals: {value!r} is not a Boolean", retry=False)


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _describe(error: BaseException) -> str:
    """A failed step's message: the exception and where in the script it was raised."""
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if f.filename.startswith("<") and not f.filename.startswith("<frozen")
    ]
    where = f" (at {frames[-1].filename} line {frames[-1].lineno}, in {frames[-1].name})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"
