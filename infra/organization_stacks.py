"""An organization's stacks by role, built in any scope (the app, or a stage of the deployment pipeline).

- `<Prefix>Security`, bound to the security account and the bridge's region: the bridge, its ledger, failure
  path, custom action and Prowler import.
- `<Prefix>Member`, environment-agnostic, for every member account and region: the controls, the region's
  member role and the forwarding of runbook status events to the security account. Deployed either as a
  stack per account and region (`remedy:memberDeployment=stacks`, the default) or by one service-managed
  StackSet per wave of OUs and regions (`stackset`; infra/stackset.py), which also deploys it to every account
  that joins those OUs later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct, Node

from infra.nag import acknowledge_findings
from infra.prowler_scan_stack import scan_settings
from infra.stack import RemedyStack
from infra.stackset import (
    DEFAULT_QUALIFIER,
    MemberAssets,
    MemberStackSet,
    MemberTemplateSynthesizer,
    MemberWave,
    StackSetAssetsStack,
    file_publishing_role_arn,
)

MEMBER_DEPLOYMENTS = ("stacks", "stackset")
CALL_AS = ("DELEGATED_ADMIN", "SELF")


@dataclass(frozen=True)
class OrganizationLayout:
    """The organization context: where the security stack goes and how member stacks reach the members."""

    prefix: str
    security_account: str
    bridge_region: str | None
    organization_id: str | None
    member_deployment: str
    waves: tuple[MemberWave, ...]
    call_as: str
    qualifier: str
    pipeline: bool = False

    @property
    def stack_prefix(self) -> str:
        return self.prefix.capitalize()

    @property
    def member_regions(self) -> list[str]:
        """Every region a wave deploys to (each needs a StackSet asset bucket)."""
        return sorted({r for w in self.waves for r in w.regions} | {str(self.bridge_region)})

    @classmethod
    def from_context(cls, node: Node, prefix: str) -> OrganizationLayout | None:
        """The layout from `remedy:securityAccount` and its companions; None in a one-account deployment."""
        context = node.try_get_context
        security_account = context("remedy:securityAccount")
        if not security_account:
            return None
        pipeline = str(context("remedy:pipeline") or "false").lower() == "true"
        waves = context("remedy:memberWaves") or []
        if isinstance(waves, str):
            waves = json.loads(waves)
        layout = cls(
            prefix=prefix,
            security_account=str(security_account),
            bridge_region=context("remedy:bridgeRegion"),
            organization_id=context("remedy:organizationId"),
            member_deployment=str(context("remedy:memberDeployment") or ("stackset" if pipeline else "stacks")),
            waves=tuple(MemberWave.parse(w) for w in waves),
            call_as=str(context("remedy:stackSetCallAs") or "DELEGATED_ADMIN"),
            qualifier=str(context("@aws-cdk/core:bootstrapQualifier") or DEFAULT_QUALIFIER),
            pipeline=pipeline,
        )
        layout.check()
        return layout

    def check(self) -> None:
        """Refuse a context that could not deploy, naming the setting to fix."""
        if self.member_deployment not in MEMBER_DEPLOYMENTS:
            raise ValueError(f"remedy:memberDeployment must be one of {MEMBER_DEPLOYMENTS}")
        if self.pipeline and self.member_deployment != "stackset":
            raise ValueError("remedy:pipeline deploys members by StackSet: remedy:memberDeployment must be stackset")
        if self.call_as not in CALL_AS:
            raise ValueError(f"remedy:stackSetCallAs must be one of {CALL_AS}")
        if self.member_deployment == "stackset":
            missing = [
                name
                for name, value in (
                    ("remedy:bridgeRegion", self.bridge_region),
                    ("remedy:organizationId", self.organization_id),
                    ("remedy:memberWaves", self.waves),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"remedy:memberDeployment=stackset needs {', '.join(missing)}")
        names = [w.name.lower() for w in self.waves]
        if len(names) != len(set(names)):
            raise ValueError(f"remedy:memberWaves: wave names must differ (ignoring case): {names}")

    def security_env(self) -> cdk.Environment:
        return cdk.Environment(account=self.security_account, region=self.bridge_region)


def security_stack(scope: Construct, layout: OrganizationLayout, common: dict) -> RemedyStack:
    """<Prefix>Security: the bridge for the whole organization, in the security account."""
    stack = RemedyStack(
        scope,
        f"{layout.stack_prefix}Security",
        stack_name=f"{layout.stack_prefix}Security",
        env=layout.security_env(),
        controls=False,
        description="Remedy security account: the bridge from Security Hub findings to member runbooks",
        **common,
    )
    acknowledge_findings(stack)
    return stack


def member_stack(scope: Construct, layout: OrganizationLayout, common: dict, **kwargs: object) -> RemedyStack:
    """<Prefix>Member: controls, member role and status forwarding, for every member account and region."""
    stack = RemedyStack(
        scope,
        f"{layout.stack_prefix}Member",
        prowler_bridge=False,
        bridge_administrator_account=layout.security_account,
        prowler_scan=scan_settings(scope.node),
        description="Remedy member account and region: Config rules, runbooks and roles from the catalogue",
        **common,
        **kwargs,
    )
    acknowledge_findings(stack)
    return stack


def member_stack_sets(
    scope: Construct, layout: OrganizationLayout, common: dict, waves: tuple[MemberWave, ...]
) -> list[MemberStackSet]:
    """The member template (a file of the assembly) and one StackSet stack per wave that deploys it.

    The member stack is created first: the StackSet stacks read its template's location when they synthesize.
    """
    assets = MemberAssets(
        prefix=layout.prefix,
        account=layout.security_account,
        regions=layout.member_regions,
        home_region=str(layout.bridge_region),
        qualifier=layout.qualifier,
    )
    member_stack(scope, layout, common, synthesizer=MemberTemplateSynthesizer(assets))
    return [
        MemberStackSet(
            scope,
            f"{layout.stack_prefix}Members{wave.name}",
            stack_name=f"{layout.stack_prefix}Members{wave.name}",
            env=layout.security_env(),
            prefix=layout.prefix,
            wave=wave,
            assets=assets,
            call_as=layout.call_as,
            description=f"Remedy member StackSet, wave {wave.name}: {', '.join(wave.organizational_units)} in "
            f"{', '.join(wave.regions)}",
        )
        for wave in waves
    ]


def organization_stacks(scope: Construct, layout: OrganizationLayout, common: dict) -> None:
    """Every stack of the organization in one scope: security, then members as stacks or StackSets."""
    security_stack(scope, layout, common)
    if layout.member_deployment == "stackset":
        member_stack_sets(scope, layout, common, layout.waves)
    else:
        member_stack(scope, layout, common)


def stack_set_asset_buckets(scope: Construct, layout: OrganizationLayout) -> list[StackSetAssetsStack]:
    """One asset bucket stack per member region, in the security account; deployed once before the first
    StackSet (and again when a wave adds a region), as the buckets must exist before assets are published."""
    publishing_role = file_publishing_role_arn(layout.security_account, str(layout.bridge_region), layout.qualifier)
    return [
        StackSetAssetsStack(
            scope,
            f"{layout.stack_prefix}StackSetAssets-{region}",
            env=cdk.Environment(account=layout.security_account, region=region),
            prefix=layout.prefix,
            organization_id=str(layout.organization_id),
            publishing_role_arn=publishing_role,
            description=f"Remedy: the member StackSets' template and code for {region}, readable by the organization",
        )
        for region in layout.member_regions
    ]
