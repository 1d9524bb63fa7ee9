"""A pytest plugin that records, per code unit, the IAM actions of the AWS calls the product's code makes.

Loaded with `-p tests.infra.call_observer` by `make pytest` (the whole suite runs under it), or, when that run's
records are not at hand, by tests/infra/test_least_privilege.py, which then runs the tests of every rule, runbook
and the bridge under it. Every botocore API call (any session, any credentials) is seen at
`BaseClient._make_api_call`; it counts as the code's call when the call stack holds product code (a rule module or
rdklib, a runbook script, or a document step run by simulation.ssm_automation, the bridge), and not when a test
sets up or reads AWS itself. The code unit is the one the running test file covers (tests mirror the tree):
tests/config_rules/test_<rule>.py, tests/ssm_documents/test_<runbook>.py, tests/prowler_bridge/. A bridge call made
with credentials other than the test account's (sts:AssumeRole into a member role) is the member role's; one made
while the retry consumer (prowler_bridge/retry.py) runs is the retry role's.

The records go, as JSON {"<kind>:<name>": [actions]}, to the file named by REMEDY_OBSERVED_CALLS.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient

from tests.aws_calls import iam_actions

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_VARIABLE = "REMEDY_OBSERVED_CALLS"
_PRODUCT_DIRS = tuple(str(REPO_ROOT / d) + os.sep for d in ("config_rules", "ssm_documents", "prowler_bridge"))
_AUTOMATION = str(REPO_ROOT / "remedy_cli" / "automation.py")
_RETRY_CONSUMER = str(REPO_ROOT / "prowler_bridge" / "retry.py")  # a Lambda of its own, with its own role

observed: dict[str, set[str]] = defaultdict(set)
_current_unit: list[str | None] = [None]


def unit_of_test(path: Path) -> str | None:
    """The code unit a test file covers: rule:<name>, runbook:<name>, bridge; None for other tests."""
    relative = path.resolve().relative_to(REPO_ROOT).parts
    if relative[:2] == ("tests", "config_rules") and relative[-1].startswith("test_"):
        return f"rule:{relative[-1][5:-3]}"
    if relative[:2] == ("tests", "ssm_documents") and relative[-1].startswith("test_"):
        return f"runbook:{relative[-1][5:-3]}"
    if relative[:2] == ("tests", "prowler_bridge"):
        return "bridge"
    return None


def _code_frame(frame: object) -> str | None:
    """'code' or None: whether a frame is product code calling AWS as its role."""
    filename = frame.f_code.co_filename
    if filename.startswith(_PRODUCT_DIRS) or f"{os.sep}rdklib{os.sep}" in filename:
        return "code"
    # remedy_cli.automation runs a script step as a module named "<document:step>", API steps in _call.
    if (filename.startswith("<") and ":" in filename) or (filename == _AUTOMATION and frame.f_code.co_name == "_call"):
        return "code"
    return None


def _caller_kind() -> str | None:
    """'code' when product code is on the call stack (the call is its role's), else None."""
    frame = sys._getframe(2)
    while frame is not None:
        if _code_frame(frame):
            return "code"
        frame = frame.f_back
    return None


def _in_retry_consumer() -> bool:
    """True when the bridge's retry consumer (its own Lambda and role) is on the call stack."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == _RETRY_CONSUMER:
            return True
        frame = frame.f_back
    return False


def _assumed_credentials(client: BaseClient) -> bool:
    credentials = client._request_signer._credentials  # which credentials sign the call
    access_key = getattr(credentials, "access_key", None) if credentials else None
    return access_key is not None and access_key != os.environ.get("AWS_ACCESS_KEY_ID")


_original_make_api_call = BaseClient._make_api_call


def record(client: BaseClient, operation_name: str, api_params: dict | None = None) -> None:
    """Count one call of `operation_name` through `client` for the running test's unit, if product code made it
    (also for calls a test answers without botocore, e.g. tests/config_records.py)."""
    unit = _current_unit[0]
    if unit is not None and _caller_kind() == "code":
        if unit == "bridge" and _assumed_credentials(client):
            unit = "member"
        elif unit == "bridge" and _in_retry_consumer():
            unit = "retry"
        model = client.meta.service_model
        # S3 Control signs as "s3" but authorises its operations as account-level S3 actions (tests/aws_calls.py).
        service = "s3control" if model.service_name == "s3control" else model.signing_name
        observed[unit] |= iam_actions(service, operation_name, api_params)


def _recording_make_api_call(self: BaseClient, operation_name: str, api_params: dict) -> object:
    record(self, operation_name, api_params)
    return _original_make_api_call(self, operation_name, api_params)


@contextlib.contextmanager
def observing(unit: str) -> Iterator[set[str]]:
    """Record, outside a pytest run of this plugin, the actions product code calls as `unit` (a fresh set)."""
    saved, _current_unit[0] = BaseClient._make_api_call, unit
    BaseClient._make_api_call = _recording_make_api_call
    observed[unit] = set()
    try:
        yield observed[unit]
    finally:
        BaseClient._make_api_call, _current_unit[0] = saved, None


@contextlib.contextmanager
def unobserved() -> Iterator[None]:
    """Calls made inside are counted for no unit: e.g. a runbook's test asking the rule for its verdict (the rule's
    calls are its own role's, observed by its own tests)."""
    saved, _current_unit[0] = _current_unit[0], None
    try:
        yield
    finally:
        _current_unit[0] = saved


def pytest_configure(config: pytest.Config) -> None:
    BaseClient._make_api_call = _recording_make_api_call


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    _current_unit[0] = unit_of_test(Path(str(item.path)))
    try:
        return (yield)
    finally:
        _current_unit[0] = None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write what was observed to REMEDY_OBSERVED_CALLS; a pytest-xdist worker to <that file>.<worker id>, so the
    workers of one run (make pytest) leave one file each, merged by observed_calls."""
    BaseClient._make_api_call = _original_make_api_call
    target = os.environ.get(OUTPUT_VARIABLE)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if target and observed:
        path = Path(f"{target}.{worker}" if worker else target)
        path.write_text(json.dumps({k: sorted(v) for k, v in sorted(observed.items())}, indent=1))


def observed_calls(target: Path) -> dict[str, set[str]]:
    """unit -> actions, merged from the files one run wrote for `target` (itself and its workers')."""
    merged: dict[str, set[str]] = defaultdict(set)
    for path in [target, *target.parent.glob(target.name + ".*")]:
        if path.is_file():
            for unit, actions in json.loads(path.read_text()).items():
                merged[unit] |= set(actions)
    return dict(merged)
