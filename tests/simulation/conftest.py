"""Tests marked `prowler` run real Prowler: skipped where it is not installed, but failed in CI (CI set),
where a missing Prowler would otherwise hide the round trip behind a skip."""

from __future__ import annotations

import os

import pytest

from simulation.prowler_scan import PROWLER_BIN, prowler_available


@pytest.fixture(autouse=True)
def _prowler_installed(request):
    """Skip (locally) or fail (in CI) a Prowler test when Prowler's virtual environment is missing."""
    if request.node.get_closest_marker("prowler") is None or prowler_available():
        return
    message = f"Prowler is not installed ({PROWLER_BIN} missing): run `make prowler-venv`"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI requires it")
    pytest.skip(message)
