"""Which nested stack holds each rule module, runbook and control: derived from names, never from positions.

CloudFormation caps a stack at 500 resources and a 1 MB template, and SSM documents make templates large, so
the controls cannot live in one template once the catalogue grows. They are spread over nested stacks of two
kinds:
- runbook stacks hold Automation documents and their roles;
- rule stacks hold rule functions and, beside the function, the Config rules and remediation configurations
  (or the conformance pack) of every control that uses it.
A rule stack only refers to runbook stacks, by deterministic names, so the two kinds never form a cycle.

Controls of account-global resources (catalogue `home_region_only`) and the runbooks only they use go to
stacks of their own (HomeRulesNN, HomeRunbooksNN), which the parent creates only in the home region.

Each item's stack is a stable hash of its name modulo a fixed count. Adding or removing a control never moves
another one: a named resource (a Config rule, a document) moved between stacks would be created in the new
stack before CloudFormation deleted it from the old one, and the deployment would fail on the name. The counts
are fixed for the same reason; they are chosen so that 300 controls stay within every limit with margin (the
limits gate and tests/infra/test_scale.py measure it). Only stacks that hold something are synthesized.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from catalogue import Catalogue, Control

RULE_STACKS = 32
RUNBOOK_STACKS = 32


def stack_slot(name: str, count: int) -> int:
    """The stable slot of `name` among `count` stacks (SHA-256, so it is the same on every machine)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % count


@dataclass
class RuleSlot:
    """One rule stack: its rule modules and the controls that use them."""

    home_region_only: bool
    rules: list[str] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)

    def runbooks(self) -> list[str]:
        return sorted({control.remediation.runbook for control in self.controls})


@dataclass
class StackLayout:
    """Nested stacks by construct id (Rules07, HomeRules07, Runbooks03, HomeRunbooks03) and what they hold."""

    rule_slots: dict[str, RuleSlot]
    runbook_slots: dict[str, list[str]]
    home_runbooks: frozenset[str]

    def runbook_stack_of(self, runbook: str) -> str:
        return _stack_id("Runbooks", runbook, RUNBOOK_STACKS, runbook in self.home_runbooks)


def _stack_id(kind: str, name: str, count: int, home_region_only: bool) -> str:
    return f"{'Home' if home_region_only else ''}{kind}{stack_slot(name, count):02d}"


def stack_layout(catalogue: Catalogue) -> StackLayout:
    """The non-empty rule and runbook stacks of `catalogue`, each listing what it holds in catalogue order."""
    home_rules = {c.detection.rule for c in catalogue.controls if c.home_region_only}
    regional_runbooks = {c.remediation.runbook for c in catalogue.controls if not c.home_region_only}
    home_runbooks = frozenset(set(catalogue.runbooks) - regional_runbooks)
    rule_slots: dict[str, RuleSlot] = {}
    for rule in catalogue.rules:
        home = rule in home_rules
        rule_slots.setdefault(_stack_id("Rules", rule, RULE_STACKS, home), RuleSlot(home)).rules.append(rule)
    for control in catalogue.controls:
        key = _stack_id("Rules", control.detection.rule, RULE_STACKS, control.home_region_only)
        rule_slots[key].controls.append(control)
    runbook_slots: dict[str, list[str]] = {}
    for runbook in catalogue.runbooks:
        key = _stack_id("Runbooks", runbook, RUNBOOK_STACKS, runbook in home_runbooks)
        runbook_slots.setdefault(key, []).append(runbook)
    return StackLayout(dict(sorted(rule_slots.items())), dict(sorted(runbook_slots.items())), home_runbooks)
