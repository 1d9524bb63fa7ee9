"""Runbook script: turn on SQS managed encryption (SSE-SQS) of a queue that has no encryption at rest.

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module.

Safety:
- A queue with a KMS key (SSE-KMS) is left alone: its key is never replaced or removed.
- SSE-SQS needs no key policy and no KMS permission for producers or consumers: SQS encrypts and decrypts with
  keys it manages (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html),
  so nothing sending to or reading from the queue changes. Messages already in the queue stay as they were; only
  messages sent afterwards are encrypted.
- The queue URL must name this account and Region: another account's queue is refused before any call to SQS.
"""

import re

import boto3

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = ("sts:GetCallerIdentity", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes")
# Same pattern as document.yaml's allowedPattern: the service endpoint URL AWS Config records.
QUEUE_URL = re.compile(
    r"^https://sqs\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<account>\d{12})/"
    r"(?P<name>[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$"
)
ATTRIBUTES = ["KmsMasterKeyId", "SqsManagedSseEnabled"]


def _queue_url(events: dict, account: str, region: str) -> str:
    url = events.get("QueueUrl")
    match = QUEUE_URL.match(url) if isinstance(url, str) else None
    if not match:
        raise ValueError(f"QueueUrl must be an SQS queue URL (https://sqs.<region>.amazonaws.com/...), got {url!r}")
    if (match["account"], match["region"]) != (account, region):
        raise ValueError(f"Queue {url} is not in this account ({account}) and Region ({region}); nothing changed.")
    return url


def _state(sqs: object, url: str) -> dict:
    """{"SqsManagedSseEnabled": bool, "KmsMasterKeyId": key (only when set)}."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=ATTRIBUTES).get("Attributes") or {}
    state = {"SqsManagedSseEnabled": attributes.get("SqsManagedSseEnabled") == "true"}
    if attributes.get("KmsMasterKeyId"):
        state["KmsMasterKeyId"] = attributes["KmsMasterKeyId"]
    return state


def enable_queue_encryption(events: dict, context: object) -> dict:
    """Turn on SSE-SQS of queue `events["QueueUrl"]` unless it has a KMS key or SSE-SQS already.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    account = boto3.client("sts").get_caller_identity()["Account"]
    sqs = boto3.client("sqs")
    url = _queue_url(events, account, sqs.meta.region_name)
    previous = _state(sqs, url)
    result = {"QueueUrl": url, "DryRun": dry_run, "PreviousState": previous}
    if previous.get("KmsMasterKeyId") or previous["SqsManagedSseEnabled"]:
        how = f"KMS key {previous['KmsMasterKeyId']}" if previous.get("KmsMasterKeyId") else "SSE-SQS"
        message = f"Queue {url} was already encrypted at rest ({how}); nothing changed."
        return no_change(result, previous, message)
    planned = {"SqsManagedSseEnabled": True}
    if dry_run:
        message = f"Dry run: would turn on SQS managed encryption (SSE-SQS) of queue {url}; nothing changed."
        return would_change(result, previous, planned, message)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"SqsManagedSseEnabled": "true"})
    current = _state(sqs, url)
    message = f"Turned on SQS managed encryption (SSE-SQS) of queue {url}: messages sent from now on are encrypted."
    return changed(result, planned, current, message)
