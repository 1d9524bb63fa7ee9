"""The limits gate (infra/limits.py) on small hand-written cloud assemblies: every check fires on an oversized or
invalid artifact and stays quiet on a normal one. No CDK synthesis here: templates are written directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from infra import limits
from infra.limits import check, main

MB = 1024 * 1024
TEMPLATE = "Stack.template.json"
BOTOCORE = "botocore"


# --- builders -------------------------------------------------------------------------------------------------------
def write_template(folder: Path, resources: dict, name: str = TEMPLATE, **sections) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"Resources": resources, **sections}, indent=1))
    return path


def policy(actions, resource="*"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}


def trust(service="lambda.amazonaws.com", **extra):
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole", **extra}
    return {"Version": "2012-10-17", "Statement": [statement]}


def document(content=None, name="Remedy-Fix"):
    content = content or {"schemaVersion": "0.3", "mainSteps": [{"name": "s", "action": "aws:sleep"}]}
    props = {"Name": name, "DocumentType": "Automation", "DocumentFormat": "JSON", "Content": content}
    return {"Type": "AWS::SSM::Document", "Properties": {**props, "UpdateMethod": "NewVersion"}}


def config_rule(name="remedy-rule", frequency="TwentyFour_Hours", function_arn=None):
    source = {
        "Owner": "CUSTOM_LAMBDA",
        "SourceIdentifier": function_arn or {"Fn::GetAtt": ["RuleFunction", "Arn"]},
        "SourceDetails": [
            {
                "EventSource": "aws.config",
                "MessageType": "ScheduledNotification",
                "MaximumExecutionFrequency": frequency,
            }
        ],
    }
    return {
        "Type": "AWS::Config::ConfigRule",
        "Properties": {"ConfigRuleName": name, "Source": source, "InputParameters": {"MaxAge": "90"}},
    }


def remediation(rule="remedy-rule", role_arn=None):
    props = {
        "ConfigRuleName": rule,
        "TargetType": "SSM_DOCUMENT",
        "TargetId": "Remedy-Fix",
        "Parameters": {"AutomationAssumeRole": {"StaticValue": {"Values": [role_arn or {"Fn::GetAtt": ["R", "Arn"]}]}}},
        "Automatic": True,
        "MaximumAutomaticAttempts": 3,
        "RetryAttemptSeconds": 60,
    }
    return {"Type": "AWS::Config::RemediationConfiguration", "Properties": props}


def pack_body(rules=1, padding=0, parameters=1):
    resources = {}
    for i in range(rules):
        resources[f"Rule{i}"] = config_rule(f"remedy-rule-{i}", function_arn={"Ref": "FunctionArn"})
    resources["Remediation0"] = remediation("remedy-rule-0", {"Ref": "RoleArn"})
    params = {f"Param{i}": {"Type": "String"} for i in range(parameters)}
    return {"Description": "d" * padding or "pack", "Parameters": params, "Resources": resources}


def pack(**props):
    return {"Type": "AWS::Config::ConformancePack", "Properties": {"ConformancePackName": "remedy-controls", **props}}


def asset_folder(folder: Path, name: str, size: int) -> str:
    """An asset folder holding one sparse file of `size` bytes (nothing written); returns its relative path."""
    path = folder / name
    path.mkdir(parents=True, exist_ok=True)
    with (path / "code.bin").open("wb") as f:
        f.truncate(size)
    return name


def layer(asset):
    return {
        "Type": "AWS::Lambda::LayerVersion",
        "Properties": {"Content": {"S3Bucket": "b", "S3Key": "k.zip"}},
        "Metadata": {"aws:asset:path": asset, "aws:asset:property": "Content"},
    }


def function(asset, layers=(), variables=None):
    props = {
        "Code": {"S3Bucket": {"Fn::Sub": "cdk-assets-${AWS::AccountId}-${AWS::Region}"}, "S3Key": "k.zip"},
        "Handler": "rule.lambda_handler",
        "Runtime": "python3.12",
        "Role": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
        "Timeout": 300,
        "MemorySize": 256,
        "Layers": [{"Ref": name} for name in layers],
    }
    if variables is not None:
        props["Environment"] = {"Variables": variables}
    return {"Type": "AWS::Lambda::Function", "Properties": props, "Metadata": {"aws:asset:path": asset}}


def event_rule(pattern=None, targets=1):
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventPattern": pattern or {"source": ["aws.securityhub"]},
            "State": "ENABLED",
            "Targets": [{"Arn": {"Fn::GetAtt": ["Fn", "Arn"]}, "Id": f"Target{i}"} for i in range(targets)],
        },
    }


def action_target(target_id="Remediate", name="Remediate"):
    return {
        "Type": "AWS::SecurityHub::ActionTarget",
        "Properties": {"Id": target_id, "Name": name, "Description": "Run the runbook"},
    }


def failures_of(report, artifact, limit, source):
    """The failures naming the artifact (exactly), the limit and the source."""
    return [f for f in report.failures if f.startswith(f"{artifact}: ") and limit in f and f"source: {source}" in f]


def assert_fails(report, artifact, limit, source):
    assert failures_of(report, artifact, limit, source), "\n".join(report.failures)


def measurement(report, artifact, limit):
    (found,) = [m for m in report.measurements if m.artifact == artifact and m.limit == limit]
    return found


# --- a normal assembly passes -------------------------------------------------------------------------------------
def normal_assembly(folder: Path) -> Path:
    fn_asset = asset_folder(folder, "asset.fn", 10_000)
    layer_asset = asset_folder(folder, "asset.layer", 100_000)
    resources = {
        "FixDocument": document(),
        "Rule": config_rule(),
        "Remediation": remediation(),
        "Layer": layer(layer_asset),
        "RuleFunction": function(fn_asset, ["Layer"], {"LOG_LEVEL": "INFO"}),
        "FunctionRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": trust(),
                "RoleName": {"Fn::Join": ["", ["remedy-fix-", {"Ref": "AWS::Region"}]]},
                "Policies": [{"PolicyName": "inline", "PolicyDocument": policy(["s3:GetObject"])}],
            },
        },
        "FunctionPolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "FunctionPolicy",
                "PolicyDocument": policy(["logs:PutLogEvents"], {"Fn::GetAtt": ["Logs", "Arn"]}),
                "Roles": [{"Ref": "FunctionRole"}],
            },
        },
        "Managed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": policy(["ssm:*"])}},
        "Findings": event_rule(),
        "Target": action_target(),
        "Pack": pack(
            TemplateBody=json.dumps(pack_body(rules=3)),
            ConformancePackInputParameters=[{"ParameterName": "FunctionArn", "ParameterValue": "arn"}],
        ),
    }
    return write_template(folder, resources)


def test_a_normal_assembly_passes_every_check(tmp_path):
    normal_assembly(tmp_path)
    (tmp_path / "remedy-conformance-pack.yaml").write_text(yaml.safe_dump(pack_body(rules=3)))

    report = check([tmp_path])

    assert report.failures == []
    limits_measured = {m.limit for m in report.measurements}
    for quota in (
        limits.SSM_DOCUMENT_CONTENT,
        limits.CFN_TEMPLATE_BODY,
        limits.CFN_RESOURCES,
        limits.PACK_TEMPLATE_BODY,
        limits.PACK_RULES,
        limits.PACK_INPUT_PARAMETERS,
        limits.LAMBDA_ENVIRONMENT,
        limits.LAMBDA_UNZIPPED,
        limits.LAMBDA_LAYERS,
        limits.IAM_MANAGED_POLICY,
        limits.IAM_ROLE_INLINE_POLICIES,
        limits.IAM_TRUST_POLICY,
        limits.ACTION_TARGET_ID,
        limits.EVENT_PATTERN,
        limits.EVENT_TARGETS,
        limits.SSM_DOCUMENTS_PER_ACCOUNT,
        limits.CONFIG_RULES_PER_ACCOUNT,
    ):
        assert quota.name in limits_measured
    assert "PutConfigRule ConfigRule.ConfigRuleName length" in limits_measured
    # Function code plus its one layer, unzipped.
    assert measurement(report, f"{TEMPLATE}:RuleFunction", limits.LAMBDA_UNZIPPED.name).measured == 110_000
    # The stack's own rule plus the three inside its conformance pack; the standalone pack file is not counted.
    rules = measurement(report, f"{tmp_path} (per account and region)", limits.CONFIG_RULES_PER_ACCOUNT.name)
    assert rules.measured == 4


# --- B. documented quotas -----------------------------------------------------------------------------------------
def test_ssm_document_content_over_64_kb_fails(tmp_path):
    big = {"schemaVersion": "0.3", "description": "x" * 66_000, "mainSteps": []}
    write_template(tmp_path, {"BigDocument": document(big), "SmallDocument": document(name="Remedy-Small")})

    report = check([tmp_path])

    assert_fails(report, f"{TEMPLATE}:BigDocument", "SSM document content", limits.SSM_DOCUMENT_CONTENT.source)
    assert not failures_of(report, f"{TEMPLATE}:SmallDocument", "SSM document content", "https")
    assert measurement(report, f"{TEMPLATE}:BigDocument", "SSM document content").measured == len(json.dumps(big))


def test_template_over_1_mb_fails(tmp_path):
    blob = {"Type": "AWS::CloudFormation::WaitConditionHandle", "Metadata": {"blob": "x" * (MB + 10)}}
    write_template(tmp_path, {"Blob": blob})

    assert_fails(check([tmp_path]), TEMPLATE, "CloudFormation template body", limits.CFN_TEMPLATE_BODY.source)


@pytest.mark.parametrize(
    ("section", "count", "quota"),
    [
        ("Resources", 501, limits.CFN_RESOURCES),
        ("Parameters", 201, limits.CFN_PARAMETERS),
        ("Outputs", 201, limits.CFN_OUTPUTS),
    ],
)
def test_stack_sections_over_their_quota_fail(tmp_path, section, count, quota):
    handle = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
    entries = {f"E{i}": handle if section == "Resources" else {"Type": "String", "Value": "v"} for i in range(count)}
    sections = {"Resources": {"H": handle}, section: entries}
    (tmp_path / "Nested.nested.template.json").write_text(json.dumps(sections))

    assert_fails(check([tmp_path]), "Nested.nested.template.json", quota.name, quota.source)


def test_conformance_pack_template_body_over_51200_bytes_fails(tmp_path):
    write_template(tmp_path, {"Pack": pack(TemplateBody=json.dumps(pack_body(padding=52_000)))})

    report = check([tmp_path])

    assert_fails(report, f"{TEMPLATE}:Pack", "conformance pack TemplateBody", limits.PACK_TEMPLATE_BODY.source)


def test_conformance_pack_with_more_than_130_rules_fails_and_its_rules_are_checked(tmp_path):
    body = pack_body(rules=131)
    body["Resources"]["Rule7"]["Properties"]["ConfigRuleName"] = "r" * 129
    write_template(tmp_path, {"Pack": pack(TemplateBody=yaml.safe_dump(body))})

    report = check([tmp_path])

    assert_fails(report, f"{TEMPLATE}:Pack", "Config rules per conformance pack", limits.PACK_RULES.source)
    assert_fails(report, f"{TEMPLATE}:Pack/Rule7", "PutConfigRule ConfigRule.ConfigRuleName length", BOTOCORE)
    rules = measurement(report, f"{tmp_path} (per account and region)", limits.CONFIG_RULES_PER_ACCOUNT.name)
    assert rules.measured == 131


def test_stack_pack_with_more_than_60_input_parameters_fails(tmp_path):
    values = [{"ParameterName": f"P{i}", "ParameterValue": "v"} for i in range(61)]
    write_template(
        tmp_path, {"Pack": pack(TemplateBody=json.dumps(pack_body()), ConformancePackInputParameters=values)}
    )

    assert_fails(
        check([tmp_path]), f"{TEMPLATE}:Pack", "conformance pack input parameters", limits.PACK_INPUT_PARAMETERS.source
    )


def test_standalone_pack_with_more_than_60_parameters_fails_and_is_not_counted_per_account(tmp_path):
    body = pack_body(rules=2, parameters=61)
    text = yaml.safe_dump(body)  # sorted keys: Resources comes last, so Extra below joins it
    (tmp_path / "remedy-conformance-pack.yaml").write_text(
        "# header\n" + text + "  Extra:\n    Type: AWS::Config::ConfigRule\n    Properties:\n"
        "      ConfigRuleName: !Sub '${AWS::StackName}-extra'\n"
        "      Source: {Owner: CUSTOM_LAMBDA, SourceIdentifier: !GetAtt Fn.Arn}\n"
    )
    write_template(tmp_path, {"Rule": config_rule()})

    report = check([tmp_path])

    assert_fails(
        report, "remedy-conformance-pack.yaml", "conformance pack input parameters", limits.PACK_INPUT_PARAMETERS.source
    )
    # !Sub with AWS::StackName (128 characters at worst) makes the rule name too long: short forms are understood.
    assert_fails(report, "remedy-conformance-pack.yaml:Extra", "ConfigRuleName length", BOTOCORE)
    rules = measurement(report, f"{tmp_path} (per account and region)", limits.CONFIG_RULES_PER_ACCOUNT.name)
    assert rules.measured == 1


def test_pack_from_template_s3_uri_is_measured_when_its_asset_is_present(tmp_path):
    asset_hash = "ab" * 32
    (tmp_path / f"asset.{asset_hash}.yaml").write_text(yaml.safe_dump(pack_body(rules=2)))
    uri = {"Fn::Sub": f"s3://cdk-assets-${{AWS::AccountId}}-${{AWS::Region}}/{asset_hash}.yaml"}
    write_template(tmp_path, {"Pack": pack(TemplateS3Uri=uri)})

    report = check([tmp_path])

    assert report.failures == []
    size = (tmp_path / f"asset.{asset_hash}.yaml").stat().st_size
    assert measurement(report, f"{TEMPLATE}:Pack", limits.PACK_TEMPLATE_S3.name).measured == size
    assert measurement(report, f"{TEMPLATE}:Pack", limits.PACK_RULES.name).measured == 2


def test_pack_from_template_s3_uri_without_its_asset_fails(tmp_path):
    write_template(tmp_path, {"Pack": pack(TemplateS3Uri="s3://bucket/" + "cd" * 32 + ".yaml")})

    assert_fails(check([tmp_path]), f"{TEMPLATE}:Pack", "cannot measure", limits.PACK_TEMPLATE_S3.source)


def test_lambda_environment_over_4_kb_fails(tmp_path):
    fn = asset_folder(tmp_path, "asset.fn", 100)
    write_template(
        tmp_path, {"Fn": function(fn, variables={"BIG": "v" * 4_100}), "Ok": function(fn, variables={"A": "b"})}
    )

    report = check([tmp_path])

    assert_fails(report, f"{TEMPLATE}:Fn", "Lambda environment variables", limits.LAMBDA_ENVIRONMENT.source)
    assert not failures_of(report, f"{TEMPLATE}:Ok", "Lambda environment", "https")


def test_function_and_layers_over_250_mb_unzipped_fail(tmp_path):
    fn = asset_folder(tmp_path, "asset.fn", 200 * MB)
    big_layer = asset_folder(tmp_path, "asset.layer", 60 * MB)
    write_template(tmp_path, {"Layer": layer(big_layer), "Fn": function(fn, ["Layer"]), "Alone": function(fn)})

    report = check([tmp_path], headroom=1.0)

    assert_fails(report, f"{TEMPLATE}:Fn", "Lambda code + layers unzipped", limits.LAMBDA_UNZIPPED.source)
    assert not failures_of(report, f"{TEMPLATE}:Alone", "Lambda code", "https")


def test_layer_given_by_arn_cannot_be_measured(tmp_path):
    fn = asset_folder(tmp_path, "asset.fn", 100)
    resource = function(fn)
    resource["Properties"]["Layers"] = ["arn:aws:lambda:us-east-1:123456789012:layer:other:1"]
    write_template(tmp_path, {"Fn": resource})

    assert_fails(check([tmp_path]), f"{TEMPLATE}:Fn", "cannot measure", limits.LAMBDA_UNZIPPED.source)


def test_more_than_5_layers_fail(tmp_path):
    small = asset_folder(tmp_path, "asset.small", 10)
    layers = {f"Layer{i}": layer(small) for i in range(6)}
    write_template(tmp_path, {**layers, "Fn": function(small, list(layers))})

    assert_fails(
        check([tmp_path], headroom=1.0), f"{TEMPLATE}:Fn", "Lambda layers per function", limits.LAMBDA_LAYERS.source
    )


def test_managed_policy_over_6144_chars_fails(tmp_path):
    actions = [f"s3:Action{i:04d}" for i in range(500)]
    write_template(
        tmp_path, {"Managed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": policy(actions)}}}
    )

    assert_fails(check([tmp_path]), f"{TEMPLATE}:Managed", "IAM managed policy", limits.IAM_MANAGED_POLICY.source)


def test_role_inline_policies_over_10240_chars_in_aggregate_fail(tmp_path):
    def doc(prefix):
        return policy([f"{prefix}:Action{i:04d}" for i in range(250)])  # about 4,000 characters each

    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": trust(),
            "Policies": [{"PolicyName": "own", "PolicyDocument": doc("a")}],
        },
    }
    attached = {
        f"Policy{p}": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"PolicyName": f"Policy{p}", "PolicyDocument": doc(p), "Roles": [{"Ref": "Role"}]},
        }
        for p in ("b", "c")
    }
    write_template(tmp_path, {"Role": role, **attached})

    report = check([tmp_path], headroom=1.0)

    assert limits.compact_chars(doc("a")) < limits.IAM_ROLE_INLINE_POLICIES.maximum / 2
    assert_fails(report, f"{TEMPLATE}:Role", "IAM role inline policies", limits.IAM_ROLE_INLINE_POLICIES.source)


def test_trust_policy_over_2048_chars_fails(tmp_path):
    accounts = [f"{i:012d}" for i in range(150)]
    document_ = trust(Condition={"StringEquals": {"aws:SourceAccount": accounts}})
    write_template(
        tmp_path, {"Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": document_}}}
    )

    assert_fails(check([tmp_path]), f"{TEMPLATE}:Role", "IAM role trust policy", limits.IAM_TRUST_POLICY.source)


def test_action_target_id_of_21_chars_fails_and_must_be_alphanumeric(tmp_path):
    write_template(tmp_path, {"Long": action_target("R" * 21), "Dashed": action_target("Re-mediate")})

    report = check([tmp_path], headroom=1.0)

    assert_fails(report, f"{TEMPLATE}:Long", "Security Hub action target Id", limits.ACTION_TARGET_ID.source)
    assert_fails(report, f"{TEMPLATE}:Dashed", "not alphanumeric", limits.ACTION_TARGET_ID.source)


def test_event_pattern_over_2048_chars_and_more_than_5_targets_fail(tmp_path):
    pattern = {"source": ["aws.securityhub"], "detail": {"GeneratorId": [f"prowler-check-{i:04d}" for i in range(120)]}}
    write_template(tmp_path, {"BigPattern": event_rule(pattern), "ManyTargets": event_rule(targets=6)})

    report = check([tmp_path], headroom=1.0)

    assert_fails(report, f"{TEMPLATE}:BigPattern", "EventBridge event pattern", limits.EVENT_PATTERN.source)
    assert_fails(report, f"{TEMPLATE}:ManyTargets", "EventBridge targets per rule", limits.EVENT_TARGETS.source)


# --- A. service model constraints ---------------------------------------------------------------------------------
def test_config_rule_name_over_the_model_maximum_fails(tmp_path):
    write_template(tmp_path, {"Rule": config_rule("r" * 129)})

    report = check([tmp_path], headroom=1.0)

    assert_fails(
        report, f"{TEMPLATE}:Rule", "PutConfigRule ConfigRule.ConfigRuleName length 129 chars > 100% of 128", BOTOCORE
    )
    assert "config 2014-11-12 PutConfigRule" in report.failures[0]


def test_invalid_enum_fails_whatever_the_headroom(tmp_path):
    write_template(tmp_path, {"Rule": config_rule(frequency="Weekly")})

    report = check([tmp_path], headroom=10.0)

    assert_fails(
        report, f"{TEMPLATE}:Rule", "SourceDetails[0].MaximumExecutionFrequency 'Weekly' is not one of", BOTOCORE
    )


def test_pattern_and_minimum_violations_fail_and_deploy_time_values_are_not_pattern_checked(tmp_path):
    role_name = {"Fn::Join": ["", ["remedy fix ", {"Ref": "AWS::Region"}]]}  # a space: not a valid role name
    resources = {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": role_name, "AssumeRolePolicyDocument": trust()}},
        "Doc": document(name="x"),  # DocumentName pattern needs 3 characters at least
        "Rule": config_rule(function_arn={"Fn::GetAtt": ["Fn", "Arn"]}),
    }
    write_template(tmp_path, resources)

    report = check([tmp_path], headroom=1.0)

    assert_fails(report, f"{TEMPLATE}:Role", "CreateRole RoleName 'remedy fix ap-southeast-2' does not match", BOTOCORE)
    assert_fails(report, f"{TEMPLATE}:Doc", "CreateDocument Name 'x' does not match", BOTOCORE)
    assert not [f for f in report.failures if f.startswith(f"{TEMPLATE}:Rule: ")]


def test_pseudo_parameters_count_at_their_longest(tmp_path):
    name = {"Fn::Join": ["", ["r" * 40, "-", {"Ref": "AWS::Region"}]]}  # 55 characters in ap-southeast-2
    write_template(
        tmp_path,
        {"Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": name, "AssumeRolePolicyDocument": trust()}}},
    )

    report = check([tmp_path])

    assert measurement(report, f"{TEMPLATE}:Role", "CreateRole RoleName length").measured == 55
    assert_fails(report, f"{TEMPLATE}:Role", "CreateRole RoleName length 55 chars > 80% of 64", BOTOCORE)


def test_java_only_patterns_are_skipped_and_counted(tmp_path):
    rule = event_rule()
    rule["Properties"]["Targets"][0]["RunCommandParameters"] = {
        "RunCommandTargets": [{"Key": "tag:a", "Values": ["b"]}]
    }
    write_template(tmp_path, {"Rule": rule})

    report = check([tmp_path])

    assert report.skipped_patterns == 1
    assert report.failures == []


# --- per account --------------------------------------------------------------------------------------------------
def test_ssm_documents_per_account_sum_over_the_templates_of_one_folder(tmp_path):
    for stack in ("A", "B"):
        docs = {f"Doc{i}": document(name=f"Remedy-{stack}-{i}") for i in range(260)}
        write_template(tmp_path / "env" / f"assembly-{stack}", docs, name=f"{stack}.template.json")
        write_template(tmp_path / f"env{stack}", docs, name=f"{stack}.template.json")

    one_environment = check([tmp_path / "env"], headroom=1.0)
    two_environments = check([tmp_path / "envA", tmp_path / "envB"], headroom=1.0)

    assert_fails(
        one_environment,
        f"{tmp_path / 'env'} (per account and region)",
        "SSM documents per account and region 520",
        limits.SSM_DOCUMENTS_PER_ACCOUNT.source,
    )
    assert two_environments.failures == []


# --- headroom, table, CLI -----------------------------------------------------------------------------------------
def test_headroom_a_value_at_85_percent_fails_at_80_and_passes_at_100(tmp_path):
    write_template(tmp_path, {"Target": action_target(name="N" * 17)})  # 17 of 20 characters: 85%

    strict, relaxed = check([tmp_path]), check([tmp_path], headroom=1.0)

    assert_fails(
        strict,
        f"{TEMPLATE}:Target",
        "Security Hub action target Name 17 chars > 80% of 20",
        limits.ACTION_TARGET_NAME.source,
    )
    assert relaxed.failures == []


def test_table_lists_the_top_entries_by_percentage(tmp_path):
    write_template(tmp_path, {"Target": action_target(name="N" * 17), "Doc": document()})

    report = check([tmp_path])
    lines = report.table(n=3).splitlines()

    assert lines[0].split() == ["percent", "artifact", "limit", "measured/limit"]
    assert len(lines) == 4
    assert lines[1].split()[0] == "85.0%"
    assert "Security Hub action target Name" in lines[1]
    percents = [float(line.split()[0].rstrip("%")) for line in lines[1:]]
    assert percents == sorted(percents, reverse=True)
    assert percents[-1] >= max(sorted(m.percent for m in report.measurements)[:-3])


def test_main_prints_the_table_and_failures_and_sets_the_exit_status(tmp_path, capsys):
    write_template(tmp_path / "ok", {"Target": action_target()})
    write_template(tmp_path / "bad", {"Target": action_target(name="N" * 17)})

    assert main([str(tmp_path / "ok"), "--top", "2"]) == 0
    out = capsys.readouterr()
    assert "percent" in out.out and "0 failure(s)" in out.out

    assert main([str(tmp_path / "bad")]) == 1
    assert "Security Hub action target Name" in capsys.readouterr().err
    assert main([str(tmp_path / "bad"), "--headroom", "1.0"]) == 0
    assert main([str(tmp_path / "empty")]) == 1


def _dashboard(widgets: int, metrics_per_widget: int) -> dict:
    metric = ["AWS/Lambda", "Errors", "FunctionName", "f"]
    body = {"widgets": [{"type": "metric", "properties": {"metrics": [metric] * metrics_per_widget}}] * widgets}
    return {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": json.dumps(body)}}


def test_dashboards_over_cloudwatch_widget_and_metric_quotas_fail(tmp_path):
    write_template(
        tmp_path,
        {
            "Wide": _dashboard(501, 1),
            "Dense": _dashboard(1, 501),
            "Heavy": _dashboard(6, 450),
            "Fine": _dashboard(9, 2),
        },
    )

    report = check([tmp_path])

    source = limits.DASHBOARD_WIDGETS.source
    assert_fails(report, f"{TEMPLATE}:Wide", "CloudWatch dashboard widgets", source)
    assert_fails(report, f"{TEMPLATE}:Dense", "CloudWatch metrics per dashboard widget", source)
    assert_fails(report, f"{TEMPLATE}:Heavy", "CloudWatch metrics per dashboard", source)
    assert not [f for f in report.failures if f.startswith(f"{TEMPLATE}:Fine: ")]
    assert measurement(report, f"{TEMPLATE}:Fine", "CloudWatch metrics per dashboard").measured == 18
