"""Shared fixtures: an emulated AWS account (moto) and an API call recorder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"

# Never reach a real endpoint: fake credentials before anything imports boto3 clients.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)


def _share_botocore_data_loader() -> None:
    """Every botocore session of the test run reads AWS's service models through one loader, which caches them.

    Tests start fresh boto3 sessions (to attach recorders and fault injectors); each would otherwise parse the same
    model files again. Only where the models are read from changes: the files, and so every client, are the same.
    """
    import botocore.loaders
    import botocore.session

    loaders: dict[object, botocore.loaders.Loader] = {}

    def register(session: botocore.session.Session) -> None:
        def shared() -> botocore.loaders.Loader:
            data_path = session.get_config_variable("data_path")
            if data_path not in loaders:
                loaders[data_path] = botocore.loaders.create_loader(data_path)
            return loaders[data_path]

        session._components.lazy_register_component("data_loader", shared)

    botocore.session.Session._register_data_loader = register


_share_botocore_data_loader()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files holding a test marked long_running first, in their own order: `make pytest` (pytest-xdist --dist
    loadfile --no-loadscope-reorder) hands whole files to its workers in this order, so the longest start at once
    and the workers finish together."""
    long_files = {item.path for item in items if item.get_closest_marker("long_running")}
    items.sort(key=lambda item: item.path not in long_files)  # stable: every file keeps its tests' order


@pytest.fixture
def aws():
    """An emulated, empty AWS account for the duration of one test."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def api_calls(aws):
    """Records every boto3 call made after it is created (see tests/aws_calls.py)."""
    from tests.aws_calls import install_recorder

    return install_recorder()


def load_example(path: Path) -> dict:
    """Load an example event (JSON) shipped beside a rule or runbook."""
    return json.loads(path.read_text())


def synthesize(tmp_path_factory, **context) -> Path:
    """Synthesize the CDK app (as `cdk synth` would, assets included) into a fresh folder; return it."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk

    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = aws_cdk.App(
        context={"remedy:resourcePrefix": "remedy", "aws:cdk:enable-asset-metadata": True, **context},
        outdir=str(outdir),
    )
    build_app(app).synth()
    return outdir


def stack_template(outdir: Path, stack_name: str = "RemedyControls") -> dict:
    """The stack's template with its nested stacks' resources merged in (one dict of every resource)."""
    from simulation.cloud_assembly import stack_resources

    return {"Resources": stack_resources(outdir, stack_name)}


@pytest.fixture(scope="session")
def standalone(tmp_path_factory):
    """(template with nested resources merged, cloud assembly folder) of the standalone deployment mode."""
    outdir = synthesize(tmp_path_factory, **{"remedy:deploymentMode": "standalone"})
    return stack_template(outdir), outdir


@pytest.fixture(scope="session")
def pack_mode(tmp_path_factory):
    """(template with nested resources merged, cloud assembly folder) of the conformance-pack deployment mode."""
    outdir = synthesize(tmp_path_factory, **{"remedy:deploymentMode": "conformance-pack"})
    return stack_template(outdir), outdir


# The organization layout `make demo` runs: a security account's bridge, members in two regions, a home region.
ORGANIZATION_CONTEXT = {
    "remedy:securityAccount": "111111111111",
    "remedy:organizationId": "o-exampleorg01",
    "remedy:homeRegion": "us-east-1",
    "remedy:bridgeRegion": "us-east-1",
    "remedy:bridgeRegions": "us-east-1,eu-west-1",
}


@pytest.fixture(scope="session")
def organization_assembly(tmp_path_factory):
    """Cloud assembly folder of the organization layout (RemedySecurity and RemedyMember)."""
    return synthesize(tmp_path_factory, **ORGANIZATION_CONTEXT)


@pytest.fixture
def realistic_iam_user_ids(aws):
    """IAM users get AWS-shaped ids (AIDA + 17 upper-case characters); moto's own are lower-case."""
    from resource_types.iam_user.simulation import realistic_iam_user_ids

    with realistic_iam_user_ids():
        yield


@pytest.fixture
def before_call_hook():
    """Register botocore before-call hooks on boto3's default session; removed after the test."""
    import boto3

    registered = []

    def register(handler, event_name: str = "before-call") -> None:
        boto3.DEFAULT_SESSION.events.register(event_name, handler)
        registered.append((boto3.DEFAULT_SESSION, event_name, handler))

    yield register
    for session, event_name, handler in registered:
        session.events.unregister(event_name, handler)


@pytest.fixture
def recorded_in_config(monkeypatch):
    """AWS Config's GetResourceConfigHistory for emulated resources moto does not record (tests/config_records.py)."""
    from tests.config_records import answer_config_history

    answer_config_history(monkeypatch)
