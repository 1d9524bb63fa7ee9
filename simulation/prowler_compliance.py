"""Check the catalogue's CIS v3.0 and FSBP ids against Prowler's own compliance files (an outside source).

Prowler ships, per framework, a JSON file mapping each requirement id to the Prowler checks that test it
(`prowler/compliance/aws/<file>.json` in its package). A control claiming a framework id must find that id in
Prowler's file, and Prowler must list at least one of the control's Prowler checks under it.

The files are read from Prowler's own virtual environment (`.venv-prowler`, `make prowler-venv`; see
simulation/prowler_scan.py): nothing is vendored, so a Prowler upgrade re-checks the mapping.
"""

from __future__ import annotations

import json
from pathlib import Path

from simulation.prowler_scan import PROWLER_VENV

# Catalogue framework key -> Prowler's compliance file for it (prowler/compliance/aws/).
COMPLIANCE_FILES = {
    "cis_aws_v3.0": "cis_3.0_aws.json",
    "aws_fsbp": "aws_foundational_security_best_practices_aws.json",
}
COMPLIANCE_GLOB = "lib/python3*/site-packages/prowler/compliance/aws"


def compliance_dir(venv: Path | None = None) -> Path | None:
    """Prowler's compliance folder for AWS inside its virtual environment, or None if Prowler is not installed."""
    found = sorted((venv or PROWLER_VENV).glob(COMPLIANCE_GLOB))
    return found[-1] if found else None


def requirement_checks(path: Path) -> dict[str, frozenset[str]]:
    """A Prowler compliance file as {requirement id: the Prowler checks mapped to it}."""
    document = json.loads(path.read_text())
    return {str(item["Id"]): frozenset(item.get("Checks") or ()) for item in document["Requirements"]}


def mapping_mismatches(catalogue: object, folder: Path) -> list[str]:
    """Every catalogue framework id (CIS v3.0, FSBP) Prowler's compliance file does not back, one message each."""
    frameworks = {key: requirement_checks(folder / name) for key, name in COMPLIANCE_FILES.items()}
    problems = []
    for control in catalogue.controls:  # type: ignore[attr-defined]
        checks = set(control.prowler_checks)
        for key, ids in control.frameworks.items():
            if key not in frameworks:
                continue
            source = folder / COMPLIANCE_FILES[key]
            for requirement_id in ids:
                where = f"control '{control.id}': frameworks.{key} '{requirement_id}'"
                if requirement_id not in frameworks[key]:
                    problems.append(f"{where}: no such requirement in {source}")
                elif not checks & frameworks[key][requirement_id]:
                    listed = sorted(frameworks[key][requirement_id])
                    problems.append(
                        f"{where}: {source} lists {listed} for it, none of the control's checks {sorted(checks)}"
                    )
    return problems
