"""Prowler every week as a scheduled ECS Fargate task, findings to the Security Hub of the region it runs in.

One construct, `ProwlerScan`, builds the scan; two stacks use it, both only with `-c remedy:prowlerScan=true`:
- `ProwlerScanStack` (<Prefix>ProwlerScan), the one-account deployment;
- `ProwlerScanNestedStack`, the nested stack `ProwlerScan` of <Prefix>Member in an organization, so the scan
  deploys wherever the member stack does (every member account and region).
The bridge then remediates what Prowler finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct, Node

from catalogue import Catalogue

PROWLER_IMAGE = "public.ecr.aws/prowler-cloud/prowler"
DEFAULT_PROWLER_TAG = "5.46.0"
DEFAULT_SCHEDULE = "cron(0 3 ? * SUN *)"
# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>: a private repository or a pull-through cache.
ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<name>.+)$")
# The scan runs in whatever VPC the landing zone gives: the imported VPC's subnets and zones are deploy-time
# lists, which is all the scheduled task needs (it passes the subnet list through to the EventBridge target).
IMPORTED_VPC_WARNINGS = (
    "@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones",
    "@aws-cdk/aws-ec2:vpcAttributeIsListTokenprivateSubnetIds",
    "@aws-cdk/aws-ec2:noSubnetRouteTableId",
)


def _acknowledge(scope: Construct, finding: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


def _true(value: object, default: bool) -> bool:
    return default if value is None or value == "" else str(value).lower() == "true"


@dataclass(frozen=True)
class ScanSettings:
    """What the scan runs and where; from the remedy:prowler* context (see infra/app.py)."""

    image: str = PROWLER_IMAGE
    image_tag: str = DEFAULT_PROWLER_TAG
    subnets_parameter: str | None = None
    vpc_parameter: str | None = None
    failed_only: bool = True
    schedule: str = DEFAULT_SCHEDULE
    all_checks: bool = True

    def __post_init__(self) -> None:
        if bool(self.subnets_parameter) != bool(self.vpc_parameter):
            raise ValueError("remedy:prowlerSubnetsParameter and remedy:prowlerVpcParameter go together")


def scan_settings(node: Node) -> ScanSettings | None:
    """The scan's settings from context; None unless remedy:prowlerScan is true."""
    context = node.try_get_context
    if not _true(context("remedy:prowlerScan"), False):
        return None
    return ScanSettings(
        image=context("remedy:prowlerImage") or PROWLER_IMAGE,
        image_tag=context("remedy:prowlerImageTag") or DEFAULT_PROWLER_TAG,
        subnets_parameter=context("remedy:prowlerSubnetsParameter") or None,
        vpc_parameter=context("remedy:prowlerVpcParameter") or None,
        failed_only=_true(context("remedy:prowlerFailedOnly"), True),
    )


def ecr_repository_arn(image: str, partition: str) -> str | None:
    """The ECR repository ARN of an image URI without tag; None for another registry (public ECR included)."""
    match = ECR_IMAGE.match(image)
    if not match:
        return None
    return f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['name']}"


def prowler_command(region: str, settings: ScanSettings, catalogue: Catalogue) -> list[str]:
    """Prowler's arguments: this region only, json-asff into this region's Security Hub."""
    command = ["aws", "-M", "json-asff", "--security-hub", "--region", region, "--ignore-exit-code-3"]
    if settings.failed_only:
        # Prowler 5 (prowler/lib/cli/parser.py) `--status FAIL` drops other findings as each check ends
        # (prowler/lib/check/check.py), so no output, the Security Hub import included, holds PASS or MANUAL
        # findings; `--send-sh-only-fails` (prowler/providers/aws/lib/arguments/arguments.py) would filter the
        # import only. Earlier findings absent from a run are still archived in Security Hub.
        command += ["--status", "FAIL"]
    if not settings.all_checks:
        command += ["-c", *sorted({c for control in catalogue.controls for c in control.prowler_checks})]
    return command


@dataclass(frozen=True)
class Subnets:
    """Existing subnets the task runs in, without a public IP: deploy-time values of the VPC and subnet ids."""

    vpc_id: str
    subnet_ids: list[str]


def ssm_subnets(stack: cdk.Stack, settings: ScanSettings) -> Subnets | None:
    """Declare in `stack` the parameters that CloudFormation resolves, in each account and region it deploys to,
    from the SSM parameters naming the landing zone's VPC and subnets; None without them."""
    if not settings.subnets_parameter:
        return None
    vpc = cdk.CfnParameter(
        stack,
        "ProwlerVpcParameter",
        type="AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>",
        default=settings.vpc_parameter,
        description="SSM parameter holding the id of the VPC the Prowler scan runs in",
    )
    subnets = cdk.CfnParameter(
        stack,
        "ProwlerSubnetsParameter",
        type="AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>",
        default=settings.subnets_parameter,
        description="SSM parameter (StringList) holding the private subnet ids the Prowler scan runs in",
    )
    return Subnets(vpc_id=vpc.value_as_string, subnet_ids=subnets.value_as_list)


class ProwlerScan(Construct):
    """The network (a VPC of public subnets, or given private subnets), Fargate cluster, Prowler task and its
    weekly schedule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalogue: Catalogue,
        settings: ScanSettings,
        subnets: Subnets | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        vpc = self._vpc(subnets)
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        self.task_role = self._task_role(stack)
        task = ecs.FargateTaskDefinition(self, "ProwlerTask", cpu=1024, memory_limit_mib=4096, task_role=self.task_role)
        log_group = logs.LogGroup(self, "ProwlerLogs", retention=logs.RetentionDays.ONE_YEAR)
        container = task.add_container(
            "prowler",
            image=ecs.ContainerImage.from_registry(f"{settings.image}:{settings.image_tag}"),
            command=prowler_command(stack.region, settings, catalogue),
            logging=ecs.LogDrivers.aws_logs(stream_prefix="prowler", log_group=log_group),
        )
        self._grant_pull(task, container, ecr_repository_arn(settings.image, stack.partition))
        security_group = self._security_group(vpc, private=subnets is not None)
        self._schedule(settings.schedule, cluster, task, security_group, private=subnets is not None)
        self._acknowledge_findings(stack, cluster, security_group)

    def _schedule(
        self,
        schedule: str,
        cluster: ecs.Cluster,
        task: ecs.FargateTaskDefinition,
        security_group: ec2.SecurityGroup,
        *,
        private: bool,
    ) -> None:
        """The rule that runs the task: in given private subnets without a public IP, else in public subnets."""
        events.Rule(
            self,
            "WeeklyScan",
            description="Run Prowler weekly; its failed findings reach the Remedy bridge through Security Hub",
            schedule=events.Schedule.expression(schedule),
            targets=[
                targets.EcsTask(
                    cluster=cluster,
                    task_definition=task,
                    subnet_selection=ec2.SubnetSelection(
                        subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS if private else ec2.SubnetType.PUBLIC
                    ),
                    assign_public_ip=not private,
                    security_groups=[security_group],
                )
            ],
        )

    def _vpc(self, subnets: Subnets | None) -> ec2.IVpc:
        """Given subnets: the existing VPC, nothing created. Otherwise a VPC of public subnets (flow logs on)."""
        if subnets:
            vpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=subnets.vpc_id,
                availability_zones=cdk.Fn.get_azs(),
                private_subnet_ids=subnets.subnet_ids,
            )
            for warning in IMPORTED_VPC_WARNINGS:
                cdk.Annotations.of(vpc).acknowledge_warning(warning, "Only the deploy-time subnet list is used")
            return vpc
        return ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
            flow_logs={"all": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL)},
        )

    def _task_role(self, stack: cdk.Stack) -> iam.Role:
        """Read-only audit of the account; findings into this region's hub as Prowler's product."""
        role = iam.Role(
            self,
            "ProwlerTaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Prowler: read-only audit of the account, findings to Security Hub",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("SecurityAudit"),
                iam.ManagedPolicy.from_aws_managed_policy_name("job-function/ViewOnlyAccess"),
            ],
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["securityhub:BatchImportFindings", "securityhub:GetFindings"],
                resources=[
                    f"arn:{stack.partition}:securityhub:{stack.region}:{stack.account}:hub/default",
                    f"arn:{stack.partition}:securityhub:{stack.region}::product/prowler/prowler",
                ],
            )
        )
        return role

    @staticmethod
    def _grant_pull(
        task: ecs.FargateTaskDefinition, container: ecs.ContainerDefinition, repository_arn: str | None
    ) -> None:
        """From a private ECR repository (possibly another account's): the pull actions only, on that repository.

        The repository's own policy must also allow these accounts (e.g. by aws:PrincipalOrgID)."""
        if repository_arn is None:
            return
        cdk.Annotations.of(container).acknowledge_warning(
            "@aws-cdk/aws-ecs:ecrImageRequiresPolicy", "The execution role is granted the pull below"
        )
        role = task.obtain_execution_role()
        role.add_to_principal_policy(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], resources=[repository_arn])
        )

    def _security_group(self, vpc: ec2.IVpc, *, private: bool) -> ec2.SecurityGroup:
        """No ingress. In given private subnets, egress to HTTPS only (AWS APIs through NAT or VPC endpoints)."""
        group = ec2.SecurityGroup(
            self,
            "ProwlerEgress",
            vpc=vpc,
            description="Prowler: egress to AWS APIs only",
            allow_all_outbound=not private,
        )
        if private:
            group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs")
        return group

    def _acknowledge_findings(self, stack: cdk.Stack, cluster: ecs.Cluster, security_group: ec2.SecurityGroup) -> None:
        """The AwsSolutions findings this design accepts, each on the construct concerned."""
        _acknowledge(
            self.task_role,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/SecurityAudit]",
            "Prowler's documented read-only permissions are AWS's SecurityAudit and ViewOnlyAccess policies, "
            "kept current by AWS as services are added.",
        )
        _acknowledge(
            self.task_role,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/job-function/ViewOnlyAccess]",
            "See SecurityAudit: the AWS-maintained read-only audit policy Prowler documents.",
        )
        _acknowledge(
            security_group,
            "AwsSolutions::AwsSolutions-EC23",
            "No ingress rule exists; the task only calls AWS APIs outbound.",
        )
        cluster_id = stack.resolve(cluster.node.default_child.logical_id)
        for role in [c for c in self.node.find_all() if isinstance(c, iam.Role) and c is not self.task_role]:
            _acknowledge(
                role,
                "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                "CDK-generated execution and events roles: logs:CreateLogStream/PutLogEvents and "
                "ecs:RunTask/iam:PassRole as CDK scopes them, and ecr:GetAuthorizationToken, which takes no "
                "resource ARN.",
            )
            _acknowledge(
                role,
                f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:*:task/<{cluster_id}>/*]",
                "CDK's events role for the scheduled task: it may only act on tasks of this cluster.",
            )


class ProwlerScanStack(cdk.Stack):
    """The one-account scan: <Prefix>ProwlerScan."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalogue: Catalogue,
        settings: ScanSettings | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = settings or ScanSettings()
        # "Default" adds nothing to logical ids: the resources keep the ids they had when the stack built them.
        self.scan = ProwlerScan(
            self, "Default", catalogue=catalogue, settings=settings, subnets=ssm_subnets(self, settings)
        )


class ProwlerScanNestedStack(cdk.NestedStack):
    """The scan inside an organization's member stack, deployed with it in every member account and region.

    The SSM-typed parameters are declared in the parent, the stack that is deployed (by `cdk deploy` or a
    StackSet), which passes their resolved values down. There a deployment can override them (`cdk deploy
    --parameters`, a StackSet's per-account parameter overrides), whereas a nested stack's parameters are set
    only by its parent's template; and CloudFormation fetches the latest SSM values whenever it updates the stack
    that declares them, so a changed value reaches the nested stack as a changed parameter on the member stack's
    next update. Nested stack parameters are strings (AWS::CloudFormation::Stack `Parameters`): the subnet list
    goes down comma-joined into a `List<AWS::EC2::Subnet::Id>` parameter, which CloudFormation splits and checks
    against the account's subnets.
    """

    def __init__(self, scope: Construct, construct_id: str, *, catalogue: Catalogue, settings: ScanSettings) -> None:
        resolved = ssm_subnets(cdk.Stack.of(scope), settings)
        parameters = (
            {"VpcId": resolved.vpc_id, "SubnetIds": cdk.Fn.join(",", resolved.subnet_ids)} if resolved else None
        )
        super().__init__(
            scope,
            construct_id,
            description="Remedy: weekly Prowler scan of this account and region on ECS Fargate",
            parameters=parameters,
        )
        subnets = None
        if resolved:
            vpc_id = cdk.CfnParameter(self, "VpcId", type="AWS::EC2::VPC::Id")
            subnet_ids = cdk.CfnParameter(self, "SubnetIds", type="List<AWS::EC2::Subnet::Id>")
            subnets = Subnets(vpc_id=vpc_id.value_as_string, subnet_ids=subnet_ids.value_as_list)
        self.scan = ProwlerScan(self, "Default", catalogue=catalogue, settings=settings, subnets=subnets)
