"""The bridge's configuration: bridge_config.json (derived from the catalogue at synth) and environment.

bridge_config.json sits next to handler.py inside the Lambda asset (BRIDGE_CONFIG_PATH overrides it).
It is never a hand-kept table: infra/bridge_config.py writes it from catalogue/controls.yaml. A file that
does not have the expected shape fails loudly here, before any AWS call.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import boto3
import botocore.exceptions

from prowler_bridge.clients import client
from prowler_bridge.clients import reset as reset_clients

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "bridge_config.json"
CONFIG_VERSION = 1
# The member role's name in each account; one per region, as the member stack deploys once per region.
DEFAULT_MEMBER_ROLE_NAME = "remedy-bridge-member-{region}"
# Its IAM path: the stack sets remedy:rolePath, else /<prefix>/ (infra/bridge_config.py bridge_role_path).
DEFAULT_MEMBER_ROLE_PATH = "/remedy/"
# IAM's rule for a path (CreateRole); role_path_problem also refuses '*', '?' and '$' (wildcards, variables).
IAM_PATH = re.compile(r"^/(?:[\x21-\x7E]+/)?$")
IAM_PATH_MAX = 512
ACCOUNT_ID = re.compile(r"^\d{12}$")
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
DEFAULT_LEDGER_TTL_HOURS = 24
# Security Hub's custom action ids: up to 20 alphanumeric characters (infra/bridge_resources.py action_target_id).
ACTION_TARGET_ID = re.compile(r"^[A-Za-z0-9]{1,20}$")
# Mappings of bridge_config.json from a finding's identifier to a control id: name -> what the keys are.
_ROUTE_MAPS = {
    "checks": "Prowler check ids",
    "security_controls": "Security Hub security control ids",
    "standard_controls": "Security Hub standard control generator ids",
}
_CONTROL_FIELDS = {
    "document": str,
    "runbook_role_name": str,
    "runbook_role_path": str,
    "config_rule": str,
    "automatic": bool,
    "resource_type": str,
    "resource_parameter": str,
    "parameters": dict,
    "home_region_only": bool,
}


class ConfigurationError(ValueError):
    """bridge_config.json or an environment variable is missing or malformed."""


def role_path_problem(path: object) -> str | None:
    """Why `path` is not an IAM role path the bridge can put in an ARN verbatim; None if it is one."""
    if not isinstance(path, str) or not (path.startswith("/") and path.endswith("/")):
        return "must start and end with '/'"
    if not IAM_PATH.match(path) or len(path) > IAM_PATH_MAX:
        return f"must be printable ASCII without spaces, at most {IAM_PATH_MAX} characters"
    if set(path) & set("*?$"):
        return "must not contain '*', '?' or '$'"
    return None


@dataclass(frozen=True)
class DeployedControl:
    """One catalogue control as deployed, as the bridge sees it: its AWS Config rule, SSM Automation document and
    runbook IAM role (an entry of bridge_config.json "controls")."""

    id: str
    document: str
    runbook_role_name: str
    runbook_role_path: str
    config_rule: str
    automatic: bool
    resource_type: str
    resource_parameter: str
    parameters: dict[str, str]
    home_region_only: bool

    def role_name(self, region: str) -> str:
        """The runbook's role name in `region` (one deployment per region)."""
        return self.runbook_role_name.format(region=region)

    def role_arn(self, partition: str, account: str, region: str) -> str:
        """The runbook's role in `account` and `region`, on the IAM path all runbook roles share."""
        return f"arn:{partition}:iam::{account}:role{self.runbook_role_path}{self.role_name(region)}"


@dataclass(frozen=True)
class BridgeConfig:
    """bridge_config.json, validated."""

    prefix: str
    exclusion_tag_key: str
    checks: dict[str, str]
    controls: dict[str, DeployedControl]
    home_region: str | None = None
    # Security Hub CSPM control findings: Compliance.SecurityControlId (e.g. S3.8) -> control id, and for findings
    # of one standard (consolidated control findings off) their GeneratorId (<standard path>/<id>) -> control id.
    security_controls: dict[str, str] = field(default_factory=dict)
    standard_controls: dict[str, str] = field(default_factory=dict)
    action_target_id: str = ""  # this deployment's "Remediate" custom action (Security Hub ActionTarget id)

    def run_region(self, control: DeployedControl, finding_region: str) -> str:
        """Where to remediate: the home region for a control of account-global resources, if one is set."""
        return self.home_region if control.home_region_only and self.home_region else finding_region

    def control_for_check(self, check_id: str) -> DeployedControl | None:
        """The control a Prowler check id (current or legacy) maps to, if any."""
        control_id = self.checks.get(check_id)
        return self.controls.get(control_id) if control_id else None

    def control_for_security_control(self, security_control_id: str) -> DeployedControl | None:
        """The control a Security Hub security control id (e.g. S3.8) maps to, if any."""
        control_id = self.security_controls.get(security_control_id)
        return self.controls.get(control_id) if control_id else None

    def control_for_standard_control(self, generator_id: str) -> DeployedControl | None:
        """The control a per-standard control finding's GeneratorId maps to, if any."""
        control_id = self.standard_controls.get(generator_id)
        return self.controls.get(control_id) if control_id else None

    def control_for_rule(self, rule_name: str) -> DeployedControl | None:
        """The control whose (prefixed) AWS Config rule is `rule_name`, if it is one of ours."""
        return next((c for c in self.controls.values() if c.config_rule == rule_name), None)

    def controls_for_document(self, document: str) -> list[DeployedControl]:
        """Controls remediated by SSM document `document` (empty if it is not one of ours)."""
        return [c for c in self.controls.values() if c.document == document]


@dataclass(frozen=True)
class Settings:
    """The environment the stack sets on the bridge Lambda."""

    ledger_table: str
    failure_topic_arn: str
    failure_queue_url: str
    allowed_accounts: frozenset[str]  # empty: only the Lambda's own account (unless organization_id)
    allowed_regions: frozenset[str]
    member_role_name: str  # a template with {region}
    ledger_ttl_hours: int
    region: str
    organization_id: str = ""  # set: every account of this organization is in scope
    member_role_path: str = DEFAULT_MEMBER_ROLE_PATH  # the member roles' IAM path, part of their ARN
    audit_bucket: str = ""  # the S3 bucket of the audit records (audit.py); load_settings requires it


@dataclass(frozen=True)
class OrganizationAccounts:
    """Every account of the organization: the bridge role may assume member roles only where the role's
    account belongs to it (aws:ResourceOrgID in its policy), so no account list is needed or kept."""

    organization_id: str

    def __contains__(self, account: object) -> bool:
        return isinstance(account, str) and ACCOUNT_ID.match(account) is not None


def parse_bridge_config(raw: object, source: str = "bridge_config.json") -> BridgeConfig:
    """Validate the parsed JSON and return it typed; ConfigurationError names the bad field."""

    def fail(message: str) -> ConfigurationError:
        return ConfigurationError(f"{source}: {message}")

    if not isinstance(raw, dict):
        raise fail("expected a JSON object")
    if raw.get("version") != CONFIG_VERSION:
        raise fail(f"'version' must be {CONFIG_VERSION}; got {raw.get('version')!r}")
    for key in ("prefix", "exclusion_tag_key"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise fail(f"'{key}' must be a non-empty string")
    routes = {name: raw.get(name) for name in _ROUTE_MAPS}
    for name, keys in _ROUTE_MAPS.items():
        value = routes[name]
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise fail(f"'{name}' must map {keys} to control ids")
    action_target = raw.get("action_target_id")
    if not isinstance(action_target, str) or not ACTION_TARGET_ID.match(action_target):
        raise fail(f"'action_target_id' must be 1-20 letters and digits; got {action_target!r}")
    controls_raw = raw.get("controls")
    if not isinstance(controls_raw, dict):
        raise fail("'controls' must be an object keyed by control id")
    controls = {}
    for control_id, entry in controls_raw.items():
        if not isinstance(entry, dict):
            raise fail(f"controls.{control_id} must be an object")
        for field_name, kind in _CONTROL_FIELDS.items():
            if not isinstance(entry.get(field_name), kind):
                raise fail(f"controls.{control_id}.{field_name} must be a {kind.__name__}")
        if "{region}" not in entry["runbook_role_name"]:
            raise fail(f"controls.{control_id}.runbook_role_name must contain '{{region}}'")
        problem = role_path_problem(entry["runbook_role_path"])
        if problem:
            raise fail(f"controls.{control_id}.runbook_role_path {problem}; got {entry['runbook_role_path']!r}")
        controls[control_id] = DeployedControl(id=control_id, **{name: entry[name] for name in _CONTROL_FIELDS})
    for name, mapping in routes.items():
        unknown = sorted({v for v in mapping.values() if v not in controls})
        if unknown:
            raise fail(f"'{name}' maps to unknown control(s) {unknown}")
    home_region = raw.get("home_region")
    if home_region is not None and not (isinstance(home_region, str) and home_region):
        raise fail("'home_region' must be a region name or null")
    return BridgeConfig(
        raw["prefix"],
        raw["exclusion_tag_key"],
        dict(routes["checks"]),
        controls,
        home_region,
        security_controls=dict(routes["security_controls"]),
        standard_controls=dict(routes["standard_controls"]),
        action_target_id=action_target,
    )


@lru_cache(maxsize=8)
def _load_config_file(path: str) -> BridgeConfig:
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as problem:
        raise ConfigurationError(f"cannot read bridge configuration {path}: {problem}") from problem
    return parse_bridge_config(raw, path)


def load_bridge_config(environ: Mapping[str, str] | None = None) -> BridgeConfig:
    """bridge_config.json from BRIDGE_CONFIG_PATH or beside handler.py (cached per path)."""
    environ = os.environ if environ is None else environ
    return _load_config_file(environ.get("BRIDGE_CONFIG_PATH") or str(DEFAULT_CONFIG_PATH))


def _csv(value: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the environment; a missing required variable is a ConfigurationError naming it."""
    environ = os.environ if environ is None else environ
    missing = [
        name
        for name in ("LEDGER_TABLE", "FAILURE_TOPIC_ARN", "FAILURE_QUEUE_URL", "AUDIT_BUCKET")
        if not environ.get(name)
    ]
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or ""
    if not region:
        missing.append("AWS_REGION")
    if missing:
        raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}")
    ttl_text = environ.get("LEDGER_TTL_HOURS") or str(DEFAULT_LEDGER_TTL_HOURS)
    if not ttl_text.strip().isdigit() or int(ttl_text) < 1:
        raise ConfigurationError(f"LEDGER_TTL_HOURS must be a whole number of hours >= 1; got {ttl_text!r}")
    accounts = _csv(environ.get("ALLOWED_ACCOUNTS"))
    bad = sorted(a for a in accounts if not (len(a) == 12 and a.isdigit()))
    if bad:
        raise ConfigurationError(f"ALLOWED_ACCOUNTS must list 12-digit account ids; got {bad}")
    organization = environ.get("ORGANIZATION_ID") or ""
    if organization and not ORGANIZATION_ID.match(organization):
        raise ConfigurationError(f"ORGANIZATION_ID must look like o-exampleorgid; got {organization!r}")
    member_role = environ.get("MEMBER_ROLE_NAME") or DEFAULT_MEMBER_ROLE_NAME
    if "{region}" not in member_role:
        raise ConfigurationError(
            f"MEMBER_ROLE_NAME must contain '{{region}}' (one role per region); got {member_role!r}"
        )
    member_role_path = member_role_path_setting(environ)
    return Settings(
        ledger_table=environ["LEDGER_TABLE"],
        failure_topic_arn=environ["FAILURE_TOPIC_ARN"],
        failure_queue_url=environ["FAILURE_QUEUE_URL"],
        allowed_accounts=accounts,
        allowed_regions=_csv(environ.get("ALLOWED_REGIONS")) or frozenset({region}),
        member_role_name=member_role,
        ledger_ttl_hours=int(ttl_text),
        region=region,
        organization_id=organization,
        member_role_path=member_role_path,
        audit_bucket=environ["AUDIT_BUCKET"],
    )


def member_role_path_setting(environ: Mapping[str, str]) -> str:
    """MEMBER_ROLE_PATH (default /remedy/), the IAM path of the member roles, validated before any AWS call."""
    path = environ.get("MEMBER_ROLE_PATH") or DEFAULT_MEMBER_ROLE_PATH
    problem = role_path_problem(path)
    if problem:
        raise ConfigurationError(f"MEMBER_ROLE_PATH {problem} (an IAM path such as /remedy/); got {path!r}")
    return path


_OWN_ACCOUNT: dict[str, str] = {}


def own_account() -> str:
    """The account the bridge runs in (sts:GetCallerIdentity, cached for the Lambda's lifetime)."""
    if "id" not in _OWN_ACCOUNT:
        _OWN_ACCOUNT["id"] = client("sts").get_caller_identity()["Account"]
    return _OWN_ACCOUNT["id"]


def allowed_accounts(settings: Settings) -> Container[str]:
    """The organization's accounts (ORGANIZATION_ID), else ALLOWED_ACCOUNTS, else only the bridge's own account."""
    if settings.organization_id:
        return OrganizationAccounts(settings.organization_id)
    return settings.allowed_accounts or frozenset({own_account()})


@lru_cache(maxsize=64)
def partition_for(region: str) -> str:
    """The AWS partition of `region` (aws, aws-cn, aws-us-gov, ...), from botocore's offline endpoint data
    (cached: building a session to ask costs more than a warm invocation's own work)."""
    try:
        return boto3.session.Session().get_partition_for_region(region)
    except botocore.exceptions.UnknownRegionError:
        return "aws"


def reset_caches() -> None:
    """Forget the cached account id, configuration, clients and credentials (tests; a new deployment)."""
    _OWN_ACCOUNT.clear()
    _load_config_file.cache_clear()
    reset_clients()
