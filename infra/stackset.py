"""The member stack rolled out by a service-managed StackSet, auto-deployed to every account of target OUs.

A StackSet instance cannot read the deploying account's CDK bootstrap bucket, and Lambda code must come from a
bucket in the function's own region. So the member template and every asset it uses (rule code, the rdklib
layer, nested stack templates) are published to one bucket per member region in the security account,
`<prefix>-stackset-assets-<security account>-<region>`, readable by the organization (`aws:PrincipalOrgID`),
and the member template names its bucket with `${AWS::Region}`: each instance reads its own region's copy.

- `MemberTemplateSynthesizer` writes the member template and registers it and its assets for every region;
  the member stack becomes a file of the cloud assembly, not a stack anyone deploys directly.
- `StackSetStackSynthesizer` deploys a StackSet stack in the security account as CDK's default bootstrap
  does (its deploy roles and bucket) and publishes the member's assets with it.
- `MemberStackSet` is one `AWS::CloudFormation::StackSet` per wave of OUs and regions.
- `StackSetAssetsStack` is a region's asset bucket; it must exist before the first publish.

https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCode.html (S3Bucket: same Region, may be another account)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import cloud_assembly_schema as cxschema
from constructs import Construct

DEFAULT_QUALIFIER = "hnb659fds"
BOOTSTRAP_VERSION = 6  # CDK's default bootstrap stack version for asset publishing and deploy roles
WAVE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,31}$")


def asset_bucket_name(prefix: str, account: str, region: str) -> str:
    """The region's StackSet asset bucket in the security account (S3 names: at most 63 characters)."""
    name = f"{prefix}-stackset-assets-{account}-{region}"
    if len(name) > 63:
        raise ValueError(f"StackSet asset bucket name {name!r} is over S3's 63 characters: shorten the prefix")
    return name


def file_publishing_role_arn(account: str, region: str, qualifier: str = DEFAULT_QUALIFIER) -> str:
    """CDK's bootstrap file publishing role in the security account's home region: it writes every region's
    StackSet asset bucket (the buckets' policies let it)."""
    return f"arn:${{AWS::Partition}}:iam::{account}:role/cdk-{qualifier}-file-publishing-role-{account}-{region}"


@dataclass(frozen=True)
class MemberWave:
    """One StackSet: the member stack in every account of these OUs (new ones included), in these regions."""

    name: str
    organizational_units: tuple[str, ...]
    regions: tuple[str, ...]
    approval: bool = False  # in the pipeline, a person approves before this wave deploys

    @classmethod
    def parse(cls, value: object) -> MemberWave:
        """A wave from `remedy:memberWaves` ({"name", "organizationalUnits", "regions", "approval"}), checked."""
        if not isinstance(value, dict):
            raise ValueError(f"remedy:memberWaves entries are objects, got {value!r}")
        name = str(value.get("name", ""))
        units, regions = value.get("organizationalUnits") or [], value.get("regions") or []
        if not WAVE_NAME.match(name):
            raise ValueError(f"wave name {name!r}: letters and digits, starting with a letter, up to 32")
        if not all(re.match(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$", str(u)) for u in units):
            raise ValueError(f"wave {name}: organizationalUnits must be OU ids (ou-...) or a root id (r-...)")
        if not units or not regions:
            raise ValueError(f"wave {name}: give at least one organizational unit and one region")
        approval = value.get("approval", False)
        if not isinstance(approval, bool):
            raise ValueError(f"wave {name}: approval is true or false, got {approval!r}")
        return cls(name, tuple(str(u) for u in units), tuple(str(r) for r in regions), approval)


class MemberAssets:
    """The member template's location and its assets, each with one destination per member region."""

    def __init__(self, *, prefix: str, account: str, regions: list[str], home_region: str, qualifier: str) -> None:
        self.prefix, self.account, self.home_region = prefix, account, home_region
        self.regions = sorted(set(regions) | {home_region})
        self.publishing_role_arn = file_publishing_role_arn(account, home_region, qualifier)
        self.files: list[tuple[str, cxschema.FileSource, cxschema.FileDestination]] = []
        self.template_key: str | None = None

    def add(self, asset: cdk.FileAssetSource) -> str:
        """Register an asset for every region; return its object key."""
        zipped = asset.packaging == cdk.FileAssetPackaging.ZIP_DIRECTORY
        extension = ".zip" if zipped else PurePosixPath(asset.file_name or "").suffix
        key = asset.source_hash + extension
        source = cxschema.FileSource(path=asset.file_name, packaging=cxschema.FileAssetPackaging[asset.packaging.name])
        for region in self.regions:
            destination = cxschema.FileDestination(
                bucket_name=asset_bucket_name(self.prefix, self.account, region),
                object_key=key,
                region=region,
                assume_role_arn=self.publishing_role_arn,
            )
            self.files.append((asset.source_hash, source, destination))
        return key

    def template_url(self) -> str:
        """The member template in the home region's bucket, for the StackSet's TemplateURL."""
        if self.template_key is None:
            raise RuntimeError("the member stack must be synthesized before the StackSet stacks that deploy it")
        bucket = asset_bucket_name(self.prefix, self.account, self.home_region)
        return f"https://{bucket}.s3.{self.home_region}.{cdk.Aws.URL_SUFFIX}/{self.template_key}"


class MemberTemplateSynthesizer(cdk.StackSynthesizer):
    """The member stack as a template file whose assets come from its region's StackSet asset bucket."""

    def __init__(self, assets: MemberAssets) -> None:
        super().__init__()
        self._assets = assets

    def add_file_asset(self, asset: cdk.FileAssetSource) -> cdk.FileAssetLocation:
        key = self._assets.add(asset)
        bucket = asset_bucket_name(self._assets.prefix, self._assets.account, "${AWS::Region}")
        return cdk.FileAssetLocation(
            bucket_name=cdk.Fn.sub(bucket),
            object_key=key,
            http_url=cdk.Fn.sub(f"https://s3.${{AWS::Region}}.${{AWS::URLSuffix}}/{bucket}/{key}"),
            s3_object_url=cdk.Fn.sub(f"s3://{bucket}/{key}"),
        )

    def add_docker_image_asset(self, asset: cdk.DockerImageAssetSource) -> cdk.DockerImageAssetLocation:
        raise ValueError("the member stack cannot use container image assets: StackSets publish files only")

    def synthesize(self, session: cdk.ISynthesisSession) -> None:
        """Write the template and register it as an asset; no stack artifact, so nothing deploys it directly."""
        template = self._synthesize_template(session)
        self._assets.template_key = self._assets.add(template)


class StackSetStackSynthesizer(cdk.StackSynthesizer):
    """A stack deployed like CDK's default synthesizer does (bootstrap roles and bucket of its account and
    region), whose asset manifest also publishes the member template and assets to every region's bucket."""

    def __init__(self, assets: MemberAssets, qualifier: str = DEFAULT_QUALIFIER) -> None:
        super().__init__()
        self._assets, self._qualifier = assets, qualifier
        self._builder = cdk.AssetManifestBuilder()

    def _role(self, kind: str) -> str:
        stack = self._bound_stack
        name = f"cdk-{self._qualifier}-{kind}-role-{stack.account}-{stack.region}"
        return f"arn:${{AWS::Partition}}:iam::{stack.account}:role/{name}"

    def add_file_asset(self, asset: cdk.FileAssetSource) -> cdk.FileAssetLocation:
        stack = self._bound_stack
        bucket = f"cdk-{self._qualifier}-assets-{stack.account}-{stack.region}"
        destination = self._builder.default_add_file_asset(
            stack,
            asset,
            cdk.AssetManifestFileDestination(
                bucket_name=bucket, role=cdk.RoleOptions(assume_role_arn=self._role("file-publishing"))
            ),
        )
        return self._cloud_formation_location_from_file_asset(
            bucket_name=destination.bucket_name, object_key=destination.object_key
        )

    def add_docker_image_asset(self, asset: cdk.DockerImageAssetSource) -> cdk.DockerImageAssetLocation:
        raise ValueError("StackSet stacks hold no container image assets")

    def synthesize(self, session: cdk.ISynthesisSession) -> None:
        """Own template as an asset, the member's files with it, one stack artifact with the bootstrap roles."""
        self._assets.template_url()  # raises unless the member template is written: its URL goes in the template
        version_parameter = f"/cdk-bootstrap/{self._qualifier}/version"
        template = self.add_file_asset(self._synthesize_template(session, self._role("lookup")))
        for source_hash, source, destination in self._assets.files:
            self._builder.add_file_asset(self._bound_stack, source_hash, source, destination)
        manifest = self._builder.emit_manifest(
            self._bound_stack,
            session,
            cxschema.AssetManifestOptions(
                requires_bootstrap_stack_version=BOOTSTRAP_VERSION,
                bootstrap_stack_version_ssm_parameter=version_parameter,
            ),
        )
        self._emit_artifact(
            session,
            assume_role_arn=self._role("deploy"),
            cloud_formation_execution_role_arn=self._role("cfn-exec"),
            stack_template_asset_object_url=template.s3_object_url_with_placeholders,
            requires_bootstrap_stack_version=BOOTSTRAP_VERSION,
            bootstrap_stack_version_ssm_parameter=version_parameter,
            additional_dependencies=[manifest],
            lookup_role=cxschema.BootstrapRole(arn=self._role("lookup"), requires_bootstrap_stack_version=8),
        )


class MemberStackSet(cdk.Stack):
    """In the security account: the StackSet that keeps the member stack in every account of a wave's OUs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        wave: MemberWave,
        assets: MemberAssets,
        call_as: str = "DELEGATED_ADMIN",
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, synthesizer=StackSetStackSynthesizer(assets), **kwargs)
        cdk.CfnStackSet(
            self,
            "StackSet",
            stack_set_name=f"{prefix}-member-{wave.name.lower()}",
            description=f"Remedy member stack in every account of {', '.join(wave.organizational_units)}",
            permission_model="SERVICE_MANAGED",
            auto_deployment=cdk.CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            call_as=call_as,
            capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
            managed_execution={"Active": True},
            operation_preferences=cdk.CfnStackSet.OperationPreferencesProperty(
                region_concurrency_type="SEQUENTIAL",
                region_order=list(wave.regions),
                max_concurrent_percentage=25,
                failure_tolerance_percentage=0,
            ),
            stack_instances_group=[
                cdk.CfnStackSet.StackInstancesProperty(
                    deployment_targets=cdk.CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=list(wave.organizational_units)
                    ),
                    regions=list(wave.regions),
                )
            ],
            template_url=cdk.Lazy.uncached_string(_TemplateUrl(assets)),
        )


@jsii.implements(cdk.IStableStringProducer)
class _TemplateUrl:
    """Resolves the member template's URL when the StackSet stack is synthesized (after the member stack)."""

    def __init__(self, assets: MemberAssets) -> None:
        self._assets = assets

    def produce(self) -> str:
        """Before synthesis (aspects, validation) a stand-in; StackSetStackSynthesizer refuses to write one."""
        return self._assets.template_url() if self._assets.template_key else "<member template not yet written>"


class StackSetAssetsStack(cdk.Stack):
    """A region's StackSet asset bucket in the security account: written by CDK's publishing role, read by the
    organization's accounts (their StackSet execution roles create the member stack's functions from it)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        organization_id: str,
        publishing_role_arn: str,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        bucket = s3.Bucket(
            self,
            "Assets",
            bucket_name=asset_bucket_name(prefix, self.account, self.region),
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(90))],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationReads",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={"StringEquals": {"aws:PrincipalOrgID": organization_id}},
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CdkPublishes",
                principals=[iam.ArnPrincipal(cdk.Fn.sub(publishing_role_arn))],
                actions=[
                    "s3:GetObject*",
                    "s3:PutObject*",
                    "s3:GetBucketLocation",
                    "s3:GetEncryptionConfiguration",
                    "s3:ListBucket",
                    "s3:Abort*",
                ],
                resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
            )
        )
        cdk.Validations.of(bucket).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions::AwsSolutions-S1",
                reason="Holds only published copies of this app's templates and code, versioned; CloudTrail "
                "data events are the organization's choice for access records.",
            )
        )
