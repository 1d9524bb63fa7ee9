"""boto3 clients in a finding's account and region: the bridge's own credentials, or an assumed member role.

The same account as the bridge: its own credentials. Another in-scope account: sts:AssumeRole into the
member role of the finding's region there (MEMBER_ROLE_NAME, a template with {region}, on the IAM path
MEMBER_ROLE_PATH; credentials cached for one invocation). Clients come from boto3's default session.
"""

from __future__ import annotations

from typing import Any

import boto3

from prowler_bridge.resources import ClientFactory
from prowler_bridge.settings import DEFAULT_MEMBER_ROLE_PATH, own_account

SESSION_NAME = "remedy-bridge"


class AccountClients:
    """Hands out client factories per (account, region); one instance per invocation."""

    def __init__(self, member_role_name: str, partition: str, member_role_path: str = DEFAULT_MEMBER_ROLE_PATH) -> None:
        self.member_role_name = member_role_name
        self.member_role_path = member_role_path  # "/" or "/.../": the ARN holds it between "role" and the name
        self.partition = partition
        self._credentials: dict[str, dict[str, str]] = {}  # "<account>:<region>" -> credentials

    def member_role_arn(self, account: str, region: str) -> str:
        """The role the bridge assumes in another account, the one the member stack of `region` created."""
        name = self.member_role_name.format(region=region)
        return f"arn:{self.partition}:iam::{account}:role{self.member_role_path}{name}"

    def _assume(self, account: str, region: str) -> dict[str, str]:
        key = f"{account}:{region}"
        if key not in self._credentials:
            response = boto3.client("sts").assume_role(
                RoleArn=self.member_role_arn(account, region), RoleSessionName=SESSION_NAME, DurationSeconds=900
            )
            credentials = response["Credentials"]
            self._credentials[key] = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        return self._credentials[key]

    def factory(self, account: str, region: str) -> ClientFactory:
        """client(service) in `account` and `region`; assumes the member role lazily, on the first client."""

        def client(service: str) -> Any:
            if account == own_account():
                return boto3.client(service, region_name=region)
            return boto3.client(service, region_name=region, **self._assume(account, region))

        return client
