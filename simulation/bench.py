"""`make bench`: `remedy scan` against Prowler on one moto server, the same S3 bucket checks, N buckets.

    python -m simulation.bench --sizes 100 1000

For each N, one moto server (in this process) gets N buckets with a mix of compliant and non-compliant settings.
Then, each as a subprocess against that server: Prowler limited to the catalogue's Prowler checks of the S3 bucket
controls (`--checks`; Prowler refuses `--services` beside it, and these checks read the S3 service only);
`remedy scan` of those controls with the services' reads (no AWS Config recorder); and `remedy scan` again with a
recorder recording every type (AWS Config's ListDiscoveredResources and BatchGetResourceConfig). Measured: wall time
of each subprocess (start-up included, for both tools) and the HTTP requests the server received during it (a WSGI
wrapper around moto's application counts them, by the service named in the request's signature). Checked: per
control, the set of non-compliant buckets of each remedy run equals the set Prowler's check FAILED.

It lives in simulation/ beside the moto server and Prowler harness it reuses; it is not part of the `remedy` command.
Writes build/bench/results.md and results.json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from simulation.moto_server import DEFAULT_ACCOUNT_ID, DNS_SHIM_DIR, HOST, reset_moto_backends
from simulation.prowler_scan import REPO_ROOT, check_id, prowler_environment, run_prowler

REGION = "us-east-1"
RESOURCE_TYPE = "AWS::S3::Bucket"
OUTPUT_DIR = REPO_ROOT / "build" / "bench"
PROWLER = "prowler"
REMEDY_SERVICE_READS = "remedy scan (service reads)"
REMEDY_CONFIG = "remedy scan (AWS Config)"
NON_COMPLIANT, FAILED = "NON_COMPLIANT", "FAILED"
# The signature's credential scope: Credential=<key>/<date>/<region>/<service>/aws4_request
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
BPA_ALL = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
SSE_KMS = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}


# What is compared -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchControl:
    """A catalogue control and the Prowler checks the catalogue maps it to."""

    id: str
    checks: tuple[str, ...]


@dataclass
class Run:
    """One tool's run at one N: wall time, requests the server received (by service), non-compliant buckets."""

    n: int
    tool: str
    seconds: float
    requests: dict[str, int]
    non_compliant: dict[str, list[str]]  # control id -> sorted bucket names
    mismatches: dict[str, list[str]] = field(default_factory=dict)  # control id -> buckets the tools disagree on

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


def bucket_controls(catalogue: object | None = None) -> list[BenchControl]:
    """The catalogue's change-triggered controls on S3 buckets that map to Prowler checks."""
    if catalogue is None:
        from catalogue import load_catalogue

        catalogue = load_catalogue()
    return [
        BenchControl(c.id, tuple(c.prowler_checks))
        for c in catalogue.controls  # type: ignore[attr-defined]
        if c.detection.trigger == "change" and RESOURCE_TYPE in c.detection.resource_types and c.prowler_checks
    ]


def bucket_of(arn: str) -> str:
    """arn:aws:s3:::name -> name."""
    return arn.rsplit(":", 1)[-1]


def prowler_failed(findings: Iterable[dict], controls: list[BenchControl]) -> dict[str, list[str]]:
    """Per control, the buckets any of its checks FAILED (Prowler's ASFF findings)."""
    failed: dict[str, set[str]] = {c.id: set() for c in controls}
    for finding in findings:
        if finding.get("Compliance", {}).get("Status") != FAILED:
            continue
        for control in controls:
            if check_id(finding) in control.checks:
                failed[control.id] |= {bucket_of(r["Id"]) for r in finding.get("Resources", [])}
    return {control: sorted(names) for control, names in failed.items()}


def remedy_non_compliant(results: Iterable[dict], controls: list[BenchControl]) -> dict[str, list[str]]:
    """Per control, the buckets `remedy scan --format json` reported NON_COMPLIANT."""
    found: dict[str, set[str]] = {c.id: set() for c in controls}
    for result in results:
        if result["compliance"] == NON_COMPLIANT and result["control"] in found:
            found[result["control"]].add(result["resource_id"])
    return {control: sorted(names) for control, names in found.items()}


def disagreements(run: dict[str, list[str]], reference: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per control, the buckets in exactly one of the two sets (the symmetric difference), sorted."""
    return {c: sorted(set(run.get(c, [])) ^ set(reference.get(c, []))) for c in sorted(set(run) | set(reference))}


# The table --------------------------------------------------------------------------------------------------------
COLUMNS = [
    "N",
    "tool",
    "wall s",
    "API requests",
    "requests/bucket",
    "x faster than Prowler",
    "non-compliant",
    "mismatch",
]


def table_rows(runs: list[Run], controls: list[BenchControl]) -> list[list[str]]:
    """One row per run: N, tool, seconds, requests, per bucket, speed-up over Prowler at the same N, non-compliant
    buckets per control (in `controls` order), and per control the buckets the run and Prowler disagree on."""
    prowler_seconds = {run.n: run.seconds for run in runs if run.tool == PROWLER}
    rows = []
    for run in runs:
        speedup = prowler_seconds.get(run.n, 0.0) / run.seconds if run.seconds else 0.0
        rows.append(
            [
                str(run.n),
                run.tool,
                f"{run.seconds:.1f}",
                str(run.total_requests),
                f"{run.total_requests / run.n:.1f}" if run.n else "-",
                "-" if run.tool == PROWLER else f"{speedup:.1f}",
                " / ".join(str(len(run.non_compliant.get(c.id, []))) for c in controls),
                "-" if run.tool == PROWLER else " / ".join(str(len(run.mismatches.get(c.id, []))) for c in controls),
            ]
        )
    return rows


def markdown(runs: list[Run], controls: list[BenchControl], context: str) -> str:
    """The results as a Markdown table, with the controls (column order of the per-control cells) and `context`."""
    rows = [COLUMNS, ["---"] * len(COLUMNS), *table_rows(runs, controls)]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    legend = ", ".join(f"{c.id} ({'/'.join(c.checks)})" for c in controls)
    return "\n".join(
        [
            *lines,
            "",
            f"Per-control cells, in order: {legend}.",
            "Mismatch: buckets on which the run and Prowler disagree (symmetric difference of the non-compliant sets).",
            context,
            "",
        ]
    )


# The emulated account ---------------------------------------------------------------------------------------------
class RequestCounter:
    """WSGI middleware: counts the requests an application receives, by the service in their signature."""

    def __init__(self, app: Callable) -> None:
        self.app, self.counts, self._lock = app, Counter(), threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        with self._lock:
            self.counts[scope.group(1) if scope else "unsigned"] += 1
        return self.app(environ, start_response)

    def take(self) -> dict[str, int]:
        """The counts so far, then zero."""
        with self._lock:
            counts, self.counts = dict(self.counts), Counter()
        return counts


@contextmanager
def counting_moto_server() -> Iterator[tuple[str, RequestCounter]]:
    """A moto server on 127.0.0.1 (a free port) whose requests are counted: (endpoint URL, counter)."""
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    counter = RequestCounter(DomainDispatcherApplication(create_backend_app))
    server = make_server(HOST, 0, counter, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}", counter
    finally:
        server.shutdown()
        thread.join()
        reset_moto_backends()


def _client(service: str, endpoint_url: str) -> object:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (a dummy credential for the emulator)
    )


def bucket_settings(index: int) -> tuple[bool, bool, bool]:
    """(Block Public Access, SSE-KMS, TLS-only policy) of the index-th bucket: every combination occurs."""
    return index % 2 == 0, index % 3 == 0, index % 5 == 0


def seed_buckets(endpoint_url: str, n: int) -> None:
    """N buckets `bench-<i>`, settings by bucket_settings."""
    from resource_types.s3_bucket.simulation import deny_insecure_transport_policy

    s3 = _client("s3", endpoint_url)

    def seed(index: int) -> None:
        name = f"bench-{index:05d}"
        block, kms, tls = bucket_settings(index)
        s3.create_bucket(Bucket=name)
        if block:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BPA_ALL)
        if kms:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=SSE_KMS)
        if tls:
            s3.put_bucket_policy(Bucket=name, Policy=deny_insecure_transport_policy(name))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(seed, range(n)))


def set_recorder(endpoint_url: str, recording: bool) -> None:
    """Start (recording every supported type) or stop AWS Config's recorder. The delivery channel names a bucket of
    a log archive account, as in an organization, so no bucket is added to the N."""
    config = _client("config", endpoint_url)
    if not recording:
        config.stop_configuration_recorder(ConfigurationRecorderName="default")
        return
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/config-recorder",
            "recordingGroup": {"allSupported": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "log-archive-config-delivery"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


# The tools --------------------------------------------------------------------------------------------------------
def run_remedy(endpoint_url: str, controls: list[BenchControl], workdir: Path) -> list[dict]:
    """`python -m remedy_cli scan` of `controls` in a subprocess (this checkout first on its path); its results."""
    out = workdir / "remedy.json"
    env = prowler_environment(endpoint_url, REGION)  # dummy credentials, no AWS_* inherited, local names only
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), str(DNS_SHIM_DIR)])
    command = [sys.executable, "-m", "remedy_cli", "scan", "--endpoint-url", endpoint_url, "--region", REGION]
    command += ["--controls", ",".join(c.id for c in controls), "--format", "json", "-o", str(out)]
    done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"remedy scan exited with {done.returncode}:\n{done.stderr[-4000:]}")
    return json.loads(out.read_text())


def timed(counter: RequestCounter, action: Callable[[], object]) -> tuple[object, float, dict[str, int]]:
    """(what `action` returned, its wall seconds, the requests the server received meanwhile)."""
    counter.take()
    started = time.monotonic()
    value = action()
    return value, time.monotonic() - started, counter.take()


def bench(n: int, controls: list[BenchControl], log: Callable[[str], None]) -> list[Run]:
    """Prowler, remedy scan with service reads, remedy scan with AWS Config, on one server holding N buckets."""
    checks = [check for c in controls for check in c.checks]
    with counting_moto_server() as (endpoint_url, counter), tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        seed_buckets(endpoint_url, n)
        log(f"N={n}: seeded; Prowler {' '.join(checks)}")
        findings, seconds, requests = timed(counter, lambda: run_prowler(endpoint_url, checks, workdir / "prowler"))
        reference = prowler_failed(findings, controls)  # type: ignore[arg-type]
        runs = [Run(n, PROWLER, seconds, requests, reference)]
        for tool, recording in ((REMEDY_SERVICE_READS, False), (REMEDY_CONFIG, True)):
            if recording:
                set_recorder(endpoint_url, True)
            log(f"N={n}: {tool}")
            results, seconds, requests = timed(counter, lambda: run_remedy(endpoint_url, controls, workdir))
            found = remedy_non_compliant(results, controls)  # type: ignore[arg-type]
            runs.append(Run(n, tool, seconds, requests, found, disagreements(found, reference)))
    return runs


def main(argv: list[str] | None = None) -> int:
    """Run the bench for each size; print the table; write build/bench/results.md and results.json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="bucket counts (default 100 1000)")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR)
    args = parser.parse_args(argv)
    controls = bucket_controls()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    runs = [run for n in args.sizes for run in bench(n, controls, log)]
    load = os.getloadavg()
    context = (
        f"Load average at the end (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs."
    )
    text = markdown(runs, controls, context)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "results.md").write_text(text)
    payload = {"controls": [asdict(c) for c in controls], "load_average": load, "runs": [asdict(r) for r in runs]}
    (args.output_dir / "results.json").write_text(json.dumps(payload, indent=2) + "\n")
    sys.stdout.write(text)
    return 1 if any(any(r.mismatches.values()) for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
