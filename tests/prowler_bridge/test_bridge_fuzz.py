"""Property-based fuzzing of every entry point: the shipped example events, mutated (fields dropped, retyped,
oversized, made multibyte; custom action targets swapped), never crash the bridge and never make it act wrongly.

Properties, per example:
  - the handler returns, or raises ValueError; nothing else escapes (a parameter botocore would refuse fails too);
  - a mutation that makes the event invalid (a field the decision needs, changed) makes no mutating AWS call
    (StartAutomationExecution, StartRemediationExecution, BatchUpdateFindings(V2), SNS Publish, SQS SendMessage,
    DynamoDB writes and transactions);
  - whatever the mutation, a runbook started is the one the unmutated example starts, with the same parameters;
  - every ledger key fits DynamoDB's 2,048 bytes.

Counts: REMEDY_FUZZ_EXAMPLES=10000 runs 10,000 examples per entry point (tests/fuzzing.py); 300 by default.
Clients are fake_aws stand-ins (parameters validated against botocore's models).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from prowler_bridge import handler
from prowler_bridge import settings as bridge_settings
from tests.conftest import ACCOUNT_ID, REPO_ROOT, load_example
from tests.fuzzing import fuzz_settings
from tests.prowler_bridge.conftest import EXECUTION_ID, bridge_config_dict
from tests.prowler_bridge.fake_aws import FakeAws

FUZZ = fuzz_settings(300)

EVENTS = REPO_ROOT / "prowler_bridge" / "events"
STATUS_EXECUTION = load_example(EVENTS / "automation_status_failed.json")["detail"]["ExecutionId"]
F = ("detail", "findings", 0)
ALL = frozenset({"drop", "retype", "oversize", "multibyte", "swap_target"})
NOT_DROP = ALL - {"drop"}
ID_OPS = frozenset({"drop", "retype"})  # a long or multibyte Id is still a finding's Id (keyed by its digest)
ENVELOPE = {("detail-type",): ALL, ("source",): ALL, ("detail",): ALL, ("detail", "findings"): ALL}
FINDINGS_ENVELOPE = {
    **ENVELOPE,
    ("account",): NOT_DROP,
    ("region",): NOT_DROP,
    ("resources",): NOT_DROP,
    ("resources", 0): frozenset({"retype", "oversize"}),
}
ASFF = {
    (*F, "Id"): ID_OPS,
    (*F, "ProductArn"): ALL,
    (*F, "Region"): ALL,
    (*F, "AwsAccountId"): ALL,
    (*F, "Compliance", "Status"): ALL,
    (*F, "RecordState"): ALL,
    (*F, "Workflow", "Status"): NOT_DROP,  # absent means NEW
    (*F, "Resources", 0, "Id"): ALL,
}
# Entry point -> (example event, the paths whose change (by the listed operations) makes the event invalid).
ENTRY_POINTS = {
    "imported_prowler_asff": ("prowler_finding_imported", {**FINDINGS_ENVELOPE, **ASFF, (*F, "GeneratorId"): ALL}),
    "imported_securityhub_asff": ("securityhub_control_finding_imported", {**FINDINGS_ENVELOPE, **ASFF}),
    "imported_v2_ocsf": (
        "securityhub_finding_imported_v2",
        {
            **FINDINGS_ENVELOPE,
            (*F, "finding_info", "uid"): ID_OPS,
            (*F, "metadata", "product", "uid"): ALL,
            (*F, "compliance", "control"): ALL,
            (*F, "compliance", "status"): ALL,
            (*F, "cloud", "region"): ALL,
            (*F, "cloud", "account", "uid"): ALL,
            (*F, "activity_name"): ALL,
            (*F, "status"): ALL,
            (*F, "resources", 0, "uid_alt"): ALL,
        },
    ),
    "custom_action": (
        "custom_action_prowler_finding",
        {
            **ENVELOPE,
            **ASFF,
            (*F, "GeneratorId"): ALL,
            ("account",): ALL,
            ("region",): ALL,
            ("resources",): ALL,
            ("resources", 0): ALL,
        },
    ),
    "automation_status": (
        "automation_status_failed",
        {
            **ENVELOPE,
            ("detail", "ExecutionId"): ALL,
            ("detail", "Definition"): ALL,
            ("detail", "Status"): ALL,
            ("account",): ALL,
            ("region",): ALL,
        },
    ),
}
FOREIGN_TARGETS = [
    f"arn:aws:securityhub:us-east-1:{ACCOUNT_ID}:action/custom/Remediate",
    "arn:aws:securityhub:us-east-1:210987654321:action/custom/RemedyRemediate",
    f"arn:aws:securityhub:eu-west-1:{ACCOUNT_ID}:action/custom/RemedyRemediate",
    f"arn:aws-cn:securityhub:us-east-1:{ACCOUNT_ID}:action/custom/RemedyRemediate",
    "arn:aws:securityhub:us-east-1:123456789012:action/custom/RemedyRemediate/extra",
]
STATS: dict[str, Counter] = {name: Counter() for name in ENTRY_POINTS}


def _record(params: dict) -> dict:
    """The ledger: the failed example's execution was started by the bridge; nothing else is known."""
    if params["Key"]["pk"]["S"] != f"execution#{STATUS_EXECUTION}":
        return {}
    finding = {"M": {"Id": {"S": "prowler-x"}, "ProductArn": {"S": "arn:aws:securityhub:us-east-1::product/p/p"}}}
    item = {
        "execution_id": {"S": STATUS_EXECUTION},
        "findings": {"L": [finding]},
        "control": {"S": "s3-bucket-level-public-access-block"},
        "account": {"S": ACCOUNT_ID},
        "region": {"S": "us-east-1"},
        "document": {"S": "Remedy-EnableS3BucketPublicAccessBlock"},
        "parameters": {"M": {}},
        "securityhub_region": {"S": "us-east-1"},
    }
    return {"Item": item}


ANSWERS = {
    "GetCallerIdentity": {"Account": ACCOUNT_ID, "UserId": "AIDA", "Arn": f"arn:aws:iam::{ACCOUNT_ID}:root"},
    "GetItem": _record,
    "StartAutomationExecution": {"AutomationExecutionId": EXECUTION_ID},
    "StartRemediationExecution": {"FailedItems": []},
    # The resource claim and the failure item (fresh ones: the item as UpdateItem's ALL_NEW returns it) and AWS
    # Config's view.
    "UpdateItem": {"Attributes": {"generation": {"S": "00000000-0000-4000-8000-000000000000"}, "attempts": {"N": "1"}}},
    "DescribeRemediationExecutionStatus": {"RemediationExecutionStatuses": []},
    "GetComplianceDetailsByResource": {"EvaluationResults": []},
    "BatchUpdateFindings": {"ProcessedFindings": [], "UnprocessedFindings": []},
    "BatchUpdateFindingsV2": {"ProcessedFindings": [], "UnprocessedFindings": []},
    "GetParameter": {"Parameter": {"Value": '{"paused": false, "modes": {}}'}},  # the run-time controls
    "GetAutomationExecution": {"AutomationExecution": {"FailureMessage": "boom"}},
    "Publish": {"MessageId": "1"},
    "SendMessage": {"MessageId": "1"},
}


@pytest.fixture(scope="module")
def fake_aws(tmp_path_factory):
    """The bridge's environment and configuration, and boto3.client answered by FakeAws."""
    config_path = Path(tmp_path_factory.mktemp("fuzz")) / "bridge_config.json"
    config_path.write_text(json.dumps(bridge_config_dict()))
    aws = FakeAws(ANSWERS)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "BRIDGE_CONFIG_PATH": str(config_path),
            "LEDGER_TABLE": "ledger",
            "FAILURE_TOPIC_ARN": f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:failures",
            "FAILURE_QUEUE_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/failures",
            "AUDIT_BUCKET": "audit",
            "ALLOWED_ACCOUNTS": "",
            "ALLOWED_REGIONS": "",
        }.items():
            patch.setenv(name, value)
        for name in ("MEMBER_ROLE_NAME", "MEMBER_ROLE_PATH", "LEDGER_TTL_HOURS"):
            patch.delenv(name, raising=False)
        patch.setattr(boto3, "client", aws.client)
        bridge_settings.reset_caches()
        yield aws
    bridge_settings.reset_caches()
    for name, counts in STATS.items():
        if counts:
            print(f"\nfuzz {name}: {dict(sorted(counts.items()))}")


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every path in a JSON value (object keys and list indexes), the value's own included."""
    found = [prefix] if prefix else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in children:
        found += _paths(value, (*prefix, key))
    return found


def _has(node: object, key: object) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and key < len(node)


def _parent(event: object, path: tuple) -> tuple[object, object] | None:
    """(container, key) of `path` in the (already mutated) event, or None if an earlier mutation removed it."""
    node = event
    for key in path[:-1]:
        if not _has(node, key):
            return None
        node = node[key]
    return (node, path[-1]) if _has(node, path[-1]) else None


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
MULTIBYTE = st.characters(min_codepoint=0x80)


def _value(data: st.DataObject, op: str, original: object, pristine: object) -> object:
    """The new value for `op` applied to `original` (`pristine`: the example's own value there, if any)."""
    if op == "retype":
        types = {type(original), type(pristine)}
        return data.draw(SCALARS.filter(lambda v: type(v) not in types), label="retyped")
    if op == "oversize":
        base = original if isinstance(original, str) else "A"
        return base + data.draw(st.sampled_from("x\u00e9/:."), label="pad") * data.draw(st.integers(2049, 6000))
    if op == "swap_target":
        return [data.draw(st.sampled_from(FOREIGN_TARGETS), label="target")]
    if isinstance(original, str) and original and data.draw(st.booleans(), label="insert"):
        at = data.draw(st.integers(0, len(original)), label="at")
        return original[:at] + data.draw(st.text(MULTIBYTE, min_size=1, max_size=3)) + original[at:]
    return data.draw(st.text(MULTIBYTE, min_size=1, max_size=40), label="multibyte")


def _mutate(data: st.DataObject, example: dict, entry: str) -> tuple[dict, list[tuple[tuple, str]]]:
    """The example with 1-3 mutations; returns it and the (path, operation) pairs applied."""
    event, applied = copy.deepcopy(example), []
    ops = ["drop", "retype", "oversize", "multibyte"] + (["swap_target"] if entry == "custom_action" else [])
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        op = data.draw(st.sampled_from(ops), label="op")
        path = ("resources",) if op == "swap_target" else data.draw(st.sampled_from(_paths(event)), label="path")
        located = _parent(event, path)
        if located is None:
            continue
        node, key = located
        if op == "drop":
            del node[key]
        else:
            pristine = _parent(example, path)
            node[key] = _value(data, op, node[key], pristine[0][pristine[1]] if pristine else None)
        applied.append((path, op))
    return event, applied


def _invalidates(applied: list[tuple[tuple, str]], essential: dict[tuple, frozenset]) -> bool:
    """Whether a mutation changed a field the decision needs (or an object holding one) in a way that must refuse.

    A mutation a later one overwrote (same path, or an object holding it) no longer counts."""
    final = [
        (path, op)
        for n, (path, op) in enumerate(applied)
        if not any(later == path[: len(later)] for later, _ in applied[n + 1 :])
    ]
    return any(path == field[: len(path)] and op in ops for path, op in final for field, ops in essential.items())


def _ledger_keys(call) -> list[str]:
    """The partition keys a DynamoDB call names (each action of a transaction too)."""
    if call.service != "dynamodb":
        return []
    actions = [next(iter(item.values())) for item in call.params.get("TransactItems", [])] or [call.params]
    return [action.get("Item", action.get("Key", {})).get("pk", {}).get("S", "") for action in actions]


def _baseline(entry: str, aws: FakeAws) -> list[dict]:
    aws.calls.clear()
    handler.lambda_handler(load_example(EVENTS / f"{ENTRY_POINTS[entry][0]}.json"), None)
    return [c.params for c in aws.calls if c.operation == "StartAutomationExecution"]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_mutated_events_never_crash_or_act_wrongly(fake_aws, entry):
    example = load_example(EVENTS / f"{ENTRY_POINTS[entry][0]}.json")
    baseline = _baseline(entry, fake_aws)
    essential = ENTRY_POINTS[entry][1]

    @FUZZ
    @given(data=st.data())
    def run(data):
        event, applied = _mutate(data, example, entry)
        fake_aws.calls.clear()
        stats = STATS[entry]
        stats["examples"] += 1
        try:
            handler.lambda_handler(event, None)
        except ValueError:
            stats["refused_value_error"] += 1
        except Exception:
            stats["crashes"] += 1
            raise
        mutating = fake_aws.mutating
        stats["mutating_calls"] += len(mutating)
        if _invalidates(applied, essential):
            stats["invalid_examples"] += 1
            stats["mutating_calls_on_invalid_input"] += len(mutating)
            assert mutating == [], f"{applied} made {[c.operation for c in mutating]}"
        for call in fake_aws.calls:
            if call.operation == "StartAutomationExecution":
                assert call.params in baseline, f"{applied} misrouted: {call.params}"
            for key in _ledger_keys(call):
                assert len(key.encode("utf-8", "surrogatepass")) <= 2048

    run()


JSON = st.recursive(
    SCALARS | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FAILURE_MESSAGES = st.fixed_dictionaries(
    {"execution_id": st.one_of(st.just(STATUS_EXECUTION), st.just(EXECUTION_ID), JSON)},
    optional={
        "document": st.sampled_from(["AWS-DeleteImage", "Remedy-EnableS3BucketPublicAccessBlock"]) | JSON,
        "account": st.sampled_from([ACCOUNT_ID, "210987654321"]) | JSON,
        "control": st.sampled_from(["s3-bucket-level-public-access-block", "nope"]) | JSON,
        "resource": st.sampled_from(["resource#x", f"execution#{STATUS_EXECUTION}"]) | JSON,
    },
)
EXAMPLE_EVENTS = st.sampled_from([n for n, _ in ENTRY_POINTS.values()]).map(
    lambda n: load_example(EVENTS / f"{n}.json")
)
BODIES = st.one_of(
    st.text(max_size=40),
    JSON.map(json.dumps),
    FAILURE_MESSAGES.map(json.dumps),
    st.tuples(JSON, st.one_of(EXAMPLE_EVENTS, FAILURE_MESSAGES, JSON)).map(
        lambda pair: json.dumps({"requestContext": pair[0], "requestPayload": pair[1]})
    ),
)


def test_failure_queue_records_never_crash_the_consumer_or_start_what_a_message_names(fake_aws, monkeypatch):
    """Whatever a failure-queue record holds, the consumer returns a partial batch response; a failure message
    starts nothing (the fake ledger's only record has parameters the catalogue refuses), and a redriven event
    starts only what the bridge starts for its unmutated example."""
    from prowler_bridge import retry

    monkeypatch.setenv("PARKED_QUEUE_URL", f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/parked")
    baseline = [p for entry in ENTRY_POINTS for p in _baseline(entry, fake_aws)]

    @FUZZ
    @given(body=BODIES, receive_count=st.integers(min_value=1, max_value=retry.MAX_RECEIVE_COUNT))
    def run(body, receive_count):
        fake_aws.calls.clear()
        record = {
            "messageId": "m",
            "receiptHandle": "rh",
            "body": body,
            "attributes": {"ApproximateReceiveCount": str(receive_count)},
        }
        result = retry.lambda_handler({"Records": [record]}, None)
        assert result["batchItemFailures"] in ([], [{"itemIdentifier": "m"}])
        starts = [c.params for c in fake_aws.calls if c.operation == "StartAutomationExecution"]
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "execution_id" in parsed and "requestContext" not in parsed:
            assert starts == []
        assert all(start in baseline for start in starts), starts

    run()
