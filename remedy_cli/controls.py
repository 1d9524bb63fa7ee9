"""`remedy controls`: the catalogue's controls, and which framework requirements they cover."""

from __future__ import annotations

from catalogue import FRAMEWORKS, Catalogue, Control


def remediation_mode(control: Control) -> str:
    """automatic, manual, or automatic only in a deployment that sets the named CDK context keys."""
    remediation = control.remediation
    if remediation.automatic_requires:
        return f"automatic with {', '.join(remediation.automatic_requires)}, else manual"
    return "automatic" if remediation.automatic else "manual"


def control_rows(catalogue: Catalogue) -> list[dict]:
    """One object per control: id, title, severity, resource_type, remediation, automatic, frameworks."""
    return [
        {
            "id": control.id,
            "title": control.title,
            "severity": control.severity,
            "resource_type": control.resource_type,
            "remediation": remediation_mode(control),
            "automatic": control.remediation.automatic,
            "frameworks": {name: list(ids) for name, ids in control.frameworks.items()},
        }
        for control in catalogue.controls
    ]


def coverage(catalogue: Catalogue) -> dict[str, dict[str, list[str]]]:
    """Per framework (every one the catalogue knows), requirement id -> the controls covering it, sorted."""
    covered: dict[str, dict[str, list[str]]] = {name: {} for name in FRAMEWORKS}
    for control in catalogue.controls:
        for name, ids in control.frameworks.items():
            for requirement in ids:
                covered[name].setdefault(requirement, []).append(control.id)
    return {
        name: {requirement: sorted(controls) for requirement, controls in sorted(found.items(), key=_requirement_order)}
        for name, found in covered.items()
    }


def _requirement_order(entry: tuple[str, list[str]]) -> list[tuple[int, object]]:
    """Natural order: "1.9" before "1.14", "S3.8" before "S3.17", "Art. 25" before "Art. 32"."""
    parts = entry[0].replace(" ", ".").replace("-", ".").split(".")
    return [(0, int(p)) if p.isdigit() else (1, p) for p in parts]


def control_table_rows(catalogue: Catalogue) -> list[list[str]]:
    """The text table's rows (frameworks as "name: ids; ...")."""
    return [
        [
            row["id"],
            row["title"],
            row["severity"],
            row["resource_type"],
            row["remediation"],
            "; ".join(f"{name}: {', '.join(ids)}" for name, ids in row["frameworks"].items()),
        ]
        for row in control_rows(catalogue)
    ]


CONTROL_COLUMNS = ["ID", "TITLE", "SEVERITY", "RESOURCE TYPE", "REMEDIATION", "FRAMEWORKS"]


def coverage_table_rows(catalogue: Catalogue) -> list[list[str]]:
    return [
        [framework, requirement, ", ".join(controls)]
        for framework, requirements in coverage(catalogue).items()
        for requirement, controls in requirements.items()
    ]


COVERAGE_COLUMNS = ["FRAMEWORK", "REQUIREMENT", "CONTROLS"]
