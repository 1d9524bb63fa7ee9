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
- sts:AssumeRole's naming rules, which moto does not check: the role ARN must be an existing role's exact ARN,
  IAM path included, and a trust policy that names the caller by aws:PrincipalArn must match the bridge role's
  ARN (path included). A call from the security account stands for the bridge role, its only role that assumes.

What it cannot follow: the organization's id comes from moto's CreateOrganization and is not the one the bridge
was synthesized with (the bridge only checks its shape), and no policy is evaluated beyond the check above, so
the bridge role's aws:ResourceOrgID condition and its sts:AssumeRole resource, which confine the bridge to the
organization's member roles in AWS, are not enforced.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
from collections.abc import Iterator
from pathlib import Path

import boto3
from botocore.awsrequest import AWSResponse

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
        self._session = self.router.install()
        self._session.events.register("before-call.sts.AssumeRole", self._check_assume_role)
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
        """What the bridge queued centrally (its failure queue in the security account), without consuming it.
        Read in moto's queue itself: a failure message waits its retry delay (DelaySeconds) before SQS shows it."""
        from moto.sqs.models import sqs_backends

        bridge = self.security.lambdas.functions[self.bridge_function_id()]
        name = bridge.environment["FAILURE_QUEUE_URL"].rsplit("/", 1)[-1]
        queue = sqs_backends[self.security.account][self.security.region].get_queue(name)
        return [json.loads(message.body) for message in queue._messages]

    def _check_assume_role(self, context, **_kwargs):  # noqa: ANN001, ANN003, ANN202 - botocore hook
        """Refuse, as AWS would, an AssumeRole whose ARN is no role's (a wrong path) or whose trust does not
        name the bridge role; None lets moto answer."""
        role_arn = str(context.get("simulation_api_params", {}).get("RoleArn", ""))
        problem = self.assume_role_problem(role_arn)
        if problem is None:
            return None
        message = f"not authorized to perform sts:AssumeRole on resource {role_arn}: {problem}"
        return AWSResponse("https://simulation.invalid", 403, {}, None), {
            "Error": {"Code": "AccessDenied", "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    def assume_role_problem(self, role_arn: str) -> str | None:
        """Why the caller could not assume `role_arn` in AWS, as far as names and paths go; None if it could."""
        from moto.iam.models import iam_backends

        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
        roles = iam_backends[account]["aws"].roles.values() if account in iam_backends else []
        role = next((r for r in roles if r.arn == role_arn), None)
        if role is None:
            return "no role has this ARN (name and IAM path)"
        document = role.assume_role_policy_document
        trust = json.loads(document) if isinstance(document, str) else document
        patterns = [
            pattern
            for statement in trust.get("Statement", [])
            for pattern in _as_list(statement.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn"))
        ]
        acting = self.router.acting_for()
        if patterns and acting and acting[0] == self.security_account:
            caller = self.bridge_role_arn()
            if not any(fnmatch.fnmatchcase(caller, p) for p in patterns):
                return f"its trust policy names {patterns}, not the bridge role {caller}"
        return None

    def bridge_role_arn(self) -> str:
        """The bridge function's role, as created in the security account (its ARN holds its IAM path)."""
        function = self.security.assembly.resources[self.bridge_function_id()]
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        return self.security.assembly.physical[f"{role_id}.Arn"]

    def bridge_function_id(self) -> str:
        return next(
            k
            for k, f in self.security.lambdas.functions.items()
            if f.handler == "prowler_bridge.handler.lambda_handler"
        )

    def executions(self) -> Iterator[tuple[EmulatedAccount, str, str]]:
        """(unit, execution id, document) of every automation execution started in any member."""
        for unit in self.members():
            for execution_id, document, _parameters in unit.ssm.started:
                yield unit, execution_id, document

    def close(self) -> None:
        """Take the hooks off boto3's sessions (the emulated services stop answering)."""
        self._session.events.unregister("before-call.sts.AssumeRole", self._check_assume_role)
        self.router.uninstall()

    def __enter__(self) -> EmulatedOrganization:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _as_list(value: object) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)
