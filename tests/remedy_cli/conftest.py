"""An emulated account over HTTP (a moto server in this process), seeded with every catalogue control's demo
resources by boto3, as a `remedy scan` run in another process finds it."""

from __future__ import annotations

import boto3
import pytest

from catalogue import load_catalogue
from simulation.moto_server import DEFAULT_ACCOUNT_ID, install_dns_shim, moto_server
from simulation.seeds import seed_account
from tests.conftest import REGION


@pytest.fixture(scope="module")
def seeded_server():
    """(endpoint URL, the seeds' SeededResource list) of a moto server holding every control's demo resources."""
    install_dns_shim()  # S3 Control calls name <account>.127.0.0.1 (simulation/moto_server.py)
    with moto_server() as endpoint_url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint_url)
        boto3.setup_default_session()
        controls = [control.id for control in load_catalogue().controls]
        seeded = seed_account(controls, DEFAULT_ACCOUNT_ID, REGION, in_process=False)
        patch.delenv("AWS_ENDPOINT_URL")
        boto3.setup_default_session()
        yield endpoint_url, seeded
