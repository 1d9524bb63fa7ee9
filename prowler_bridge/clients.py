"""boto3 clients and assumed-role credentials kept for the Lambda execution environment's lifetime.

Creating a client loads botocore's service model (milliseconds of CPU and memory each time); a warm Lambda
invocation reuses the clients of earlier ones instead. Clients belong to boto3's default session: when that
session is replaced (tests install a fresh one per test), everything cached here is dropped with it.
Assumed-role credentials are reused while they have more than CREDENTIALS_MARGIN_SECONDS left, more than any
invocation can run (the bridge's timeout is 60 s), so no call is made with credentials about to expire.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

import boto3

# An assumed role's credentials are asked for this long; AWS's minimum is 900 s:
# https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
ASSUME_ROLE_SECONDS = 900
CREDENTIALS_MARGIN_SECONDS = 300
MAX_CLIENTS = 256  # a bound for an environment that serves many accounts; past it the cache starts again

_cache: dict[str, Any] = {"session": None, "clients": {}, "credentials": {}}


def _current() -> dict[str, Any]:
    """The cache of boto3's current default session (emptied when the session changed)."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    if _cache["session"] is not boto3.DEFAULT_SESSION:
        _cache.update(session=boto3.DEFAULT_SESSION, clients={}, credentials={})
    return _cache


def client(service: str, region: str | None = None, credentials: dict[str, str] | None = None) -> Any:
    """A client of `service` in `region` (default: the environment's), with `credentials` if given; reused."""
    cache = _current()
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    key = (service, region, (credentials or {}).get("aws_access_key_id", ""))
    if key not in cache["clients"]:
        if len(cache["clients"]) >= MAX_CLIENTS:
            cache["clients"].clear()
        cache["clients"][key] = boto3.client(service, region_name=region, **(credentials or {}))
    return cache["clients"][key]


def assumed_credentials(role_arn: str, session_name: str) -> dict[str, str]:
    """Credentials of `role_arn` (sts:AssumeRole), reused until CREDENTIALS_MARGIN_SECONDS before they expire."""
    cache = _current()["credentials"]
    held = cache.get(role_arn)
    if held is None or held[1] - time.time() < CREDENTIALS_MARGIN_SECONDS:
        response = client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=ASSUME_ROLE_SECONDS
        )
        credentials = response["Credentials"]
        held = (
            {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            },
            _expiry(credentials.get("Expiration")),
        )
        cache[role_arn] = held
    return held[0]


def _expiry(value: object) -> float:
    """Expiration as epoch seconds (boto3 gives a datetime); unknown: as if just issued for ASSUME_ROLE_SECONDS."""
    if isinstance(value, datetime):
        return value.timestamp()
    return time.time() + ASSUME_ROLE_SECONDS


def reset() -> None:
    """Forget every client and credential (tests; a new deployment)."""
    _cache.update(session=None, clients={}, credentials={})
