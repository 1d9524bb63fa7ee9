"""CDK synthesis from the catalogue: per control a rule, a document, a least-privilege role, a remediation."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from catalogue import DEFAULT_CATALOGUE, load_catalogue
from infra.bridge_config import runbook_role_name_template
from infra.layout import stack_layout
from infra.runbooks import runbook_iam_actions
from tests.conftest import REPO_ROOT
from tests.infra.conftest import by_property, of_type, synth

CATALOGUE = load_catalogue()
EXTRA = REPO_ROOT / "tests" / "infra" / "data" / "extra_control"


def test_every_control_has_its_config_rule(standalone):
    rules = by_property(of_type(standalone[0], "AWS::Config::ConfigRule"), "ConfigRuleName")

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


def test_every_runbook_is_an_automation_document_with_its_handlers_code_embedded(standalone):
    documents = by_property(of_type(standalone[0], "AWS::SSM::Document"), "Name")

    for runbook in CATALOGUE.runbooks.values():
        document = documents[f"Remedy-{runbook.document_stem}"]["Properties"]
        assert document["DocumentType"] == "Automation"
        # Cut from script.py and the shared modules it (or the guard) imports: support and compliance definitions.
        shared = list((REPO_ROOT / "ssm_documents" / "_support").glob("*.py"))
        shared += (REPO_ROOT / "config_rules" / "_layer" / "python" / "compliance").glob("*.py")
        support = "\n".join(path.read_text() for path in shared)
        script = (runbook.folder / "script.py").read_text() + "\n" + support
        script_steps = [s for s in document["Content"]["mainSteps"] if s["action"] == "aws:executeScript"]
        assert script_steps
        for step in script_steps:
            embedded = step["inputs"]["Script"]
            assert f"def {step['inputs']['Handler']}(" in embedded
            # Cut unchanged: every embedded line is a line of the sources (less its trailing comment).
            lines = {line.split("  # ")[0] for line in script.splitlines()}
            assert set(embedded.splitlines()) - {""} <= lines


def test_remediation_configurations_follow_the_catalogue(standalone):
    template = standalone[0]
    remediations = by_property(of_type(template, "AWS::Config::RemediationConfiguration"), "ConfigRuleName")

    # As synthesized without context: a remediation requiring context keys is the Remediate button.
    assert {name: r["Properties"]["Automatic"] for name, r in remediations.items()} == {
        f"remedy-{c.id}": c.remediation.declared_automatic and not c.remediation.automatic_requires
        for c in CATALOGUE.controls
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
        role_arn = json.dumps(properties["Parameters"]["AutomationAssumeRole"]["StaticValue"]["Values"][0])
        role_names = [
            r["Properties"]["RoleName"]["Fn::Join"][1][0]
            for r in of_type(template, "AWS::IAM::Role").values()
            if r["Properties"].get("Path") == "/remedy/runbooks/"
        ]
        assert f":role/remedy/runbooks/{runbook_role_name_template('remedy', runbook.document_stem)[:-8]}" in role_arn
        assert runbook_role_name_template("remedy", runbook.document_stem)[:-8] in role_names


def test_runbook_roles_grant_exactly_the_runbook_actions_and_no_wildcard_action(standalone):
    template = standalone[0]
    roles = of_type(template, "AWS::IAM::Role")
    policies = of_type(template, "AWS::IAM::Policy")

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
        # The guard reads one parameter: ssm:GetParameter on it alone.
        parameter = [
            statement["Resource"]
            for policy in policies.values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if "ssm:GetParameter"
            in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        ]
        assert len(parameter) == 1 and json.dumps(parameter[0]).endswith(':parameter/remedy/remediation-controls"]]}')


def test_only_config_of_this_account_may_invoke_rule_functions(standalone):
    template = standalone[0]
    rule_functions = {
        k
        for k, v in of_type(template, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == "rule.lambda_handler"
    }
    permissions = [
        p["Properties"]
        for p in of_type(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"]["Fn::GetAtt"][0] in rule_functions
    ]

    assert len(rule_functions) == len(CATALOGUE.rules)
    assert len(permissions) == len(CATALOGUE.rules)
    for permission in permissions:
        assert permission["Principal"] == "config.amazonaws.com"
        assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_standalone_conformance_pack_templates_are_written_one_per_rule_stack(standalone):
    packs = [yaml.safe_load(p.read_text()) for p in sorted(standalone[1].glob("remedy-conformance-pack-*.yaml"))]

    assert len(packs) == len(stack_layout(CATALOGUE).rule_slots)
    rules = [
        r["Properties"]["ConfigRuleName"] for p in packs for r in p["Resources"].values() if "Source" in r["Properties"]
    ]
    assert sorted(rules) == sorted(f"remedy-{c.id}" for c in CATALOGUE.controls)
    for pack in packs:
        types = [r["Type"] for r in pack["Resources"].values()]
        assert types.count("AWS::Config::ConfigRule") == types.count("AWS::Config::RemediationConfiguration")
        referenced = {json.dumps(r)[json.dumps(r).index('"Ref"') :] for r in pack["Resources"].values()}
        assert referenced
        assert all(f'"Ref": "{name}"' in json.dumps(pack["Resources"]) for name in pack["Parameters"])


def test_conformance_pack_mode_deploys_rules_inside_the_pack(pack_mode):
    template = pack_mode[0]

    assert not of_type(template, "AWS::Config::ConfigRule")
    assert not of_type(template, "AWS::Config::RemediationConfiguration")
    packs = of_type(template, "AWS::Config::ConformancePack").values()
    assert len(packs) == len(stack_layout(CATALOGUE).rule_slots)
    rule_names = set()
    for pack in packs:
        body = json.loads(pack["Properties"]["TemplateBody"])
        rule_names |= {r["Properties"]["ConfigRuleName"] for r in body["Resources"].values()}
        passed = {p["ParameterName"] for p in pack["Properties"]["ConformancePackInputParameters"]}
        assert passed == set(body["Parameters"])
    assert rule_names == {f"remedy-{c.id}" for c in CATALOGUE.controls}
    # The functions, documents and roles the packs refer to are still deployed by the stack.
    assert len(of_type(template, "AWS::SSM::Document")) == len(CATALOGUE.runbooks)


def test_a_control_added_only_as_catalogue_data_synthesizes_without_infra_changes(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkout")
    for folder in ("config_rules", "ssm_documents"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
        shutil.copytree(EXTRA / folder, root / folder, dirs_exist_ok=True)
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text())
    raw["controls"] += yaml.safe_load((EXTRA / "controls.yaml").read_text())
    catalogue_file = root / "controls.yaml"
    catalogue_file.write_text(yaml.safe_dump(raw))

    template, _ = synth(tmp_path_factory, **{"remedy:catalogue": str(catalogue_file), "remedy:root": str(root)})

    rules = by_property(of_type(template, "AWS::Config::ConfigRule"), "ConfigRuleName")
    assert len(rules) == len(CATALOGUE.controls) + 1
    assert "remedy-s3-bucket-versioning" in rules
    documents = by_property(of_type(template, "AWS::SSM::Document"), "Name")
    assert "Remedy-EnableS3BucketVersioning" in documents
    remediations = by_property(of_type(template, "AWS::Config::RemediationConfiguration"), "ConfigRuleName")
    assert remediations["remedy-s3-bucket-versioning"]["Properties"]["MaximumAutomaticAttempts"] == 2


def test_each_rule_stack_deploys_after_the_runbook_stacks_its_remediations_name(standalone):
    outdir = standalone[1]
    parent = json.loads((outdir / "RemedyControls.template.json").read_text())["Resources"]
    nested = {k: v for k, v in parent.items() if v["Type"] == "AWS::CloudFormation::Stack"}
    templates = {k: json.loads((outdir / v["Metadata"]["aws:asset:path"]).read_text()) for k, v in nested.items()}
    holder = {  # document name -> the nested stack that creates it
        r["Properties"]["Name"]: k
        for k, t in templates.items()
        for r in t["Resources"].values()
        if r["Type"] == "AWS::SSM::Document"
    }

    checked = 0
    for stack_id, template in templates.items():
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Config::RemediationConfiguration":
                assert holder[resource["Properties"]["TargetId"]] in nested[stack_id].get("DependsOn", [])
                checked += 1
    assert checked == len(CATALOGUE.controls)


def test_with_a_home_region_global_controls_deploy_only_there(tmp_path_factory):
    from simulation.cloud_assembly import CloudAssembly

    _, outdir = synth(tmp_path_factory, **{"remedy:homeRegion": "eu-central-1"})
    parent = json.loads((outdir / "RemedyControls.template.json").read_text())

    conditional = {k for k, r in parent["Resources"].items() if r.get("Condition") == "IsHomeRegion"}
    assert conditional and all(k.startswith("Home") for k in conditional)
    global_rules = {f"remedy-{c.id}" for c in CATALOGUE.controls if c.home_region_only}
    regional_rules = {f"remedy-{c.id}" for c in CATALOGUE.controls if not c.home_region_only}
    assert global_rules and regional_rules
    assert set(CloudAssembly(outdir, region="eu-central-1").config_rules()) == global_rules | regional_rules
    assert set(CloudAssembly(outdir, region="us-west-2").config_rules()) == regional_rules
    bridge = json.loads(next(p for p in outdir.glob("asset.*/prowler_bridge/bridge_config.json")).read_text())
    assert bridge["home_region"] == "eu-central-1"


def test_a_rule_module_shared_by_a_global_and_a_regional_control_is_refused(tmp_path):
    from catalogue import CatalogueError, load_catalogue

    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text())
    twin = yaml.safe_load(yaml.safe_dump(next(c for c in raw["controls"] if c.get("home_region_only"))))
    twin["id"], twin["home_region_only"], twin["prowler"] = "twin", False, {"checks": [], "legacy_checks": []}
    raw["controls"].append(twin)
    path = tmp_path / "controls.yaml"
    path.write_text(yaml.safe_dump(raw))

    with pytest.raises(CatalogueError, match="control 'twin': field 'home_region_only'"):
        load_catalogue(path)


def test_a_customer_key_in_context_makes_sse_kms_automatic_with_that_key(tmp_path_factory):
    from catalogue import deployed
    from tests.infra.conftest import synth

    setting = "remedy:s3KmsKeyArn"
    key = "arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-1e2f-4a5b-8c9d-0e1f2a3b4c5d"
    assert [c for c in CATALOGUE.controls if setting in c.remediation.automatic_requires], f"a control needs {setting}"
    template, _ = synth(tmp_path_factory, **{setting: key})
    remediations = by_property(of_type(template, "AWS::Config::RemediationConfiguration"), "ConfigRuleName")

    for control in deployed(CATALOGUE, {setting: key}.get).controls:
        properties = remediations[f"remedy-{control.id}"]["Properties"]
        assert properties["Automatic"] is control.remediation.automatic, control.id
        for name, source in control.remediation.parameters.items():
            if source.kind == "value" and name in properties["Parameters"]:
                assert properties["Parameters"][name] == {"StaticValue": {"Values": [source.value]}}, name
        if setting in control.remediation.automatic_requires:
            assert properties["Automatic"] is True
            assert {"StaticValue": {"Values": [key]}} in properties["Parameters"].values()


def test_rule_assets_ship_the_compliance_modules_their_rules_import(standalone):
    import subprocess
    import sys

    from simulation.cloud_assembly import CloudAssembly

    _, outdir = standalone
    functions = CloudAssembly(outdir).functions().values()
    rules = [f for f in functions if (f.asset_dir / "rule.py").is_file()]
    sharing = [f for f in rules if "from compliance." in (f.asset_dir / "rule.py").read_text()]
    assert len(sharing) >= 2, "the password policy and access key rules import their compliance module"
    for function in sharing:
        # -I: neither the checkout nor PYTHONPATH on sys.path; only the asset, its layers and the interpreter's own.
        probe = (
            "import sys; sys.path[:0] = sys.argv[1:]; import rule, compliance; "
            "print(rule.lambda_handler.__module__, compliance.__file__)"
        )
        paths = [str(function.asset_dir), *map(str, function.layer_dirs)]
        run = subprocess.run([sys.executable, "-I", "-c", probe, *paths], capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
        assert run.stdout.split()[1].startswith(tuple(map(str, function.layer_dirs))), run.stdout
