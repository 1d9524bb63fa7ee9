"""`remedy report`: a scan's verdicts as an auditor reads them, per framework requirement, per control, account
and region, with the remediation history.

Statuses, from the scan's results (AWS Config's compliance types: COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, ERROR):
- a control, over all accounts and regions: NON_COMPLIANT if one resource is; else ERROR if its rule could not
  evaluate something; else COMPLIANT if one resource is compliant; NOT_APPLICABLE if the rule judged nothing
  relevant; NOT_EVALUATED if the scan holds no result of it.
- a framework requirement: NON_COMPLIANT if one control covering it is; COMPLIANT only if every control covering
  it was evaluated (COMPLIANT or NOT_APPLICABLE) and one is COMPLIANT; else NOT_EVALUATED, with the reason.
  Partial evidence is not compliance: a requirement some of whose controls did not run is not evaluated.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from catalogue import FRAMEWORK_TITLES, Catalogue
from catalogue.frameworks import coverage_totals
from remedy_cli import controls as controls_view
from remedy_cli.scan import ERROR, Result

REPORT_VERSION = 1
COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE = "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"
NOT_EVALUATED = "NOT_EVALUATED"
WHY_NO_VERDICT = {NOT_EVALUATED: "no result in the scan", ERROR: "its rule failed"}
RESULT_FIELDS = ("control", "account", "region", "resource_type", "resource_id", "compliance", "annotation")


class ScanFileError(ValueError):
    """A --from-scan file that is not `remedy scan --format json` output."""


def load_results(path: Path, catalogue: Catalogue) -> list[Result]:
    """The results of a `remedy scan --format json` file; ScanFileError saying what is wrong with it."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as problem:
        raise ScanFileError(f"{path}: not readable as JSON: {problem}") from None
    if not isinstance(raw, list):
        raise ScanFileError(f"{path}: a list of scan results expected (remedy scan --format json)")
    results = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or any(not isinstance(entry.get(name), str) for name in RESULT_FIELDS):
            raise ScanFileError(f"{path}: result {index} lacks a text field of {', '.join(RESULT_FIELDS)}")
        results.append(Result(**{name: entry[name] for name in RESULT_FIELDS}))
    known = {control.id for control in catalogue.controls}
    unknown = sorted({result.control for result in results} - known)
    if unknown:
        raise ScanFileError(f"{path}: controls not in the catalogue: {', '.join(unknown)}")
    return results


def control_status(compliance: Counter) -> str:
    """A control's status from the count of its results by compliance type (see the module's docstring)."""
    if compliance[NON_COMPLIANT]:
        return NON_COMPLIANT
    if compliance[ERROR]:
        return ERROR
    if compliance[COMPLIANT]:
        return COMPLIANT
    return NOT_APPLICABLE if compliance[NOT_APPLICABLE] else NOT_EVALUATED


def control_statuses(catalogue: Catalogue, results: list[Result]) -> dict[str, str]:
    """Every catalogue control's status over all the results' accounts and regions."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for result in results:
        counts[result.control][result.compliance] += 1
    return {control.id: control_status(counts[control.id]) for control in catalogue.controls}


def requirement_status(statuses: list[str]) -> str:
    """A requirement's status from those of the controls covering it (see the module's docstring)."""
    if NON_COMPLIANT in statuses:
        return NON_COMPLIANT
    if COMPLIANT in statuses and set(statuses) <= {COMPLIANT, NOT_APPLICABLE}:
        return COMPLIANT
    return NOT_EVALUATED


def _requirement(requirement: str, control_ids: list[str], statuses: dict[str, str]) -> dict:
    status = requirement_status([statuses[c] for c in control_ids])
    entry = {
        "requirement": requirement,
        "status": status,
        "controls": [{"control": c, "status": statuses[c]} for c in control_ids],
    }
    if status == NOT_EVALUATED:
        missing = [c for c in control_ids if statuses[c] not in (COMPLIANT, NOT_APPLICABLE)]
        entry["reason"] = (
            f"no verdict from {', '.join(f'{c} ({WHY_NO_VERDICT[statuses[c]]})' for c in missing)}"
            if missing
            else "no control covering it found a resource to judge"
        )
    return entry


def frameworks_section(catalogue: Catalogue, statuses: dict[str, str], frameworks: list[str]) -> dict:
    """Per framework (those named, else all): its requirements the catalogue covers, each with its status and the
    statuses of the controls covering it, the count per status, and the framework's total (None if not known)."""
    section = {}
    totals = coverage_totals(catalogue)
    for name, requirements in controls_view.coverage(catalogue).items():
        if frameworks and name not in frameworks:
            continue
        entries = [_requirement(req, control_ids, statuses) for req, control_ids in requirements.items()]
        counted = Counter(entry["status"] for entry in entries)
        section[name] = {
            "title": FRAMEWORK_TITLES[name],
            "requirements_covered": len(entries),
            "requirements_total": totals[name].total,
            **{status.lower(): counted[status] for status in (COMPLIANT, NON_COMPLIANT, NOT_EVALUATED)},
            "requirements": entries,
        }
    return section


def controls_section(catalogue: Catalogue, results: list[Result]) -> list[dict]:
    """Per control, account and region with results: the count of resources per verdict, its status, and the
    non-compliant resources and rule errors by id."""
    grouped: dict[tuple[str, str, str], list[Result]] = defaultdict(list)
    for result in results:
        grouped[(result.control, result.account, result.region)].append(result)
    order = {control.id: index for index, control in enumerate(catalogue.controls)}
    entries = []
    for (control_id, account, region), found in sorted(grouped.items(), key=lambda i: (order[i[0][0]], i[0][1:])):
        control = catalogue.control(control_id)
        counted = Counter(result.compliance for result in found)
        entries.append(
            {
                "control": control_id,
                "title": control.title,
                "severity": control.severity,
                "account": account,
                "region": region,
                "status": control_status(counted),
                "compliant": counted[COMPLIANT],
                "non_compliant": counted[NON_COMPLIANT],
                "not_applicable": counted[NOT_APPLICABLE],
                "errors": counted[ERROR],
                "non_compliant_resources": _resources(found, NON_COMPLIANT),
                "error_resources": _resources(found, ERROR),
            }
        )
    return entries


def _resources(results: list[Result], compliance: str) -> list[dict]:
    return [
        {"resource_type": r.resource_type, "resource_id": r.resource_id, "annotation": r.annotation}
        for r in results
        if r.compliance == compliance
    ]


def build(
    catalogue: Catalogue,
    results: list[Result],
    *,
    frameworks: list[str],
    history: dict,
    source: str,
    generated_at: str,
) -> dict:
    """The report (report.json): where the scan came from, the frameworks, the controls, the remediation history."""
    statuses = control_statuses(catalogue, results)
    return {
        "report_version": REPORT_VERSION,
        "generated_at": generated_at,
        "scan": {
            "source": source,
            "accounts": sorted({r.account for r in results}),
            "regions": sorted({r.region for r in results}),
            "results": len(results),
            "results_by_compliance": dict(sorted(Counter(r.compliance for r in results).items())),
        },
        "frameworks": frameworks_section(catalogue, statuses, frameworks),
        "control_status": statuses,
        "controls": controls_section(catalogue, results),
        "remediation_history": history,
    }
