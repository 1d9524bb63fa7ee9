"""The run-time controls the bridge honours before it starts anything: pause and per-control modes.

One SSM parameter per account and region, /<prefix>/remediation-controls, a JSON string
{"paused": false, "modes": {"<control id>": "off" | "manual" | "automatic"}}; absent means the defaults.
The runbooks' guard step (ssm_documents/_support/controls.py) reads the same parameter. The bridge's Lambda
asset does not ship ssm_documents/, so `parse_controls` and `skip_reason` are a copy of the guard's; the tests
run both against one set of cases (tests/run_controls_cases.py) so they cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.exceptions

MODES = ("off", "manual", "automatic")


def parameter_name(prefix: str) -> str:
    """The controls parameter of a deployment with resource prefix `prefix`."""
    return f"/{prefix}/remediation-controls"


def parse_controls(text: str | None) -> dict:
    """{"paused": bool, "modes": {control id: mode}} from the parameter's value; None (no parameter): defaults.

    Anything else than that shape raises ValueError: a control meant to stop remediation is never ignored."""
    if text is None:
        return {"paused": False, "modes": {}}
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise ValueError(f"the remediation controls parameter is not JSON ({error})") from None
    if not isinstance(raw, dict) or set(raw) - {"paused", "modes"}:
        raise ValueError('the remediation controls parameter must be an object with only "paused" and "modes"')
    paused, modes = raw.get("paused", False), raw.get("modes", {})
    if not isinstance(paused, bool):
        raise ValueError(f'"paused" must be true or false, got {paused!r}')
    if not isinstance(modes, dict) or not all(isinstance(k, str) and v in MODES for k, v in modes.items()):
        raise ValueError(f'"modes" must map control ids to one of {MODES}, got {modes!r}')
    return {"paused": paused, "modes": dict(modes)}


def skip_reason(controls: dict, control_id: str, automatic: bool) -> str | None:
    """Why this run must not start (mode_off, paused, mode_manual), or None."""
    mode = controls["modes"].get(control_id, "automatic")
    if mode == "off":
        return "mode_off"
    if automatic and controls["paused"]:
        return "paused"
    if automatic and mode == "manual":
        return "mode_manual"
    return None


class RunControls:
    """The controls of each (account, region), read once per invocation through `client_factory`."""

    def __init__(self, prefix: str, client_factory: Callable[[str, str], Callable[[str], Any]]) -> None:
        self.name = parameter_name(prefix)
        self.client_factory = client_factory
        self._read: dict[tuple[str, str], dict] = {}

    def controls(self, account: str, region: str) -> dict:
        """The parsed parameter of `account` and `region` (ValueError if malformed; other errors raised)."""
        if (account, region) not in self._read:
            ssm = self.client_factory(account, region)("ssm")
            try:
                value = ssm.get_parameter(Name=self.name)["Parameter"]["Value"]
            except botocore.exceptions.ClientError as error:
                if error.response["Error"]["Code"] != "ParameterNotFound":
                    raise
                value = None
            try:
                self._read[(account, region)] = parse_controls(value)
            except ValueError as error:
                raise ValueError(f"{self.name} in {account}/{region}: {error}; nothing started") from None
        return self._read[(account, region)]

    def skip_reason(self, account: str, region: str, control_id: str, automatic: bool) -> str | None:
        """Why not to remediate `control_id` in `account`/`region` now, or None."""
        return skip_reason(self.controls(account, region), control_id, automatic)
