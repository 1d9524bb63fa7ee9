"""CDK synthesis from the catalogue: per control a rule, a document, a least-privilege role, a remediation."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import yaml

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
aws_cdk = pytest.importorskip("aws_cdk")
from aws_cdk.assertions import Template  # noqa: E402

from catalogue import DEFAULT_CATALOGUE, load_catalogue  # noqa: E402
from infra.app import build_app  # noqa: E402
from infra.runbooks import runbook_iam_actions  # noqa: E402
from tests.conftest import REPO_ROOT  # noqa: E402

CATALOGUE = load_catalogue()
EXTRA = REPO_ROOT / "tests" / "infra" / "data" / "extra_control"


def _synth(tmp_path_factory, **context):
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = aws_cdk.App(context={"remedy:resourcePrefix": "remedy", **context}, outdir=str(outdir))
    build_app(app)
    stack = app.node.find_child("RemedyControls")
    return Template.from_stack(stack).to_json(), outdir


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    return _synth(tmp_path_factory, **{"remedy:deploymentMode": "standalone"})


@pytest.fixture(scope="module")
def pack_mode(tmp_path_factory):
    return _synth(tmp_path_factory, **{"remedy:deploymentMode": "conformance-pack"})


def _of_type(template, resource_type):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def _by_property(resources, name):
    return {r["Properties"][name]: r for r in resources.values()}


def test_every_control_has_its_config_rule(standalone):
    rules = _by_property(_of_type(standalone[0], "AWS::Config::ConfigRule"), "ConfigRuleName")

    assert set(rules) == {f"remedy-{c.id}" for c in CATALOGUE.controls}
    for control in CATALOGUE.controls:
        properties = rules[f"remedy-{control.id}"]["Properties"]
        assert properties["Source"]["Owner"] == "CUSTOM_LAMBDA"
        assert properties["InputParameters"] == {**control.detection.parameters, "AssumeRoleMode": "false"}
        message_types = {d["MessageType"] for d in properties["Source"]["SourceDetails"]}
        if control.detection.trigger == "periodic":
            assert message_types == {"ScheduledNotification"}
            assert properties["Source"]["SourceDetails"][0]["MaximumExecutionFrequency"] == control.detection.frequency
        else:
            assert message_types == {
                "ConfigurationItemChangeNotification",
                "OversizedConfigurationItemChangeNotification",
            }
            assert properties["Scope"]["ComplianceResourceTypes"] == list(control.detection.resource_types)


def test_every_runbook_is_an_automation_document_with_its_script_embedded(standalone):
    documents = _by_property(_of_type(standalone[0], "AWS::SSM::Document"), "Name")

    for runbook in CATALOGUE.runbooks.values():
        document = documents[f"Remedy-{runbook.document_stem}"]["Properties"]
        assert document["DocumentType"] == "Automation"
        script = (runbook.folder / "script.py").read_text()
        script_steps = [s for s in document["Content"]["mainSteps"] if s["action"] == "aws:executeScript"]
        assert script_steps
        assert all(s["inputs"]["Script"] == script for s in script_steps)


def test_remediation_configurations_follow_the_catalogue(standalone):
    template = standalone[0]
    remediations = _by_property(_of_type(template, "AWS::Config::RemediationConfiguration"), "ConfigRuleName")

    assert {name: r["Properties"]["Automatic"] for name, r in remediations.items()} == {
        "remedy-iam-password-policy": True,
        "remedy-s3-bucket-kms-encryption": True,
        "remedy-s3-bucket-level-public-access-block": True,
        "remedy-iam-access-key-rotation": False,
        "remedy-ec2-ebs-volume-encryption": False,
    }
    for control in CATALOGUE.controls:
        properties = remediations[f"remedy-{control.id}"]["Properties"]
        runbook = CATALOGUE.runbooks[control.remediation.runbook]
        assert properties["TargetType"] == "SSM_DOCUMENT"
        assert properties["TargetId"] == f"Remedy-{runbook.document_stem}"
        assert properties["MaximumAutomaticAttempts"] == control.remediation.maximum_attempts
        assert properties["RetryAttemptSeconds"] == control.remediation.retry_attempt_seconds
        assert properties["ExecutionControls"]["SsmControls"]["ConcurrentExecutionRatePercentage"] == 10
        resource_params = [k for k, v in properties["Parameters"].items() if "ResourceValue" in v]
        assert len(resource_params) == 1
        assert properties["Parameters"][resource_params[0]]["ResourceValue"] == {"Value": "RESOURCE_ID"}
        role_ref = properties["Parameters"]["AutomationAssumeRole"]["StaticValue"]["Values"][0]
        assert template["Resources"][role_ref["Fn::GetAtt"][0]]["Type"] == "AWS::IAM::Role"


def test_runbook_roles_grant_exactly_the_runbook_actions_and_no_wildcard_action(standalone):
    template = standalone[0]
    roles = _of_type(template, "AWS::IAM::Role")
    policies = _of_type(template, "AWS::IAM::Policy")

    for runbook in CATALOGUE.runbooks.values():
        role_id = next(k for k in roles if k.startswith(f"{runbook.document_stem}AutomationRole"))
        trust = roles[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        assert trust["Principal"] == {"Service": "ssm.amazonaws.com"}
        assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
        granted = set()
        for policy in policies.values():
            if {"Ref": role_id} in policy["Properties"]["Roles"]:
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    actions = statement["Action"]
                    granted |= set([actions] if isinstance(actions, str) else actions)
        assert granted == set(runbook_iam_actions(runbook))
        assert not [a for a in granted if "*" in a]


def test_only_config_of_this_account_may_invoke_rule_functions(standalone):
    permissions = _of_type(standalone[0], "AWS::Lambda::Permission")

    assert len(permissions) == len(CATALOGUE.rules)
    for permission in permissions.values():
        assert permission["Properties"]["Principal"] == "config.amazonaws.com"
        assert permission["Properties"]["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_standalone_conformance_pack_template_is_written(standalone):
    pack = yaml.safe_load((standalone[1] / "remedy-conformance-pack.yaml").read_text())

    types = [r["Type"] for r in pack["Resources"].values()]
    assert types.count("AWS::Config::ConfigRule") == len(CATALOGUE.controls)
    assert types.count("AWS::Config::RemediationConfiguration") == len(CATALOGUE.controls)
    assert len(pack["Parameters"]) == len(CATALOGUE.rules) + len(CATALOGUE.runbooks)


def test_conformance_pack_mode_deploys_rules_inside_the_pack(pack_mode):
    template = pack_mode[0]

    assert not _of_type(template, "AWS::Config::ConfigRule")
    assert not _of_type(template, "AWS::Config::RemediationConfiguration")
    (pack,) = _of_type(template, "AWS::Config::ConformancePack").values()
    body = json.loads(pack["Properties"]["TemplateBody"])
    rule_names = {r["Properties"]["ConfigRuleName"] for r in body["Resources"].values()}
    assert rule_names == {f"remedy-{c.id}" for c in CATALOGUE.controls}
    passed = {p["ParameterName"] for p in pack["Properties"]["ConformancePackInputParameters"]}
    assert passed == set(body["Parameters"])
    # The functions, documents and roles the pack refers to are still deployed by the stack.
    assert len(_of_type(template, "AWS::Lambda::Function")) == len(CATALOGUE.rules)
    assert len(_of_type(template, "AWS::SSM::Document")) == len(CATALOGUE.runbooks)


def test_a_control_added_only_as_catalogue_data_synthesizes_without_infra_changes(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkout")
    for folder in ("config_rules", "ssm_documents"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
        shutil.copytree(EXTRA / folder, root / folder, dirs_exist_ok=True)
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text())
    raw["controls"] += yaml.safe_load((EXTRA / "controls.yaml").read_text())
    catalogue_file = root / "controls.yaml"
    catalogue_file.write_text(yaml.safe_dump(raw))

    template, _ = _synth(tmp_path_factory, **{"remedy:catalogue": str(catalogue_file), "remedy:root": str(root)})

    rules = _by_property(_of_type(template, "AWS::Config::ConfigRule"), "ConfigRuleName")
    assert len(rules) == len(CATALOGUE.controls) + 1
    assert "remedy-s3-bucket-versioning" in rules
    documents = _by_property(_of_type(template, "AWS::SSM::Document"), "Name")
    assert "Remedy-EnableS3BucketVersioning" in documents
    remediations = _by_property(_of_type(template, "AWS::Config::RemediationConfiguration"), "ConfigRuleName")
    assert remediations["remedy-s3-bucket-versioning"]["Properties"]["MaximumAutomaticAttempts"] == 2
