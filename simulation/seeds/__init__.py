"""Demo data: for every catalogue control, a realistic mix of compliant and non-compliant resources.

Each rule folder holds its controls' seed, config_rules/<rule>/demo_seed.py, with
`seed(control, account, region, in_process) -> list[SeededResource]`, so a control's seed is one of its own files; the
control (its id, its resource type) comes from the catalogue, so a seed module names neither. Helpers a resource
type's seeds share are in its simulation module (resource_types/<type>/simulation.py). A test keeps the seeds
complete. The rule's Lambda asset leaves demo_seed.py out (infra/stack.py).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from catalogue import Control, load_catalogue


@dataclass(frozen=True)
class SeededResource:
    control_id: str
    resource_type: str  # AWS Config resource type
    resource_id: str  # AWS Config resource id
    arn: str
    non_compliant: bool
    note: str


@cache
def _controls() -> dict[str, Control]:
    return {control.id: control for control in load_catalogue().controls}


SEED_MODULE = "demo_seed"


def _bound(control_id: str, module_name: str) -> Callable[..., list[SeededResource]]:
    def seed(account: str, region: str, in_process: bool = True) -> list[SeededResource]:
        """Seed the control's resources in the account and region now in use (boto3's default session)."""
        module = importlib.import_module(module_name)
        return module.seed(_controls()[control_id], account, region, in_process=in_process)

    return seed


def _seeds() -> dict[str, Callable[..., list[SeededResource]]]:
    """Control id -> its seed, for every catalogue control whose rule folder has a demo_seed.py."""
    found = {}
    for control in _controls().values():
        module_name = f"config_rules.{control.detection.rule}.{SEED_MODULE}"
        if importlib.util.find_spec(module_name) is not None:
            found[control.id] = _bound(control.id, module_name)
    return found


# Control id -> its seed(account, region, in_process=True).
SEEDS: dict[str, Callable[..., list[SeededResource]]] = _seeds()


def seed_account(control_ids: list[str], account: str, region: str, in_process: bool) -> list[SeededResource]:
    """Seed every control; a control without a seed is an error naming it."""
    missing = [c for c in control_ids if c not in SEEDS]
    if missing:
        raise KeyError(f"no demo seed for control(s) {missing}: add config_rules/<rule>/demo_seed.py")
    seeded: list[SeededResource] = []
    for control_id in control_ids:
        seeded += SEEDS[control_id](account, region, in_process=in_process)
    return seeded
