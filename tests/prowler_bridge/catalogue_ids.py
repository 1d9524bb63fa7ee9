"""Ids the tests route by, derived from the catalogue: which control claims a Prowler check, an FSBP (Security Hub
security control) id or a CIS v3.0 id, and ids no control claims. Computed, never hard-coded, so that a control
added to the catalogue cannot turn an "unmapped" id of a test into a mapped one."""

from __future__ import annotations

import itertools

from catalogue import load_catalogue

CATALOGUE = load_catalogue()
FSBP = "aws_fsbp"
CIS = "cis_aws_v3.0"


def claimants(framework: str, requirement: str) -> set[str]:
    """The ids of the controls listing `requirement` under `framework`."""
    return {c.id for c in CATALOGUE.controls if requirement in c.frameworks.get(framework, ())}


def claimed_only_by(control_id: str, framework: str) -> list[str]:
    """`control_id`'s requirement ids under `framework` that no other control claims (the ones the bridge routes)."""
    (control,) = [c for c in CATALOGUE.controls if c.id == control_id]
    return [i for i in control.frameworks.get(framework, ()) if claimants(framework, i) == {control_id}]


def claimed_by_several(framework: str) -> list[str]:
    """Requirement ids under `framework` that two or more controls claim (the bridge routes them nowhere)."""
    ids = sorted({i for c in CATALOGUE.controls for i in c.frameworks.get(framework, ())})
    return [i for i in ids if len(claimants(framework, i)) > 1]


def unclaimed(framework: str, template: str) -> str:
    """The first id `template.format(n)` (n = 1, 2, ...) no control lists under `framework`."""
    return next(i for n in itertools.count(1) if not claimants(framework, i := template.format(n)))


def unclaimed_check(stem: str) -> str:
    """A Prowler check id (current or legacy) no control lists, shaped like `stem`'s."""
    claimed = {check for c in CATALOGUE.controls for check in (*c.prowler_checks, *c.prowler_legacy_checks)}
    return next(check for n in itertools.count(0) if (check := f"{stem}{'_' + str(n) if n else ''}") not in claimed)
