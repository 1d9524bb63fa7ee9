"""A local moto server (an emulated AWS account over HTTP) for tools that run in their own process, such as Prowler.

    server, endpoint_url = start_moto_server()      # http://127.0.0.1:<free port>
    ...                                               # boto3.client("s3", endpoint_url=endpoint_url)
    stop_moto_server(server)

    with moto_server() as endpoint_url:
        ...

The server listens on 127.0.0.1 only and runs in a thread of this process, so its state lives in moto's in-process
backends: tests can adjust what the API cannot set (for example an access key's creation date,
`set_access_key_create_date`). Call `reset_moto_backends()` between scenarios if a server is shared.
`account_credentials(endpoint_url, account_id)` gives credentials for a second emulated account on the same server.

S3 Control and host prefixes
----------------------------
For S3 Control calls (get_public_access_block of the account, ...) botocore puts the account id in front of the
endpoint's host name: `http://127.0.0.1:5055` becomes `http://123456789012.127.0.0.1:5055`. That name does not resolve,
and `inject_host_prefix=False` is a client setting a program we do not control (Prowler) never sets. Likewise a
`localhost` endpoint with virtual-host addressing asks for `<bucket>.localhost`. The DNS shim in
simulation/dns_shim/sitecustomize.py makes `*.127.0.0.1` and `*.localhost` resolve to 127.0.0.1:
- in a subprocess: put `DNS_SHIM_DIR` on PYTHONPATH (simulation/prowler_scan.py does);
- in this process: `install_dns_shim()`.
moto's dispatcher finds the service from the request's signature, so the prefixed host reaches the right backend.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from simulation.dns_shim import sitecustomize as _dns_shim

HOST = "127.0.0.1"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
DNS_SHIM_DIR = Path(_dns_shim.__file__).resolve().parent


def install_dns_shim(local_only: bool = False) -> None:
    """Resolve `*.127.0.0.1` / `*.localhost` to 127.0.0.1 in this process (idempotent).

    local_only=True also refuses to resolve any other name (no network beyond the emulator).
    """
    _dns_shim.install(local_only=local_only)


def start_moto_server(port: int = 0):  # noqa: ANN201 (moto's ThreadedMotoServer, imported lazily)
    """Start a moto server on 127.0.0.1 (port 0: a free port); return (server, endpoint_url)."""
    # Skip moto's ~1,300 default AMIs/snapshots unless the caller decided otherwise.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with warnings.catch_warnings():  # "install moto[server]": flask and flask-cors are what it needs here
        warnings.simplefilter("ignore", UserWarning)
        from moto.server import ThreadedMotoServer

    # werkzeug logs every request on stderr; keep errors only.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    return server, f"http://{host}:{bound_port}"


def stop_moto_server(server) -> None:  # noqa: ANN001
    """Stop a server started by start_moto_server (its backends keep their state until reset)."""
    server.stop()


stop = stop_moto_server


@contextlib.contextmanager
def moto_server(port: int = 0, reset: bool = True) -> Iterator[str]:
    """Run a moto server for the block and yield its endpoint URL; reset moto's backends afterwards."""
    server, endpoint_url = start_moto_server(port)
    try:
        yield endpoint_url
    finally:
        stop_moto_server(server)
        if reset:
            reset_moto_backends()


def reset_moto_backends() -> None:
    """Forget every emulated resource (all services, accounts and regions)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def set_access_key_create_date(
    user_name: str,
    access_key_id: str,
    create_date: datetime.datetime,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> None:
    """Backdate (or move) an IAM access key's creation date in the in-process moto backend.

    The IAM API cannot set it; the credential report's `access_key_N_last_rotated` is read from it.
    """
    from moto.iam.models import iam_backends

    user = iam_backends[account_id]["global"].get_user(user_name)
    for key in user.access_keys:
        if key.access_key_id == access_key_id:
            # moto stores naive UTC datetimes.
            if create_date.tzinfo is not None:
                create_date = create_date.astimezone(datetime.UTC).replace(tzinfo=None)
            key.create_date = create_date
            return
    raise KeyError(f"user {user_name!r} has no access key {access_key_id!r}")


def account_credentials(endpoint_url: str, account_id: str, role_name: str = "remedy-simulation") -> dict[str, str]:
    """STS credentials (AccessKeyId, SecretAccessKey, SessionToken) that moto maps to another emulated account.

    moto attributes every call made with an assumed role's credentials to the role's account, so one server can
    hold several accounts (one account-level setting each, such as the password policy).
    """
    import boto3

    sts = boto3.client(
        "sts",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (a dummy credential for the emulator)
    )
    role_arn = f"arn:aws:iam::{account_id}:role/{role_name}"
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="remedy-simulation")["Credentials"]
    return {name: credentials[name] for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
