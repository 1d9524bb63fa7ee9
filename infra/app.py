"""CDK app entry point (cdk.json: `python -m infra.app`).

Context (cdk.json or -c):
  remedy:deploymentMode   standalone (Config rules + remediation configurations as stack resources)
                          | conformance-pack (the same rules and remediations inside AWS::Config::ConformancePack)
  remedy:resourcePrefix   prefix of rule and document names (default remedy)
  remedy:catalogue        path of the catalogue file (default catalogue/controls.yaml)
  remedy:root             folder holding config_rules/ and ssm_documents/ (default: this checkout)
  remedy:rdklibLayerDir   rdklib layer folder built by `make layer`
  remedy:prowlerBridge    true (default) | false: the Security Hub -> SSM bridge for Prowler findings
  remedy:bridgeAccounts   accounts whose findings the bridge may remediate (default: its own account)
  remedy:organizationId   o-...: every account of this AWS Organization is in the bridge's scope, with no
                          account list (it may assume member roles only in accounts of the organization)
  remedy:bridgeRegions    regions whose findings the bridge may remediate (default: its own region)
  remedy:bridgeAdministratorAccount  in a member account: create remedy-bridge-member-<region>, the role
                          that account's bridge assumes to remediate findings of this account and region, and
                          forward this account's runbook status events to that account's default event bus
  remedy:securityAccount  an organization's security account: synthesize <Prefix>Security (the bridge, for that
                          account) and <Prefix>Member (controls, member role, status forwarding; for every
                          member account and region) instead of the one-account <Prefix>Controls
                          (infra/organization_stacks.py)
  remedy:memberDeployment stacks (default: deploy <Prefix>Member in each account and region yourself) | stackset
                          (<Prefix>Members<Wave>: a service-managed StackSet per wave, auto-deployed to new
                          accounts of its OUs, and <Prefix>StackSetAssets-<region>; infra/stackset.py)
  remedy:memberWaves      the waves, in order: [{"name": "Pilot", "organizationalUnits": ["ou-..."],
                          "regions": ["eu-central-1"], "approval": false}, ...] (JSON)
  remedy:stackSetCallAs   DELEGATED_ADMIN (default: the security account is a StackSets delegated
                          administrator) | SELF (it is the management account)
  remedy:pipeline         true: synthesize <Prefix>Pipeline, the self-mutating pipeline that deploys
                          <Prefix>Security and the member StackSets, wave after wave (infra/pipeline.py); its
                          source: remedy:pipelineConnectionArn + remedy:pipelineRepository (owner/name) +
                          remedy:pipelineBranch (default main), or remedy:pipelineSourceBucket +
                          remedy:pipelineSourceKey; remedy:pipelineAccount: a deployment account for the
                          pipeline (default: the security account)
  remedy:bridgeRegion     the bridge's region, where status events go (default: this stack's region)
  remedy:homeRegion       the region where controls of account-global resources (catalogue home_region_only)
                          deploy; unset: every region the stack deploys to
  remedy:enableSecurityHub  true: the bridge's stack enables Security Hub with the CIS v3.0 and FSBP standards
                          (default false: enabling fails where it is on already)
  remedy:subscribeProwler false: no Prowler import subscription (default true; false where one exists already)
  remedy:prowlerScan      true: Prowler weekly on ECS Fargate, scanning its own account and region into that
                          region's Security Hub: the stack <Prefix>ProwlerScan, or with remedy:securityAccount the
                          nested stack ProwlerScan of <Prefix>Member (every member account and region)
  remedy:prowlerImage     the Prowler image without tag (default public.ecr.aws/prowler-cloud/prowler); for an
                          ECR repository the task may pull from that repository only
  remedy:prowlerImageTag  the Prowler image tag the scan runs
  remedy:prowlerSubnetsParameter  name of an SSM parameter (StringList of private subnet ids, in every account
                          and region) the scan runs in, without a public IP; with remedy:prowlerVpcParameter, the
                          name of an SSM parameter holding their VPC's id. Unset: a VPC of public subnets is created
  remedy:prowlerFailedOnly  false: Prowler reports every status (default true: failed findings only)
Organization-wide settings (permissions boundary, role path, tags, log group key): infra/enterprise.py.
Synth also writes the conformance packs as standalone templates (<outdir>/<prefix>-conformance-pack-NN.yaml,
one per rule stack of infra/layout.py) for put-conformance-pack.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import yaml

from catalogue import REPO_ROOT, load_catalogue
from infra.config_resources import conformance_pack_template
from infra.layout import stack_layout
from infra.nag import acknowledge_findings
from infra.organization_stacks import OrganizationLayout, organization_stacks, stack_set_asset_buckets
from infra.pipeline import RemedyPipelineStack, finish_scope
from infra.prowler_scan_stack import ProwlerScanStack, scan_settings
from infra.stack import PACK_INLINE_BYTES, RemedyStack

DEFAULT_LAYER_DIR = REPO_ROOT / "build" / "lambda_layers" / "rdklib"


def _list(value: object) -> list[str]:
    """A context value given as a JSON list or a comma-separated string."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def write_conformance_pack_files(outdir: Path, catalogue: object, prefix: str) -> list[Path]:
    """One standalone pack template per rule stack, with the same controls as that stack.

    A template over 80% of put-conformance-pack's 51,200-byte --template-body says to deploy it from S3 instead.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for key, content in stack_layout(catalogue).rule_slots.items():
        pack_file = outdir / f"{prefix}-conformance-pack-{key.lower()}.yaml"
        body = yaml.safe_dump(
            conformance_pack_template(catalogue, prefix, content.controls), sort_keys=False, width=120
        )
        source = f"--template-body file://{pack_file.name}"
        if len(body.encode()) > PACK_INLINE_BYTES:
            source = f"--template-s3-uri s3://<your-bucket>/{pack_file.name}  # too large for --template-body"
        pack_file.write_text(
            "# Standalone conformance pack template, generated from the control catalogue by `make synth`.\n"
            f"# Deploy the {prefix.capitalize()}Controls stack first (rule functions, runbooks, roles), then pass\n"
            f"# the ARNs of its nested stack {key}'s functions and of the runbook roles:\n"
            f"#   aws configservice put-conformance-pack --conformance-pack-name {prefix}-controls-{key.lower()} \\\n"
            f"#     --conformance-pack-input-parameters ... {source}\n" + body
        )
        written.append(pack_file)
    return written


def _organization(app: cdk.App, organization: OrganizationLayout, common: dict) -> None:
    """The pipeline (which deploys the organization's stacks), or those stacks; StackSet asset buckets."""
    if organization.pipeline:
        RemedyPipelineStack(
            app,
            f"{organization.stack_prefix}Pipeline",
            layout=organization,
            common=common,
            description="Remedy: the self-mutating pipeline that deploys the security account and member StackSets",
        )
    else:
        organization_stacks(app, organization, common)
    if organization.member_deployment == "stackset":
        stack_set_asset_buckets(app, organization)


def _one_account(app: cdk.App, common: dict) -> None:
    """<Prefix>Controls: controls and (unless remedy:prowlerBridge is false) the bridge in one account."""
    context = app.node.try_get_context
    stack = RemedyStack(
        app,
        f"{common['prefix'].capitalize()}Controls",
        prowler_bridge=str(context("remedy:prowlerBridge") or "true").lower() != "false",
        bridge_administrator_account=context("remedy:bridgeAdministratorAccount"),
        description="Remedy: AWS Config rules and SSM Automation remediations from the control catalogue",
        **common,
    )
    acknowledge_findings(stack)


def build_app(app: cdk.App | None = None) -> cdk.App:
    """Build the app from context; tests call this with their own cdk.App(context=...)."""
    app = app or cdk.App()
    context = app.node.try_get_context
    prefix = context("remedy:resourcePrefix") or "remedy"
    catalogue = load_catalogue(context("remedy:catalogue"), context("remedy:root"))
    layer_dir = Path(context("remedy:rdklibLayerDir") or DEFAULT_LAYER_DIR)
    if not (layer_dir / "python" / "rdklib").is_dir():
        raise SystemExit(f"rdklib layer folder {layer_dir} is missing: run `make layer`")
    common = {
        "catalogue": catalogue,
        "prefix": prefix,
        "deployment_mode": context("remedy:deploymentMode") or "standalone",
        "rdklib_layer_dir": layer_dir,
        "bridge_accounts": _list(context("remedy:bridgeAccounts")),
        "organization_id": context("remedy:organizationId"),
        "bridge_regions": _list(context("remedy:bridgeRegions")),
    }
    organization = OrganizationLayout.from_context(app.node, prefix)
    if organization:
        _organization(app, organization, common)
    else:
        _one_account(app, common)
    scan = scan_settings(app.node)
    if scan and not organization:  # in an organization, the scan is part of <Prefix>Member
        ProwlerScanStack(
            app,
            f"{prefix.capitalize()}ProwlerScan",
            catalogue=catalogue,
            settings=scan,
            description="Remedy: weekly Prowler scan on ECS Fargate, findings to Security Hub",
        )
    finish_scope(app)

    write_conformance_pack_files(Path(app.outdir), catalogue, prefix)
    return app


if __name__ == "__main__":
    build_app().synth()
