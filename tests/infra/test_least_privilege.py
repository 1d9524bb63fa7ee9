"""Least privilege both ways: every role of the deployment grants exactly what its code is seen calling, plus the
actions declared, where the code is declared, as used by AWS services on the role's behalf.

"Observed" is the set of IAM actions of the AWS calls a rule, runbook or the bridge makes while its own tests run
(tests/config_rules/test_<rule>.py, tests/ssm_documents/test_<runbook>.py, tests/prowler_bridge/), recorded by
tests/infra/call_observer.py while `make pytest` runs the whole suite (or, run alone, in a pytest run of its own,
cached under build/ by the content of the code and tests),
plus rdklib's oversized-item path, run here. "Granted" is read from the synthesized organization templates
(RemedySecurity: the bridge; RemedyMember: rules, runbooks, the member role). The roles come from the templates and
the catalogue; a role this test cannot tie to code fails it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from catalogue import load_catalogue
from infra.config_resources import camel
from infra.stack import BRIDGE_SERVICE_ACTIONS, LAMBDA_SERVICE_ACTIONS, MEMBER_SERVICE_ACTIONS, RETRY_SERVICE_ACTIONS
from simulation.cloud_assembly import stack_resources
from tests.conftest import REPO_ROOT, load_example
from tests.infra.call_observer import OUTPUT_VARIABLE, observed_calls, observing

CATALOGUE = load_catalogue()
# Needs no IAM permission at all: "No permissions are required to perform this operation."
# https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
NO_PERMISSION_NEEDED = {"sts:GetCallerIdentity"}
BRIDGE_TESTS_NOT_RECORDED = ("test_bridge_fuzz.py",)  # fuzzing answers from a fake client, not botocore: nothing to see
CACHE = REPO_ROOT / "build" / "least-privilege"
# The guard step's code (ssm_documents/_support/controls.py) is observed by its own tests.
GUARD_UNIT = "runbook:remedy_controls"
# Run after the suite whose calls it reads (make pytest), not inside it: `pytest -m privilege`.
pytestmark = pytest.mark.privilege


def _test_files() -> list[Path]:
    """The tests of every code unit that runs as a role: one per rule module and runbook, and the bridge's."""
    files = [REPO_ROOT / "tests" / "config_rules" / f"test_{name}.py" for name in sorted(CATALOGUE.rules)]
    files += [REPO_ROOT / "tests" / "ssm_documents" / f"test_{name}.py" for name in sorted(CATALOGUE.runbooks)]
    missing = [str(f.relative_to(REPO_ROOT)) for f in files if not f.is_file()]
    assert not missing, f"code without tests to observe its calls: {missing}"
    bridge = sorted((REPO_ROOT / "tests" / "prowler_bridge").glob("test_*.py"))
    return files + [f for f in bridge if f.name not in BRIDGE_TESTS_NOT_RECORDED]


def _fingerprint(test_files: list[Path]) -> str:
    """Hash of everything the observation depends on: product code, the tests, the recorder and the interpreter."""
    roots = ["config_rules", "ssm_documents", "prowler_bridge", "catalogue", "simulation"]
    roots += ["tests/config_rules", "tests/ssm_documents", "tests/prowler_bridge"]
    digest = hashlib.sha256()
    extra = [REPO_ROOT / "tests" / n for n in ("conftest.py", "aws_calls.py", "config_events.py")]
    for path in [*extra, REPO_ROOT / "tests" / "infra" / "call_observer.py"]:
        digest.update(path.read_bytes())
    for root in roots:
        for path in sorted((REPO_ROOT / root).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".json") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO_ROOT)).encode() + path.read_bytes())
    digest.update("\n".join(map(str, test_files)).encode())
    return digest.hexdigest()[:20]


@pytest.fixture(scope="module")
def observed() -> dict[str, set[str]]:
    """unit -> IAM actions its code called in its tests: what `make pytest` recorded (REMEDY_OBSERVED_CALLS names
    its records), else a pytest run of its own, cached by content."""
    recorded = os.environ.get(OUTPUT_VARIABLE)
    if recorded and observed_calls(Path(recorded)):
        return observed_calls(Path(recorded))
    files = _test_files()
    cached = CACHE / f"observed-{_fingerprint(files)}.json"
    if not cached.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".partial")
        command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:xdist"]
        command += ["-p", "tests.infra.call_observer", *map(str, files)]
        run = subprocess.run(
            command, cwd=REPO_ROOT, env={**os.environ, OUTPUT_VARIABLE: str(partial)}, capture_output=True, text=True
        )
        assert run.returncode == 0, f"the observed tests failed:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"
        partial.rename(cached)
    return {unit: set(actions) for unit, actions in json.loads(cached.read_text()).items()}


@pytest.fixture(scope="module")
def oversized_observed(moto_account) -> dict[str, set[str]]:
    """rule:<name> -> actions rdklib and the rule call for an oversized configuration item of a change rule."""
    seen = {}
    for name in sorted({c.detection.rule for c in CATALOGUE.controls if c.detection.trigger == "change"}):
        folder = CATALOGUE.rules[name].folder
        # Every change rule keeps an oversized-item example (its own tests use it): rdklib then reads the item's
        # history, a call the role must grant.
        event = load_example(folder / "events" / "oversized.json")
        assert "OversizedConfigurationItem" in event["invokingEvent"], f"{name}: events/oversized.json"
        module = _import_rule(name)
        # moto has no history of the item and the handler fails: the call made is what counts.
        with observing(f"rule:{name}") as actions, contextlib.suppress(Exception):
            module.lambda_handler(event, None)
        seen[f"rule:{name}"] = set(actions)
    return seen


@pytest.fixture(scope="module")
def moto_account():
    from moto import mock_aws

    with mock_aws():
        boto3.setup_default_session()
        yield


def _import_rule(name: str) -> object:
    import importlib

    return importlib.import_module(f"config_rules.{name}.rule")


def _granted(resources: dict, role_id: str) -> set[str]:
    """Every action the role's inline policies (AWS::IAM::Policy or Policies) allow."""
    documents = [
        p["Properties"]["PolicyDocument"]
        for p in resources.values()
        if p["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in p["Properties"].get("Roles", [])
    ]
    documents += [p["PolicyDocument"] for p in resources[role_id]["Properties"].get("Policies", [])]
    actions = set()
    for document in documents:
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            action = statement["Action"]
            actions |= {action} if isinstance(action, str) else set(action)
    return actions


def _trusted_service(role: dict) -> set[str]:
    statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    services = set()
    for statement in statements:
        service = statement.get("Principal", {}).get("Service", [])
        services |= {service} if isinstance(service, str) else set(service)
    return services


def _code_roles(assembly: Path) -> dict[str, tuple[str, set[str], set[str]]]:
    """role logical id -> (code unit, granted actions, actions declared as used on its behalf), from the templates."""
    roles = {}
    for stack in ("RemedySecurity", "RemedyMember"):
        resources = stack_resources(assembly, stack)
        for role_id, role in resources.items():
            if role["Type"] != "AWS::IAM::Role":
                continue
            unit, extras = _unit_of(role_id, role)
            roles[f"{stack}/{role_id}"] = (unit, _granted(resources, role_id), extras)
    return roles


def _unit_of(role_id: str, role: dict) -> tuple[str, set[str]]:
    """The code unit a role runs and its declared service actions; a service role's code is the service."""
    for runbook in CATALOGUE.runbooks.values():
        if role_id.startswith(f"{runbook.document_stem}AutomationRole"):
            return f"runbook:{runbook.name}", set(runbook.service_action_names)
    for rule in CATALOGUE.rules.values():
        if role_id.startswith(f"{camel(rule.name)}RuleRole"):
            return f"rule:{rule.name}", set(LAMBDA_SERVICE_ACTIONS)
    if role_id.startswith("ProwlerBridgeRole"):
        return "bridge", set(BRIDGE_SERVICE_ACTIONS)
    if role_id.startswith("ProwlerBridgeRetryRole"):  # the retry consumer, fed by SQS
        return "retry", set(RETRY_SERVICE_ACTIONS)
    if role_id.startswith("BridgeMember"):
        return "member", set(MEMBER_SERVICE_ACTIONS)
    services = _trusted_service(role)
    assert services and not services & {"lambda.amazonaws.com", "ssm.amazonaws.com"}, (
        f"role {role_id} runs code this test does not know: tie it to its code in _unit_of"
    )
    return f"service:{','.join(sorted(services))}", set()


@pytest.fixture(scope="module")
def roles(organization_assembly):
    return _code_roles(organization_assembly)


def test_every_rule_runbook_bridge_and_member_role_is_in_the_templates(roles):
    units = {unit for unit, _, _ in roles.values()}
    expected = {f"rule:{n}" for n in CATALOGUE.rules} | {f"runbook:{n}" for n in CATALOGUE.runbooks}
    assert expected | {"bridge", "member", "retry"} <= units


def test_each_role_grants_exactly_what_its_code_calls_plus_its_declared_service_actions(
    roles, observed, oversized_observed
):
    problems, table = [], []
    for name, (unit, granted, extras) in sorted(roles.items()):
        if unit.startswith("service:"):
            table.append((name, unit, sorted(granted), "service role: its caller is the AWS service"))
            continue
        seen = observed.get(unit, set()) | oversized_observed.get(unit, set())
        if unit.startswith("runbook:"):  # the build puts the guard step first in every runbook: its calls count
            seen |= observed.get(GUARD_UNIT, set())
        needed = seen - NO_PERMISSION_NEEDED
        if unit == "member":
            # The member role is the bridge's code acting in another account (prowler_bridge/accounts.py picks the
            # credentials by the finding's account): a call the bridge makes in its own account it makes there too.
            seen |= observed.get("bridge", set()) & granted
        if unit == "retry":  # the consumer redrives events through the bridge's own handler: its calls too
            seen |= observed.get("bridge", set()) & granted
        if not needed - {"config:PutEvaluations"}:
            problems.append(f"{name}: no call of {unit} was observed (are its tests recorded?)")
        if needed - granted:
            problems.append(f"{name}: calls {sorted(needed - granted)} that its role does not grant")
        if extras & seen:
            problems.append(f"{name}: calls {sorted(extras & seen)} itself: not a service action any more")
        if granted - seen != extras:
            problems.append(
                f"{name}: granted but never called {sorted(granted - seen - extras)}; "
                f"declared service actions not granted {sorted(extras - granted)}"
            )
        table.append((name, unit, sorted(granted - seen), "declared: " + ", ".join(sorted(extras)) or "-"))
    print("\nrole | code | granted - observed | note")
    for row in table:
        print(" | ".join(map(str, row)))
    assert not problems, "\n".join(problems)


def _statements(assembly: Path) -> list[dict]:
    return [
        statement
        for stack in ("RemedySecurity", "RemedyMember")
        for p in stack_resources(assembly, stack).values()
        if p["Type"] == "AWS::IAM::Policy"
        for statement in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def test_kms_through_a_service_only_grants_only_for_aws_resources_and_passrole_only_to_its_service(
    organization_assembly,
):
    statements = _statements(organization_assembly)
    for statement in statements:
        actions = set(_actions(statement))
        condition = statement.get("Condition", {})
        if "kms:CreateGrant" in actions:
            assert condition["Bool"] == {"kms:GrantIsForAWSResource": "true"}
        if "iam:PassRole" in actions:
            assert condition["StringEquals"]["iam:PassedToService"] == "ssm.amazonaws.com"
    via_service = [g for r in CATALOGUE.runbooks.values() for g in r.service_actions if "kms:ViaService" in str(g)]
    assert via_service
    for grant in via_service:
        (statement,) = [s for s in statements if set(_actions(s)) == set(grant.actions)]
        # kms:ViaService: <service>.<region>.amazonaws.com, the region the stack deploys to
        assert '"Ref": "AWS::Region"' in json.dumps(statement["Condition"]["StringEquals"]["kms:ViaService"])
    assert any("kms:CreateGrant" in _actions(s) for s in statements)


def test_runbook_actions_with_resource_level_permissions_are_scoped_to_this_account(organization_assembly):
    from infra.runbooks import RESOURCE_SCOPES

    resources = stack_resources(organization_assembly, "RemedyMember")
    runbook_statements = [
        statement
        for p in resources.values()
        if p["Type"] == "AWS::IAM::Policy" and "AutomationRole" in json.dumps(p["Properties"]["Roles"])
        for statement in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    scoped = [s for s in runbook_statements if set(_actions(s)) & set(RESOURCE_SCOPES)]
    assert scoped
    for statement in scoped:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources
        text = json.dumps(statement)
        if all(a.startswith("kms:") for a in _actions(statement)):
            assert '"Ref": "AWS::Region"' in text  # a key of the region, of whichever account shares it
        elif all(":iam::aws:policy/" in json.dumps(r) for r in resources):
            pass  # AWS managed policies: AWS owns them (account field "aws"), no account of ours can be named
        else:
            assert '"Ref": "AWS::AccountId"' in text  # in the ARN, or as aws:ResourceAccount for S3 buckets
