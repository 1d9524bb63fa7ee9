"""Resource id resolvers: from a finding's resource ARN to the id AWS Config and the runbooks use.

What each resource type needs is declared in the registry (resource_types/, shipped in the bridge's asset): a
static `parse` step (ARN -> key, no AWS call, raises MalformedArnError) that the bridge runs before it claims or
changes anything, and an optional `lookup` step (key -> resource id) for types whose AWS Config id is not in the
ARN. Types the registry does not declare use the DEFAULT: the last segment of the ARN's resource part after '/'
or ':' (the catalogue's types are all declared; tests/resource_types/ checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import resource_types
from resource_types.arn import (
    Arn,
    ClientFactory,
    MalformedArnError,
    ResourceNotFoundError,
    finding_arn,
    last_segment,
    parse_arn,
)

# The bridge's modules import the ARN vocabulary from here.
__all__ = [
    "Arn",
    "ClientFactory",
    "MalformedArnError",
    "Resolver",
    "ResourceNotFoundError",
    "finding_arn",
    "needs_lookup",
    "parse_arn",
    "register",
    "resolve_resource_id",
    "resource_key",
]


@dataclass(frozen=True)
class Resolver:
    """How to get the AWS Config resource id of one resource type from its ARN."""

    parse: Callable[[Arn], str]  # static; raises MalformedArnError
    lookup: Callable[[str, ClientFactory], str] | None = None  # API call(s) in the finding's account


RESOLVERS: dict[str, Resolver] = {t.config_type: Resolver(t.parse, t.lookup) for t in resource_types.all_types()}
DEFAULT_RESOLVER = Resolver(last_segment)


def register(resource_type: str, parse: Callable[[Arn], str], lookup: Callable[..., str] | None = None) -> None:
    """Add or replace the resolver for an AWS Config resource type (the registry's types are registered on import)."""
    RESOLVERS[resource_type] = Resolver(parse, lookup)


def resource_key(arn: Arn, resource_type: str) -> str:
    """The static part of resolving: validates the ARN for `resource_type`, no AWS call."""
    return RESOLVERS.get(resource_type, DEFAULT_RESOLVER).parse(arn)


def needs_lookup(resource_type: str) -> bool:
    """Whether resolving `resource_type` calls an AWS API (after the static parse)."""
    return RESOLVERS.get(resource_type, DEFAULT_RESOLVER).lookup is not None


def resolve_resource_id(arn: Arn | str, resource_type: str, client: ClientFactory) -> str:
    """The AWS Config resource id of the resource `arn` names (with the type's lookup call, if it has one)."""
    parsed = arn if isinstance(arn, Arn) else parse_arn(arn)
    resolver = RESOLVERS.get(resource_type, DEFAULT_RESOLVER)
    key = resolver.parse(parsed)
    return resolver.lookup(key, client) if resolver.lookup else key
