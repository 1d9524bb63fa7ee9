"""The bridge's ledger in DynamoDB: idempotency claims and execution -> findings records.

One table, partition key "pk" (string), TTL attribute "expires_at" (epoch seconds). Items:
  finding#<finding Id>          a claim: this finding was acted on at claimed_at. Prowler re-imports the
                                same finding Id every scan; a live claim makes the re-import a duplicate. A
                                batch's finding claims are written, confirmed and released 100 to a transaction.
  resource#<control>#<account>#<region>#<resource id>
                                one remediation per resource: the invocation that claims it starts the
                                runbook (state "starting" under a lease as long as that invocation can live,
                                then "started" with the execution id); every other finding about the resource
                                attaches to it ("findings", all of a batch's in one write) and is updated when
                                the execution ends. A claim
                                whose lease ran out without a start is taken over with the same generation,
                                and so the same SSM ClientToken: a start that did happen is not repeated.
  execution#<ExecutionId>       which findings, control, account, region, document and parameters an
                                automation execution serves (read by the status handler and the retry).
  status#<ExecutionId>#<Status> one status notification handled (EventBridge delivers at least once); a lease
                                as long as the handling invocation can live, until it was handled.
  failure#<resource key>        the failure of a resource's run queued for retry: at most one failure message
                                per (control, account, region, resource) is in flight (lease_until in the
                                future); a later failure of the same resource adds its findings to it. The
                                retry consumer reads findings and attempts from here, never from the message.
DynamoDB deletes expired items lazily (up to days late), so every claim also compares expires_at itself.
Keys stay under DynamoDB's 2,048-byte partition key: a longer one is replaced by its SHA-256.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from prowler_bridge.clients import client as aws_client

# Executions can outlive the claim TTL (an EBS volume copy takes hours); their records stay longer so a
# late status change still finds its findings.
EXECUTION_TTL_SECONDS = 14 * 24 * 3600
CUSTOM_ACTION_MIN_AGE_SECONDS = 5 * 60
# A claim without a start is the claiming invocation's for at most its own lifetime (the bridge's timeout).
DEFAULT_LEASE_SECONDS = 60
# The retry schedule of a failure, by attempt n (1, 2, ...): BASE * 2^(n-1) seconds, capped at SQS's largest
# message delay, 900 s (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-delay-queues.html);
# the retry consumer uses the same schedule for its message visibility (far below SQS's 12 hours:
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 900
KEY_MAX_BYTES = 1_024  # half of DynamoDB's 2,048-byte partition key: room for the prefix
# TransactWriteItems takes up to 100 actions, no two on one item, of at most 4 MB together:
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html. A finding claim is
# its key (at most KEY_MAX_BYTES + the prefix) and two numbers, and its finding id (a ledger key, at most 1,024
# bytes: findings.LEDGER_KEY_MAX): 100 of them stay far below 4 MB and DynamoDB's 400 KB per item
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html). A transaction's Put,
# Update and Delete need the same IAM actions as PutItem, UpdateItem and DeleteItem:
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
TRANSACTION_MAX_ITEMS = 100
STARTING, STARTED = "starting", "started"
_TOKEN_NAMESPACE = uuid.UUID("8f1f6c52-4b0e-4f2c-9d8e-3d5a2e7c9b10")


def bounded_key(prefix: str, text: str) -> str:
    """`prefix` + `text`, or + the SHA-256 of `text` when it is too long for a DynamoDB key."""
    if len(text.encode()) <= KEY_MAX_BYTES:
        return prefix + text
    return prefix + "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def chunks(items: list, size: int) -> list[list]:
    """`items` in consecutive lists of at most `size`."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def resource_pk(control: str, account: str, region: str, resource_id: str) -> str:
    """The ledger key of one remediation target."""
    return bounded_key("resource#", f"{control}#{account}#{region}#{resource_id}")


def backoff_seconds(attempt: int) -> int:
    """Seconds to wait before retry `attempt` (1-based): exponential, capped."""
    return min(RETRY_BASE_SECONDS * 2 ** min(max(attempt, 1) - 1, 16), RETRY_MAX_SECONDS)


def failure_pk(resource: str) -> str:
    """The ledger key of a resource's queued failure (`resource`: its resource# key, or execution#<id>)."""
    return bounded_key("failure#", resource)


@dataclass(frozen=True)
class ResourceClaim:
    """The outcome of claiming a resource: ours to start (`owner`), or another run's to attach to."""

    pk: str
    owner: bool
    client_token: str
    execution_id: str | None = None


class Ledger:
    """Conditional writes to the ledger table; every method is one DynamoDB call, except claim_resource (up to
    three) and the batch methods for findings (one transaction per TRANSACTION_MAX_ITEMS, claim_findings one more
    when claims were refused)."""

    def __init__(self, table_name: str, ttl_hours: int, client: Any = None) -> None:
        self.table_name = table_name
        self.ttl_seconds = ttl_hours * 3600
        self._client = client

    @property
    def client(self) -> Any:
        """The DynamoDB client, created on first use (so bad input makes no AWS client or call)."""
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    def _claim(self, pk: str, attributes: dict[str, dict], condition: str, values: dict[str, dict]) -> bool:
        now = int(time.time())
        item = {
            "pk": {"S": pk},
            "claimed_at": {"N": str(now)},
            "expires_at": {"N": str(now + self.ttl_seconds)},
            **attributes,
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def claim_resource(
        self, pk: str, findings: list[dict[str, str]], lease_seconds: int = DEFAULT_LEASE_SECONDS
    ) -> ResourceClaim:
        """Claim the resource for one remediation, or attach `findings` (a batch's findings about it, in one
        write) to the run that holds it.

        Three conditional writes at most: a fresh claim (no item, or an expired one); the take-over of a claim
        whose lease ran out before a start (same generation, so the same ClientToken); else an attachment.
        """
        now = int(time.time())
        listed = {":findings": {"L": [_finding_item(f) for f in findings]}}
        fresh = self._update_claim(
            pk,
            "SET #state = :starting, lease_until = :lease, claimed_at = :now, expires_at = :expires, "
            "generation = :generation, findings = :findings REMOVE execution_id",
            "attribute_not_exists(pk) OR expires_at < :now",
            {":generation": {"S": str(uuid.uuid4())}, **listed},
            now,
            lease_seconds,
        )
        if fresh is not None:
            return ResourceClaim(pk, True, _client_token(pk, fresh))
        retaken = self._update_claim(
            pk,
            "SET lease_until = :lease, claimed_at = :now, findings = list_append(findings, :findings)",
            "#state = :starting AND lease_until < :now AND expires_at >= :now",
            listed,
            now,
            lease_seconds,
        )
        if retaken is not None:
            return ResourceClaim(pk, True, _client_token(pk, retaken))
        return self._attach(pk, findings)

    def _update_claim(
        self, pk: str, update: str, condition: str, values: dict, now: int, lease_seconds: int
    ) -> dict | None:
        """One conditional UpdateItem; the new item, or None when the condition does not hold."""
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": pk}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"} if "#state" in update + condition else {},
                ExpressionAttributeValues={
                    ":now": {"N": str(now)},
                    **({":starting": {"S": STARTING}} if ":starting" in update + condition else {}),
                    **({":lease": {"N": str(now + lease_seconds)}} if ":lease" in update else {}),
                    **({":expires": {"N": str(now + self.ttl_seconds)}} if ":expires" in update else {}),
                    **values,
                },
                ReturnValues="ALL_NEW",
            )
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return response["Attributes"]

    def _attach(self, pk: str, findings: list[dict[str, str]]) -> ResourceClaim:
        """Add the findings to a live claim, in one write; its run updates them when it ends."""
        response = self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": pk}},
            UpdateExpression="SET findings = list_append(findings, :findings)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":findings": {"L": [_finding_item(f) for f in findings]}},
            ReturnValues="ALL_NEW",
        )
        item = response["Attributes"]
        execution = item.get("execution_id", {}).get("S")
        return ResourceClaim(pk, False, _client_token(pk, item), execution)

    def mark_started(self, pk: str, execution_id: str) -> None:
        """The claim's run started: later findings attach to `execution_id` until it ends."""
        self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": pk}},
            UpdateExpression="SET #state = :started, execution_id = :execution",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":started": {"S": STARTED}, ":execution": {"S": execution_id}},
        )

    def end_lease(self, pk: str) -> None:
        """The claiming invocation failed before recording a start: let its retry take the claim over now."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": pk}},
                UpdateExpression="SET lease_until = :zero",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":zero": {"N": "0"}},
            )
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def resource_findings(self, pk: str) -> list[dict[str, str]]:
        """Every finding attached to the resource's claim, each once, in attachment order."""
        response = self.client.get_item(TableName=self.table_name, Key={"pk": {"S": pk}}, ConsistentRead=True)
        items = (response.get("Item") or {}).get("findings", {}).get("L", [])
        findings = [_finding(f) for f in items]
        return list({(f["Id"], f["ProductArn"]): f for f in findings}.values())

    def release_resource(self, pk: str) -> None:
        """End the claim (its run ended, or could not start): the next finding is decided afresh."""
        self.client.delete_item(TableName=self.table_name, Key={"pk": {"S": pk}})

    def claim_findings(
        self, finding_ids: list[str], min_age_seconds: int | None = None, lease_seconds: int | None = None
    ) -> set[str]:
        """Claim up to TRANSACTION_MAX_ITEMS findings in one transaction; the ids claimed (the others have a live
        claim: duplicates, or lost races).

        `min_age_seconds` (custom actions): a live claim older than this may be taken over, so a person can
        re-run a remediation deliberately but a double click does nothing. `lease_seconds`: the claims live
        only that long until `confirm_findings` (an invocation killed before it acted leaves no lasting claim).
        A transaction is all or nothing: when claims were refused, DynamoDB names them in CancellationReasons,
        one per action in order (ConditionalCheckFailed, else None:
        https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html), and the
        rest are claimed again without them: a batch without duplicates takes one call, with some two (more only
        when claims race). A
        cancellation that names no reasons falls back to one conditional PutItem per finding.
        """
        pending = list(dict.fromkeys(finding_ids))
        if len(pending) > TRANSACTION_MAX_ITEMS:
            raise ValueError(f"at most {TRANSACTION_MAX_ITEMS} finding claims to a transaction")
        while pending:
            puts = [{"Put": self._finding_claim(finding_id, min_age_seconds, lease_seconds)} for finding_id in pending]
            try:
                self.client.transact_write_items(TransactItems=puts)
                return set(pending)
            except botocore.exceptions.ClientError as error:
                if _error_code(error) == "TransactionCanceledException" and not error.response.get(
                    "CancellationReasons"
                ):
                    return {f for f, put in zip(pending, puts, strict=True) if self._put_if(put["Put"])}
                refused = _refused_by_condition(error, len(pending))
                if refused is None:
                    raise
                pending = [finding_id for finding_id, no in zip(pending, refused, strict=True) if not no]
        return set()

    def _put_if(self, put: dict) -> bool:
        """One conditional PutItem; False when its condition does not hold."""
        try:
            self.client.put_item(**put)
        except botocore.exceptions.ClientError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _finding_claim(self, finding_id: str, min_age_seconds: int | None, lease_seconds: int | None) -> dict:
        """A finding claim's conditional Put: no live claim (or, with `min_age_seconds`, none that young)."""
        now = int(time.time())
        condition = "attribute_not_exists(pk) OR expires_at < :now"
        values = {":now": {"N": str(now)}}
        if min_age_seconds is not None:
            condition += " OR claimed_at < :cutoff"
            values[":cutoff"] = {"N": str(now - min_age_seconds)}
        expires = now + (lease_seconds if lease_seconds is not None else self.ttl_seconds)
        item = {
            "pk": {"S": bounded_key("finding#", finding_id)},
            "claimed_at": {"N": str(now)},
            "expires_at": {"N": str(expires)},
            "finding_id": {"S": finding_id},
        }
        return {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }

    def confirm_findings(self, finding_ids: list[str]) -> None:
        """The findings were acted on: their claims now last the ledger's TTL (re-imports are duplicates). One
        transaction per TRANSACTION_MAX_ITEMS findings."""
        expires = {":expires": {"N": str(int(time.time()) + self.ttl_seconds)}}
        for chunk in chunks(list(dict.fromkeys(finding_ids)), TRANSACTION_MAX_ITEMS):
            updates = [
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": {"pk": {"S": bounded_key("finding#", finding_id)}},
                        "UpdateExpression": "SET expires_at = :expires",
                        "ExpressionAttributeValues": expires,
                    }
                }
                for finding_id in chunk
            ]
            self.client.transact_write_items(TransactItems=updates)

    def release_findings(self, finding_ids: list[str]) -> None:
        """Drop claims whose remediation could not be started, so the next import or a retry can act. One
        transaction per TRANSACTION_MAX_ITEMS findings."""
        for chunk in chunks(list(dict.fromkeys(finding_ids)), TRANSACTION_MAX_ITEMS):
            deletes = [
                {"Delete": {"TableName": self.table_name, "Key": {"pk": {"S": bounded_key("finding#", finding_id)}}}}
                for finding_id in chunk
            ]
            self.client.transact_write_items(TransactItems=deletes)

    def release_status(self, execution_id: str, status: str) -> None:
        """Drop a status claim whose handling failed, so EventBridge's retry handles it again."""
        self.client.delete_item(TableName=self.table_name, Key={"pk": {"S": f"status#{execution_id}#{status}"}})

    def claim_status(self, execution_id: str, status: str, lease_seconds: int | None = None) -> bool:
        """Claim the handling of one execution status notification; False if it was handled already.
        `lease_seconds`: the claim lives only that long until `confirm_status` (an invocation killed while
        handling it leaves no lasting claim, so Lambda's retry handles it)."""
        now = int(time.time())
        attributes = {"expires_at": {"N": str(now + lease_seconds)}} if lease_seconds is not None else {}
        return self._claim(
            f"status#{execution_id}#{status}",
            attributes,
            "attribute_not_exists(pk) OR expires_at < :now",
            {":now": {"N": str(now)}},
        )

    def confirm_status(self, execution_id: str, status: str) -> None:
        """The status was handled: its claim now lasts the ledger's TTL (redeliveries are duplicates)."""
        self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": f"status#{execution_id}#{status}"}},
            UpdateExpression="SET expires_at = :expires",
            ExpressionAttributeValues={":expires": {"N": str(int(time.time()) + self.ttl_seconds)}},
        )

    def record_execution(
        self,
        execution_id: str,
        *,
        findings: list[dict[str, str]],
        control: str,
        account: str,
        region: str,
        document: str,
        parameters: dict[str, str],
        securityhub_region: str,
        resource: str | None = None,
    ) -> None:
        """Remember what an execution serves, for its status change and for a retry; `resource` is the
        ledger key of the resource claim whose attached findings it also serves."""
        now = int(time.time())
        item = {
            "pk": {"S": f"execution#{execution_id}"},
            "execution_id": {"S": execution_id},
            "findings": {"L": [_finding_item(f) for f in findings]},
            "control": {"S": control},
            "account": {"S": account},
            "region": {"S": region},
            "document": {"S": document},
            "parameters": {"M": {k: {"S": v} for k, v in parameters.items()}},
            "securityhub_region": {"S": securityhub_region},
            "started_at": {"N": str(now)},
            "expires_at": {"N": str(now + max(self.ttl_seconds, EXECUTION_TTL_SECONDS))},
        }
        if resource:
            item["resource"] = {"S": resource}
        self.client.put_item(TableName=self.table_name, Item=item)

    def claim_failure(
        self, resource: str, execution_id: str, findings: list[dict[str, str]], lease_seconds: int
    ) -> int | None:
        """Queue one failure of `resource` for retry: the attempt number (1, 2, ...) when the caller is to send
        the failure message, under a lease until confirm_failure; None when a message for the resource is in
        flight already (the findings were added to it). A killed sender's lease runs out: the next failure
        queues again. An item older than EXECUTION_TTL_SECONDS starts counting afresh."""
        now = int(time.time())
        values = {
            ":execution": {"S": execution_id},
            ":findings": {"L": [_finding_item(f) for f in findings]},
            ":lease": {"N": str(now + lease_seconds)},
            ":now": {"N": str(now)},
            ":expires": {"N": str(now + max(self.ttl_seconds, EXECUTION_TTL_SECONDS))},
        }
        for condition, attempts in (
            ("attribute_not_exists(pk) OR expires_at < :now", ":one"),
            ("lease_until < :now", "attempts + :one"),
        ):
            item = self._failure_update(
                resource,
                f"SET attempts = {attempts}, execution_id = :execution, findings = :findings, "
                "failed_at = :now, lease_until = :lease, expires_at = :expires",
                condition,
                {**values, ":one": {"N": "1"}},
            )
            if item is not None:
                return int(item["attempts"]["N"])
        self._failure_update(
            resource,
            "SET findings = list_append(findings, :findings)",
            "lease_until >= :now",
            {":findings": values[":findings"], ":now": values[":now"]},
        )
        return None

    def _failure_update(self, resource: str, update: str, condition: str, values: dict) -> dict | None:
        try:
            return self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": failure_pk(resource)}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise

    def confirm_failure(self, resource: str) -> None:
        """The failure message was sent: it is in flight until the retry consumer settles it."""
        self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": failure_pk(resource)}},
            UpdateExpression="SET lease_until = expires_at",
        )

    def settle_failure(self, resource: str, outcome: str) -> None:
        """The retry consumer is done with the resource's failure message (restarted, dropped or parked): the
        next failure of the resource is queued again, as attempt `attempts` + 1."""
        self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": failure_pk(resource)}},
            UpdateExpression="SET lease_until = :zero, outcome = :outcome",
            ExpressionAttributeValues={":zero": {"N": "0"}, ":outcome": {"S": outcome}},
        )

    def withdraw_failure(self, resource: str) -> None:
        """The failure message could not be sent: the claim ends and the attempt does not count (the retry of
        the status event claims it again)."""
        self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": failure_pk(resource)}},
            UpdateExpression="SET lease_until = :zero, attempts = attempts - :one",
            ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
        )

    def failure(self, resource: str) -> dict | None:
        """The resource's queued failure: execution_id, attempts, findings (each once), failed_at, in_flight."""
        item = self.client.get_item(
            TableName=self.table_name, Key={"pk": {"S": failure_pk(resource)}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        findings = [{"Id": f["M"]["Id"]["S"], "ProductArn": f["M"]["ProductArn"]["S"]} for f in item["findings"]["L"]]
        return {
            "execution_id": item["execution_id"]["S"],
            "attempts": int(item["attempts"]["N"]),
            "findings": list({(f["Id"], f["ProductArn"]): f for f in findings}.values()),
            "failed_at": int(item["failed_at"]["N"]),
            "in_flight": int(item["lease_until"]["N"]) >= int(time.time()),
        }

    def execution(self, execution_id: str) -> dict | None:
        """The execution record as plain Python, or None if the bridge did not start it (or it expired)."""
        response = self.client.get_item(
            TableName=self.table_name, Key={"pk": {"S": f"execution#{execution_id}"}}, ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        return {
            "execution_id": item["execution_id"]["S"],
            "findings": [_finding(f) for f in item["findings"]["L"]],
            "control": item["control"]["S"],
            "account": item["account"]["S"],
            "region": item["region"]["S"],
            "document": item["document"]["S"],
            "parameters": {k: v["S"] for k, v in item["parameters"]["M"].items()},
            "securityhub_region": item["securityhub_region"]["S"],
            "resource": item.get("resource", {}).get("S"),
        }


def _error_code(error: botocore.exceptions.ClientError) -> str | None:
    return error.response.get("Error", {}).get("Code")


def _refused_by_condition(error: botocore.exceptions.ClientError, actions: int) -> list[bool] | None:
    """For a transaction cancelled only because conditions failed: per action, whether its condition failed.
    None for any other error (then nothing is known to have been refused: the caller raises)."""
    if _error_code(error) != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons")
    if not isinstance(reasons, list) or len(reasons) != actions:
        return None
    codes = [reason.get("Code") if isinstance(reason, dict) else None for reason in reasons]
    if "ConditionalCheckFailed" not in codes or not set(codes) <= {"ConditionalCheckFailed", "None", None}:
        return None
    return [code == "ConditionalCheckFailed" for code in codes]


def _finding_item(finding: dict[str, str]) -> dict:
    """A finding identifier (Id, ProductArn; for an OCSF finding also ProductUid, AccountId) as a DynamoDB map."""
    return {"M": {key: {"S": value} for key, value in finding.items() if isinstance(value, str)}}


def _finding(item: dict) -> dict[str, str]:
    """The finding identifier `_finding_item` stored."""
    return {key: value["S"] for key, value in item["M"].items()}


def _client_token(pk: str, item: dict) -> str:
    """SSM's idempotency token for the claim: one per claim generation, so a retried start cannot run twice."""
    return str(uuid.uuid5(_TOKEN_NAMESPACE, f"{pk}#{item['generation']['S']}"))
