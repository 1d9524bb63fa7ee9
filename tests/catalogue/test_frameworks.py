"""Framework totals: every catalogue framework id is a requirement the snapshot (catalogue/frameworks.json) lists,
and "covered X of Y" is counted right, on a hand-made catalogue and snapshot."""

from __future__ import annotations

import dataclasses
import json

import pytest

from catalogue import FRAMEWORKS, Catalogue, load_catalogue
from catalogue.frameworks import (
    FRAMEWORKS_FILE,
    Framework,
    Totals,
    coverage_totals,
    covered_text,
    load_frameworks,
    requirement_key,
    unknown_requirements,
)

CATALOGUE = load_catalogue()
TEMPLATE = CATALOGUE.controls[0]
FRAMEWORKS_ = {
    "cis_aws_v3.0": Framework(frozenset({"1.1", "1.2", "2.1", "2.2"}), automated=frozenset({"1.2", "2.1", "2.2"})),
    "aws_fsbp": Framework(frozenset({"S3.1", "S3.8", "IAM.7"})),
}


def _catalogue(*claims: dict[str, tuple[str, ...]]) -> Catalogue:
    """A catalogue of one control per claim (framework -> requirement ids)."""
    return Catalogue(
        controls=[
            dataclasses.replace(TEMPLATE, id=f"control-{index}", frameworks=frameworks)
            for index, frameworks in enumerate(claims)
        ]
    )


def test_every_framework_id_of_the_catalogue_is_a_requirement_the_snapshot_lists():
    assert unknown_requirements(CATALOGUE) == []


def test_a_mistyped_id_is_named_with_its_control():
    catalogue = _catalogue({"cis_aws_v3.0": ("1.2", "1.22")}, {"aws_fsbp": ("S3.8",), "gdpr": ("Art. 99",)})

    assert unknown_requirements(catalogue, FRAMEWORKS_) == [
        f"control 'control-0': frameworks.cis_aws_v3.0 '1.22': not a requirement of cis_aws_v3.0 in "
        f"{FRAMEWORKS_FILE.name}"
    ]


def test_totals_count_distinct_requirements_out_of_the_frameworks_and_its_automated_ones():
    catalogue = _catalogue(
        {"cis_aws_v3.0": ("1.1", "1.2"), "aws_fsbp": ("S3.1",)},
        {"cis_aws_v3.0": ("1.2", "2.1"), "gdpr": ("Art. 32",)},
        {"gdpr": ("Art. 25", "Art. 32")},
    )

    totals = coverage_totals(catalogue, FRAMEWORKS_)

    assert list(totals) == list(FRAMEWORKS)
    assert totals["cis_aws_v3.0"] == Totals(covered=3, total=4, automated_covered=2, automated_total=3)
    assert totals["aws_fsbp"] == Totals(covered=1, total=3)
    assert totals["gdpr"] == Totals(covered=2)
    assert totals["iso27001_2022"] == totals["bsi_c5_2020"] == Totals(covered=0)


def test_an_id_the_framework_lacks_covers_nothing():
    totals = coverage_totals(_catalogue({"aws_fsbp": ("S3.8", "S3.99")}), FRAMEWORKS_)

    assert totals["aws_fsbp"] == Totals(covered=1, total=3)


@pytest.mark.parametrize(
    ("name", "totals", "text"),
    [
        ("cis_aws_v3.0", Totals(3, 4, 2, 3), "3 of 4 recommendations covered (2 of 3 automated ones)"),
        ("aws_fsbp", Totals(1, 3), "1 of 3 controls covered"),
        ("gdpr", Totals(2), "2 articles covered (no list of all its articles to count against)"),
    ],
)
def test_covered_text_says_out_of_how_many_where_known(name, totals, text):
    assert covered_text(name, totals) == text


def test_the_snapshot_lists_each_requirement_once_in_natural_order_and_automated_ones_among_them():
    raw = json.loads(FRAMEWORKS_FILE.read_text())["frameworks"]
    frameworks = load_frameworks()

    assert set(frameworks) <= set(FRAMEWORKS)
    for name, entry in raw.items():
        assert entry["requirements"] == sorted(set(entry["requirements"]), key=requirement_key)
        assert frameworks[name].automated is None or frameworks[name].automated < frameworks[name].requirements
