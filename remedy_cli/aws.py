"""The scan's AWS session: read-only by construction.

Every client the scan, the rule code and the resource types' service reads create comes from one session, and a
`before-call` handler on it sees each call before botocore sends it: it answers AWS Config's PutEvaluations (and
rdklib's clean-up read of the scan's own, never deployed, rules) itself, and refuses any operation that is not a read.
A rule therefore cannot write, whatever the credentials allow.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import botocore.config
import botocore.session
from botocore.awsrequest import AWSResponse

# Operations that read: Describe*, Get*, List*, BatchGet*, Select*, Head*. And GenerateCredentialReport, which the
# access key rule calls before reading the report: it "generates a credential report for the AWS account" and
# changes no resource (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateCredentialReport.html).
READ_PREFIXES = ("Describe", "Get", "List", "BatchGet", "Select", "Head")
READ_OPERATIONS = frozenset({"GenerateCredentialReport"})
SESSION_NAME = "remedy-scan"
_SCALARS = (str, int, float, bool, type(None))


class ReadOnlyViolationError(RuntimeError):
    """Code running in the scan (or a plan's runbook) tried an operation that is not a read; it was not sent."""


def is_read(operation: str) -> bool:
    """Whether `operation` (botocore's operation name) only reads."""
    return operation.startswith(READ_PREFIXES) or operation in READ_OPERATIONS


class _ScanSession(boto3.Session):
    """A boto3 session whose client() may be called from several threads (clients are thread-safe, sessions are
    not: https://boto3.amazonaws.com/v1/documentation/api/latest/guide/session.html#multithreading-or-multiprocessing-with-sessions),
    and whose clients all use `endpoint_url` when one is set (an emulator such as a moto server).

    client() returns one client per distinct set of arguments, made once: rdklib builds a client for every rule
    invocation, and a new client costs tens of milliseconds (loading its model and endpoint rules) and opens new
    connections. Handlers registered on the session's events reach only clients made after them: register them
    (ReadOnlyGuard.install) before the first client() call.
    """

    _lock = threading.Lock()

    def __init__(self, endpoint_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint_url = endpoint_url
        self._clients: dict[tuple, Any] = {}

    def client(self, *args: Any, **kwargs: Any) -> Any:
        if self.endpoint_url:
            kwargs.setdefault("endpoint_url", self.endpoint_url)
        key = (args, tuple(sorted(kwargs.items())))
        reusable = all(isinstance(value, _SCALARS) for value in (*args, *kwargs.values()))
        with self._lock:
            if not reusable:  # e.g. a botocore Config object: a client of its own
                return super().client(*args, **kwargs)
            if key not in self._clients:
                self._clients[key] = super().client(*args, **kwargs)
            return self._clients[key]


def new_session(**kwargs: Any) -> boto3.Session:
    """A scan session (endpoint_url, and profile, credentials, botocore_session as boto3.Session takes them)."""
    return _ScanSession(**kwargs)


def _botocore_session() -> botocore.session.Session:
    core = botocore.session.get_session()
    core.set_default_client_config(botocore.config.Config(retries={"mode": "standard"}, user_agent_extra=SESSION_NAME))
    return core


def open_session(profile: str | None, role_arn: str | None, endpoint_url: str | None, region: str) -> boto3.Session:
    """The session the scan reads with: the profile's (or the environment's) credentials, or the role's when
    `role_arn` is given (sts:AssumeRole with the first credentials)."""
    session = new_session(
        endpoint_url=endpoint_url,
        botocore_session=_botocore_session(),
        profile_name=profile,
        region_name=region,
    )
    if not role_arn:
        return session
    sts = session.client("sts", region_name=region)
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
    return new_session(
        endpoint_url=endpoint_url,
        botocore_session=_botocore_session(),
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def _response(parsed: dict) -> tuple[AWSResponse, dict]:
    return AWSResponse("https://remedy-scan.invalid", 200, {}, None), {
        **parsed,
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }


def _request_body(params: dict) -> dict:
    body = params.get("body")
    if isinstance(body, bytes | str):
        return json.loads(body or "{}")  # AWS Config's protocol is JSON
    return body if isinstance(body, dict) else {}


class ReadOnlyGuard:
    """Answers the scan rules' PutEvaluations (kept by result token) and refuses every call that does not read."""

    def __init__(self, rule_names: set[str], command: str = "remedy scan") -> None:
        self.rule_names, self.command = rule_names, command
        self._evaluations: dict[str, list[dict]] = {}
        self._lock = threading.Lock()

    def install(self, session: boto3.Session) -> None:
        """Run first among the session's before-call handlers: a call it answers or refuses is never sent."""
        session.events.register_first("before-call", self._before_call)

    def evaluations(self, token: str) -> list[dict]:
        """What the invocation holding `token` reported through PutEvaluations."""
        with self._lock:
            return self._evaluations.pop(token, [])

    def _before_call(self, model: Any, params: dict, **_kwargs: Any) -> tuple[AWSResponse, dict] | None:
        service, operation = model.service_model.service_name, model.name
        if service == "config" and operation == "PutEvaluations":
            body = _request_body(params)
            with self._lock:
                self._evaluations.setdefault(body.get("ResultToken", ""), []).extend(body.get("Evaluations", []))
            return _response({"FailedEvaluations": []})
        if (
            service == "config"
            and operation == "GetComplianceDetailsByConfigRule"
            and _request_body(params).get("ConfigRuleName") in self.rule_names
        ):
            return _response({"EvaluationResults": []})  # the scan's rules have no earlier evaluations
        if not is_read(operation):
            raise ReadOnlyViolationError(f"{service}:{operation} refused: {self.command} only reads")
        return None
