"""The remediation history of `remedy report`: the bridge's audit records, read-only.

Where a runbook's previous state is kept durably: the bridge writes one JSON record per runbook execution that
ends (prowler_bridge/audit.py) to its audit bucket, under audit/<yyyy>/<mm>/<dd>/<account>/<region>/<id>.json,
with the execution's outputs (PreviousState, PlannedState, CurrentState). The ledger table (prowler_bridge/
ledger.py) holds idempotency claims that expire, not states. The bucket's name is the bridge function's
AUDIT_BUCKET variable; the function is found by its REMEDY_DEPLOYMENT variable (the resource prefix).
Calls, all reads through a session guarded as the scan's is: lambda:ListFunctions, s3:ListObjectsV2, s3:GetObject
(which needs kms:Decrypt on the bucket's key, as the bucket is SSE-KMS:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import botocore.exceptions

from remedy_cli.aws import ReadOnlyViolationError

# The bridge's names (prowler_bridge/audit.py, prowler_bridge/findings.py, infra/bridge_operations.py), repeated
# here because the installed command does not ship the bridge; tests/remedy_cli/test_report.py keeps them equal.
AUDIT_PREFIX = "audit/"
DEPLOYMENT_VARIABLE = "REMEDY_DEPLOYMENT"
AUDIT_BUCKET_VARIABLE = "AUDIT_BUCKET"
MAX_RECORDS = 500  # the newest records read; older ones are counted and named in the note
STATE_OUTPUTS = ("Message", "PreviousState", "PlannedState", "CurrentState")
# What a history read that fails raises: nothing reachable, not allowed, not deployed as expected.
READ_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, ReadOnlyViolationError)


def skipped(note: str, source: str = "") -> dict:
    """The history section when it was not read, with why."""
    return {"read": False, "source": source, "note": note, "executions": []}


def find_audit_bucket(session: boto3.Session, regions: list[str], prefix: str) -> tuple[str, str] | None:
    """(bucket, region) of the audit bucket of the deployment `prefix`, from its bridge function's environment in
    the first of `regions` that has one. ListFunctions returns each function's environment variables
    (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html)."""
    for region in regions:
        pages = session.client("lambda", region_name=region).get_paginator("list_functions").paginate()
        for page in pages:
            for function in page.get("Functions", []):
                variables = (function.get("Environment") or {}).get("Variables") or {}
                if variables.get(DEPLOYMENT_VARIABLE) == prefix and variables.get(AUDIT_BUCKET_VARIABLE):
                    return variables[AUDIT_BUCKET_VARIABLE], region
    return None


def _key_fields(key: str) -> tuple[str, str, str] | None:
    """(yyyy/mm/dd, account, region) of an audit record's key, None for any other key."""
    parts = key[len(AUDIT_PREFIX) :].split("/")
    if len(parts) != 6 or not parts[5].endswith(".json"):
        return None
    return "/".join(parts[:3]), parts[3], parts[4]


def record_keys(s3: Any, bucket: str, accounts: set[str], since: datetime) -> list[str]:
    """The keys of the records dated `since` or later, of `accounts` (all when empty), newest first. Keys are
    listed in UTF-8 binary order from StartAfter, so the dated prefix skips older days without listing them
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html)."""
    start = f"{AUDIT_PREFIX}{since:%Y/%m/%d}"
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=AUDIT_PREFIX, StartAfter=start):
        for item in page.get("Contents", []):
            fields = _key_fields(item["Key"])
            if fields and fields[0] >= f"{since:%Y/%m/%d}" and (not accounts or fields[1] in accounts):
                keys.append(item["Key"])
    return sorted(keys, key=lambda k: (_key_fields(k) or ("",))[0], reverse=True)


def _decoded(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def states(outputs: dict) -> dict:
    """Message, PreviousState, PlannedState and CurrentState from an execution's Outputs ("Step.Name": [value]),
    also where a step returns them inside one map output (a `Result`); JSON text decoded."""
    found: dict = {}
    for name, values in sorted(outputs.items()):
        value = _decoded(values[0]) if isinstance(values, list) and len(values) == 1 else values
        if isinstance(value, dict):
            found.update({key: _decoded(value[key]) for key in STATE_OUTPUTS if key in value})
        output = name.rsplit(".", 1)[-1]
        if output in STATE_OUTPUTS:
            found[output] = value
    return found


def execution_entry(record: dict, key: str) -> dict:
    """One execution of the history from its audit record."""
    found = states(record.get("outputs") or {})
    return {
        "execution_id": record.get("execution_id"),
        "control": record.get("control"),
        "account": record.get("account"),
        "region": record.get("region"),
        "resource_id": record.get("resource_id"),
        "document": record.get("document"),
        "status": record.get("status"),
        "trigger": record.get("trigger"),
        "start_time": record.get("start_time"),
        "end_time": record.get("end_time"),
        "message": found.get("Message"),
        "previous_state": found.get("PreviousState"),
        "planned_state": found.get("PlannedState"),
        "current_state": found.get("CurrentState"),
        "failure_message": record.get("failure_message"),
        "record": key,
    }


def read_history(
    session_for: Callable[[str], boto3.Session],
    *,
    regions: list[str],
    prefix: str,
    bucket: str | None,
    accounts: set[str],
    since: datetime,
) -> dict:
    """The history section: the executions of `accounts` since `since`, newest first, from the audit bucket named
    or found; skipped with a note when there is none or it cannot be read."""
    if not regions:
        return skipped("not read: no region to look for the bridge in (give --region)")
    try:
        where = (bucket, regions[0]) if bucket else find_audit_bucket(session_for(regions[0]), regions, prefix)
    except READ_ERRORS as problem:
        return skipped(f"not read: looking for the bridge: {type(problem).__name__}: {problem}")
    if where is None:
        return skipped(
            f"not read: no Remedy bridge of deployment {prefix!r} in {', '.join(regions)} (not deployed, or "
            "deployed in another account or region: give --audit-bucket, or the --region and --profile of the "
            "bridge's account)"
        )
    source = f"s3://{where[0]}/{AUDIT_PREFIX}"
    try:
        s3 = session_for(where[1]).client("s3", region_name=where[1])
        keys = record_keys(s3, where[0], accounts, since)
        executions = [
            execution_entry(json.loads(s3.get_object(Bucket=where[0], Key=key)["Body"].read()), key)
            for key in keys[:MAX_RECORDS]
        ]
    except (*READ_ERRORS, ValueError) as problem:  # ValueError: a record that is not JSON
        return skipped(f"not read: {type(problem).__name__}: {problem}", source)
    executions.sort(key=lambda e: str(e.get("end_time") or ""), reverse=True)
    note = f"{len(executions)} runbook execution(s) ended since {since:%Y-%m-%d}"
    if len(keys) > MAX_RECORDS:
        note += f"; the newest {MAX_RECORDS} of {len(keys)} records read"
    return {"read": True, "source": source, "note": note, "executions": executions}


def window_start(now: datetime, days: int) -> datetime:
    """The first day of a history of `days` days ending `now`."""
    return now - timedelta(days=max(days, 0))
