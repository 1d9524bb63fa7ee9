"""Check the catalogue's CIS v3.0 and FSBP ids against Prowler's own compliance files (an outside source).

Prowler ships, per framework, a JSON file mapping each requirement id to the Prowler checks that test it
(`prowler/compliance/aws/<file>.json` in its package). A control claiming a framework id must find that id in
Prowler's file, and Prowler must list at least one of the control's Prowler checks under it.

The files are read from Prowler's own virtual environment (`.venv-prowler`, `make prowler-venv`; see
simulation/prowler_scan.py): the check vendors nothing, so a Prowler upgrade re-checks the mapping.

One thing is vendored from them: each framework's list of requirement ids, so `remedy controls --coverage` can say
"covered X of Y" without Prowler: `python -m simulation.prowler_compliance` writes it to catalogue/frameworks.json
(see catalogue/frameworks.py), and a test marked `prowler` keeps that snapshot equal to what installed Prowler says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from catalogue.frameworks import FRAMEWORKS_FILE, requirement_key
from simulation.prowler_scan import PROWLER_VENV

# Catalogue framework key -> Prowler's compliance file for it (prowler/compliance/aws/).
COMPLIANCE_FILES = {
    "cis_aws_v3.0": "cis_3.0_aws.json",
    "aws_fsbp": "aws_foundational_security_best_practices_aws.json",
}
COMPLIANCE_GLOB = "lib/python3*/site-packages/prowler/compliance/aws"
# The frameworks whose requirement ids the snapshot (catalogue/frameworks.json) holds: those whose ids in Prowler's
# file are the catalogue's. Not C5 (Prowler 5.46's c5_aws.json is C5:2025, ids like "OIS-01.01B"; the catalogue
# names C5:2020 criteria, "IDM-09") nor GDPR (gdpr_aws.json lists three articles, as "article_25").
SNAPSHOT_FILES = {**COMPLIANCE_FILES, "iso27001_2022": "iso27001_2022_aws.json"}
# Requirements of the framework that Prowler's file leaves out, each with a page describing it. ISO/IEC 27001:2022
# Annex A has 93 controls (A.5.1-37, A.6.1-8, A.7.1-14, A.8.1-34); Prowler 5.46's file lists 92, without A.8.28
# Secure coding.
MISSING_FROM_PROWLER = {
    "iso27001_2022": {"A.8.28": "https://www.isms.online/iso-27001/annex-a/8-28-secure-coding-2022/"}
}


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


def prowler_version(folder: Path) -> str:
    """The installed Prowler's version, from its dist-info folder beside the package holding `folder`."""
    site_packages = folder.parents[2]
    found = sorted(site_packages.glob("prowler-*.dist-info"))
    return found[-1].name.removeprefix("prowler-").removesuffix(".dist-info") if found else "unknown"


def framework_snapshot(folder: Path) -> dict:
    """catalogue/frameworks.json's content: per framework of SNAPSHOT_FILES, its requirement ids in natural order
    (those Prowler's file lists, and MISSING_FROM_PROWLER's), and for CIS the ones it assesses as Automated."""
    frameworks = {}
    for key, name in SNAPSHOT_FILES.items():
        items = json.loads((folder / name).read_text())["Requirements"]
        added = MISSING_FROM_PROWLER.get(key, {})
        entry: dict = {
            "prowler_file": name,
            "requirements": sorted({str(item["Id"]) for item in items} | set(added), key=requirement_key),
        }
        if added:
            entry["not_in_prowler"] = added
        statuses = [(str(item["Id"]), (item.get("Attributes") or [{}])[0].get("AssessmentStatus")) for item in items]
        if any(status for _id, status in statuses):
            entry["automated"] = sorted((i for i, s in statuses if s == "Automated"), key=requirement_key)
        frameworks[key] = entry
    return {
        "source": f"Prowler {prowler_version(folder)} compliance files (prowler/compliance/aws/)",
        "regenerate": "make prowler-venv && python -m simulation.prowler_compliance",
        "frameworks": frameworks,
    }


def snapshot_text(folder: Path) -> str:
    """The snapshot as written to catalogue/frameworks.json."""
    return json.dumps(framework_snapshot(folder), indent=2) + "\n"


if __name__ == "__main__":
    compliance = compliance_dir()
    if compliance is None:
        sys.exit(f"Prowler is not installed under {PROWLER_VENV}: run `make prowler-venv`")
    FRAMEWORKS_FILE.write_text(snapshot_text(compliance))
    print(f"wrote {FRAMEWORKS_FILE} from {compliance}")
