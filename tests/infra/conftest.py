"""Template helpers for the CDK tests (the synthesized assemblies are session fixtures in tests/conftest.py)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ORGANIZATION_CONTEXT, stack_template, synthesize

# The organization of tests/conftest.py rolled out by the pipeline: two waves of member StackSets over OUs.
MEMBER_WAVES = [
    {"name": "Pilot", "organizationalUnits": ["ou-ab12-pilot001"], "regions": ["us-east-1"]},
    {
        "name": "Production",
        "organizationalUnits": ["ou-ab12-workload1", "ou-ab12-workload2"],
        "regions": ["us-east-1", "eu-west-1"],
        "approval": True,
    },
]
PIPELINE_CONTEXT = {
    **ORGANIZATION_CONTEXT,
    "remedy:pipeline": "true",
    "remedy:deploymentMode": "conformance-pack",
    "remedy:pipelineConnectionArn": (
        "arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-1e2f-4a5b-8c9d-0e1f2a3b4c5d"
    ),
    "remedy:pipelineRepository": "example-bank/remedy",
    "remedy:memberWaves": json.dumps(MEMBER_WAVES),
}


@pytest.fixture(scope="session")
def pipeline_assembly(tmp_path_factory):
    """Cloud assembly folder of the pipeline variant (stages in assembly-RemedyPipeline-<stage>/)."""
    return synthesize(tmp_path_factory, **PIPELINE_CONTEXT)


def synth(tmp_path_factory, **context):
    outdir = synthesize(tmp_path_factory, **context)
    return stack_template(outdir), outdir


def of_type(template, resource_type):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def by_property(resources, name):
    return {r["Properties"][name]: r for r in resources.values()}
