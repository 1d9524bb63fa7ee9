"""Settings shared by the property-based (hypothesis) tests, so one knob sets how much they fuzz.

REMEDY_FUZZ_EXAMPLES=N runs N examples per test (the measured runs the README quotes: N=10000); without it,
each test runs its own small default, so `make test` stays fast. No example database: every run starts fresh.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

MEASURING = "REMEDY_FUZZ_EXAMPLES" in os.environ


def fuzz_settings(default_examples: int) -> settings:
    """Hypothesis settings for one fuzz test: REMEDY_FUZZ_EXAMPLES examples when set, else `default_examples`."""
    return settings(
        max_examples=int(os.environ.get("REMEDY_FUZZ_EXAMPLES", default_examples)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    )
