"""The bridge's ledger in DynamoDB: idempotency claims and execution -> findings records.

One table, partition key "pk" (string), TTL attribute "expires_at" (epoch seconds). Items:
  finding#<finding Id>          a claim: this finding was acted on at claimed_at. Prowler re-imports the
                                same finding Id every scan; a live claim makes the re-import a duplicate.
  execution#<ExecutionId>       which findings, control, account, region, document and parameters an
                                automation execution serves (read by the status handler and the retry).
  status#<ExecutionId>#<Status> one status notification handled (EventBridge delivers at least once).
DynamoDB deletes expired items lazily (up to days late), so every claim also compares expires_at itself.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
import botocore.exceptions

# Executions can outlive the claim TTL (an EBS volume copy takes hours); their records stay longer so a
# late status change still finds its findings.
EXECUTION_TTL_SECONDS = 14 * 24 * 3600
CUSTOM_ACTION_MIN_AGE_SECONDS = 5 * 60


class Ledger:
    """Conditional writes to the ledger table; every method is one DynamoDB call."""

    def __init__(self, table_name: str, ttl_hours: int, client: Any = None) -> None:
        self.table_name = table_name
        self.ttl_seconds = ttl_hours * 3600
        self._client = client

    @property
    def client(self) -> Any:
        """The DynamoDB client, created on first use (so bad input makes no AWS client or call)."""
        if self._client is None:
            self._client = boto3.client("dynamodb")
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

    def claim_finding(self, finding_id: str, min_age_seconds: int | None = None) -> bool:
        """Claim a finding; False if a live claim exists (a duplicate, or a lost race).

        `min_age_seconds` (custom actions): a live claim older than this may be taken over, so a person can
        re-run a remediation deliberately but a double click does nothing.
        """
        now = int(time.time())
        condition = "attribute_not_exists(pk) OR expires_at < :now"
        values = {":now": {"N": str(now)}}
        if min_age_seconds is not None:
            condition += " OR claimed_at < :cutoff"
            values[":cutoff"] = {"N": str(now - min_age_seconds)}
        return self._claim(f"finding#{finding_id}", {"finding_id": {"S": finding_id}}, condition, values)

    def release_finding(self, finding_id: str) -> None:
        """Drop a claim whose remediation could not be started, so the next import or a retry can act."""
        self.client.delete_item(TableName=self.table_name, Key={"pk": {"S": f"finding#{finding_id}"}})

    def release_status(self, execution_id: str, status: str) -> None:
        """Drop a status claim whose handling failed, so EventBridge's retry handles it again."""
        self.client.delete_item(TableName=self.table_name, Key={"pk": {"S": f"status#{execution_id}#{status}"}})

    def claim_status(self, execution_id: str, status: str) -> bool:
        """Claim the handling of one execution status notification; False if it was handled already."""
        now = int(time.time())
        return self._claim(
            f"status#{execution_id}#{status}",
            {},
            "attribute_not_exists(pk) OR expires_at < :now",
            {":now": {"N": str(now)}},
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
    ) -> None:
        """Remember what an execution serves, for its status change and for a retry."""
        now = int(time.time())
        item = {
            "pk": {"S": f"execution#{execution_id}"},
            "execution_id": {"S": execution_id},
            "findings": {"L": [{"M": {"Id": {"S": f["Id"]}, "ProductArn": {"S": f["ProductArn"]}}} for f in findings]},
            "control": {"S": control},
            "account": {"S": account},
            "region": {"S": region},
            "document": {"S": document},
            "parameters": {"M": {k: {"S": v} for k, v in parameters.items()}},
            "securityhub_region": {"S": securityhub_region},
            "started_at": {"N": str(now)},
            "expires_at": {"N": str(now + max(self.ttl_seconds, EXECUTION_TTL_SECONDS))},
        }
        self.client.put_item(TableName=self.table_name, Item=item)

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
            "findings": [
                {"Id": f["M"]["Id"]["S"], "ProductArn": f["M"]["ProductArn"]["S"]} for f in item["findings"]["L"]
            ],
            "control": item["control"]["S"],
            "account": item["account"]["S"],
            "region": item["region"]["S"],
            "document": item["document"]["S"],
            "parameters": {k: v["S"] for k, v in item["parameters"]["M"].items()},
            "securityhub_region": item["securityhub_region"]["S"],
        }
