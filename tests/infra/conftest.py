"""Template helpers for the CDK tests (the synthesized assemblies are session fixtures in tests/conftest.py)."""

from __future__ import annotations

from tests.conftest import stack_template, synthesize


def synth(tmp_path_factory, **context):
    outdir = synthesize(tmp_path_factory, **context)
    return stack_template(outdir), outdir


def of_type(template, resource_type):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def by_property(resources, name):
    return {r["Properties"][name]: r for r in resources.values()}
