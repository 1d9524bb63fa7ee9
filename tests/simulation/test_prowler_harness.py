"""The Prowler harness: real, pinned Prowler (.venv-prowler) scans a moto server seeded with one compliant and one
non-compliant resource per catalogue control; every check reports the expected status for the expected ARN.

Needs `make prowler-venv`; skipped otherwise (failed in CI). Two Prowler runs at once (an account has one
password policy): every catalogue check in moto's default account (weak password policy), and the password policy
checks in a second emulated account whose policy meets the baseline.
Writes one ASFF finding per check to /tmp/prowler_asff_samples.json (a reference for prowler_bridge/).
"""

from __future__ import annotations

import datetime
import json
import socket
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest

from simulation.moto_server import account_credentials, install_dns_shim, moto_server, set_access_key_create_date
from simulation.prowler_scan import (
    ProwlerError,
    check_id,
    checks_from_catalogue,
    prowler_environment,
    run_prowler,
)
from tests.conftest import ACCOUNT_ID, REGION

SAMPLES_FILE = Path("/tmp/prowler_asff_samples.json")  # a reference copy for people, not read by tests
PASSWORD_CHECKS = [c for c in checks_from_catalogue() if c.startswith("iam_password_policy_")]
BASELINE_ACCOUNT_ID = "210987654321"
PASSWORD_POLICY_ARN = "arn:aws:iam:{region}:{account}:password-policy"
WEAK_POLICY = {"MinimumPasswordLength": 8}
BASELINE_POLICY = {
    "MinimumPasswordLength": 14,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "PasswordReusePrevention": 24,
    "MaxPasswordAge": 90,
}
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}

pytestmark = pytest.mark.prowler  # the whole module runs in `make e2e`


def _client(service: str, endpoint_url: str, credentials: dict | None = None):
    keys = {}
    if credentials:
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
    return boto3.client(service, endpoint_url=endpoint_url, region_name=REGION, **keys)


def _bucket(s3, name: str, *, block_public_access: bool, kms_key: str | None) -> str:
    s3.create_bucket(Bucket=name)
    if block_public_access:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL)
    if kms_key:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key}}
                ]
            },
        )
    return f"arn:aws:s3:::{name}"


def _seed(endpoint_url: str) -> dict[tuple[str, str], str]:
    """Create the resources; return the expected {(check id, resource ARN): Compliance.Status}."""
    s3, ec2, iam, kms = (_client(s, endpoint_url) for s in ("s3", "ec2", "iam", "kms"))
    key_arn = kms.create_key(Description="remedy-test")["KeyMetadata"]["Arn"]
    expected: dict[tuple[str, str], str] = {}

    # Each bucket is non-compliant with at most one control, so every finding has one cause.
    public = _bucket(s3, "remedy-pab-missing", block_public_access=False, kms_key=key_arn)
    blocked = _bucket(s3, "remedy-pab-on", block_public_access=True, kms_key=key_arn)
    plain = _bucket(s3, "remedy-sse-none", block_public_access=True, kms_key=None)
    kms_encrypted = _bucket(s3, "remedy-sse-kms", block_public_access=True, kms_key=key_arn)
    for arn, status in ((public, "FAILED"), (blocked, "PASSED"), (plain, "PASSED"), (kms_encrypted, "PASSED")):
        expected["s3_bucket_level_public_access_block", arn] = status
    for arn, status in ((public, "PASSED"), (blocked, "PASSED"), (plain, "FAILED"), (kms_encrypted, "PASSED")):
        expected["s3_bucket_kms_encryption", arn] = status

    for encrypted, status in ((False, "FAILED"), (True, "PASSED")):
        volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=encrypted)["VolumeId"]
        expected["ec2_ebs_volume_encryption", f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:volume/{volume}"] = status

    now = datetime.datetime.now(datetime.UTC)
    for user, age_days, status in (("remedy-old-key", 120, "FAILED"), ("remedy-fresh-key", 10, "PASSED")):
        arn = iam.create_user(UserName=user)["User"]["Arn"]
        key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
        set_access_key_create_date(user, key, now - datetime.timedelta(days=age_days))
        expected["iam_rotate_access_key_90_days", arn] = status

    iam.update_account_password_policy(**WEAK_POLICY)
    for check in PASSWORD_CHECKS:
        expected[check, PASSWORD_POLICY_ARN.format(region=REGION, account=ACCOUNT_ID)] = "FAILED"
    return expected


def _seed_baseline_account(endpoint_url: str, credentials: dict) -> dict[tuple[str, str], str]:
    _client("iam", endpoint_url, credentials).update_account_password_policy(**BASELINE_POLICY)
    arn = PASSWORD_POLICY_ARN.format(region=REGION, account=BASELINE_ACCOUNT_ID)
    return {(check, arn): "PASSED" for check in PASSWORD_CHECKS}


def _statuses(findings: list[dict]) -> dict[tuple[str, str], str]:
    return {(check_id(f), f["Resources"][0]["Id"]): f["Compliance"]["Status"] for f in findings}


def _write_samples(findings: list[dict]) -> None:
    """One finding per check, a FAILED one where there is one."""
    samples: dict[str, dict] = {}
    for finding in sorted(findings, key=lambda f: f["Compliance"]["Status"] != "FAILED"):
        samples.setdefault(check_id(finding), finding)
    SAMPLES_FILE.write_text(json.dumps(samples, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    """(expected, findings) of the weak-policy scan, and (expected, findings) of the baseline-policy scan."""
    with moto_server() as endpoint_url:
        expected = _seed(endpoint_url)
        credentials = account_credentials(endpoint_url, BASELINE_ACCOUNT_ID)
        baseline_expected = _seed_baseline_account(endpoint_url, credentials)
        with ThreadPoolExecutor(max_workers=2) as pool:  # Prowler's ~15 s start-up, once instead of twice
            first = pool.submit(
                run_prowler, endpoint_url, checks_from_catalogue(), tmp_path_factory.mktemp("prowler-default")
            )
            second = pool.submit(
                run_prowler,
                endpoint_url,
                PASSWORD_CHECKS,
                tmp_path_factory.mktemp("prowler-baseline"),
                credentials=credentials,
            )
            first, second = first.result(), second.result()
    _write_samples(first)
    return (expected, first), (baseline_expected, second)


def test_every_catalogue_check_reports_the_seeded_resources(scans):
    (expected, findings), _ = scans
    actual = _statuses(findings)
    wrong = {
        key: (status, actual.get(key, "no finding")) for key, status in expected.items() if actual.get(key) != status
    }
    assert not wrong, (
        f"(check, ARN): (expected, Prowler's) {json.dumps({str(k): v for k, v in wrong.items()}, indent=1)}"
    )
    # Every check this account's resources are seeded for reports; the scan ran the catalogue's checks only (the
    # round trip, tests/simulation/test_prowler_round_trip.py, has every control's resources for every check).
    reported = {check_id(f) for f in findings}
    assert {check for check, _arn in expected} <= reported <= set(checks_from_catalogue())


def test_a_baseline_password_policy_passes(scans):
    _, (expected, findings) = scans
    actual = _statuses(findings)
    assert {key: actual.get(key) for key in expected} == expected


def test_findings_are_prowler_asff(scans):
    (_, findings), _ = scans
    for finding in findings:
        check = check_id(finding)
        assert finding["GeneratorId"] == f"prowler-{check}"
        assert finding["Id"].startswith(f"prowler-{check}-{ACCOUNT_ID}-")
        assert finding["ProductArn"] == f"arn:aws:securityhub:{REGION}::product/prowler/prowler"
        assert finding["AwsAccountId"] == ACCOUNT_ID
        assert finding["ProductFields"]["ProviderName"] == "Prowler"
        assert finding["Compliance"]["Status"] in ("PASSED", "FAILED", "WARNING")


# Harness pieces that need no Prowler.


def test_a_failing_run_reports_prowlers_output(tmp_path):
    fake = tmp_path / "prowler"
    fake.write_text("#!/bin/sh\necho 'Traceback: something broke' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(ProwlerError, match=r"exited with code 1(.|\n)*something broke"):
        run_prowler("http://127.0.0.1:5055", ["s3_bucket_kms_encryption"], tmp_path / "out", prowler_bin=fake)


def test_checks_from_catalogue_lists_current_ids_only():
    checks = checks_from_catalogue()
    assert "s3_bucket_kms_encryption" in checks
    assert "ec2_ebs_volume_encryption" in checks
    assert not [c for c in checks if c.startswith(("check", "extra"))]
    assert len(checks) == len(set(checks))


def test_prowler_environment_points_only_at_the_local_emulator(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "production")
    env = prowler_environment("http://127.0.0.1:5055")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5055"
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_PROFILE" not in env
    assert env["REMEDY_DNS_SHIM_LOCAL_ONLY"] == "1"
    with pytest.raises(ValueError, match="only a local emulator"):
        prowler_environment("https://s3.amazonaws.com")


def test_dns_shim_resolves_host_prefixes_to_the_emulator():
    install_dns_shim()
    with moto_server() as endpoint_url:
        s3control = _client("s3control", endpoint_url)
        # botocore calls http://123456789012.127.0.0.1:<port>/v20180820/configuration/publicAccessBlock
        s3control.put_public_access_block(AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration=BLOCK_ALL)
        configuration = s3control.get_public_access_block(AccountId=ACCOUNT_ID)["PublicAccessBlockConfiguration"]
    assert configuration == BLOCK_ALL
    assert socket.getaddrinfo(f"{ACCOUNT_ID}.localhost", 80)[0][4][0] == "127.0.0.1"
