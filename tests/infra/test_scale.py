"""300 controls, each with its own rule module and runbook, synthesize within every AWS limit (the limits gate).

The catalogue is generated: copies of the shipped rule and runbook folders under new names, so every control
brings its own Lambda function, document and role, as a real catalogue of that size would. Synthesizing it takes
minutes, so these tests are marked `scale` and run by `make scale` (in CI), not by `make test`.
"""

from __future__ import annotations

import shutil
import time

import pytest
import yaml

from catalogue import DEFAULT_CATALOGUE
from infra import limits
from infra.layout import RULE_STACKS, RUNBOOK_STACKS, stack_layout
from tests.conftest import REPO_ROOT, stack_template, synthesize
from tests.infra.conftest import of_type

CONTROLS = 300


def _generated_checkout(root):
    """A checkout whose catalogue holds CONTROLS controls, each with its own copy of a shipped rule and runbook."""
    shipped = yaml.safe_load(DEFAULT_CATALOGUE.read_text())["controls"]
    controls = []
    for i in range(CONTROLS):
        control = yaml.safe_load(yaml.safe_dump(shipped[i % len(shipped)]))
        rule, runbook = control["detection"]["rule"], control["remediation"]["runbook"]
        new_rule, new_runbook = f"{rule}_{i:03d}", f"{runbook}_{i:03d}"
        shutil.copytree(REPO_ROOT / "config_rules" / rule, root / "config_rules" / new_rule)
        shutil.copytree(REPO_ROOT / "ssm_documents" / runbook, root / "ssm_documents" / new_runbook)
        control["id"] = f"{control['id']}-{i:03d}"
        control["detection"]["rule"], control["remediation"]["runbook"] = new_rule, new_runbook
        control["prowler"] = {
            "checks": [f"{c}_{i:03d}" for c in control["prowler"].get("checks", [])],
            "legacy_checks": [f"{c}_{i:03d}" for c in control["prowler"].get("legacy_checks", [])],
        }
        controls.append(control)
    shutil.copytree(REPO_ROOT / "config_rules" / "_layer", root / "config_rules" / "_layer")
    (root / "controls.yaml").write_text(yaml.safe_dump({"controls": controls}))
    return root


@pytest.fixture(scope="module")
def generated_checkout(tmp_path_factory):
    return _generated_checkout(tmp_path_factory.mktemp("checkout"))


@pytest.fixture(scope="module")
def scaled(tmp_path_factory, generated_checkout):
    root = generated_checkout
    context = {"remedy:catalogue": str(root / "controls.yaml"), "remedy:root": str(root)}
    started = time.perf_counter()
    standalone = synthesize(tmp_path_factory, **context)
    pack = synthesize(tmp_path_factory, **context, **{"remedy:deploymentMode": "conformance-pack"})
    seconds = time.perf_counter() - started
    return standalone, pack, seconds


@pytest.mark.scale
def test_300_controls_pass_the_limits_gate_in_both_modes(scaled):
    standalone, pack, seconds = scaled

    report = limits.check([standalone, pack])

    assert not report.failures, "\n".join(report.failures)
    top = max(report.measurements, key=lambda m: m.percent)
    print(f"\n300-control synthesis (both modes): {seconds:.0f} s; largest usage: {top.percent:.1f}% ({top.limit})")
    highest: dict[str, float] = {}
    for measurement in report.measurements:
        highest[measurement.limit] = max(highest.get(measurement.limit, 0.0), measurement.percent)
    for limit, percent in sorted(highest.items(), key=lambda item: -item[1])[:15]:
        print(f"{percent:6.1f}%  {limit}")


@pytest.mark.scale
def test_300_controls_each_get_their_rule_document_and_remediation(scaled):
    template = stack_template(scaled[0])

    assert len(of_type(template, "AWS::Config::ConfigRule")) == CONTROLS
    assert len(of_type(template, "AWS::Config::RemediationConfiguration")) == CONTROLS
    assert len(of_type(template, "AWS::SSM::Document")) == CONTROLS
    nested = of_type(template, "AWS::CloudFormation::Stack")
    assert 1 < len(nested) <= 2 * (RULE_STACKS + RUNBOOK_STACKS)  # regional and home-region kinds


@pytest.mark.scale
def test_conformance_packs_of_300_controls_hold_every_rule_once(scaled):
    template = stack_template(scaled[1])
    packs = of_type(template, "AWS::Config::ConformancePack")

    assert len(packs) == len(list(scaled[1].glob("*Rules*.nested.template.json")))
    assert not of_type(template, "AWS::Config::ConfigRule")


@pytest.mark.scale
def test_layout_places_items_by_name_so_adding_a_control_moves_none(generated_checkout):
    from catalogue import load_catalogue

    catalogue = load_catalogue(generated_checkout / "controls.yaml", generated_checkout)
    before = stack_layout(catalogue)
    removed = catalogue.controls.pop()  # one control fewer, with its rule and runbook: every other stays put
    del catalogue.rules[removed.detection.rule], catalogue.runbooks[removed.remediation.runbook]
    after = stack_layout(catalogue)

    for slot, content in after.rule_slots.items():
        assert set(content.rules) <= set(before.rule_slots[slot].rules)
        assert {c.id for c in content.controls} <= {c.id for c in before.rule_slots[slot].controls}
    for slot, names in after.runbook_slots.items():
        assert set(names) <= set(before.runbook_slots[slot])
    assert max(len(c.controls) for c in before.rule_slots.values()) < CONTROLS / 4


def test_a_pack_too_large_to_send_inline_goes_through_s3_and_still_deploys_every_rule(tmp_path_factory):
    from simulation.cloud_assembly import CloudAssembly

    shipped = yaml.safe_load(DEFAULT_CATALOGUE.read_text())["controls"]
    base = next(c for c in shipped if c["id"] == "s3-bucket-kms-encryption")
    controls = []
    for i in range(40):  # one rule module: all 40 controls in one rule stack, one pack of ~60 KB
        control = yaml.safe_load(yaml.safe_dump(base))
        control["id"] = f"{base['id']}-{i:02d}"
        control["prowler"] = {"checks": [f"check_{i:02d}"], "legacy_checks": []}
        controls.append(control)
    path = tmp_path_factory.mktemp("big-pack") / "controls.yaml"
    path.write_text(yaml.safe_dump({"controls": controls}))

    outdir = synthesize(
        tmp_path_factory, **{"remedy:catalogue": str(path), "remedy:deploymentMode": "conformance-pack"}
    )

    (pack,) = of_type(stack_template(outdir), "AWS::Config::ConformancePack").values()
    assert "TemplateBody" not in pack["Properties"] and "TemplateS3Uri" in pack["Properties"]
    assert len(CloudAssembly(outdir).config_rules()) == 40
    assert not limits.check([outdir]).failures
