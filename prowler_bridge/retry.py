"""The failure queue's consumer: a Lambda fed by an SQS event source mapping (ReportBatchItemFailures).

The failure queue holds three shapes of message:
  failure message      the bridge's own (handler._failed): a runbook execution it started ended Failed, TimedOut
                       or Cancelled. Retried by starting the control's runbook again for the resource, after
                       re-validation against the ledger (the execution record the bridge wrote and the resource's
                       failure item), the catalogue (bridge_config.json) and the scope (Settings), through the
                       bridge's one-remediation-per-resource claim and its ClientToken. The message itself only
                       names the execution: what is started again comes from the ledger and the catalogue.
  on-failure record    Lambda's record of an asynchronous invocation of the bridge that failed every attempt
                       (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html): its
                       requestPayload, the original event, goes through the bridge's own handler again.
  EventBridge event    a rule could not deliver the event to the bridge (the target's dead-letter queue,
                       https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html): the body is the
                       original event; it goes through the bridge's own handler again.
A message that fails validation is parked (sent to PARKED_QUEUE_URL with the reason) with no SSM call. A transient
error keeps it in the queue, hidden for backoff_seconds(receive count) (ChangeMessageVisibility); on its
MAX_RECEIVE_COUNT-th receive it is parked, and the queue's redrive policy parks what the consumer could not. Every
decision is one JSON log line. Parked messages go back to the failure queue with SQS's dead-letter queue redrive
(StartMessageMoveTask) once their cause is fixed, naming the failure queue as DestinationArn: the messages the
consumer parked were sent to the parked queue, not moved there from a source queue by the redrive policy.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from typing import Any

from prowler_bridge import handler
from prowler_bridge.clients import client as aws_client
from prowler_bridge.findings import START_AUTOMATION, Decision, ledger_key, log_decision
from prowler_bridge.ledger import DEFAULT_LEASE_SECONDS, backoff_seconds
from prowler_bridge.settings import (
    BridgeConfig,
    ConfigurationError,
    DeployedControl,
    Settings,
    allowed_accounts,
    load_bridge_config,
    load_settings,
)

# Receives before SQS parks a message that keeps failing (the failure queue's redrive policy, infra); with
# backoff_seconds the retries come after 1, 2, 4 and 8 minutes.
MAX_RECEIVE_COUNT = 5
# Restarts of one resource's runbook after failed runs (the ledger's failure item counts them); then parked.
MAX_RESTARTS = 3
# Actions of the consumer's role: the bridge's own (it runs the bridge's handler and restart path), the event
# source mapping's (ReceiveMessage, DeleteMessage, GetQueueAttributes), the visibility backoff, and SendMessage
# to the parked queue (already among the bridge's).
IAM_ACTIONS = (
    *handler.IAM_ACTIONS,
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
)
# Skip reasons of the bridge that refuse the input itself (not ours, out of scope, malformed): such a redriven
# event is parked for a person, not dropped.
REFUSALS = frozenset(
    {
        "account_mismatch",
        "account_out_of_scope",
        "malformed_arn",
        "malformed_finding",
        "partition_mismatch",
        "region_mismatch",
        "region_out_of_scope",
        "spoofed_product",
        "unmapped_check",
        "unmapped_control",
        "unmapped_rule",
        "unmapped_document",
    }
)
_EXECUTION_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Refused(Exception):
    """The message cannot be retried as it is: park it with `reason`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


class Consumer:
    """One invocation's work on a batch of failure-queue records."""

    def __init__(
        self, config: BridgeConfig, settings: Settings, parked_queue_url: str, lease: int = DEFAULT_LEASE_SECONDS
    ) -> None:
        self.bridge = handler.Bridge(config, settings, lease_seconds=lease)
        self.config, self.settings, self.parked_queue_url = config, settings, parked_queue_url

    def handle(self, record: dict, context: Any) -> dict:
        """Retry, drop or park one SQS record; raises on a transient error (the record is retried later)."""
        try:
            return self._dispatch(record, context)
        except Refused as refusal:
            return self.park(record, refusal.reason, refusal.detail)

    def _dispatch(self, record: dict, context: Any) -> dict:
        try:
            body = json.loads(record.get("body") or "")
        except (TypeError, json.JSONDecodeError):
            raise Refused("malformed_message", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Refused("malformed_message", "the body is not a JSON object")
        if "requestContext" in body and "requestPayload" in body:
            return self.redrive(body["requestPayload"], context, "lambda_on_failure")
        if "detail-type" in body:
            return self.redrive(body, context, "eventbridge_dlq")
        if "execution_id" in body:
            return self.restart(body)
        raise Refused("malformed_message", "neither a failure message, an on-failure record nor an event")

    # -- events the bridge could not handle ---------------------------------------------------------------

    def redrive(self, event: object, context: Any, source: str) -> dict:
        """The original event through the bridge's own handler: its validation, scope and claims apply."""
        try:
            result = handler.lambda_handler(event, context)
        except ConfigurationError:
            raise
        except ValueError as problem:  # the bridge's verdict on bad input, before any change
            raise Refused("invalid_event", str(problem)[:300]) from None
        refused = sorted({d.get("reason") for d in result.get("decisions", [])} & REFUSALS)
        if refused:
            raise Refused("refused_by_bridge", ", ".join(refused))
        return log_decision("redriven", source=source, decisions=len(result.get("decisions", [])))

    # -- failed runbook executions --------------------------------------------------------------------------

    def restart(self, body: dict) -> dict:
        """Start the failed execution's runbook again for its resource, if the ledger, catalogue and scope agree
        and nothing fixed or started the resource since."""
        execution_id = body.get("execution_id")
        if not isinstance(execution_id, str) or not _EXECUTION_ID.match(execution_id):
            raise Refused("malformed_message", "execution_id is not an automation execution id")
        record = self.bridge.ledger.execution(execution_id)
        if record is None:
            raise Refused("no_execution_record", f"the bridge did not start {execution_id}")
        control = self.validate(record)
        resource = record.get("resource") or f"execution#{execution_id}"
        failure = self.bridge.ledger.failure(resource)
        fields = {"execution_id": execution_id, "control": control.id, "account": record["account"]}
        if failure is None or not failure["in_flight"] or failure["execution_id"] != execution_id:
            return log_decision("dropped", reason="failure_already_settled", resource=resource, **fields)
        if failure["attempts"] > MAX_RESTARTS:
            raise Refused("restarts_exhausted", f"{failure['attempts'] - 1} restarts of {resource} failed")
        if not record.get("resource"):
            raise Refused("no_resource_claim", f"{execution_id} was started without a resource claim")
        outcome = self._remediate(control, record, failure)
        self.bridge.ledger.settle_failure(resource, outcome["decision"])
        return outcome

    def validate(self, record: dict) -> DeployedControl:
        """The record's control, document, parameters and role as the catalogue has them, and in scope."""
        control = self.config.controls.get(record["control"])
        if control is None:
            raise Refused("unknown_control", f"{record['control']!r} is not in bridge_config.json")
        if record["document"] != control.document:
            raise Refused("foreign_document", f"{record['document']!r} is not {control.id}'s {control.document}")
        account, region, parameters = record["account"], record["region"], record["parameters"]
        role = control.role_arn(self.bridge.partition, account, region)
        if parameters.get(handler.ASSUME_ROLE_PARAMETER) != role:
            raise Refused("foreign_role", f"AutomationAssumeRole is not {role}")
        expected = {**control.parameters, control.resource_parameter: parameters.get(control.resource_parameter)}
        if "Trigger" in parameters:  # the runbook's guard step: this control, started by the bridge
            expected.update(ControlId=control.id, Trigger=parameters["Trigger"])
            if parameters["Trigger"] not in handler.BRIDGE_TRIGGERS:
                raise Refused("parameters_mismatch", f"Trigger {parameters['Trigger']!r} is not the bridge's")
        if (
            not parameters.get(control.resource_parameter)
            or {k: v for k, v in parameters.items() if k != handler.ASSUME_ROLE_PARAMETER} != expected
        ):
            raise Refused("parameters_mismatch", f"parameters are not shaped as {control.id} expects")
        home = control.home_region_only and region == self.config.home_region
        if region not in self.settings.allowed_regions and not home:
            raise Refused("region_out_of_scope", region)
        if account not in allowed_accounts(self.settings):
            raise Refused("account_out_of_scope", account)
        return control

    def _remediate(self, control: DeployedControl, record: dict, failure: dict) -> dict:
        """The bridge's restart path: claim the resource (a fresh finding's run and this one never both start),
        ask AWS Config whether it is compliant since the failure, start with the claim's ClientToken."""
        findings = failure["findings"] or record["findings"]
        findings = list({(f["Id"], f["ProductArn"]): f for f in findings}.values())
        if not findings:
            raise Refused("no_findings", "the failed execution served no finding")
        decisions = [
            Decision(
                finding_id=ledger_key(finding["Id"]),
                action=START_AUTOMATION,
                control=control,
                product_arn=finding["ProductArn"],
                account=record["account"],
                region=record["region"],
                raw_id=finding["Id"],
                product_uid=finding.get("ProductUid"),
            )
            for finding in findings
        ]
        failed_at = datetime.fromtimestamp(failure["failed_at"], UTC).strftime("%Y-%m-%dT%H:%M:%S")
        resource_id = record["parameters"][control.resource_parameter]
        # All the failed run's findings claim the resource in one write: the new run updates each when it ends.
        outcomes = self.bridge._remediate_once(decisions, False, record["securityhub_region"], failed_at, resource_id)
        lines = [outcome.log(kind="imported") for outcome in outcomes]  # one line per finding, as for an import
        result = lines[0]
        name = {"started": "restarted", "attached": "dropped", "skipped": "dropped"}.get(result["decision"], "dropped")
        return log_decision(
            name,
            reason=None if name == "restarted" else result.get("reason") or "already_started",
            previous_execution_id=record["execution_id"],
            execution_id=result.get("execution_id"),
            control=control.id,
            account=record["account"],
            region=record["region"],
            resource_id=resource_id,
            attempt=failure["attempts"],
        )

    # -- parking ------------------------------------------------------------------------------------------

    def park(self, record: dict, reason: str, detail: str = "") -> dict:
        """Send the message to the parked queue with the reason; the event source mapping then deletes it."""
        aws_client("sqs").send_message(
            QueueUrl=self.parked_queue_url,
            MessageBody=record.get("body") or "",
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": reason},
                "detail": {"DataType": "String", "StringValue": (detail or reason)[:1000]},
            },
        )
        self._settle_parked(record)
        return log_decision("parked", reason=reason, detail=detail or None, message_id=record.get("messageId"))

    def _settle_parked(self, record: dict) -> None:
        """A parked failure message no longer holds its resource's failure item (later failures queue again,
        and count on: a resource whose restarts are exhausted is parked at once until the item expires)."""
        try:
            body = json.loads(record.get("body") or "")
            resource = body.get("resource") if isinstance(body, dict) else None
            if isinstance(resource, str) and resource.startswith(("resource#", "execution#")):
                failure = self.bridge.ledger.failure(resource)
                if failure and failure["execution_id"] == body.get("execution_id"):
                    self.bridge.ledger.settle_failure(resource, "parked")
        except Exception as error:  # parked already: the item's lease runs out by itself
            log_decision("ledger_settle_failed", error=f"{type(error).__name__}: {error}")

    def give_up(self, record: dict, error: str) -> bool:
        """After a transient error: on the last receive park the record (True: done with it), else hide it for
        backoff_seconds(its receive count) before SQS delivers it again (False: report it failed). A record this
        cannot park either is parked by the queue's redrive policy on its next receive."""
        count = _receive_count(record)
        if count >= MAX_RECEIVE_COUNT:
            try:
                self.park(record, "retries_exhausted", error)
                return True
            except Exception as problem:
                log_decision("park_failed", message_id=record.get("messageId"), error=f"{type(problem).__name__}")
        log_decision("retry_later", message_id=record.get("messageId"), receive_count=count, error=error)
        self._hide(record, backoff_seconds(count))
        return False

    def _hide(self, record: dict, seconds: int) -> None:
        try:
            aws_client("sqs").change_message_visibility(
                QueueUrl=self.settings.failure_queue_url,
                ReceiptHandle=record["receiptHandle"],
                VisibilityTimeout=seconds,
            )
        except Exception as error:  # the queue's own visibility timeout applies instead
            log_decision("backoff_failed", message_id=record.get("messageId"), error=f"{type(error).__name__}: {error}")


def _receive_count(record: dict) -> int:
    count = str(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
    return int(count) if count.isdigit() else 1


def lambda_handler(event: Any, context: Any = None) -> dict:
    """Entry point (SQS event source mapping): {"batchItemFailures": [the records to receive again]}."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) and "messageId" in r for r in records):
        raise ValueError("event must be an SQS batch: {'Records': [{'messageId': ..., 'body': ...}, ...]}")
    parked = os.environ.get("PARKED_QUEUE_URL")
    if not parked:
        raise ConfigurationError("missing environment variable(s): PARKED_QUEUE_URL")
    remaining_ms = context.get_remaining_time_in_millis() if hasattr(context, "get_remaining_time_in_millis") else None
    lease = DEFAULT_LEASE_SECONDS if remaining_ms is None else max(1, int(remaining_ms / 1000) + 1)
    consumer = Consumer(load_bridge_config(), load_settings(), parked, lease)
    failures = []
    for record in records:
        try:
            consumer.handle(record, context)
        except ConfigurationError:
            raise
        except Exception as error:
            if not consumer.give_up(record, f"{type(error).__name__}: {error}"):
                failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
