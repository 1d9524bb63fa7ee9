"""The resource-type registry: everything Remedy knows about one AWS resource type, declared in one place.

Each subpackage (resource_types/<name>/) declares one type in its `__init__.py` as `RESOURCE_TYPE`: its AWS
Config type and ASFF/OCSF names, how an ARN becomes the AWS Config resource id (a static parse, then an optional
lookup call with the IAM actions it needs) and back. Its `simulation.py` builds the configuration items the
emulated AWS Config records and holds demo seed helpers. Subpackages are found on import: adding a type adds a
folder and edits nothing else.

The identity part (this file, arn.py, each `__init__.py`) is standard library and botocore only: the bridge's
Lambda asset ships it, without the `simulation.py` files (infra/bridge_resources.py).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from resource_types.arn import Arn, ClientFactory, MalformedArnError, parse_arn


class UnknownResourceTypeError(LookupError):
    """No subpackage of resource_types/ declares this AWS Config resource type."""


@dataclass(frozen=True)
class LookupGrant:
    """IAM actions a lookup calls, on resources given as ARN templates with {partition} and {account}."""

    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class IamScope:
    """Actions on this type that take resource-level permissions (per the Service Authorization Reference,
    https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
    the ARN templates ({partition}, {region}, {account}) a runbook role is granted them on, and any condition.
    An action the runbooks call that no type scopes is granted on "*" (infra/runbooks.py)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: dict | None = None


@dataclass(frozen=True)
class ResourceType:
    """One AWS resource type: its names and how its ARN maps to its AWS Config resource id.

    `parse` (ARN -> key, no AWS call, raises MalformedArnError) runs before the bridge claims anything;
    `lookup` (key, client factory -> resource id) runs only for types whose Config id is not in the ARN, with
    the calls `lookup_grants` allow. `to_arn(key, partition=, region=, account=)` is the way back from a key.
    """

    config_type: str
    asff_type: str
    ocsf_type: str
    parse: Callable[[Arn], str]
    to_arn: Callable[..., str]
    lookup: Callable[[str, ClientFactory], str] | None = None
    lookup_grants: tuple[LookupGrant, ...] = ()
    iam_scopes: tuple[IamScope, ...] = ()
    package: str = field(default="", compare=False)

    def key(self, arn: Arn | str) -> str:
        """The static part of resolving: validates the ARN for this type, no AWS call."""
        return self.parse(arn if isinstance(arn, Arn) else parse_arn(arn))

    def resource_id(self, arn: Arn | str, client: ClientFactory) -> str:
        """The AWS Config resource id of the resource `arn` names (with the lookup call, if the type has one)."""
        key = self.key(arn)
        return self.lookup(key, client) if self.lookup else key

    def simulation(self) -> ModuleType:
        """The type's simulation module (configuration items, demo seed helpers); not in the bridge's asset."""
        return importlib.import_module(f"{self.package}.simulation")


def _discover() -> dict[str, ResourceType]:
    found: dict[str, ResourceType] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.ispkg:
            continue
        package = f"{__name__}.{module.name}"
        declared: ResourceType = importlib.import_module(package).RESOURCE_TYPE
        if declared.config_type in found:
            raise ValueError(f"{package} declares {declared.config_type}, already declared by another package")
        found[declared.config_type] = ResourceType(**{**declared.__dict__, "package": package})
    return found


_REGISTRY = _discover()


def get(config_type: str) -> ResourceType:
    """The registered type; UnknownResourceTypeError naming the registered ones if there is none."""
    try:
        return _REGISTRY[config_type]
    except KeyError:
        raise UnknownResourceTypeError(
            f"resource type {config_type!r} is not registered: add a package under resource_types/ declaring it "
            f"(registered: {', '.join(sorted(_REGISTRY))})"
        ) from None


def registered(config_type: str) -> bool:
    """Whether a subpackage declares `config_type`."""
    return config_type in _REGISTRY


def all_types() -> tuple[ResourceType, ...]:
    """Every registered type, in package-name order."""
    return tuple(_REGISTRY.values())


def iam_scopes() -> dict[str, IamScope]:
    """IAM action -> the scope a registered type declares for it; an action two types scope is an error."""
    scopes: dict[str, IamScope] = {}
    for resource_type in _REGISTRY.values():
        for scope in resource_type.iam_scopes:
            for action in scope.actions:
                if action in scopes and scopes[action] != scope:
                    raise ValueError(f"{resource_type.package} scopes {action}, already scoped by another type")
                scopes[action] = scope
    return scopes


def of_arn(arn: str) -> ResourceType | None:
    """The registered type whose parser accepts `arn`, or None (no type, or the ARN is malformed)."""
    try:
        parsed = parse_arn(arn)
    except MalformedArnError:
        return None
    for resource_type in _REGISTRY.values():
        try:
            resource_type.parse(parsed)
        except MalformedArnError:
            continue
        return resource_type
    return None
