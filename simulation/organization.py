"""An emulated AWS Organization running Remedy's organization layout, in one process, on in-process moto.

The security account runs <Prefix>Security (the bridge, its ledger and failure path) in the bridge's region;
every member account runs <Prefix>Member in every member region (Config rules, runbooks, the member role and the
status forwarding rule), each (account, region) an `EmulatedAccount` of its own. One `Router` on boto3's default
session sends every call to the account it is for (see simulation.routing). Between accounts, this module stands
in for what AWS does on its own:

- Security Hub cross-region aggregation: a member's findings are imported into its own hub and, as the
  aggregation delivers them, into the security account's hub in the bridge's region (keeping their own
  AwsAccountId and Region), whose "Security Hub Findings - Imported" events reach the bridge.
- EventBridge cross-account targets: a rule whose target is another account's event bus (the member's status
  forwarding) puts the event on that account's emulated bus.

What it cannot follow: the organization's id comes from moto's CreateOrganization and is not the one the bridge
was synthesized with (the bridge only checks its shape), and nothing evaluates IAM, so the member roles' trust
and the bridge role's aws:ResourceOrgID condition, which confine the bridge to the organization in AWS, are not
enforced: moto's sts:AssumeRole hands out credentials for any account.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import boto3

from simulation.account import EmulatedAccount
from simulation.routing import Router

DEFAULT_MEMBERS = ("workloads-prod", "workloads-dev")
DEFAULT_REGIONS = ("us-east-1", "eu-west-1")


def security_stack_environment(outdir: Path, stack_name: str) -> tuple[str, str]:
    """(account, region) the security stack is bound to, from the cloud assembly's manifest."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    environment = manifest["artifacts"][stack_name]["environment"]  # aws://<account>/<region>
    account, region = environment.removeprefix("aws://").split("/")
    if not account.isdigit() or region == "unknown-region":
        raise ValueError(
            f"{stack_name} is not bound to an account and region ({environment}): synthesize with "
            "-c remedy:securityAccount=<id> -c remedy:bridgeRegion=<region>"
        )
    return account, region


class EmulatedOrganization:
    """A security account and member accounts in several regions, settled together."""

    def __init__(
        self,
        assembly_dir: Path | str,
        members: tuple[str, ...] = DEFAULT_MEMBERS,
        regions: tuple[str, ...] = DEFAULT_REGIONS,
        prefix: str = "remedy",
    ) -> None:
        self.assembly_dir, self.member_names, self.regions = Path(assembly_dir), members, regions
        self.security_stack, self.member_stack = f"{prefix.capitalize()}Security", f"{prefix.capitalize()}Member"
        self.security_account, self.bridge_region = security_stack_environment(self.assembly_dir, self.security_stack)
        self.router = Router()
        self.units: dict[tuple[str, str], EmulatedAccount] = {}
        self.member_accounts: dict[str, str] = {}  # account id -> account name

    # Provisioning -------------------------------------------------------------------------------------------
    def provision(self) -> EmulatedOrganization:
        """Create the organization and its member accounts, then every stack in every (account, region)."""
        self.router.install()
        with self.router.acting_as(self.security_account, self.bridge_region):
            organizations = boto3.client("organizations")
            self.organization_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
            for name in self.member_names:
                status = organizations.create_account(AccountName=name, Email=f"{name}@example.com")
                self.member_accounts[status["CreateAccountStatus"]["AccountId"]] = name
        self._provision(self.security_account, self.bridge_region, self.security_stack)
        for account in self.member_accounts:
            for region in self.regions:
                self._provision(account, region, self.member_stack)
        return self

    def _provision(self, account: str, region: str, stack_name: str) -> None:
        unit = EmulatedAccount(self.assembly_dir, region, stack_name=stack_name, account=account, router=self.router)
        with self.acting_as(unit):
            unit.provision()
        unit.events.forward = self.put_on_bus
        self.units[(account, region)] = unit

    @property
    def security(self) -> EmulatedAccount:
        return self.units[(self.security_account, self.bridge_region)]

    def members(self) -> list[EmulatedAccount]:
        """Every member (account, region), accounts in creation order."""
        return [unit for (account, _region), unit in self.units.items() if account in self.member_accounts]

    def acting_as(self, unit: EmulatedAccount) -> contextlib.AbstractContextManager[None]:
        """Calls made meanwhile with the dummy credentials act in the unit's account and region."""
        return self.router.acting_as(unit.account, unit.region)

    # What AWS does between accounts ---------------------------------------------------------------------------
    def put_on_bus(self, bus_arn: str, event: dict) -> None:
        """An EventBridge target that is an event bus: the event goes to that account's bus in that region."""
        _arn, _partition, _service, region, account, _bus = bus_arn.split(":", 5)
        unit = self.units.get((account, region))
        if unit is None:
            raise RuntimeError(f"event bus {bus_arn} is not one of the emulated organization's accounts")
        unit.events.receive(event)

    def import_findings(self, unit: EmulatedAccount, findings: list[dict]) -> None:
        """A provider (Prowler) imports findings into the member's hub; aggregation delivers them to the
        security account's hub in the bridge's region, with their own account and region."""
        findings = [{**f, "Region": unit.region} for f in findings]
        with self.acting_as(unit):
            unit.security_hub.import_findings(findings)
        with self.acting_as(self.security):
            self.security.security_hub.import_findings(findings)

    def settle(self, max_rounds: int = 10_000) -> None:
        """Run every account's queued executions and event deliveries until the whole organization is quiet."""
        for _ in range(max_rounds):
            busy = False
            for unit in self.units.values():
                with self.acting_as(unit):
                    busy = unit.step() or busy
            if not busy:
                return
        raise RuntimeError("the emulated organization did not settle (event loop?)")

    def failure_messages(self) -> list[dict]:
        """What the bridge queued centrally (its failure queue in the security account), without consuming it."""
        bridge = self.security.lambdas.functions[self.bridge_function_id()]
        with self.acting_as(self.security):
            sqs = boto3.client("sqs")
            response = sqs.receive_message(
                QueueUrl=bridge.environment["FAILURE_QUEUE_URL"], MaxNumberOfMessages=10, VisibilityTimeout=0
            )
        return [json.loads(m["Body"]) for m in response.get("Messages", [])]

    def bridge_function_id(self) -> str:
        return next(k for k, f in self.security.lambdas.functions.items() if f.handler.startswith("prowler_bridge."))

    def executions(self) -> Iterator[tuple[EmulatedAccount, str, str]]:
        """(unit, execution id, document) of every automation execution started in any member."""
        for unit in self.members():
            for execution_id, document, _parameters in unit.ssm.started:
                yield unit, execution_id, document

    def close(self) -> None:
        """Take the hooks off boto3's sessions (the emulated services stop answering)."""
        self.router.uninstall()

    def __enter__(self) -> EmulatedOrganization:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
