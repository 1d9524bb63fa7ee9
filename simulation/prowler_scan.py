"""Run the real, pinned Prowler against a local moto server and return its findings (AWS Security Finding Format).

    findings = run_prowler(endpoint_url, checks_from_catalogue(), tmp_path)

Prowler pins boto3/botocore (1.40.61), so it lives in its own virtual environment, `.venv-prowler`
(`make prowler-venv`, pinned by simulation/prowler-requirements.txt), and runs as a subprocess with:
- `AWS_ENDPOINT_URL` = the moto server (refused unless it is 127.0.0.1 / localhost) and dummy credentials; shared
  AWS config and credential files disabled, instance metadata disabled;
- the DNS shim (simulation/dns_shim/sitecustomize.py) on PYTHONPATH in local-only mode: `*.127.0.0.1` resolves to
  the emulator (S3 Control host prefix) and every non-local name fails to resolve, so Prowler reaches no network
  beyond the endpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from simulation.moto_server import DNS_SHIM_DIR

REPO_ROOT = Path(__file__).resolve().parent.parent
PROWLER_VENV = REPO_ROOT / ".venv-prowler"
PROWLER_BIN = PROWLER_VENV / "bin" / "prowler"
OUTPUT_FILENAME = "prowler"
ASFF_SUFFIX = ".asff.json"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# Exit code 3 means "failed findings exist"; -z/--ignore-exit-code-3 turns it into 0.
PROWLER_FLAGS = (
    "--output-formats",
    "json-asff",
    "--ignore-exit-code-3",
    "--no-banner",
    "--no-color",
)
TIMEOUT_SECONDS = 600


class ProwlerError(RuntimeError):
    """Prowler could not run, exited with an error, or wrote no readable ASFF file."""


def prowler_available(prowler_bin: Path | None = None) -> bool:
    """True if the Prowler virtual environment is installed (`make prowler-venv`)."""
    path = Path(prowler_bin) if prowler_bin else PROWLER_BIN
    return path.is_file() and os.access(path, os.X_OK)


def checks_from_catalogue(catalogue: object | None = None) -> list[str]:
    """Every catalogue control's current Prowler check ids (not the legacy v2 ids), in catalogue order, unique."""
    if catalogue is None:
        from catalogue import load_catalogue

        catalogue = load_catalogue()
    checks: list[str] = []
    for control in catalogue.controls:  # type: ignore[attr-defined]
        checks.extend(c for c in control.prowler_checks if c not in checks)
    return checks


def prowler_environment(
    endpoint_url: str, region: str = "us-east-1", credentials: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The subprocess environment: emulator endpoint, dummy credentials, DNS shim, nothing inherited from AWS_*.

    credentials: STS-style {AccessKeyId, SecretAccessKey, SessionToken} (simulation.moto_server.account_credentials
    gives them for another emulated account); default: moto's default account.
    """
    _require_local(endpoint_url)
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TERM", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # a dummy credential for the emulator
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPATH": str(DNS_SHIM_DIR),
            "REMEDY_DNS_SHIM_LOCAL_ONLY": "1",
            "NO_PROXY": "*",
            "PYTHONWARNINGS": "ignore",
        }
    )
    if credentials:
        env["AWS_ACCESS_KEY_ID"] = credentials["AccessKeyId"]
        env["AWS_SECRET_ACCESS_KEY"] = credentials["SecretAccessKey"]
        env["AWS_SESSION_TOKEN"] = credentials.get("SessionToken", "testing")
    return env


def prowler_command(
    checks: Sequence[str], output_dir: Path, region: str = "us-east-1", prowler_bin: Path | None = None
) -> list[str]:
    """The Prowler command line (see PROWLER_FLAGS)."""
    return [
        str(prowler_bin or PROWLER_BIN),
        "aws",
        "--checks",
        *checks,
        "--region",
        region,
        *PROWLER_FLAGS,
        "--output-directory",
        str(output_dir),
        "--output-filename",
        OUTPUT_FILENAME,
    ]


def run_prowler(
    endpoint_url: str,
    checks: Iterable[str],
    output_dir: Path,
    region: str = "us-east-1",
    prowler_bin: Path | None = None,
    credentials: Mapping[str, str] | None = None,
) -> list[dict]:
    """Run Prowler's `checks` against the moto server at `endpoint_url`; return its ASFF findings (one per resource).

    credentials: scan another emulated account (see prowler_environment). Runs are independent processes: several
    may run at once against one server (e.g. in threads), one account each.

    Raises ProwlerError (with the tail of Prowler's output) if Prowler is missing, fails, or writes no ASFF file.
    """
    checks = list(checks)
    if not checks:
        raise ValueError("run_prowler needs at least one check id")
    prowler_bin = Path(prowler_bin) if prowler_bin else PROWLER_BIN
    if not prowler_available(prowler_bin):
        raise ProwlerError(f"Prowler is not installed at {prowler_bin}: run `make prowler-venv`")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    asff_file = output_dir / f"{OUTPUT_FILENAME}{ASFF_SUFFIX}"
    asff_file.unlink(missing_ok=True)

    command = prowler_command(checks, output_dir, region, prowler_bin)
    started = time.monotonic()
    try:
        result = subprocess.run(  # noqa: S603 (a fixed command line, no shell)
            command,
            env=prowler_environment(endpoint_url, region, credentials),
            cwd=output_dir,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        raise ProwlerError(f"Prowler did not finish within {TIMEOUT_SECONDS} s: {' '.join(command)}") from expired
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise ProwlerError(
            f"Prowler exited with code {result.returncode} after {elapsed:.1f} s: {' '.join(command)}\n"
            f"--- stderr (tail) ---\n{_tail(result.stderr)}\n--- stdout (tail) ---\n{_tail(result.stdout)}"
        )
    if not asff_file.is_file():
        # Prowler writes no file when no check produced a finding.
        raise ProwlerError(
            f"Prowler wrote no {asff_file.name} in {output_dir} (no findings?)\n"
            f"--- stderr (tail) ---\n{_tail(result.stderr)}\n--- stdout (tail) ---\n{_tail(result.stdout)}"
        )
    try:
        findings = json.loads(asff_file.read_text() or "[]")
    except json.JSONDecodeError as problem:
        raise ProwlerError(f"{asff_file} is not valid JSON: {problem}") from problem
    if not isinstance(findings, list):
        raise ProwlerError(f"{asff_file}: expected a JSON list of ASFF findings")
    return findings


def check_id(finding: dict) -> str:
    """The Prowler check id of an ASFF finding (its GeneratorId is `prowler-<check_id>`)."""
    generator = finding.get("GeneratorId", "")
    return generator.removeprefix("prowler-")


def _require_local(endpoint_url: str) -> None:
    host = urlsplit(endpoint_url).hostname or ""
    if host not in LOCAL_HOSTS:
        raise ValueError(f"refusing to run Prowler against {endpoint_url!r}: only a local emulator (127.0.0.1)")


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])
