"""The catalogue's CIS v3.0 and FSBP ids, checked against an outside source: Prowler's compliance files.

The check itself reads Prowler's virtual environment (`make prowler-venv`), so it is marked `prowler` and runs
in `make e2e`: skipped locally without Prowler, failed in CI (CI set). The tests of the checker below it run
everywhere, on compliance files written here.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from catalogue import Catalogue, load_catalogue
from catalogue.frameworks import FRAMEWORKS_FILE
from simulation.prowler_compliance import (
    COMPLIANCE_FILES,
    MISSING_FROM_PROWLER,
    SNAPSHOT_FILES,
    compliance_dir,
    framework_snapshot,
    mapping_mismatches,
    snapshot_text,
)
from simulation.prowler_scan import PROWLER_VENV

CATALOGUE = load_catalogue()


@pytest.fixture
def prowler_compliance() -> Path:
    """Prowler's compliance folder; skip (locally) or fail (in CI) when Prowler's virtual environment is missing."""
    folder = compliance_dir()
    if folder is not None:
        return folder
    message = f"Prowler's compliance files are not installed (none under {PROWLER_VENV}): run `make prowler-venv`"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI requires them")
    pytest.skip(message)


@pytest.mark.prowler
def test_every_cis_and_fsbp_id_is_backed_by_prowlers_compliance_files(prowler_compliance):
    assert mapping_mismatches(CATALOGUE, prowler_compliance) == []


@pytest.mark.prowler
def test_the_framework_snapshot_is_what_installed_prowler_lists(prowler_compliance):
    assert FRAMEWORKS_FILE.read_text() == snapshot_text(prowler_compliance), (
        "catalogue/frameworks.json is stale: run python -m simulation.prowler_compliance"
    )


def _write_compliance(folder: Path, requirements: dict[str, dict[str, list[str]]]) -> Path:
    """Compliance files in Prowler's layout: {catalogue framework key: {requirement id: checks}}."""
    for key, name in COMPLIANCE_FILES.items():
        items = [{"Id": rid, "Checks": checks} for rid, checks in requirements.get(key, {}).items()]
        (folder / name).write_text(json.dumps({"Framework": key, "Requirements": items}))
    return folder


def _backing(catalogue: Catalogue) -> dict[str, dict[str, list[str]]]:
    """Compliance files that back every CIS and FSBP id of the catalogue with its control's first check."""
    requirements: dict[str, dict[str, list[str]]] = {key: {} for key in COMPLIANCE_FILES}
    for control in catalogue.controls:
        for key in COMPLIANCE_FILES:
            for rid in control.frameworks.get(key, ()):
                requirements[key].setdefault(rid, []).append(control.prowler_checks[0])
    return requirements


def test_a_backed_catalogue_has_no_mismatch(tmp_path):
    assert mapping_mismatches(CATALOGUE, _write_compliance(tmp_path, _backing(CATALOGUE))) == []


def test_an_id_prowler_lacks_fails_naming_the_entry_and_the_file(tmp_path):
    control = next(c for c in CATALOGUE.controls if c.frameworks.get("cis_aws_v3.0"))
    claimed = control.frameworks["cis_aws_v3.0"][0]
    requirements = _backing(CATALOGUE)
    del requirements["cis_aws_v3.0"][claimed]

    problems = mapping_mismatches(CATALOGUE, _write_compliance(tmp_path, requirements))

    cis_file = tmp_path / COMPLIANCE_FILES["cis_aws_v3.0"]
    users = [c.id for c in CATALOGUE.controls if claimed in c.frameworks.get("cis_aws_v3.0", ())]
    assert problems == [
        f"control '{cid}': frameworks.cis_aws_v3.0 '{claimed}': no such requirement in {cis_file}" for cid in users
    ]


def test_an_id_listing_none_of_the_controls_checks_fails(tmp_path):
    control = next(c for c in CATALOGUE.controls if c.frameworks.get("aws_fsbp"))
    claimed = control.frameworks["aws_fsbp"][0]
    requirements = _backing(CATALOGUE)
    requirements["aws_fsbp"][claimed] = ["a_check_no_control_maps"]
    others = [c for c in CATALOGUE.controls if c.id != control.id]
    catalogue = Catalogue(controls=[dataclasses.replace(control, frameworks={"aws_fsbp": (claimed,)}), *others])

    problems = mapping_mismatches(catalogue, _write_compliance(tmp_path, requirements))

    fsbp_file = tmp_path / COMPLIANCE_FILES["aws_fsbp"]
    assert len(problems) == sum(claimed in c.frameworks.get("aws_fsbp", ()) for c in catalogue.controls)
    assert problems[0].startswith(f"control '{control.id}': frameworks.aws_fsbp '{claimed}': {fsbp_file} lists")
    assert "['a_check_no_control_maps']" in problems[0]


def test_frameworks_without_a_compliance_file_are_not_checked(tmp_path):
    control = dataclasses.replace(CATALOGUE.controls[0], frameworks={"gdpr": ("Art. 99",)})

    assert mapping_mismatches(Catalogue(controls=[control]), _write_compliance(tmp_path, {})) == []


def test_the_compliance_folder_is_found_in_a_virtual_environment_by_glob(tmp_path):
    assert compliance_dir(tmp_path) is None
    folder = tmp_path / "lib" / "python3.11" / "site-packages" / "prowler" / "compliance" / "aws"
    folder.mkdir(parents=True)

    assert compliance_dir(tmp_path) == folder


def test_the_snapshot_holds_each_frameworks_ids_in_natural_order_the_automated_ones_and_the_additions(tmp_path):
    site_packages = tmp_path / "lib" / "python3.11" / "site-packages"
    folder = site_packages / "prowler" / "compliance" / "aws"
    folder.mkdir(parents=True)
    (site_packages / "prowler-9.8.7.dist-info").mkdir()
    cis = [("1.10", "Automated"), ("1.2", "Manual"), ("1.9", "Automated"), ("2.1.1", "Automated")]
    requirements = {
        "cis_aws_v3.0": [{"Id": rid, "Attributes": [{"AssessmentStatus": status}]} for rid, status in cis],
        "aws_fsbp": [{"Id": rid, "Attributes": [{"Service": "S3"}]} for rid in ("S3.17", "S3.8", "ACM.1")],
        "iso27001_2022": [{"Id": rid} for rid in ("A.8.9", "A.5.17")],
    }
    for key, name in SNAPSHOT_FILES.items():
        (folder / name).write_text(json.dumps({"Requirements": requirements[key]}))

    snapshot = framework_snapshot(folder)

    assert snapshot["source"].startswith("Prowler 9.8.7 ")
    frameworks = snapshot["frameworks"]
    assert list(frameworks) == list(SNAPSHOT_FILES)
    assert frameworks["cis_aws_v3.0"]["requirements"] == ["1.2", "1.9", "1.10", "2.1.1"]
    assert frameworks["cis_aws_v3.0"]["automated"] == ["1.9", "1.10", "2.1.1"]
    assert frameworks["aws_fsbp"] == {
        "prowler_file": SNAPSHOT_FILES["aws_fsbp"],
        "requirements": ["ACM.1", "S3.8", "S3.17"],
    }
    added = MISSING_FROM_PROWLER["iso27001_2022"]
    assert frameworks["iso27001_2022"]["requirements"] == sorted(["A.5.17", "A.8.9", *added], key=_natural)
    assert frameworks["iso27001_2022"]["not_in_prowler"] == added
    assert "automated" not in frameworks["iso27001_2022"]


def _natural(requirement_id: str) -> list[int]:
    return [int(part) for part in requirement_id.removeprefix("A.").split(".")]
