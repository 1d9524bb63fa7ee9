"""The member stack as service-managed StackSets: its template and assets in per-region organization buckets."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

from infra.organization_stacks import OrganizationLayout
from infra.stackset import MemberWave, asset_bucket_name
from tests.conftest import ORGANIZATION_CONTEXT
from tests.infra.conftest import of_type

SECURITY_ACCOUNT = ORGANIZATION_CONTEXT["remedy:securityAccount"]
ORGANIZATION_ID = ORGANIZATION_CONTEXT["remedy:organizationId"]
REGIONAL_BUCKET = {"Fn::Sub": f"remedy-stackset-assets-{SECURITY_ACCOUNT}-${{AWS::Region}}"}


def _wave(outdir, wave):
    """(assembly folder of the wave's stage, its StackSet stack template, its asset manifest, its manifest)."""
    folder = outdir / f"assembly-RemedyPipeline-Members{wave}"
    manifest = json.loads((folder / "manifest.json").read_text())
    (artifact,) = [k for k, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"]
    template = json.loads((folder / f"{artifact}.template.json").read_text())
    assets = json.loads((folder / f"{artifact}.assets.json").read_text())
    return folder, template, assets, manifest


def _member_file(folder):
    """The member template (a stage names it <pipeline><stage>RemedyMember<hash>)."""
    (member,) = [p for p in folder.glob("*RemedyMember[0-9A-F]*.template.json") if ".nested." not in p.name]
    return member


def _member_templates(folder):
    return {p.name: json.loads(p.read_text()) for p in folder.glob("*RemedyMember*.template.json")}


def test_member_template_is_a_file_to_publish_not_a_stack_to_deploy(pipeline_assembly):
    folder, _, assets, manifest = _wave(pipeline_assembly, "Production")

    stacks = [a["displayName"] for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]
    assert stacks == ["RemedyPipeline/MembersProduction/RemedyMembersProduction"]
    member = _member_file(folder)
    assert member.name in {f["source"]["path"] for f in assets["files"].values()}
    assert "BootstrapVersion" not in json.loads(member.read_text()).get("Parameters", {})


def test_member_code_and_nested_templates_come_from_the_bucket_of_the_region_the_instance_runs_in(pipeline_assembly):
    folder, *_ = _wave(pipeline_assembly, "Production")
    templates = _member_templates(folder)

    codes = [
        r["Properties"]["Content" if r["Type"] == "AWS::Lambda::LayerVersion" else "Code"]
        for t in templates.values()
        for r in t["Resources"].values()
        if r["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion")
    ]
    assert codes and all(c["S3Bucket"] == REGIONAL_BUCKET for c in codes)
    urls = [
        json.dumps(r["Properties"]["TemplateURL"])
        for t in templates.values()
        for r in t["Resources"].values()
        if r["Type"] == "AWS::CloudFormation::Stack"
    ]
    assert urls and all(json.dumps(REGIONAL_BUCKET) in url for url in urls)


def test_every_member_file_is_published_to_each_member_region_by_the_cdk_publishing_role(pipeline_assembly):
    _, _, assets, _ = _wave(pipeline_assembly, "Production")
    publishing_role = (
        f"arn:${{AWS::Partition}}:iam::{SECURITY_ACCOUNT}:role/"
        f"cdk-hnb659fds-file-publishing-role-{SECURITY_ACCOUNT}-us-east-1"
    )

    member_files = [f for f in assets["files"].values() if "RemedyMembersProduction" not in f["source"]["path"]]
    assert member_files
    for entry in member_files:
        destinations = list(entry["destinations"].values())
        assert {d["region"]: d["bucketName"] for d in destinations} == {
            region: asset_bucket_name("remedy", SECURITY_ACCOUNT, region) for region in ("us-east-1", "eu-west-1")
        }
        assert {d["assumeRoleArn"] for d in destinations} == {publishing_role}


def test_stack_set_is_service_managed_auto_deployed_to_the_wave_and_stops_at_the_first_failure(pipeline_assembly):
    folder, template, assets, _ = _wave(pipeline_assembly, "Production")
    (stack_set,) = of_type(template, "AWS::CloudFormation::StackSet").values()
    props = stack_set["Properties"]

    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert props["CallAs"] == "DELEGATED_ADMIN"
    assert props["StackInstancesGroup"] == [
        {
            "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-workload1", "ou-ab12-workload2"]},
            "Regions": ["us-east-1", "eu-west-1"],
        }
    ]
    assert props["OperationPreferences"]["FailureTolerancePercentage"] == 0
    assert props["OperationPreferences"]["RegionOrder"] == ["us-east-1", "eu-west-1"]
    member = _member_file(folder)
    key = next(h for h, f in assets["files"].items() if f["source"]["path"] == member.name)
    url = "".join(p if isinstance(p, str) else "<suffix>" for p in props["TemplateURL"]["Fn::Join"][1])
    assert url == f"https://remedy-stackset-assets-{SECURITY_ACCOUNT}-us-east-1.s3.us-east-1.<suffix>/{key}.json"


def test_each_member_conformance_pack_takes_the_functions_and_roles_of_its_own_account(pipeline_assembly):
    folder, *_ = _wave(pipeline_assembly, "Pilot")
    packs = [
        r["Properties"]
        for t in _member_templates(folder).values()
        for r in t["Resources"].values()
        if r["Type"] == "AWS::Config::ConformancePack"
    ]

    assert packs
    for pack in packs:
        for parameter in pack["ConformancePackInputParameters"]:
            value = json.dumps(parameter["ParameterValue"])
            assert "Fn::GetAtt" in value or '{"Ref": "AWS::AccountId"}' in value, parameter


def test_asset_buckets_are_readable_by_the_organization_and_writable_by_the_publishing_role_only(pipeline_assembly):
    for region in ("us-east-1", "eu-west-1"):
        template = json.loads((pipeline_assembly / f"RemedyStackSetAssets-{region}.template.json").read_text())
        (bucket,) = of_type(template, "AWS::S3::Bucket").values()
        (policy,) = of_type(template, "AWS::S3::BucketPolicy").values()
        statements = {s.get("Sid"): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}

        assert bucket["Properties"]["BucketName"] == asset_bucket_name("remedy", SECURITY_ACCOUNT, region)
        assert bucket["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
        assert statements["OrganizationReads"]["Action"] == "s3:GetObject"
        assert statements["OrganizationReads"]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}}
        writer = json.dumps(statements["CdkPublishes"]["Principal"])
        assert f"cdk-hnb659fds-file-publishing-role-{SECURITY_ACCOUNT}-us-east-1" in writer


@pytest.mark.parametrize(
    ("wave", "message"),
    [
        ({"name": "pilot-1", "organizationalUnits": ["ou-ab12-pilot001"], "regions": ["us-east-1"]}, "letters"),
        ({"name": "Pilot", "organizationalUnits": ["123456789012"], "regions": ["us-east-1"]}, "OU ids"),
        ({"name": "Pilot", "organizationalUnits": ["ou-ab12-pilot001"], "regions": []}, "at least one"),
        ({"name": "Pilot", "organizationalUnits": ["ou-ab12-pilot001"], "regions": ["x"], "approval": "yes"}, "true"),
        ("Pilot", "objects"),
    ],
)
def test_a_bad_wave_is_refused_with_what_to_fix(wave, message):
    with pytest.raises(ValueError, match=message):
        MemberWave.parse(wave)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"remedy:memberDeployment": "stackset", "remedy:organizationId": None}, "remedy:organizationId"),
        ({"remedy:memberDeployment": "stackset", "remedy:memberWaves": "[]"}, "remedy:memberWaves"),
        ({"remedy:pipeline": "true", "remedy:memberDeployment": "stacks"}, "deploys members by StackSet"),
        ({"remedy:memberDeployment": "everywhere"}, "remedy:memberDeployment must be one of"),
        ({"remedy:stackSetCallAs": "ADMIN"}, "remedy:stackSetCallAs"),
        (
            {
                "remedy:memberWaves": json.dumps(
                    [
                        {"name": n, "organizationalUnits": ["r-ab12"], "regions": ["us-east-1"]}
                        for n in ("Pilot", "PILOT")
                    ]
                )
            },
            "must differ",
        ),
    ],
)
def test_an_organization_context_that_could_not_deploy_is_refused_naming_the_setting(context, message):
    base = {
        **ORGANIZATION_CONTEXT,
        "remedy:memberWaves": json.dumps(
            [{"name": "All", "organizationalUnits": ["r-ab12"], "regions": ["us-east-1"]}]
        ),
    }
    app = cdk.App(context={k: v for k, v in {**base, **context}.items() if v is not None})

    with pytest.raises(ValueError, match=message):
        OrganizationLayout.from_context(app.node, "remedy")


def test_a_stack_set_stack_synthesized_before_its_member_template_is_refused(tmp_path):
    from infra.stackset import MemberAssets, MemberStackSet, MemberTemplateSynthesizer

    app = cdk.App(outdir=str(tmp_path))
    assets = MemberAssets(
        prefix="remedy", account=SECURITY_ACCOUNT, regions=["us-east-1"], home_region="us-east-1", qualifier="q"
    )
    wave = MemberWave.parse({"name": "All", "organizationalUnits": ["r-ab12"], "regions": ["us-east-1"]})
    MemberStackSet(
        app,
        "StackSetFirst",
        prefix="remedy",
        wave=wave,
        assets=assets,
        env=cdk.Environment(account=SECURITY_ACCOUNT, region="us-east-1"),
    )
    cdk.Stack(app, "MemberSecond", synthesizer=MemberTemplateSynthesizer(assets))

    with pytest.raises(RuntimeError, match="member stack must be synthesized before"):
        app.synth()
