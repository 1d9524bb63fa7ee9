"""The bridge's event patterns and routing maps come from the catalogue and match the events AWS sends."""

from __future__ import annotations

import copy
import json

import pytest

from catalogue import load_catalogue
from infra.bridge_config import bridge_config, standard_control_map
from infra.bridge_resources import (
    MAX_PATTERN_CHARS,
    control_findings_pattern,
    findings_imported_pattern,
    findings_v2_pattern,
)
from simulation.account import event_matches
from tests.conftest import REPO_ROOT, load_example

CATALOGUE = load_catalogue()
CONFIG = bridge_config(CATALOGUE, "remedy")
EVENTS = REPO_ROOT / "prowler_bridge" / "events"
PATTERNS = {
    "prowler_finding_imported": findings_imported_pattern,
    "securityhub_control_finding_imported": control_findings_pattern,
    "securityhub_finding_imported_v2": findings_v2_pattern,
}


def _claimed_once(pairs):
    """key -> control id for the keys exactly one control claims (the product's rule: an id two controls claim
    routes nowhere)."""
    claims: dict[str, set[str]] = {}
    for key, control_id in pairs:
        claims.setdefault(key, set()).add(control_id)
    return {key: next(iter(ids)) for key, ids in claims.items() if len(ids) == 1}


def _standard_pairs(catalogue):
    return [
        (f"aws-foundational-security-best-practices/v/1.0.0/{i}", c.id)
        for c in catalogue.controls
        for i in c.frameworks.get("aws_fsbp", ())
    ] + [
        (f"cis-aws-foundations-benchmark/v/3.0.0/{i}", c.id)
        for c in catalogue.controls
        for i in c.frameworks.get("cis_aws_v3.0", ())
    ]


def test_security_control_routes_are_the_catalogues_fsbp_and_cis_ids():
    fsbp_pairs = [(fsbp, c.id) for c in CATALOGUE.controls for fsbp in c.frameworks.get("aws_fsbp", ())]
    assert CONFIG["security_controls"] == _claimed_once(fsbp_pairs)
    pairs = _standard_pairs(CATALOGUE)
    expected = _claimed_once(pairs)
    assert CONFIG["standard_controls"] == expected
    # Every id the catalogue names is routed unless two controls claim it.
    assert {key for key, _ in pairs} - set(expected) == {
        key for key, _ in pairs if len({c for k, c in pairs if k == key}) > 1
    }
    assert CONFIG["action_target_id"] == "RemedyRemediate"


def test_an_id_claimed_by_two_controls_routes_nowhere():
    """Two controls fixing one Security Hub control: the bridge must not pick one, so the id is left out."""
    catalogue = copy.deepcopy(CATALOGUE)
    first, second = [c for c in catalogue.controls if c.frameworks.get("cis_aws_v3.0")][:2]
    shared = first.frameworks["cis_aws_v3.0"]
    second.frameworks["cis_aws_v3.0"] = shared
    routes = standard_control_map(catalogue)
    assert not {f"cis-aws-foundations-benchmark/v/3.0.0/{i}" for i in shared} & set(routes)
    # The ids one control alone claims still route to it.
    claimed_once = {
        key: control
        for key, control in _claimed_once(_standard_pairs(catalogue)).items()
        if control not in (first.id, second.id)
    }
    assert claimed_once
    for key, control in claimed_once.items():
        assert routes[key] == control


@pytest.mark.parametrize("example", PATTERNS)
def test_each_example_matches_its_rule_and_no_other(example):
    event = load_example(EVENTS / f"{example}.json")
    matching = {name for name, pattern in PATTERNS.items() if event_matches(pattern(CONFIG), event)}
    assert matching == {example}


@pytest.mark.parametrize("pattern", PATTERNS.values(), ids=list(PATTERNS))
def test_patterns_stay_within_eventbridges_limit_with_headroom(pattern):
    assert len(json.dumps(pattern(CONFIG))) <= MAX_PATTERN_CHARS


def test_passed_or_closed_control_findings_do_not_reach_the_bridge():
    asff_event = load_example(EVENTS / "securityhub_control_finding_imported.json")
    asff_event["detail"]["findings"][0]["Compliance"]["Status"] = "PASSED"
    assert not event_matches(control_findings_pattern(CONFIG), asff_event)
    ocsf_event = load_example(EVENTS / "securityhub_finding_imported_v2.json")
    ocsf_event["detail"]["findings"][0]["status"] = "Resolved"
    assert not event_matches(findings_v2_pattern(CONFIG), ocsf_event)


def test_many_controls_fall_back_to_prefixes_that_still_match():
    config = copy.deepcopy(CONFIG)
    control = next(iter(config["controls"]))
    for n in range(300):
        config["security_controls"][f"Svc{n}.{n}"] = control
        config["standard_controls"][f"cis-aws-foundations-benchmark/v/3.0.0/9.{n}"] = control
    for name in ("securityhub_control_finding_imported", "securityhub_finding_imported_v2"):
        pattern = PATTERNS[name](config)
        assert len(json.dumps(pattern)) <= MAX_PATTERN_CHARS
        assert event_matches(pattern, load_example(EVENTS / f"{name}.json"))
