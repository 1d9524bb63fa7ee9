"""`remedy scan`: the catalogue's rule code, unmodified, evaluated against a live account, read-only.

Each control's rule module (config_rules/<rule>/rule.py) is invoked as AWS Config invokes it: a change-triggered
rule once per resource of its types (an event per configuration item), a periodic rule once per region (a scheduled
notification). The rule reports through rdklib's PutEvaluations, which the session's guard answers and keeps
(remedy_cli.aws); nothing is written to the account.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from catalogue import Control
from remedy_cli import discovery
from remedy_cli.aws import ReadOnlyGuard
from remedy_cli.config_events import change_notification, rule_event, scheduled_notification

# The name a scanned control's rule carries in its events (no such rule is deployed by the scan).
RULE_NAME_PREFIX = "remedy-scan-"
# Parameters every deployed rule gets (infra/config_resources.py): the function's own credentials, here the
# scan's; ExecutionRoleRegion makes rdklib build the rule's clients in the scanned region.
RDKLIB_PARAMETERS = {"AssumeRoleMode": "false"}
ERROR = "ERROR"


@dataclass(frozen=True)
class Result:
    """One evaluation: a control's verdict on one resource (ERROR: the rule could not evaluate it)."""

    control: str
    account: str
    region: str
    resource_type: str
    resource_id: str
    compliance: str
    annotation: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Task:
    """One rule invocation: a control in a region, with the configuration item (None: periodic)."""

    control: Control
    region: str
    resource_type: str
    item: dict | None


def rule_name(control: Control) -> str:
    return f"{RULE_NAME_PREFIX}{control.id}"


def _layer_path() -> Path | None:
    """config_rules/_layer/python, where rule_support lives (a Lambda layer in a deployment)."""
    spec = importlib.util.find_spec("config_rules")
    for location in (spec.submodule_search_locations or []) if spec else []:
        layer = Path(location) / "_layer" / "python"
        if (layer / "rule_support.py").is_file():
            return layer
    return None


def load_rule(rule: str) -> ModuleType:
    """config_rules/<rule>/rule.py, imported with the rule layer on the path as Lambda sees it."""
    layer = _layer_path()
    if layer and importlib.util.find_spec("rule_support") is None:
        sys.path.append(str(layer))
    return importlib.import_module(f"config_rules.{rule}.rule")


class Scanner:
    """Runs the controls' rules in an account's regions through one guarded session."""

    def __init__(
        self,
        session: boto3.Session,
        controls: list[Control],
        regions: list[str],
        workers: int = 8,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.session, self.controls, self.regions = session, controls, regions
        self.workers = workers
        self.progress = progress or (lambda _done, _total: None)
        self.guard = ReadOnlyGuard({rule_name(c) for c in controls})
        self.guard.install(session)
        self.account = ""
        self.caller_arn = ""  # sts:GetCallerIdentity's Arn (its partition names the scan's)
        # (region, resource type, AWS Config resource id) -> the configuration item's resourceName
        self.names: dict[tuple[str, str, str], str] = {}
        self._read: set[tuple[str, str]] = set()  # (region, resource type) read for names
        self.results: list[Result] = []  # what the last run() returned
        self._done, self._total, self._lock = 0, 0, threading.Lock()

    # Orchestration ---------------------------------------------------------------------------------------------
    def run(self) -> list[Result]:
        """Every selected control in every region (a home-region-only control in the first region only)."""
        with self._default_session(), contextlib.redirect_stdout(io.StringIO()):  # rules print their logs
            identity = self.session.client("sts").get_caller_identity()
            self.account, self.caller_arn = identity["Account"], identity["Arn"]
            modules = {c.detection.rule: load_rule(c.detection.rule) for c in self.controls}
            tasks = self._tasks()
            self._total = len(tasks)
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                batches = list(pool.map(lambda task: self._evaluate(modules[task.control.detection.rule], task), tasks))
        results = [result for batch in batches for result in batch]
        self.results = sorted(results, key=lambda r: (r.control, r.region, r.resource_type, r.resource_id))
        return self.results

    @contextlib.contextmanager
    def _default_session(self) -> Iterator[None]:
        """Rule code and the registry's service reads create clients with boto3.client(): make them ours."""
        saved = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = self.session
        try:
            yield
        finally:
            boto3.DEFAULT_SESSION = saved

    def _regions(self, control: Control) -> list[str]:
        return self.regions[:1] if control.home_region_only else self.regions

    def _tasks(self) -> list[Task]:
        """Periodic invocations, and one per discovered resource of each change-triggered control."""
        tasks = [
            Task(c, region, c.resource_type, None)
            for c in self.controls
            if c.detection.trigger == "periodic"
            for region in self._regions(c)
        ]
        wanted = sorted(
            {
                (region, resource_type)
                for c in self.controls
                if c.detection.trigger == "change"
                for region in self._regions(c)
                for resource_type in c.detection.resource_types
            }
        )
        recording = self._recording(sorted({region for region, _ in wanted}))
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            found = dict(zip(wanted, pool.map(lambda key: self._items(*key, recording[key[0]]), wanted), strict=True))
        self._remember_names(found)
        for c in self.controls:
            if c.detection.trigger != "change":
                continue
            for region in self._regions(c):
                for resource_type in c.detection.resource_types:
                    tasks += [Task(c, region, resource_type, item) for item in found[(region, resource_type)]]
        return tasks

    def _recording(self, regions: list[str]) -> dict[str, tuple]:
        def read(region: str) -> tuple:
            return discovery.recorded_types(self.session.client("config", region_name=region))

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return dict(zip(regions, pool.map(read, regions), strict=True))

    def _remember_names(self, found: dict[tuple[str, str], list[dict]]) -> None:
        for (region, resource_type), items in found.items():
            self._read.add((region, resource_type))
            for item in items:
                key = (region, resource_type, item["resourceId"])
                self.names[key] = item.get("resourceName") or item["resourceId"]

    def resource_name(self, result: Result) -> str:
        """The name of the resource a result is about (its configuration item's resourceName), read as the scan
        reads items when no change-triggered control found it (a periodic rule reports ids only)."""
        key = (result.region, result.resource_type, result.resource_id)
        if key not in self.names and key[:2] not in self._read:
            self._read.add(key[:2])
            with self._default_session():
                recording = self._recording([result.region])[result.region]
                self._remember_names({key[:2]: self._items(result.region, result.resource_type, recording)})
        return self.names.get(key, result.resource_id)

    def _items(self, region: str, resource_type: str, recording: tuple) -> list[dict]:
        if discovery.records(recording, resource_type):
            return discovery.recorded_items(self.session.client("config", region_name=region), resource_type)
        return discovery.read_items(resource_type, self.account, region)

    # One invocation ------------------------------------------------------------------------------------------
    def _evaluate(self, module: ModuleType, task: Task) -> list[Result]:
        control, token = task.control, uuid.uuid4().hex
        if task.item is None:
            invoking = scheduled_notification(self.account)
        else:
            invoking = change_notification(task.item, task.resource_type, self.account)
        parameters = {**control.detection.parameters, **RDKLIB_PARAMETERS, "ExecutionRoleRegion": task.region}
        event = rule_event(rule_name(control), parameters, invoking, token, self.account, task.region)
        try:
            returned: Any = module.lambda_handler(event, None)
            problem = _error_of(returned)
        except Exception as error:  # a failing rule is reported as ERROR; the scan goes on
            problem = f"{type(error).__name__}: {error}"
        results = [self._result(task, e) for e in self.guard.evaluations(token)]
        if problem:
            resource_id = (task.item or {}).get("resourceId", self.account)
            results.append(
                Result(control.id, self.account, task.region, task.resource_type, resource_id, ERROR, problem)
            )
        self._tick()
        return results

    def _result(self, task: Task, evaluation: dict) -> Result:
        return Result(
            control=task.control.id,
            account=self.account,
            region=task.region,
            resource_type=evaluation.get("ComplianceResourceType", task.resource_type),
            resource_id=evaluation.get("ComplianceResourceId", ""),
            compliance=evaluation.get("ComplianceType", ""),
            annotation=evaluation.get("Annotation", ""),
        )

    def _tick(self) -> None:
        with self._lock:
            self._done += 1
            done = self._done
        self.progress(done, self._total)


def _error_of(returned: object) -> str:
    """rdklib's error response (customer or internal error), as text; empty for evaluations."""
    if isinstance(returned, dict) and ("customerErrorCode" in returned or "internalErrorMessage" in returned):
        return str(returned.get("customerErrorMessage") or returned.get("internalErrorMessage") or returned)
    return ""
