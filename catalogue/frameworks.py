"""How many requirements each framework has, so coverage reads "X of Y covered".

catalogue/frameworks.json is a snapshot of the requirement ids in Prowler's compliance files (its `source` names
the Prowler version), for the frameworks whose ids there are the catalogue's: CIS v3.0 (with the recommendations it
assesses as Automated), FSBP and ISO 27001:2022. `python -m simulation.prowler_compliance` rewrites it from
Prowler's virtual environment (`make prowler-venv`); a test marked `prowler` keeps it equal to what installed
Prowler says. Read here with the standard library only: Remedy never imports Prowler.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from catalogue import FRAMEWORK_TITLES, FRAMEWORKS, Catalogue

FRAMEWORKS_FILE = Path(__file__).resolve().parent / "frameworks.json"
# What each framework calls its requirements.
NOUNS = {
    "cis_aws_v3.0": "recommendations",
    "aws_fsbp": "controls",
    "iso27001_2022": "Annex A controls",
    "bsi_c5_2020": "criteria",
    "gdpr": "articles",
}


@dataclass(frozen=True)
class Framework:
    """A framework's requirement ids; for CIS also those it assesses automatically (else None)."""

    requirements: frozenset[str]
    automated: frozenset[str] | None = None


@dataclass(frozen=True)
class Totals:
    """Requirements covered, out of the framework's total (None: no snapshot of its requirements)."""

    covered: int
    total: int | None = None
    automated_covered: int | None = None
    automated_total: int | None = None


def load_frameworks(path: Path | None = None) -> dict[str, Framework]:
    """The snapshot: framework key -> its requirements."""
    raw = json.loads((path or FRAMEWORKS_FILE).read_text())["frameworks"]
    return {
        key: Framework(
            requirements=frozenset(entry["requirements"]),
            automated=frozenset(entry["automated"]) if "automated" in entry else None,
        )
        for key, entry in raw.items()
    }


def requirement_key(requirement_id: str) -> list[tuple[int, object]]:
    """Natural order: "1.9" before "1.14", "S3.8" before "S3.17", "Art. 25" before "Art. 32"."""
    parts = requirement_id.replace(" ", ".").replace("-", ".").split(".")
    return [(0, int(p)) if p.isdigit() else (1, p) for p in parts]


def covered_requirements(catalogue: Catalogue) -> dict[str, set[str]]:
    """Per framework the catalogue knows, the requirement ids its controls claim."""
    covered: dict[str, set[str]] = {name: set() for name in FRAMEWORKS}
    for control in catalogue.controls:
        for name, ids in control.frameworks.items():
            covered[name].update(ids)
    return covered


def coverage_totals(catalogue: Catalogue, frameworks: dict[str, Framework] | None = None) -> dict[str, Totals]:
    """Per framework the catalogue knows: requirements covered, of how many (where the snapshot has it)."""
    frameworks = load_frameworks() if frameworks is None else frameworks
    totals = {}
    for name, ids in covered_requirements(catalogue).items():
        framework = frameworks.get(name)
        if framework is None:
            totals[name] = Totals(covered=len(ids))
            continue
        known = ids & framework.requirements  # an id the framework lacks covers nothing (unknown_requirements)
        automated = framework.automated
        totals[name] = Totals(
            covered=len(known),
            total=len(framework.requirements),
            automated_covered=None if automated is None else len(known & automated),
            automated_total=None if automated is None else len(automated),
        )
    return totals


def unknown_requirements(catalogue: Catalogue, frameworks: dict[str, Framework] | None = None) -> list[str]:
    """One message per control's framework id the snapshot does not list (a typo, or another version's id)."""
    frameworks = load_frameworks() if frameworks is None else frameworks
    return [
        f"control '{control.id}': frameworks.{name} '{requirement}': not a requirement of {name} "
        f"in {FRAMEWORKS_FILE.name}"
        for control in catalogue.controls
        for name, ids in control.frameworks.items()
        if name in frameworks
        for requirement in ids
        if requirement not in frameworks[name].requirements
    ]


def covered_text(name: str, totals: Totals) -> str:
    """E.g. "28 of 62 recommendations covered (25 of 54 automated ones)"."""
    noun = NOUNS[name]
    if totals.total is None:
        return f"{totals.covered} {noun} covered (no list of all its {noun} to count against)"
    text = f"{totals.covered} of {totals.total} {noun} covered"
    if totals.automated_total is not None:
        text += f" ({totals.automated_covered} of {totals.automated_total} automated ones)"
    return text


def markdown_coverage(catalogue: Catalogue) -> str:
    """The README's coverage summary (a Markdown table and where its totals come from), beside the control table."""
    lines = ["| Framework | Requirements covered |", "|---|---|"]
    for name, totals in coverage_totals(catalogue).items():
        lines.append(f"| {FRAMEWORK_TITLES[name]} | {covered_text(name, totals)} |")
    snapshot = json.loads(FRAMEWORKS_FILE.read_text())
    added = [
        f"{FRAMEWORK_TITLES[name]} {requirement}"
        for name, entry in snapshot["frameworks"].items()
        for requirement in entry.get("not_in_prowler", {})
    ]
    source = f"Totals: the requirement ids of {snapshot['source']}"
    lines += ["", source + (f", and {', '.join(added)}, which they lack." if added else ".")]
    return "\n".join(lines) + "\n"
