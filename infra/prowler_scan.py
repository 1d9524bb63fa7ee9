"""Optional stack: Prowler every week as a scheduled ECS Fargate task, findings to Security Hub (json-asff).

Deployed only with `-c remedy:prowlerScan=true`. The bridge then remediates what Prowler finds.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from catalogue import Catalogue

PROWLER_IMAGE = "public.ecr.aws/prowler-cloud/prowler"
DEFAULT_PROWLER_TAG = "5.46.0"


def _acknowledge(scope: Construct, finding: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


class ProwlerScanStack(cdk.Stack):
    """VPC (public subnets, flow logs), Fargate cluster, Prowler task, weekly schedule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalogue: Catalogue,
        image_tag: str = DEFAULT_PROWLER_TAG,
        schedule: str = "cron(0 3 ? * SUN *)",
        all_checks: bool = True,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
            flow_logs={"all": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL)},
        )
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        task_role = iam.Role(
            self,
            "ProwlerTaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Prowler: read-only audit of the account, findings to Security Hub",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("SecurityAudit"),
                iam.ManagedPolicy.from_aws_managed_policy_name("job-function/ViewOnlyAccess"),
            ],
        )
        task_role.add_to_policy(
            iam.PolicyStatement(
                actions=["securityhub:BatchImportFindings", "securityhub:GetFindings"],
                resources=[
                    f"arn:{self.partition}:securityhub:{self.region}:{self.account}:hub/default",
                    f"arn:{self.partition}:securityhub:{self.region}::product/prowler/prowler",
                ],
            )
        )
        task = ecs.FargateTaskDefinition(self, "ProwlerTask", cpu=1024, memory_limit_mib=4096, task_role=task_role)
        command = ["aws", "-M", "json-asff", "--security-hub", "--region", self.region, "--ignore-exit-code-3"]
        if not all_checks:
            command += ["-c", *sorted({c for control in catalogue.controls for c in control.prowler_checks})]
        log_group = logs.LogGroup(self, "ProwlerLogs", retention=logs.RetentionDays.ONE_YEAR)
        task.add_container(
            "prowler",
            image=ecs.ContainerImage.from_registry(f"{PROWLER_IMAGE}:{image_tag}"),
            command=command,
            logging=ecs.LogDrivers.aws_logs(stream_prefix="prowler", log_group=log_group),
        )
        security_group = ec2.SecurityGroup(
            self, "ProwlerEgress", vpc=vpc, description="Prowler: egress to AWS APIs only", allow_all_outbound=True
        )
        events.Rule(
            self,
            "WeeklyScan",
            description="Run Prowler weekly; its failed findings reach the Remedy bridge through Security Hub",
            schedule=events.Schedule.expression(schedule),
            targets=[
                targets.EcsTask(
                    cluster=cluster,
                    task_definition=task,
                    subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
                    assign_public_ip=True,
                    security_groups=[security_group],
                )
            ],
        )
        _acknowledge(
            task_role,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/SecurityAudit]",
            "Prowler's documented read-only permissions are AWS's SecurityAudit and ViewOnlyAccess policies, "
            "kept current by AWS as services are added.",
        )
        _acknowledge(
            task_role,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/job-function/ViewOnlyAccess]",
            "See SecurityAudit: the AWS-maintained read-only audit policy Prowler documents.",
        )
        _acknowledge(
            security_group,
            "AwsSolutions::AwsSolutions-EC23",
            "No ingress rule exists; the task only calls AWS APIs outbound.",
        )
        cluster_id = self.resolve(cluster.node.default_child.logical_id)
        for role in [c for c in self.node.find_all() if isinstance(c, iam.Role) and c is not task_role]:
            _acknowledge(
                role,
                "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                "CDK-generated execution and events roles: logs:CreateLogStream/PutLogEvents and "
                "ecs:RunTask/iam:PassRole as CDK scopes them.",
            )
            _acknowledge(
                role,
                f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:*:task/<{cluster_id}>/*]",
                "CDK's events role for the scheduled task: it may only act on tasks of this cluster.",
            )
