"""Which nested stack holds each rule module, runbook and control: derived from names, never from positions.

CloudFormation caps a stack at 500 resources and a 1 MB template, and SSM documents make templates large, so
the controls cannot live in one template once the catalogue grows. They are spread over nested stacks of two
kinds:
- runbook stacks hold Automation documents and their roles;
- rule stacks hold rule functions and, beside the function, the Config rules and remediation configurations
  (or the conformance pack) of every control that uses it.
A rule stack only refers to runbook stacks, by deterministic names, so the two kinds never form a cycle.

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

    rules: list[str] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)

    def runbooks(self) -> list[str]:
        return sorted({control.remediation.runbook for control in self.controls})


@dataclass
class StackLayout:
    rule_slots: dict[int, RuleSlot]
    runbook_slots: dict[int, list[str]]

    def runbook_slot_of(self, runbook: str) -> int:
        return stack_slot(runbook, RUNBOOK_STACKS)


def stack_layout(catalogue: Catalogue) -> StackLayout:
    """The non-empty rule and runbook stacks of `catalogue`, each listing what it holds in catalogue order."""
    rule_slots: dict[int, RuleSlot] = {}
    for rule in catalogue.rules:
        rule_slots.setdefault(stack_slot(rule, RULE_STACKS), RuleSlot()).rules.append(rule)
    for control in catalogue.controls:
        rule_slots[stack_slot(control.detection.rule, RULE_STACKS)].controls.append(control)
    runbook_slots: dict[int, list[str]] = {}
    for runbook in catalogue.runbooks:
        runbook_slots.setdefault(stack_slot(runbook, RUNBOOK_STACKS), []).append(runbook)
    return StackLayout(rule_slots=dict(sorted(rule_slots.items())), runbook_slots=dict(sorted(runbook_slots.items())))
