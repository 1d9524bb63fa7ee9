"""A fast boto3.client stand-in for fuzzing the bridge: every call's parameters are validated against botocore's
own service model (a wrong type fails as it would against AWS), recorded, and answered from a table.

moto would do, but thousands of examples per entry point need calls that cost microseconds, not milliseconds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.validate import validate_parameters

MUTATING = frozenset(
    {
        "StartAutomationExecution",
        "StartRemediationExecution",
        "BatchUpdateFindings",
        "BatchUpdateFindingsV2",
        "Publish",
        "SendMessage",
        "PutItem",
        "DeleteItem",
        "UpdateItem",
        "TransactWriteItems",
        "PutObject",
    }
)
_META: dict[str, Any] = {}


def _meta(service: str) -> Any:
    """botocore's metadata (service model, method names) of a real client, made once per service."""
    if service not in _META:
        _META[service] = boto3.session.Session(region_name="us-east-1").client(service).meta
    return _META[service]


@dataclass
class Call:
    service: str
    operation: str
    params: dict


@dataclass
class FakeAws:
    """Hands out fake clients; `answers` maps an operation to its response, or to a function of the parameters."""

    answers: dict[str, Any]
    calls: list[Call] = field(default_factory=list)

    def client(self, service: str, region_name: str | None = None, **_credentials: Any) -> FakeClient:
        if region_name is not None and not isinstance(region_name, str):
            raise TypeError(f"region_name must be a string, got {type(region_name).__name__}")
        return FakeClient(self, service)

    @property
    def mutating(self) -> list[Call]:
        return [c for c in self.calls if c.operation in MUTATING]


class FakeClient:
    def __init__(self, aws: FakeAws, service: str) -> None:
        self._aws, self._service, self._meta = aws, service, _meta(service)

    def __getattr__(self, method: str) -> Any:
        operation = self._meta.method_to_api_mapping.get(method)
        if operation is None:
            raise AttributeError(method)

        def call(**params: Any) -> dict:
            validate_parameters(params, self._meta.service_model.operation_model(operation).input_shape)
            self._aws.calls.append(Call(self._service, operation, params))
            answer = self._aws.answers.get(operation, {})
            return copy.deepcopy(answer(params) if callable(answer) else answer)

        return call
