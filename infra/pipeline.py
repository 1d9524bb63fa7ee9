"""The self-mutating deployment pipeline (CDK Pipelines on CodePipeline) of an organization's deployment.

In the security account (or a deployment account, `remedy:pipelineAccount`, which the security account's CDK
bootstrap must then trust) and the bridge's region. Source: a CodeConnections connection (GitHub, GitLab,
Bitbucket) or an S3 object. The synth step runs `make test`, then synthesizes this app with
`remedy:pipeline=true` from the same `cdk.json`, so the pipeline updates itself before it deploys. Stages:
`Security` (the bridge stack), then one stage per member wave (`remedy:memberWaves`, in order), each
updating its StackSet in the security account; CloudFormation rolls the member stack out to the wave's OUs
region by region and stops the wave at its first failure. A wave with `"approval": true` waits for a person.

Members are reached only through StackSets: a pipeline stage per account would not scale to an organization
(https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html: 50 stages per pipeline).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from cdk_nag import AwsSolutionsChecks
from constructs import Construct, Node

from infra.enterprise import apply_enterprise_settings
from infra.nag import acknowledge_pipeline
from infra.organization_stacks import OrganizationLayout, member_stack_sets, security_stack
from infra.stackset import MemberWave

PIPELINE_OUTPUT = "pipeline.out"  # the synth step's cloud assembly (`make` targets keep cdk.out)
SYNTH_COMMANDS = ["make test", f"npx cdk synth --quiet --no-notices -c remedy:pipeline=true --output {PIPELINE_OUTPUT}"]


def finish_scope(scope: Construct) -> None:
    """Organization-wide settings and cdk-nag on a scope: the app, or a pipeline stage (a stage is synthesized
    on its own, so what is set on the app does not reach it)."""
    apply_enterprise_settings(scope)
    cdk.Validations.of(scope).add_plugins(AwsSolutionsChecks(scope))


def pipeline_source(scope: Construct, node: Node) -> pipelines.CodePipelineSource:
    """The source from context: a CodeConnections connection and repository, or an S3 bucket and key."""
    context = node.try_get_context
    connection, repository = context("remedy:pipelineConnectionArn"), context("remedy:pipelineRepository")
    bucket, key = context("remedy:pipelineSourceBucket"), context("remedy:pipelineSourceKey")
    if connection and repository:
        return pipelines.CodePipelineSource.connection(
            str(repository), str(context("remedy:pipelineBranch") or "main"), connection_arn=str(connection)
        )
    if bucket and key:
        return pipelines.CodePipelineSource.s3(s3.Bucket.from_bucket_name(scope, "SourceBucket", str(bucket)), str(key))
    raise ValueError(
        "remedy:pipeline needs a source: remedy:pipelineConnectionArn and remedy:pipelineRepository "
        "(owner/name, remedy:pipelineBranch default main), or remedy:pipelineSourceBucket and remedy:pipelineSourceKey"
    )


class SecurityStage(cdk.Stage):
    """The pipeline's first stage: <Prefix>Security in the security account."""

    def __init__(self, scope: Construct, construct_id: str, *, layout: OrganizationLayout, common: dict) -> None:
        super().__init__(scope, construct_id, env=layout.security_env())
        security_stack(self, layout, common)
        finish_scope(self)


class MemberWaveStage(cdk.Stage):
    """A member wave: the member template and the StackSet that rolls it out to the wave's OUs and regions.

    The stage has no environment of its own: the member stack in it must stay environment-agnostic (a stage's
    environment would bind it to the security account); the StackSet stack names the security account itself.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, layout: OrganizationLayout, common: dict, wave: MemberWave
    ) -> None:
        super().__init__(scope, construct_id)
        member_stack_sets(self, layout, common, (wave,))
        finish_scope(self)


class RemedyPipelineStack(cdk.Stack):
    """The pipeline, its synth step and its stages, in the security or the deployment account."""

    def __init__(
        self, scope: Construct, construct_id: str, *, layout: OrganizationLayout, common: dict, **kwargs: object
    ) -> None:
        account = str(scope.node.try_get_context("remedy:pipelineAccount") or layout.security_account)
        super().__init__(
            scope, construct_id, env=cdk.Environment(account=account, region=layout.bridge_region), **kwargs
        )
        pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=f"{layout.prefix}-deployment",
            pipeline_type=codepipeline.PipelineType.V2,
            self_mutation=True,
            cross_account_keys=True,
            enable_key_rotation=True,
            publish_assets_in_parallel=False,
            synth=pipelines.ShellStep(
                "Synth",
                input=pipeline_source(self, self.node),
                install_commands=["make install"],
                commands=SYNTH_COMMANDS,
                primary_output_directory=PIPELINE_OUTPUT,
            ),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0, compute_type=codebuild.ComputeType.MEDIUM
                )
            ),
        )
        pipeline.add_stage(SecurityStage(self, "Security", layout=layout, common=common))
        for wave in layout.waves:
            approval = [pipelines.ManualApprovalStep(f"Approve{wave.name}")] if wave.approval else []
            pipeline.add_stage(
                MemberWaveStage(self, f"Members{wave.name}", layout=layout, common=common, wave=wave), pre=approval
            )
        pipeline.build_pipeline()
        projects = [c for c in pipeline.node.find_all() if isinstance(c, codebuild.CfnProject)]
        acknowledge_pipeline(
            pipeline,
            self.resolve(pipeline.pipeline.artifact_bucket.node.default_child.logical_id),
            [self.resolve(p.logical_id) for p in projects],
        )
