"""The organization rolled out by the self-mutating pipeline: a security stage, then member waves of StackSets.

The assembly is tests/infra/conftest.py's `pipeline_assembly` (the context of the Makefile's pipeline variant).
"""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest

from infra import limits
from infra.pipeline import SYNTH_COMMANDS, pipeline_source
from ssm_documents.enable_s3_bucket_kms_encryption.script import ELB_ACCOUNTS
from tests.conftest import ORGANIZATION_CONTEXT
from tests.infra.conftest import of_type

SECURITY_ACCOUNT = ORGANIZATION_CONTEXT["remedy:securityAccount"]


def _pipeline(outdir):
    template = json.loads((outdir / "RemedyPipeline.template.json").read_text())
    return next(iter(of_type(template, "AWS::CodePipeline::Pipeline").values()))["Properties"], template


def test_pipeline_builds_updates_itself_publishes_then_deploys_security_before_each_wave_in_order(pipeline_assembly):
    pipeline, _ = _pipeline(pipeline_assembly)

    stages = [s["Name"] for s in pipeline["Stages"]]
    assert stages == ["Source", "Build", "UpdatePipeline", "Assets", "Security", "MembersPilot", "MembersProduction"]
    deployed = {
        s["Name"]: sorted({a.get("Configuration", {}).get("StackName") for a in s["Actions"]} - {None})
        for s in pipeline["Stages"][4:]
    }
    assert deployed == {
        "Security": ["RemedySecurity"],
        "MembersPilot": ["RemedyMembersPilot"],
        "MembersProduction": ["RemedyMembersProduction"],
    }
    production = pipeline["Stages"][-1]["Actions"]
    assert production[0]["ActionTypeId"]["Category"] == "Approval"
    assert not [a for a in pipeline["Stages"][-2]["Actions"] if a["ActionTypeId"]["Category"] == "Approval"]


def test_synth_step_runs_the_test_suite_before_it_synthesizes_the_pipeline(pipeline_assembly):
    _, template = _pipeline(pipeline_assembly)

    specs = [
        json.loads(p["Properties"]["Source"]["BuildSpec"])
        for p in of_type(template, "AWS::CodeBuild::Project").values()
        if p["Properties"]["Source"].get("BuildSpec", "").startswith("{")
    ]
    synth = next(s for s in specs if s.get("artifacts", {}).get("base-directory") == "pipeline.out")
    assert synth["phases"]["build"]["commands"] == SYNTH_COMMANDS
    assert SYNTH_COMMANDS[0] == "make test"


def test_the_pipeline_reaches_members_only_through_stack_sets_and_names_no_member_account(pipeline_assembly):
    texts = [p.read_text() for p in pipeline_assembly.rglob("*.template.json")]

    for text in texts:
        found = set(re.findall(r"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])", text))
        assert found - set(ELB_ACCOUNTS) <= {SECURITY_ACCOUNT}  # AWS's own log-delivery accounts are no members
    manifests = [json.loads(p.read_text()) for p in pipeline_assembly.rglob("manifest.json")]
    environments = {a.get("environment") for m in manifests for a in m["artifacts"].values() if "environment" in a}
    assert {e.split("/")[2] for e in environments} == {SECURITY_ACCOUNT}


def test_the_limits_gate_passes_with_each_stack_set_measured_at_one_thousand_accounts(pipeline_assembly):
    report = limits.check([pipeline_assembly])

    assert not report.failures
    instances = {
        m.artifact.split("/")[0]: m.measured for m in report.measurements if m.limit == limits.STACKSET_INSTANCES.name
    }
    assert instances == {
        "assembly-RemedyPipeline-MembersPilot": 1_000,
        "assembly-RemedyPipeline-MembersProduction": 2_000,
    }


def test_pipeline_source_from_an_s3_object_and_refused_without_a_source():
    app = cdk.App(context={"remedy:pipelineSourceBucket": "bank-sources", "remedy:pipelineSourceKey": "remedy.zip"})
    stack = cdk.Stack(app, "Probe")
    assert pipeline_source(stack, stack.node) is not None

    bare = cdk.Stack(cdk.App(), "Bare")
    with pytest.raises(ValueError, match="remedy:pipelineConnectionArn"):
        pipeline_source(bare, bare.node)
