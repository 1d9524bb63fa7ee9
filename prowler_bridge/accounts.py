"""boto3 clients in a finding's account and region: the bridge's own credentials, or an assumed member role.

The same account as the bridge: its own credentials. Another in-scope account: sts:AssumeRole into the
member role of the finding's region there (MEMBER_ROLE_NAME, a template with {region}, on the IAM path
MEMBER_ROLE_PATH). Clients and assumed credentials are reused across invocations (clients.py).
"""

from __future__ import annotations

from typing import Any

from prowler_bridge.clients import assumed_credentials, client
from prowler_bridge.resources import ClientFactory
from prowler_bridge.settings import DEFAULT_MEMBER_ROLE_PATH, own_account

SESSION_NAME = "remedy-bridge"


class AccountClients:
    """Hands out client factories per (account, region)."""

    def __init__(self, member_role_name: str, partition: str, member_role_path: str = DEFAULT_MEMBER_ROLE_PATH) -> None:
        self.member_role_name = member_role_name
        self.member_role_path = member_role_path  # "/" or "/.../": the ARN holds it between "role" and the name
        self.partition = partition

    def member_role_arn(self, account: str, region: str) -> str:
        """The role the bridge assumes in another account, the one the member stack of `region` created."""
        name = self.member_role_name.format(region=region)
        return f"arn:{self.partition}:iam::{account}:role{self.member_role_path}{name}"

    def factory(self, account: str, region: str) -> ClientFactory:
        """client(service) in `account` and `region`; assumes the member role lazily, on the first client."""

        def account_client(service: str) -> Any:
            if account == own_account():
                return client(service, region)
            return client(service, region, assumed_credentials(self.member_role_arn(account, region), SESSION_NAME))

        return account_client
