"""The Prowler scan: its own stack in one account; in an organization, the nested stack ProwlerScan of the member
stack, so it runs in every member account and region."""

from __future__ import annotations

import json

import pytest

from catalogue import load_catalogue
from infra import limits
from infra.prowler_scan_stack import PROWLER_IMAGE, ScanSettings, ecr_repository_arn, prowler_command, scan_settings
from tests.conftest import synthesize
from tests.infra.conftest import of_type

REGISTRY = "111122223333.dkr.ecr.eu-central-1.amazonaws.com/tools/prowler"
SUBNETS_PARAMETER = "/landing-zone/vpc/private-subnets"
VPC_PARAMETER = "/landing-zone/vpc/id"
REGION = {"Ref": "AWS::Region"}


@pytest.fixture(scope="module")
def member(tmp_path_factory):
    """(member template, its ProwlerScan stack resource, the nested template, assembly) of an organization with
    the scan from a private registry in the landing zone's subnets, under the organization-wide settings."""
    outdir = synthesize(
        tmp_path_factory,
        **{
            "remedy:securityAccount": "111122223333",
            "remedy:organizationId": "o-a1b2c3d4e5",
            "remedy:prowlerScan": "true",
            "remedy:prowlerImage": REGISTRY,
            "remedy:prowlerImageTag": "5.46.0",
            "remedy:prowlerSubnetsParameter": SUBNETS_PARAMETER,
            "remedy:prowlerVpcParameter": VPC_PARAMETER,
            "remedy:permissionsBoundary": "platform-boundary",
            "remedy:rolePath": "/platform/",
            "remedy:tags": "owner=platform-security",
        },
    )
    parent = json.loads((outdir / "RemedyMember.template.json").read_text())
    # The nested stack of construct id ProwlerScan: CDK names its resource <id>.NestedStack/<id>.NestedStackResource.
    [resource] = [
        r
        for logical_id, r in of_type(parent, "AWS::CloudFormation::Stack").items()
        if logical_id.startswith("ProwlerScanNestedStackProwlerScanNestedStackResource")
    ]
    nested = json.loads((outdir / resource["Metadata"]["aws:asset:path"]).read_text())
    return parent, resource, nested, outdir


@pytest.fixture(scope="module")
def one_account(tmp_path_factory):
    """(<Prefix>ProwlerScan template, assembly) with every scan setting at its default."""
    outdir = synthesize(tmp_path_factory, **{"remedy:prowlerScan": "true"})
    return json.loads((outdir / "RemedyProwlerScan.template.json").read_text()), outdir


def _container(template):
    [task] = of_type(template, "AWS::ECS::TaskDefinition").values()
    [container] = task["Properties"]["ContainerDefinitions"]
    return container


def _network(template):
    [rule] = of_type(template, "AWS::Events::Rule").values()
    [target] = rule["Properties"]["Targets"]
    return target["EcsParameters"]["NetworkConfiguration"]["AwsVpcConfiguration"]


def _ecr_statements(template):
    """(policy logical id, actions, resource) of every statement granting an ECR action."""
    found = []
    for logical_id, policy in of_type(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("ecr:") for a in actions):
                found.append((logical_id, sorted(actions), statement["Resource"]))
    return found


def test_the_member_stack_holds_the_scan_as_its_nested_stack_and_no_scan_stack_exists(member):
    _, _, nested, outdir = member

    assert of_type(nested, "AWS::ECS::Cluster") and of_type(nested, "AWS::Events::Rule")
    artifacts = json.loads((outdir / "manifest.json").read_text())["artifacts"]
    assert "RemedyProwlerScan" not in artifacts
    assert "RemedyMember" in artifacts


def test_each_scan_covers_its_own_region_into_its_hub_and_reports_failures_only(member, one_account):
    for template in (member[2], one_account[0]):
        command = _container(template)["Command"]
        assert command[command.index("--region") + 1] == REGION
        assert command[command.index("--status") :][:2] == ["--status", "FAIL"]
        assert "--security-hub" in command
        [statement] = next(
            p for i, p in of_type(template, "AWS::IAM::Policy").items() if i.startswith("ProwlerTaskRole")
        )["Properties"]["PolicyDocument"]["Statement"]
        assert all(r["Fn::Join"][1][2:4] == [":securityhub:", REGION] for r in statement["Resource"])


def test_a_private_registry_image_is_pulled_with_exactly_the_ecr_pull_actions_on_that_repository(member):
    nested = member[2]

    assert _container(nested)["Image"] == f"{REGISTRY}:5.46.0"
    statements = _ecr_statements(nested)
    assert {logical_id for logical_id, _, _ in statements} == {
        i for i in of_type(nested, "AWS::IAM::Policy") if i.startswith("ProwlerTaskExecutionRole")
    }
    by_actions = {tuple(actions): resource for _, actions, resource in statements}
    assert by_actions.keys() == {("ecr:GetAuthorizationToken",), ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")}
    assert by_actions[("ecr:GetAuthorizationToken",)] == "*"
    assert by_actions[("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ecr:eu-central-1:111122223333:repository/tools/prowler"]]
    }


def test_landing_zone_subnets_come_from_ssm_parameters_with_no_vpc_no_public_ip_and_https_egress_only(member):
    parent, resource, nested, _ = member

    assert {k: (v["Type"], v["Default"]) for k, v in parent["Parameters"].items() if k.startswith("Prowler")} == {
        "ProwlerSubnetsParameter": ("AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>", SUBNETS_PARAMETER),
        "ProwlerVpcParameter": ("AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>", VPC_PARAMETER),
    }
    assert resource["Properties"]["Parameters"] == {
        "VpcId": {"Ref": "ProwlerVpcParameter"},
        "SubnetIds": {"Fn::Join": [",", {"Ref": "ProwlerSubnetsParameter"}]},
    }
    assert {k: v["Type"] for k, v in nested["Parameters"].items()} == {
        "VpcId": "AWS::EC2::VPC::Id",
        "SubnetIds": "List<AWS::EC2::Subnet::Id>",
    }
    assert not [
        r for r in nested["Resources"].values() if r["Type"].startswith("AWS::EC2::") and "Security" not in r["Type"]
    ]
    assert _network(nested)["AssignPublicIp"] == "DISABLED"
    assert _network(nested)["Subnets"] == {"Ref": "SubnetIds"}
    [group] = of_type(nested, "AWS::EC2::SecurityGroup").values()
    assert group["Properties"]["VpcId"] == {"Ref": "VpcId"}
    assert "SecurityGroupIngress" not in group["Properties"]
    assert [(e["IpProtocol"], e["FromPort"], e["ToPort"]) for e in group["Properties"]["SecurityGroupEgress"]] == [
        ("tcp", 443, 443)
    ]


def test_every_scan_role_takes_the_organization_wide_boundary_path_and_tags(member):
    roles = of_type(member[2], "AWS::IAM::Role")

    assert len(roles) == 3  # task, execution, schedule
    for logical_id, role in roles.items():
        properties = role["Properties"]
        assert ":policy/platform-boundary" in json.dumps(properties["PermissionsBoundary"]), logical_id
        assert properties["Path"] == "/platform/", logical_id
        assert {"Key": "owner", "Value": "platform-security"} in properties["Tags"], logical_id


def test_the_one_account_scan_keeps_its_public_vpc_and_the_public_image_by_default(one_account):
    template, _ = one_account

    assert of_type(template, "AWS::EC2::VPC") and of_type(template, "AWS::EC2::InternetGateway")
    assert _network(template)["AssignPublicIp"] == "ENABLED"
    assert _network(template)["Subnets"] == [{"Ref": i} for i in of_type(template, "AWS::EC2::Subnet")]
    [group] = of_type(template, "AWS::EC2::SecurityGroup").values()
    assert [e["IpProtocol"] for e in group["Properties"]["SecurityGroupEgress"]] == ["-1"]
    assert _container(template)["Image"] == f"{PROWLER_IMAGE}:5.46.0"
    assert not _ecr_statements(template)
    assert set(template.get("Parameters", {})) <= {"BootstrapVersion"}


def test_both_scan_assemblies_stay_within_aws_limits(member, one_account):
    assert not limits.check([member[3], one_account[1]]).failures


def test_without_the_switch_there_is_no_scan(standalone):
    template, outdir = standalone

    assert not of_type(template, "AWS::ECS::TaskDefinition")
    assert "RemedyProwlerScan" not in json.loads((outdir / "manifest.json").read_text())["artifacts"]


@pytest.mark.parametrize(
    ("image", "arn"),
    [
        (PROWLER_IMAGE, None),
        ("docker.io/prowlercloud/prowler", None),
        (
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/ecr-public/prowler-cloud/prowler",
            "arn:aws:ecr:us-east-1:111122223333:repository/ecr-public/prowler-cloud/prowler",
        ),
        (
            "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/prowler",
            "arn:aws:ecr:cn-north-1:111122223333:repository/prowler",
        ),
    ],
)
def test_only_an_ecr_image_names_a_repository(image, arn):
    assert ecr_repository_arn(image, "aws") == arn


def test_failed_only_off_and_the_network_parameters_go_together():
    catalogue = load_catalogue()

    assert "--status" not in prowler_command("eu-west-1", ScanSettings(failed_only=False), catalogue)
    with pytest.raises(ValueError, match="go together"):
        ScanSettings(subnets_parameter=SUBNETS_PARAMETER)


def test_settings_come_from_context_only_with_the_switch():
    import aws_cdk as cdk

    assert scan_settings(cdk.App(context={"remedy:prowlerFailedOnly": "false"}).node) is None
    settings = scan_settings(cdk.App(context={"remedy:prowlerScan": "true", "remedy:prowlerFailedOnly": "false"}).node)
    assert settings == ScanSettings(failed_only=False)
