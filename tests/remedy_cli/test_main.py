"""`remedy --help`, `remedy controls` and the scan's selection of controls, derived from the catalogue."""

from __future__ import annotations

import argparse
import json

import pytest

from catalogue import FRAMEWORKS, load_catalogue
from catalogue.frameworks import load_frameworks
from remedy_cli.main import main, parser, selected

CATALOGUE = load_catalogue()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_help_lists_every_command_with_what_it_does(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    text = capsys.readouterr().out

    assert exit_.value.code == 0
    action = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    for choice in action._choices_actions:
        assert choice.help and f"{choice.dest}" in text and choice.help in " ".join(text.split())


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_each_command_help_describes_it_and_every_option(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    command = _subcommands()[name]

    assert exit_.value.code == 0
    assert command.description and " ".join(command.description.split()) in text
    options = [a for a in command._actions if a.option_strings and a.dest != "help"]
    assert options and all(a.help for a in options)
    assert all(a.option_strings[-1] in text for a in options)


def test_controls_json_lists_the_catalogue(capsys):
    assert main(["controls", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)

    assert [r["id"] for r in rows] == [c.id for c in CATALOGUE.controls]
    for row, control in zip(rows, CATALOGUE.controls, strict=True):
        assert (row["title"], row["severity"], row["resource_type"]) == (
            control.title,
            control.severity,
            control.resource_type,
        )
        assert row["automatic"] is control.remediation.automatic
        assert row["frameworks"] == {name: list(ids) for name, ids in control.frameworks.items()}


def test_controls_table_has_a_line_per_control(capsys):
    assert main(["controls"]) == 0
    lines = capsys.readouterr().out.splitlines()

    assert [line.split()[0] for line in lines[1:]] == [c.id for c in CATALOGUE.controls]


def test_coverage_names_each_requirement_with_exactly_the_controls_mapping_it(capsys, tmp_path):
    out = tmp_path / "coverage.json"
    assert main(["controls", "--coverage", "--format", "json", "--output", str(out)]) == 0
    coverage = json.loads(out.read_text())

    assert capsys.readouterr().out == ""
    assert list(coverage) == list(FRAMEWORKS)
    mapped = {
        (framework, requirement, control.id)
        for control in CATALOGUE.controls
        for framework, ids in control.frameworks.items()
        for requirement in ids
    }
    listed = {
        (framework, requirement, control_id)
        for framework, entry in coverage.items()
        for requirement, control_ids in entry["requirements"].items()
        for control_id in control_ids
    }
    assert listed == mapped


def test_coverage_json_counts_the_requirements_covered_out_of_the_frameworks_total(capsys):
    assert main(["controls", "--coverage", "--format", "json"]) == 0
    coverage = json.loads(capsys.readouterr().out)

    snapshot = load_frameworks()
    for name, entry in coverage.items():
        known = snapshot.get(name)
        assert entry["covered"] == len(entry["requirements"]) > 0
        assert entry["total"] == (len(known.requirements) if known else None)
        automated = known.automated if known else None
        if automated is None:
            assert "automated_covered" not in entry and "automated_total" not in entry
        else:
            assert entry["automated_total"] == len(automated)
            assert entry["automated_covered"] == len(automated & set(entry["requirements"]))
    assert coverage["cis_aws_v3.0"]["total"] and coverage["aws_fsbp"]["total"]


def test_coverage_table_starts_with_a_summary_line_per_framework_then_a_line_per_requirement(capsys):
    assert main(["controls", "--coverage"]) == 0
    out = capsys.readouterr().out
    summary, table = out.split("\n\n", 1)

    snapshot = load_frameworks()
    requirements = {(f, r) for c in CATALOGUE.controls for f, ids in c.frameworks.items() for r in ids}
    lines = summary.splitlines()
    assert len(lines) == len(FRAMEWORKS)
    for name, line in zip(FRAMEWORKS, lines, strict=True):
        covered = sum(1 for f, _r in requirements if f == name)
        out_of = f" of {len(snapshot[name].requirements)}" if name in snapshot else ""
        assert line.startswith(f"{name}: {covered}{out_of} ")
    assert len(table.splitlines()[1:]) == len(requirements)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_frameworks_select_the_controls_mapped_to_them(framework):
    chosen = selected(CATALOGUE, [], [framework])

    assert [c.id for c in chosen] == [c.id for c in CATALOGUE.controls if framework in c.frameworks]


def test_controls_and_frameworks_add_up_and_nothing_selects_everything():
    first, last = CATALOGUE.controls[0], CATALOGUE.controls[-1]
    framework = next(iter(last.frameworks))

    assert selected(CATALOGUE, [], []) == CATALOGUE.controls
    chosen = {c.id for c in selected(CATALOGUE, [first.id], [framework])}
    assert chosen == {first.id} | {c.id for c in CATALOGUE.controls if framework in c.frameworks}


def test_an_unknown_control_is_a_usage_error_naming_it(capsys):
    assert main(["scan", "--region", "us-east-1", "--controls", "no-such-control"]) == 2
    assert "no-such-control" in capsys.readouterr().err
