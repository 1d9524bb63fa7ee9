"""`remedy controls`: the catalogue's controls, and which framework requirements they cover."""

from __future__ import annotations

from catalogue import FRAMEWORKS, Catalogue, Control
from catalogue.frameworks import coverage_totals, covered_text, requirement_key


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
        name: {requirement: sorted(found[requirement]) for requirement in sorted(found, key=requirement_key)}
        for name, found in covered.items()
    }


def coverage_json(catalogue: Catalogue) -> dict[str, dict]:
    """`--coverage --format json`: per framework, the requirements covered out of its total (null where Remedy
    holds no list of the framework's requirements; CIS also counts the automated ones), and requirement id ->
    the controls covering it."""
    requirements = coverage(catalogue)
    result = {}
    for name, totals in coverage_totals(catalogue).items():
        counts = {key: value for key, value in vars(totals).items() if value is not None or key == "total"}
        result[name] = {**counts, "requirements": requirements[name]}
    return result


def coverage_summary(catalogue: Catalogue) -> str:
    """One line per framework, e.g. "cis_aws_v3.0: 28 of 62 recommendations covered (28 of 54 automated ones)"."""
    return "".join(f"{name}: {covered_text(name, totals)}\n" for name, totals in coverage_totals(catalogue).items())


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
