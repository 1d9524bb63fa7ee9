"""Fault matrix of every runbook: a fault at every AWS call a runbook makes ends with the resource unchanged or
fully changed, never half.

Generated from the catalogue: each control's runbook (rendered, as deployed) runs in the Automation emulation
(onFailure, isEnd, nextStep, maxAttempts, aws:approve approved) on the control's demo seed
(simulation/seeds/), with the catalogue's parameters. A clean run records the calls, in order; each cell then
repeats the run with one fault at one of those calls:
- throttling and access denied (the call fails; the script's own error handling runs),
- resource vanished (the call answers the service's NotFound error),
- killed: SSM stops the step at its timeoutSeconds during the call (nothing after it in the step runs, not even
  its error handling), then the step's maxAttempts and onFailure apply.
A new runbook is covered by its catalogue entry and seed alone: its state is judged by a dry run after the cell
(WouldChange false: fully changed; PreviousState as before: unchanged; anything else: half). A runbook whose
change a dry run cannot judge (encrypt_ebs_volume replaces the resource) registers its own judge in JUDGES.

`make test` injects one fault at every call, the kind turning from call to call (in the order of their names, so
each runbook with four or more calls meets every kind); REMEDY_FAULT_MATRIX=full injects every kind at every call
(the measured run the README quotes), as REMEDY_FUZZ_EXAMPLES does for the fuzz tests.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from catalogue import load_catalogue, load_runbook
from infra.runbooks import render_document
from simulation.seeds import SEEDS
from simulation.ssm_automation import SsmAutomation, StepTimedOut
from tests.aws_calls import install_recorder
from tests.conftest import ACCOUNT_ID, REGION

FAULTS = ("throttled", "access-denied", "not-found", "killed")
FULL_MATRIX = os.environ.get("REMEDY_FAULT_MATRIX") == "full"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/remedy-runbook"
APPROVER = f"arn:aws:iam::{ACCOUNT_ID}:role/remedy-remediation-approver"
# Error codes as each service sends them (EC2: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
_THROTTLED = {"ec2": ("RequestLimitExceeded", 503), "s3": ("SlowDown", 503)}
_DENIED = {"ec2": ("UnauthorizedOperation", 403)}
_NOT_FOUND = {"s3": "NoSuchBucket", "iam": "NoSuchEntity", "ssm": "ParameterNotFound", "kms": "NotFoundException"}


@dataclass(frozen=True)
class Subject:
    """One runbook's matrix: the control it fixes, the seeded resource it fixes and the calls of a clean run."""

    runbook: str
    control_id: str
    index: int  # which of the seed's non-compliant resources (ids change from seed to seed, the order does not)
    calls: tuple[tuple[str, str], ...]  # (service, operation) in order


def _controls_by_runbook() -> dict[str, object]:
    controls = {}
    for control in load_catalogue().controls:
        controls.setdefault(control.remediation.runbook, control)
    return controls


CONTROLS = _controls_by_runbook()
DOCUMENTS = {name: render_document(load_runbook(name)) for name in CONTROLS}


def _error_code(fault: str, service: str, operation: str) -> tuple[str, int]:
    if fault == "throttled":
        return _THROTTLED.get(service, ("Throttling", 400))
    if fault == "access-denied":
        return _DENIED.get(service, ("AccessDenied", 403))
    if service == "ec2":
        thing = next((t for t in ("Snapshot", "Instance", "Volume") if t in operation), "Volume")
        return {"Instance": "InvalidInstanceID.NotFound"}.get(thing, f"Invalid{thing}.NotFound"), 400
    return _NOT_FOUND.get(service, "ResourceNotFoundException"), 404


@contextlib.contextmanager
def fault_at(operation: str, occurrence: int, fault: str) -> Iterator[None]:
    """The `occurrence`-th call (1-based) of `operation` fails once with `fault`; removed on exit."""
    seen = Counter()

    def before(model, **_kwargs):
        if model.name != operation:
            return None
        seen[operation] += 1
        if seen[operation] != occurrence:
            return None
        service = model.service_model.signing_name
        if fault == "killed":
            raise StepTimedOut(f"{service}:{operation}")
        code, status = _error_code(fault, service, operation)
        parsed = {
            "Error": {"Code": code, "Message": f"injected {fault}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("https://emulated.invalid", status, {}, None), parsed

    events = boto3.DEFAULT_SESSION.events
    events.register_first("before-call", before)
    try:
        yield
    finally:
        events.unregister("before-call", before)


def _parameters(runbook: str, resource_id: str, **extra: object) -> dict[str, list[str]]:
    """The catalogue's parameters for the resource, as the remediation configuration passes them."""
    control = CONTROLS[runbook]
    # ControlId as the remediation configuration passes it (remedy_cli.deployment): a runbook several controls share
    # has no default for it.
    values: dict[str, object] = {"AutomationAssumeRole": ROLE, "ControlId": control.id, **extra}
    for name, source in control.remediation.parameters.items():
        if source.kind == "resource":
            values[name] = resource_id
        elif source.kind == "rule_parameter":
            values[name] = control.detection.parameters[source.value]
        elif source.kind == "context":
            continue  # a deployment without that context key: the runbook's default
        else:
            values[name] = source.value
    if "Approvers" in DOCUMENTS[runbook].get("parameters", {}):
        values["Approvers"] = [APPROVER]
    return {
        name: value if isinstance(value, list) else [str(value).lower() if isinstance(value, bool) else str(value)]
        for name, value in values.items()
    }


def run(runbook: str, resource_id: str, **extra: object):
    """Run the rendered runbook on the resource (its approval approved by a stand-in person); the execution."""
    automation = SsmAutomation(approve=lambda _step, _inputs: True)
    automation.register(runbook, DOCUMENTS[runbook])
    execution_id = automation.start_automation_execution(
        DocumentName=runbook, Parameters=_parameters(runbook, resource_id, **extra)
    )
    return automation.executions[execution_id]


def seed(runbook: str) -> list[str]:
    """Seed the runbook's control; the ids of the non-compliant resources."""
    control = CONTROLS[runbook]
    return [r.resource_id for r in SEEDS[control.id](ACCOUNT_ID, REGION) if r.non_compliant]


# --- judging a cell's end state ------------------------------------------------------------------------------


def _dry_run_state(runbook: str, resource_id: str) -> dict:
    """What a dry run says about the resource: {"WouldChange": ..., "PreviousState": ...} (or the failure)."""
    execution = run(runbook, resource_id, DryRun=True)
    if execution.status != "Success":
        return {"Failure": execution.failure_message}
    for value in execution.step_outputs.values():
        if isinstance(value, dict) and "WouldChange" in value:
            return {"WouldChange": value["WouldChange"], "PreviousState": value.get("PreviousState")}
    outputs = {name.rsplit(".", 1)[1]: value for name, value in execution.step_outputs.items()}
    return {"WouldChange": outputs.get("WouldChange"), "PreviousState": outputs.get("PreviousState")}


class DryRunJudge:
    """Default judge: a dry run before and after the cell."""

    def __init__(self, runbook: str, resource_id: str) -> None:
        self.runbook, self.resource_id = runbook, resource_id
        self.before = _dry_run_state(runbook, resource_id)
        assert self.before.get("WouldChange") is True, f"the seeded {resource_id} needs no fix: {self.before}"

    def __call__(self) -> tuple[str, list[str]]:
        after = _dry_run_state(self.runbook, self.resource_id)
        if after.get("WouldChange") is False:
            return "changed", []
        if after.get("WouldChange") is True and after["PreviousState"] == self.before["PreviousState"]:
            return "unchanged", []
        return "half", [f"dry run after the cell: {after}"]


class EbsJudge:
    """encrypt_ebs_volume. Half: the instance left stopped (it was running), its device empty, the original
    deleted while no encrypted copy is on the device, an unencrypted snapshot of the original left (its data
    unencrypted at rest), or the new volume in place while the unencrypted original is kept."""

    def __init__(self, runbook: str, volume_id: str) -> None:
        self.ec2 = boto3.client("ec2")
        self.volume_id = volume_id
        volume = self.ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
        attachment = volume["Attachments"][0] if volume["Attachments"] else None
        self.instance_id = attachment["InstanceId"] if attachment else ""
        self.device = attachment["Device"] if attachment else ""
        self.instance_state = self._instance()["State"]["Name"] if attachment else ""
        self.size, self.tags = volume["Size"], volume.get("Tags", [])

    def _instance(self) -> dict:
        return self.ec2.describe_instances(InstanceIds=[self.instance_id])["Reservations"][0]["Instances"][0]

    def _volumes(self) -> dict[str, dict]:
        """The original and its replacements."""
        replacing = [{"Name": "tag:remedy:replaces-volume-id", "Values": [self.volume_id]}]
        found = self.ec2.describe_volumes(Filters=replacing)["Volumes"]
        found += self.ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [self.volume_id]}])["Volumes"]
        return {v["VolumeId"]: v for v in found}

    def __call__(self) -> tuple[str, list[str]]:
        volumes, problems = self._volumes(), []
        original = volumes.get(self.volume_id)
        replacements = [
            v
            for v in volumes.values()
            if {"Key": "remedy:replaces-volume-id", "Value": self.volume_id} in v.get("Tags", [])
        ]
        unencrypted = [
            s["SnapshotId"]
            for s in self.ec2.describe_snapshots(
                OwnerIds=["self"], Filters=[{"Name": "volume-id", "Values": [self.volume_id]}]
            )["Snapshots"]
            if not s.get("Encrypted")
        ]
        if unencrypted:
            problems.append(f"unencrypted snapshot(s) of the original left: {unencrypted}")
        if self.instance_id:
            instance = self._instance()
            on_device = next(
                (
                    m["Ebs"]["VolumeId"]
                    for m in instance.get("BlockDeviceMappings", [])
                    if m["DeviceName"] == self.device
                ),
                "",
            )
            if instance["State"]["Name"] != self.instance_state:
                problems.append(f"instance {instance['State']['Name']}, was {self.instance_state}")
            if not on_device:
                problems.append(f"nothing on {self.device}")
            new_on_device = on_device in {v["VolumeId"] for v in replacements}
        else:
            new_on_device = bool(replacements) and original is None
        if original is None and not new_on_device:
            problems.append("original deleted, no encrypted copy in its place")
        if original is not None and new_on_device:
            problems.append("encrypted volume in place, unencrypted original kept")
        if new_on_device:
            new = volumes[on_device] if self.instance_id else replacements[0]
            if not new["Encrypted"] or new["Size"] != self.size or not all(t in new["Tags"] for t in self.tags):
                problems.append(f"replacement {new['VolumeId']} differs from the original")
        if problems:
            return "half", problems
        return ("changed" if new_on_device else "unchanged"), []


JUDGES: dict[str, Callable[[str, str], Callable[[], tuple[str, list[str]]]]] = {"encrypt_ebs_volume": EbsJudge}


# --- the matrix ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def emulated_account() -> Iterator[tuple[object, object]]:
    """One in-process moto for many runs (reset between them: a fresh account costs ~1 s, a reset ~0.02 s) and a
    call recorder on boto3's default session."""
    from moto import mock_aws

    from tests.config_records import answer_config_history

    mock = mock_aws()
    mock.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            answer_config_history(patch)  # the guard step reads the resource's tags from AWS Config
            yield mock, install_recorder()
    finally:
        mock.stop()


EC2_RESET_EVERY = 12
_SEEDS_SINCE_RESET: Counter = Counter()


def fresh_seed(runbook: str, services: set[str]) -> list[str]:
    """Seed the runbook's control again, on fresh backends of the services it calls. EC2 keeps its backend (a
    fresh one costs ~1 s) for EC2_RESET_EVERY seeds: its seeds make new resources with new ids each time."""
    from moto.backends import get_backend

    _SEEDS_SINCE_RESET["ec2"] += 1
    if _SEEDS_SINCE_RESET["ec2"] >= EC2_RESET_EVERY:  # moto's EC2 slows down as resources pile up
        _SEEDS_SINCE_RESET["ec2"] = 0
        services = services | {"ec2-reset"}
        get_backend("ec2").reset()
    for service in services - {"ec2", "ec2-reset"}:
        with contextlib.suppress(ValueError, KeyError, ModuleNotFoundError):
            get_backend(service).reset()
    return seed(runbook)


def _subject(runbook: str, mock, recorder) -> Subject:
    """The seeded resource whose clean run makes the most calls (the deepest path), with those calls."""
    best = None
    for index in range(len(seed(runbook))):
        mock.reset()
        resource_id = seed(runbook)[index]
        recorder.clear()
        execution = run(runbook, resource_id)
        assert execution.status == "Success", f"{runbook} on {resource_id}: {execution.failure_message}"
        calls = tuple((c.service, c.operation) for c in recorder.calls)
        if best is None or len(calls) > len(best.calls):
            best = Subject(runbook, CONTROLS[runbook].id, index, calls)
    assert best is not None, f"the seed of {CONTROLS[runbook].id} makes no non-compliant resource"
    return best


def _subjects() -> list[Subject]:
    with emulated_account() as (mock, recorder):
        return [_subject(runbook, mock, recorder) for runbook in sorted(CONTROLS)]


SUBJECTS = _subjects()


def _calls_by_name(subject: Subject) -> list[tuple[str, str, int]]:
    """(service, operation, occurrence) of every call of the clean run, sorted by name: the same list in every
    worker even where reads run concurrently (the S3 bucket items are read by several threads) and so in any order."""
    counts = Counter(subject.calls)
    return sorted(
        (service, operation, n) for (service, operation), count in counts.items() for n in range(1, count + 1)
    )


def _cells() -> Iterator[object]:
    for subject in SUBJECTS:
        for position, (service, operation, occurrence) in enumerate(_calls_by_name(subject)):
            for fault in FAULTS if FULL_MATRIX else (FAULTS[position % len(FAULTS)],):
                yield pytest.param(
                    subject,
                    operation,
                    occurrence,
                    fault,
                    id=f"{subject.runbook}-{service}:{operation}#{occurrence}-{fault}",
                )


@pytest.fixture(scope="module")
def account():
    with emulated_account() as emulation:
        yield emulation


OUTCOMES: dict[str, Counter] = {}


@pytest.fixture(scope="module", autouse=True)
def outcome_table():
    """Print each runbook's cells by outcome once the matrix ran (the figure the README quotes; `-s` shows it)."""
    yield
    for runbook, counts in sorted(OUTCOMES.items()):
        safe = counts["unchanged"] + counts["changed"]
        print(f"\nfault matrix {runbook}: {safe} safe / {sum(counts.values())} cells {dict(sorted(counts.items()))}")


@pytest.mark.long_running  # its cells together take minutes
@pytest.mark.parametrize(("subject", "operation", "occurrence", "fault"), list(_cells()))
def test_a_fault_at_any_call_leaves_the_resource_unchanged_or_fully_changed(
    account, subject, operation, occurrence, fault
):
    _mock, recorder = account
    resource_id = fresh_seed(subject.runbook, {service for service, _operation in subject.calls})[subject.index]
    judge = JUDGES.get(subject.runbook, DryRunJudge)(subject.runbook, resource_id)
    recorder.clear()
    with fault_at(operation, occurrence, fault):
        execution = run(subject.runbook, resource_id)
    injected = any(s["StepStatus"] != "Success" for s in execution.step_executions)
    outcome, problems = judge()

    OUTCOMES.setdefault(subject.runbook, Counter())[outcome] += 1
    assert outcome in ("unchanged", "changed"), f"{execution.status} {execution.failure_message}: {problems}"
    assert outcome == "changed" or execution.status != "Success"  # a run that says Success changed it
    assert injected or execution.status == "Success"


def test_every_runbook_has_a_matrix():
    assert {s.runbook for s in SUBJECTS} == set(CONTROLS)
    assert all(len(s.calls) >= 2 for s in SUBJECTS)  # at least a read and a change
