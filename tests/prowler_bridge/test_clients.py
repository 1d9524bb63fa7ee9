"""A warm invocation reuses the clients and the member role's credentials of earlier ones."""

from __future__ import annotations

import datetime

import boto3

from prowler_bridge import clients, handler
from tests.conftest import ACCOUNT_ID
from tests.prowler_bridge import asff
from tests.prowler_bridge.conftest import params_of


def _count_clients(monkeypatch) -> list[str]:
    """The service of every boto3 client created from now on."""
    created: list[str] = []
    real = boto3.client

    def counting(service, *args, **kwargs):
        created.append(service)
        return real(service, *args, **kwargs)

    monkeypatch.setattr(boto3, "client", counting)
    return created


def _member_finding(check: str) -> dict:
    arn = asff.password_policy_arn(asff.OTHER_ACCOUNT_ID)
    return asff.prowler_finding(check, arn, account=asff.OTHER_ACCOUNT_ID)


def test_a_second_invocation_creates_no_client_and_assumes_no_role(bridge, monkeypatch):
    monkeypatch.setenv("ALLOWED_ACCOUNTS", f"{ACCOUNT_ID},{asff.OTHER_ACCOUNT_ID}")
    created = _count_clients(monkeypatch)
    handler.lambda_handler(asff.imported_event(_member_finding("iam_password_policy_symbol")), None)
    first = len(created)
    bridge.calls.clear()

    handler.lambda_handler(asff.imported_event(_member_finding("iam_password_policy_number")), None)

    assert first > 0
    assert len(created) == first  # no new client
    assert not params_of(bridge.calls, "AssumeRole")  # the member role's credentials were reused
    assert "TransactWriteItems" in bridge.calls.operations  # the second finding was still acted on (claimed)


def test_credentials_near_their_expiry_are_renewed(bridge, monkeypatch):
    role = f"arn:aws:iam::{asff.OTHER_ACCOUNT_ID}:role/remedy/remedy-bridge-member-us-east-1"
    clients.assumed_credentials(role, "test")
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=clients.CREDENTIALS_MARGIN_SECONDS - 1)
    held = clients._current()["credentials"]
    held[role] = (held[role][0], soon.timestamp())
    bridge.calls.clear()

    clients.assumed_credentials(role, "test")

    assert len(params_of(bridge.calls, "AssumeRole")) == 1


def test_a_new_default_session_starts_with_no_cached_client(bridge):
    first = clients.client("sns")
    assert clients.client("sns") is first

    boto3.setup_default_session()

    assert clients.client("sns") is not first
