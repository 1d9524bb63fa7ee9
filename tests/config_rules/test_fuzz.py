"""Property-based fuzzing of every rule handler: the AWS envelope stays intact (invokingEvent and ruleParameters
are JSON strings, resultToken, eventLeftScope, configRuleName, accountId...), while the configuration item, the
oversized item GetResourceConfigHistory returns, and the rule parameters are mutated (fields dropped, retyped,
oversized, made multibyte, turned into JSON strings or nested JSON strings, unknown parameters added).

Properties, per event:
  - the handler returns (evaluations, or rdklib's error response) or raises RuleEvaluationError; nothing else;
  - an event whose mutations touched a field the decision reads is never COMPLIANT (fail closed);
  - a NON_COMPLIANT example never becomes COMPLIANT, whatever the mutation.

The rules listed in HAND_TUNED name the fields their decision reads; every other catalogue rule is fuzzed over all
its example events with the first and third properties (so a new rule is fuzzed without editing this file).

Counts: REMEDY_FUZZ_EXAMPLES=10000 runs that many events per rule and counts crashes instead of stopping at the
first (the figure the README quotes); by default 60 per rule. AWS is moto (PutEvaluations in TestMode).
"""

from __future__ import annotations

import functools
import importlib
import json
from collections import Counter

import boto3
import pytest
import rule_support
from hypothesis import given
from hypothesis import strategies as st

from catalogue import load_catalogue
from config_rules.ec2_ebs_volume_encryption import rule as ebs_rule
from config_rules.iam_access_key_rotation import rule as key_rule
from config_rules.iam_password_policy import rule as password_rule
from config_rules.s3_bucket_kms_encryption import rule as kms_rule
from config_rules.s3_bucket_level_public_access_block import rule as pab_rule
from tests.config_events import history_item
from tests.conftest import REPO_ROOT, load_example
from tests.fuzzing import MEASURING, fuzz_settings

# The deliberate error a rule raises when an event names nothing it could report on (absent before it existed).
DELIBERATE = getattr(rule_support, "RuleEvaluationError", ())
ITEM, PARAMETERS, HISTORY = "item", "parameters", "history"
ALL = frozenset({"drop", "retype", "oversize", "multibyte", "json", "nested_json"})
PAB = (ITEM, "supplementaryConfiguration", "PublicAccessBlockConfiguration")
SSE = (ITEM, "supplementaryConfiguration", "ServerSideEncryptionConfiguration")
SSE_DEFAULT = (*SSE, "rules", 0, "applyServerSideEncryptionByDefault")
# A supplementary setting may be a JSON string of itself (GetResourceConfigHistory serialises them so).
NOT_JSON = ALL - {"json"}
# rule -> (module, examples, {path the decision reads: operations on it that make the item unreadable}).
HAND_TUNED = {
    "ec2_ebs_volume_encryption": (
        ebs_rule,
        ["compliant", "non_compliant", "oversized"],
        {
            (ITEM, "configuration"): ALL - {"json", "drop"},  # dropped: EC2 is asked (the volume does not exist)
            (ITEM, "configuration", "encrypted"): ALL,
        },
    ),
    "s3_bucket_kms_encryption": (
        kms_rule,
        ["compliant", "non_compliant", "oversized"],
        {
            (ITEM, "supplementaryConfiguration"): NOT_JSON,
            SSE: NOT_JSON,
            (*SSE, "rules"): ALL,
            (*SSE, "rules", 0): ALL,
            SSE_DEFAULT: ALL,
            (*SSE_DEFAULT, "sseAlgorithm"): ALL,
        },
    ),
    "s3_bucket_level_public_access_block": (
        pab_rule,
        ["compliant", "non_compliant", "oversized"],
        {
            (ITEM, "supplementaryConfiguration"): NOT_JSON,
            PAB: NOT_JSON,
            **{(*PAB, name[0].lower() + name[1:]): ALL for name in pab_rule.SETTINGS},
        },
    ),
    "iam_password_policy": (password_rule, ["scheduled", "scheduled_custom_parameters"], {}),
    "iam_access_key_rotation": (key_rule, ["scheduled", "scheduled_max_age_30"], {}),
}


def _every_example(rule: str) -> list[str]:
    """The rule's example events (an oversized one only beside the compliant item its history returns)."""
    events = REPO_ROOT / "config_rules" / rule / "events"
    names = sorted(path.stem for path in events.glob("*.json"))
    return [n for n in names if n != "oversized" or (events / "compliant.json").exists()]


def _catalogue_rules() -> dict[str, tuple]:
    """Every catalogue rule: the hand-tuned entry, or all its example events and no named decisive fields."""
    rules = sorted({control.detection.rule for control in load_catalogue().controls})
    return {
        rule: HAND_TUNED.get(rule) or (importlib.import_module(f"config_rules.{rule}.rule"), _every_example(rule), {})
        for rule in rules
    }


RULES = _catalogue_rules()
STATS: dict[str, Counter] = {name: Counter() for name in RULES}


@pytest.fixture(scope="module")
def account():
    """One emulated account for every event: users with keys, a password policy; no sleeping."""
    from moto import mock_aws

    from tests.aws_calls import install_recorder

    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(rule_support, "sleep", lambda _seconds: None)
        iam = boto3.client("iam")
        for name in ("alice", "bob"):
            iam.create_user(UserName=name)
            iam.create_access_key(UserName=name)
        iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True)
        recorder = install_recorder()
        # rdklib builds its clients on every invocation (~0.1 s each): build each one once for thousands of events.
        patch.setattr(boto3, "client", functools.cache(boto3.client))
        recorder.respond("GetComplianceDetailsByConfigRule", {"EvaluationResults": []})
        # Answered without moto (botocore still validates every evaluation against the API model): faster.
        recorder.respond("PutEvaluations", {"FailedEvaluations": []})
        yield recorder
    for name, counts in STATS.items():
        if counts:
            print(f"\nfuzz {name}: {dict(sorted(counts.items()))}")


def _subject(rule: str, example: str) -> tuple[dict, dict]:
    """(the example event, the mutable parts: item or history item, and parameters)."""
    event = load_example(REPO_ROOT / "config_rules" / rule / "events" / f"{example}.json")
    parts = {PARAMETERS: json.loads(event["ruleParameters"])}
    if example == "oversized":
        compliant = load_example(REPO_ROOT / "config_rules" / rule / "events" / "compliant.json")
        parts[HISTORY] = history_item(json.loads(compliant["invokingEvent"])["configurationItem"])
    elif "configurationItem" in event["invokingEvent"]:
        parts[ITEM] = json.loads(event["invokingEvent"])["configurationItem"]
    return event, parts


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if len(prefix) > 1 else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in children:
        found += _paths(value, (*prefix, key))
    return found


def _locate(node: object, path: tuple) -> tuple[object, object] | None:
    for key in path[:-1]:
        if not _has(node, key):
            return None
        node = node[key]
    return (node, path[-1]) if _has(node, path[-1]) else None


def _has(node: object, key: object) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and key < len(node)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.sampled_from(["true", "false", "True", "1", "0", "", "null", "aws:kms", "AES256", "{}", "[]"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _value(data: st.DataObject, op: str, original: object) -> object:
    if op == "retype":
        return data.draw(SCALARS.filter(lambda v: type(v) is not type(original)), label="retyped")
    if op == "oversize":
        base = original if isinstance(original, str) else "A"
        return base + data.draw(st.sampled_from("x\u00e9/:.9"), label="pad") * data.draw(st.integers(257, 5_000))
    if op == "json":
        return json.dumps(original)
    if op == "nested_json":
        return json.dumps(json.dumps(original))
    if isinstance(original, str) and original and data.draw(st.booleans(), label="insert"):
        at = data.draw(st.integers(0, len(original)), label="at")
        return (
            original[:at]
            + data.draw(st.text(st.characters(min_codepoint=0x80), min_size=1, max_size=3))
            + original[at:]
        )
    return data.draw(st.text(st.characters(min_codepoint=0x80), min_size=1, max_size=40), label="multibyte")


def _mutate(data: st.DataObject, parts: dict) -> list[tuple[tuple, str]]:
    """1-3 mutations of `parts` in place (and sometimes an unknown parameter); the (path, operation) applied."""
    applied = []
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = _paths(parts)
        if not paths or data.draw(st.integers(0, 9), label="add") == 0:
            name = data.draw(st.sampled_from(["MaxAccessKeyAge", "RequireSymbols", "X", "\u00e9" * 3]), label="name")
            parts[PARAMETERS][name] = data.draw(SCALARS | st.text(max_size=20), label="parameter")
            applied.append(((PARAMETERS, name), "add"))
            continue
        path = data.draw(st.sampled_from(paths), label="path")
        op = data.draw(st.sampled_from(sorted(ALL)), label="op")
        located = _locate(parts, path)
        if located is None:
            continue
        node, key = located
        if op == "drop":
            del node[key]
        else:
            node[key] = _value(data, op, node[key])
        applied.append((path, op))
    return applied


def _unreadable(applied: list[tuple[tuple, str]], decisive: dict[tuple, frozenset]) -> bool:
    """Whether a surviving mutation changed a field the decision reads (or an object holding one) unreadably."""
    final = [
        (path, op)
        for n, (path, op) in enumerate(applied)
        if not any(later == path[: len(later)] for later, _ in applied[n + 1 :])
    ]
    for path, op in final:
        if path[0] == HISTORY and op == "multibyte":
            continue  # characters inserted into the history's JSON strings may land inside a value: still valid
        path = (ITEM, *path[1:]) if path[0] == HISTORY else path
        # The field itself, or an object holding one (judged by the object's own entry: JSON-encoding a
        # supplementary setting keeps it readable).
        if any(path == field[: len(path)] and op in decisive.get(path, ops) for field, ops in decisive.items()):
            return True
    return False


def _event(event: dict, parts: dict) -> dict:
    """The example event with the mutated parts put back as AWS Config sends them (JSON strings)."""
    event = {**event, "ruleParameters": json.dumps(parts[PARAMETERS])}
    if ITEM in parts:
        invoking = json.loads(event["invokingEvent"])
        invoking["configurationItem"] = parts[ITEM]
        event["invokingEvent"] = json.dumps(invoking)
    return event


@pytest.mark.parametrize("rule_name", RULES)
def test_mutated_events_never_crash_and_never_pass_an_unreadable_item(account, rule_name):
    module, examples, decisive = RULES[rule_name]
    baselines = {}
    for example in examples:
        event, parts = _subject(rule_name, example)
        if HISTORY in parts:
            account.respond("GetResourceConfigHistory", {"configurationItems": [parts[HISTORY]]})
        baselines[example] = module.lambda_handler(event, None)
    stats = STATS[rule_name]

    @fuzz_settings(25)
    @given(data=st.data())
    def run(data):
        example = data.draw(st.sampled_from(examples), label="example")
        event, parts = _subject(rule_name, example)
        applied = _mutate(data, parts)
        if HISTORY in parts:
            account.respond("GetResourceConfigHistory", {"configurationItems": [parts[HISTORY]]})
        stats["events"] += 1
        try:
            result = module.lambda_handler(_event(event, parts), None)
        except DELIBERATE:
            stats["refused (RuleEvaluationError)"] += 1
            return
        except Exception as error:
            stats["crashes"] += 1
            stats[f"crash {type(error).__name__}"] += 1
            if not MEASURING:
                raise
            return
        if isinstance(result, dict):
            stats["error responses"] += 1
            return
        compliance = {e["ComplianceType"] for e in result}
        for value in compliance:
            stats[value] += 1
        wrong = "COMPLIANT" in compliance and (
            _unreadable(applied, decisive) or "NON_COMPLIANT" in {e["ComplianceType"] for e in baselines[example]}
        )
        if wrong:
            stats["COMPLIANT on an unreadable or non-compliant item"] += 1
            if stats["COMPLIANT on an unreadable or non-compliant item"] <= 3:
                print(f"\n{rule_name}: {applied} made {example} COMPLIANT")
            assert MEASURING, f"{applied} made {example} COMPLIANT: {result}"

    run()
    assert stats["crashes"] == 0, dict(stats)
    assert stats["COMPLIANT on an unreadable or non-compliant item"] == 0, dict(stats)
