"""Record and steer the AWS API calls that code under test makes through boto3.

Tests assert outcomes: which calls were made, which were not, and that every call
is covered by the IAM actions the rule or runbook declares (least privilege).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import boto3
from botocore.awsrequest import AWSResponse

# Operations whose IAM action name differs from "<service>:<OperationName>".
_IAM_ACTION_EXCEPTIONS = {
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "GetBucketPolicyStatus"): "s3:GetBucketPolicyStatus",
    # S3 Control signs as "s3"; its account-level operations are authorised as these:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3control", "PutPublicAccessBlock"): "s3:PutAccountPublicAccessBlock",
    # "BatchUpdateFindings and BatchUpdateFindingsV2 both use securityhub:BatchUpdateFindings":
    # https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindingsV2.html
    ("securityhub", "BatchUpdateFindingsV2"): "securityhub:BatchUpdateFindings",
}

# botocore signing names that differ from the service's IAM action prefix. CloudWatch signs as "monitoring";
# its actions are "cloudwatch:..." (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
_IAM_SERVICE_PREFIXES = {"monitoring": "cloudwatch"}

READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Head", "BatchGet", "Select", "Lookup")
# Operations that change no resource although their names do not say so.
READ_ONLY_OPERATIONS = frozenset({"GenerateCredentialReport"})  # (re)builds the IAM credential report only


# A transaction's actions are authorised as the item operations they are ("Permissions for Put, Update, Delete,
# and Get actions are governed by the permissions used for the underlying PutItem, UpdateItem, DeleteItem, and
# GetItem operations"): https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
_TRANSACTION_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action that authorises `operation` of `service` (botocore signing name)."""
    prefix = _IAM_SERVICE_PREFIXES.get(service, service)
    return _IAM_ACTION_EXCEPTIONS.get((service, operation), f"{prefix}:{operation}")


def iam_actions(service: str, operation: str, params: object = None) -> set[str]:
    """The IAM actions that authorise one call: its operation's, or for a DynamoDB transaction those of the
    item operations it holds."""
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        if isinstance(params, bytes | str):
            params = json.loads(params)  # the serialized request body (DynamoDB's is JSON)
        items = (params or {}).get("TransactItems") or []
        return {_TRANSACTION_ACTIONS[kind] for item in items for kind in item if kind in _TRANSACTION_ACTIONS}
    return {iam_action(service, operation)}


@dataclass
class ApiCall:
    service: str
    operation: str
    params: dict

    @property
    def actions(self) -> set[str]:
        return iam_actions(self.service, self.operation, self.params)

    @property
    def mutating(self) -> bool:
        return not self.operation.startswith(READ_ONLY_PREFIXES) and self.operation not in READ_ONLY_OPERATIONS


@dataclass
class ApiCallRecorder:
    """Sees every boto3 call made through the default session; can make chosen calls fail."""

    calls: list[ApiCall] = field(default_factory=list)
    _failures: dict[str, tuple[str, str, int, int]] = field(default_factory=dict)
    _failures_left: dict[str, int] = field(default_factory=dict)
    _responses: dict[str, dict] = field(default_factory=dict)

    def _before_call(self, model, params, **_kwargs):
        service = model.service_model.signing_name
        if model.service_model.service_name == "s3control":
            service = "s3control"  # same signing name as S3, different IAM actions for the same operation names
        self.calls.append(ApiCall(service, model.name, params.get("body", params)))
        if model.name in self._failures and self._fails_now(model.name):
            code, message, status, _after = self._failures[model.name]
            if model.name in self._failures_left:
                self._failures_left[model.name] -= 1
                if not self._failures_left[model.name]:
                    self.heal(model.name)
            return (
                AWSResponse("https://emulated.invalid", status, {}, None),
                {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
            )
        if model.name in self._responses:
            parsed = {**self._responses[model.name], "ResponseMetadata": {"HTTPStatusCode": 200}}
            return AWSResponse("https://emulated.invalid", 200, {}, None), parsed
        return None

    def respond(self, operation: str, parsed_response: dict) -> None:
        """Answer every later call of `operation` with `parsed_response` (for APIs moto lacks)."""
        self._responses[operation] = parsed_response

    def fail(
        self,
        operation: str,
        code: str = "AccessDenied",
        message: str = "denied by test",
        status: int = 403,
        after: int = 0,
        times: int | None = None,
    ):
        """Make later calls of `operation` fail with the given AWS error, once `after` more succeeded.

        Every later call fails, or only the next `times` ones (then the operation heals by itself)."""
        seen = sum(1 for c in self.calls if c.operation == operation)
        self._failures[operation] = (code, message, status, seen + after)
        if times is not None:
            self._failures_left[operation] = times

    def heal(self, operation: str) -> None:
        """Stop failing `operation`."""
        self._failures.pop(operation, None)
        self._failures_left.pop(operation, None)

    def _fails_now(self, operation: str) -> bool:
        """True once the calls of `operation` (this one included) number more than the failure's threshold."""
        return sum(1 for c in self.calls if c.operation == operation) > self._failures[operation][3]

    def clear(self) -> None:
        self.calls.clear()

    @property
    def operations(self) -> list[str]:
        return [c.operation for c in self.calls]

    @property
    def mutating(self) -> list[str]:
        return [c.operation for c in self.calls if c.mutating]

    @property
    def actions(self) -> set[str]:
        return {action for c in self.calls for action in c.actions}

    def assert_within(self, allowed_actions: tuple[str, ...] | list[str] | set[str]) -> None:
        """Every call made is authorised by `allowed_actions` (the declared IAM actions)."""
        missing = self.actions - set(allowed_actions)
        assert not missing, f"calls not covered by the declared IAM actions: {sorted(missing)}"


def install_recorder() -> ApiCallRecorder:
    """Attach a recorder to a fresh boto3 default session (clients created later are seen)."""
    boto3.setup_default_session()
    recorder = ApiCallRecorder()
    boto3.DEFAULT_SESSION.events.register("before-call", recorder._before_call)
    return recorder
