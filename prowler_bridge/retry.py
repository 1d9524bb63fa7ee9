"""Retry failed remediations: start again each execution queued in FAILURE_QUEUE_URL by the bridge.

For each failure message the runbook is started again with the same document and parameters, taken
from the ledger record the bridge wrote when it started the execution (never from the message). A failed
execution the bridge did not start (AWS Config's own remediation) has no ledger record: its document and
parameters are read from SSM (ssm:GetAutomationExecution) in the execution's account and region.
A message is deleted only after its new execution started; one that cannot be retried stays in the
queue (the queue's redrive policy moves it to its dead-letter queue after a few attempts).

    python -m prowler_bridge.retry --queue-url https://sqs.<region>.amazonaws.com/<account>/<queue>

Environment: LEDGER_TABLE (required), MEMBER_ROLE_NAME, MEMBER_ROLE_PATH (the bridge function's values),
LEDGER_TTL_HOURS, AWS_REGION.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping

import boto3

from prowler_bridge.accounts import AccountClients
from prowler_bridge.findings import log_decision
from prowler_bridge.ledger import Ledger
from prowler_bridge.settings import (
    DEFAULT_LEDGER_TTL_HOURS,
    DEFAULT_MEMBER_ROLE_NAME,
    member_role_path_setting,
    partition_for,
)

# Actions whoever runs the retry needs (plus iam:PassRole on the runbook roles, sts:AssumeRole into
# member accounts, ssm:GetAutomationExecution there for executions the bridge did not start).
IAM_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "ssm:GetAutomationExecution",
    "ssm:StartAutomationExecution",
    "iam:PassRole",
    "sts:GetCallerIdentity",
    "sts:AssumeRole",
)
SQS_BATCH_MAX = 10
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


class _Retrier:
    def __init__(self, environ: Mapping[str, str]) -> None:
        table = environ.get("LEDGER_TABLE")
        if not table:
            raise ValueError("LEDGER_TABLE must name the bridge's ledger table (the retry reads executions there)")
        ttl = environ.get("LEDGER_TTL_HOURS") or str(DEFAULT_LEDGER_TTL_HOURS)
        if not ttl.isdigit() or int(ttl) < 1:
            raise ValueError(f"LEDGER_TTL_HOURS must be a whole number of hours >= 1; got {ttl!r}")
        self.region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.ledger = Ledger(table, int(ttl))
        self.accounts = AccountClients(
            environ.get("MEMBER_ROLE_NAME") or DEFAULT_MEMBER_ROLE_NAME,
            partition_for(self.region),
            member_role_path_setting(environ),
        )

    def plan(self, body: dict) -> dict | None:
        """What to start again for one failure message, or None (logged) if it cannot be retried."""
        execution_id = body.get("execution_id")
        record = self.ledger.execution(execution_id)
        if record:
            return record
        account, region = body.get("account"), body.get("region")
        if not (
            isinstance(account, str) and _ACCOUNT.match(account) and isinstance(region, str) and _REGION.match(region)
        ):
            log_decision("skipped", reason="malformed_message", execution_id=execution_id, detail="account/region")
            return None
        execution = self.accounts.factory(account, region)("ssm").get_automation_execution(
            AutomationExecutionId=execution_id
        )["AutomationExecution"]
        parameters = execution.get("Parameters") or {}
        if any(len(values) != 1 for values in parameters.values()):
            log_decision("skipped", reason="unsupported_parameters", execution_id=execution_id)
            return None
        findings = body.get("findings") if isinstance(body.get("findings"), list) else []
        return {
            "findings": [f for f in findings if isinstance(f, dict) and {"Id", "ProductArn"} <= set(f)],
            "control": body.get("control") if isinstance(body.get("control"), str) else "",
            "account": account,
            "region": region,
            "document": execution["DocumentName"],
            "parameters": {k: v[0] for k, v in parameters.items()},
            "securityhub_region": region,
        }

    def start(self, execution_id: str, plan: dict) -> str:
        """Start the runbook again and record the new execution (so its status updates the same findings)."""
        ssm = self.accounts.factory(plan["account"], plan["region"])("ssm")
        new_id = ssm.start_automation_execution(
            DocumentName=plan["document"], Parameters={k: [v] for k, v in plan["parameters"].items()}
        )["AutomationExecutionId"]
        try:
            self.ledger.record_execution(
                new_id,
                findings=plan["findings"],
                control=plan["control"],
                account=plan["account"],
                region=plan["region"],
                document=plan["document"],
                parameters=plan["parameters"],
                securityhub_region=plan["securityhub_region"],
            )
        except Exception as error:  # the execution runs; only its link to the findings is lost
            log_decision("ledger_write_failed", execution_id=new_id, error=f"{type(error).__name__}: {error}")
        log_decision(
            "restarted",
            execution_id=new_id,
            previous_execution_id=execution_id,
            document=plan["document"],
            account=plan["account"],
            region=plan["region"],
        )
        return new_id


def redrive(queue_url: str, max_messages: int = 10) -> list[str]:
    """Receive up to `max_messages` failure messages, start each remediation again; the new execution ids."""
    if not isinstance(queue_url, str) or not queue_url.startswith("https://"):
        raise ValueError(f"queue_url must be an SQS queue URL (https://sqs...); got {queue_url!r}")
    if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 1:
        raise ValueError(f"max_messages must be a whole number >= 1; got {max_messages!r}")
    retrier = _Retrier(os.environ)
    sqs = boto3.client("sqs")
    started: list[str] = []
    received = 0
    while received < max_messages:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=min(SQS_BATCH_MAX, max_messages - received), WaitTimeSeconds=1
        ).get("Messages", [])
        if not batch:
            break
        received += len(batch)
        for message in batch:
            try:
                body = json.loads(message["Body"])
            except (KeyError, TypeError, json.JSONDecodeError):
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("execution_id"), str):
                log_decision("skipped", reason="malformed_message", message_id=message.get("MessageId"))
                continue
            try:
                plan = retrier.plan(body)
                if plan is None:
                    continue
                new_id = retrier.start(body["execution_id"], plan)
            except Exception as error:
                log_decision("failed", execution_id=body["execution_id"], error=f"{type(error).__name__}: {error}")
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            started.append(new_id)
    return started


def main(argv: list[str] | None = None) -> int:
    """Command line: redrive the failure queue, print the new execution ids as JSON."""
    parser = argparse.ArgumentParser(prog="python -m prowler_bridge.retry", description=__doc__.split("\n")[0])
    parser.add_argument("--queue-url", required=True, help="the bridge's failure queue (FAILURE_QUEUE_URL)")
    parser.add_argument("--max-messages", type=int, default=10, help="messages to process at most (default 10)")
    args = parser.parse_args(argv)
    try:
        started = redrive(args.queue_url, args.max_messages)
    except ValueError as problem:
        parser.error(str(problem))
    print(json.dumps({"started": started}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
