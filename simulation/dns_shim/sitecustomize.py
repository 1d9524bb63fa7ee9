"""Resolve `*.127.0.0.1` and `*.localhost` to 127.0.0.1 (a `socket.getaddrinfo` shim).

Why: against an endpoint such as `http://127.0.0.1:5055`, botocore prefixes the host name with the account id for
S3 Control calls (`123456789012.127.0.0.1:5055`, the API's `{AccountId}.` host prefix), and with virtual-host
addressing it prefixes bucket names to `localhost`. Neither name resolves through DNS. `inject_host_prefix=False`
cannot be set from the environment for a program we do not control (Prowler), so the names are resolved here.

How it is loaded:
- in a subprocess (Prowler): put this folder on PYTHONPATH; Python imports `sitecustomize` at start-up, before the
  program's code (simulation/prowler_scan.py does this);
- in-process: `simulation.moto_server.install_dns_shim()` (calls `install()` below).

With `REMEDY_DNS_SHIM_LOCAL_ONLY=1` every other name fails to resolve (socket.gaierror), so the process cannot reach
any network but the local emulator (no real AWS endpoint, no version check, no telemetry).

Standard library only: it runs inside Prowler's own virtual environment. It shadows any other `sitecustomize`
later on sys.path (none is expected in a virtual environment).
"""

from __future__ import annotations

import os
import socket

LOOPBACK = "127.0.0.1"
_LOCAL_SUFFIXES = (".127.0.0.1", ".localhost")
_LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")
LOCAL_ONLY_VARIABLE = "REMEDY_DNS_SHIM_LOCAL_ONLY"


def rewrite_host(host: object) -> object:
    """`<anything>.127.0.0.1` / `<anything>.localhost` -> `127.0.0.1`; any other host is returned unchanged."""
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    if isinstance(name, str) and name.lower().rstrip(".").endswith(_LOCAL_SUFFIXES):
        return LOOPBACK
    return host


def _is_local(host: object) -> bool:
    if host is None:
        return True
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    return name.lower().rstrip(".") in _LOCAL_NAMES or name.startswith("127.")


def install(local_only: bool | None = None) -> None:
    """Patch socket.getaddrinfo (idempotent). local_only=None reads REMEDY_DNS_SHIM_LOCAL_ONLY."""
    if local_only is None:
        local_only = os.environ.get(LOCAL_ONLY_VARIABLE, "") not in ("", "0", "false")
    original = getattr(socket.getaddrinfo, "_remedy_original", socket.getaddrinfo)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        host = rewrite_host(host)
        if local_only and not _is_local(host):
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: blocked by the Remedy DNS shim (local emulator only)")
        return original(host, *args, **kwargs)

    getaddrinfo._remedy_original = original  # type: ignore[attr-defined]
    getaddrinfo._remedy_local_only = local_only  # type: ignore[attr-defined]
    socket.getaddrinfo = getaddrinfo


if __name__ == "sitecustomize":  # imported by Python at start-up because this folder is on PYTHONPATH
    install()
