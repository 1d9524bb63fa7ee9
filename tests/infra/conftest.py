"""Synthesize the CDK app once per test session, in both deployment modes."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
aws_cdk = pytest.importorskip("aws_cdk")
from aws_cdk.assertions import Template  # noqa: E402

from infra.app import build_app  # noqa: E402


def synth(tmp_path_factory, **context):
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = aws_cdk.App(
        context={"remedy:resourcePrefix": "remedy", "aws:cdk:enable-asset-metadata": True, **context},
        outdir=str(outdir),
    )
    build_app(app)
    stack = app.node.find_child("RemedyControls")
    return Template.from_stack(stack).to_json(), outdir


@pytest.fixture(scope="session")
def standalone(tmp_path_factory):
    return synth(tmp_path_factory, **{"remedy:deploymentMode": "standalone"})


@pytest.fixture(scope="session")
def pack_mode(tmp_path_factory):
    return synth(tmp_path_factory, **{"remedy:deploymentMode": "conformance-pack"})


def of_type(template, resource_type):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def by_property(resources, name):
    return {r["Properties"][name]: r for r in resources.values()}
