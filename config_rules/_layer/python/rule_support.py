"""Shared by every Remedy AWS Config rule; reaches Lambda as a layer beside rdklib (config_rules/_layer).

Fail closed: a configuration item whose fields are not what the rule expects is reported NON_COMPLIANT with an
annotation naming the field (never COMPLIANT); an event that names no resource to report on raises
RuleEvaluationError. Why NON_COMPLIANT rather than a failed invocation: AWS Config keeps no evaluation status
for custom Lambda rules (https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRuleEvaluationStatus.html
"does not return status information about AWS Config Custom Lambda rules"), so a Lambda error shows only in the
function's logs and Errors metric while the console keeps showing the resource's previous result; an annotated
NON_COMPLIANT shows on the resource itself.
"""

from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Callable
from datetime import datetime

import botocore.exceptions
from rdklib import ComplianceType, ConfigRule, Evaluation, Evaluator, InvalidParametersError
from rdklib.clientfactory import ClientFactory
from rdklib.util.evaluations import process_event_evaluations_list
from rdklib.util.service import build_parameters_value_error_response

# Parameters rdklib itself reads (AssumeRoleMode=false is set on every rule by the deployment).
RDKLIB_PARAMETERS = frozenset({"AssumeRoleMode", "ExecutionRoleName", "ExecutionRoleRegion"})
CHANGE_NOTIFICATION = "ConfigurationItemChangeNotification"
OVERSIZED_NOTIFICATION = "OversizedConfigurationItemChangeNotification"
SCHEDULED_NOTIFICATION = "ScheduledNotification"
APPLICABLE_STATUSES = ("OK", "ResourceDiscovered")
# Error codes AWS services use for throttling (retried with backoff; anything else is reported at once).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "LimitExceededException",
    }
)
RETRY_ATTEMPTS = 5  # attempts per call (4 retries), waits 0.5, 1, 2, 4 s with jitter
RETRY_BASE_SECONDS = 0.5
RETRY_BUDGET_SECONDS = 60.0  # total sleeping per invocation, well inside the rule functions' 300 s timeout
HISTORY = "GetResourceConfigHistory"
# PutEvaluations' limits on an evaluation's resource (https://docs.aws.amazon.com/config/latest/APIReference/API_Evaluation.html).
EVALUATION_LIMITS = {"resourceId": 768, "resourceType": 256}
MAX_REPORTED_CHARACTERS = 60  # of an unexpected value quoted in an annotation


def sleep(seconds: float) -> None:
    """time.sleep; a module function so tests can skip real waiting."""
    time.sleep(seconds)


class RuleEvaluationError(Exception):
    """The rule reports no evaluation: the Lambda invocation fails with this message.

    The function's logs and its Errors metric show it; AWS Config keeps the resources' previous results.
    Raised only when the rule has no resource to report on, or no data for any (the credential report).
    """


class UnreadableField(Exception):
    """A configuration item field is missing or not of the type AWS Config records it as."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path} {problem}")
        self.path, self.problem = path, problem


def reject_unknown_parameters(rule_parameters: dict, accepted: set[str] | frozenset[str]) -> None:
    """A misspelt parameter would otherwise be ignored silently: name it as a customer error."""
    unknown = set(rule_parameters) - set(accepted) - RDKLIB_PARAMETERS
    if unknown:
        takes = f"This rule takes: {', '.join(sorted(accepted))}." if accepted else "This rule takes none."
        names = ", ".join(sorted(shown(name) for name in unknown))
        raise InvalidParametersError(f"Unknown rule parameter(s): {names}. {takes}")


class ParameterlessRule(ConfigRule):
    """A rule that takes no parameters: any parameter given is a customer error naming it (see
    reject_unknown_parameters), so a misspelt or misplaced one is never ignored silently."""

    def evaluate_parameters(self, rule_parameters: dict) -> dict:
        reject_unknown_parameters(rule_parameters, set())
        return {}


# Strict reading of configuration items ---------------------------------------------------------------------------
def shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_REPORTED_CHARACTERS else text[: MAX_REPORTED_CHARACTERS - 3] + "..."


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def as_object(value: object, path: str, json_string: bool = False) -> dict:
    """`value` as a JSON object; with json_string, a string holding one (as GetResourceConfigHistory serialises)."""
    if json_string and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise UnreadableField(path, f"is a string that is not JSON ({shown(value)})") from None
    if not isinstance(value, dict):
        raise UnreadableField(path, f"is {_type_name(value)} ({shown(value)}), expected an object")
    return value


def item_configuration(configuration_item: dict) -> dict:
    """The item's `configuration` object (a JSON string of it, as GetResourceConfigHistory returns, is read too);
    UnreadableField naming `configuration` if it is neither."""
    return as_object(configuration_item.get("configuration"), "configuration", json_string=True)


def field(container: dict, key: str, path: str, kind: type | tuple[type, ...], *, required: bool = True) -> object:
    """container[key] checked to be of `kind` (bool is never taken for int); None if absent/null and not required."""
    value = container.get(key)
    where = f"{path}.{key}" if path else key
    if value is None:
        if required:
            raise UnreadableField(where, "is missing")
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise UnreadableField(where, f"is bool ({value!r}), expected {' or '.join(k.__name__ for k in kinds)}")
    if not isinstance(value, kinds):
        expected = " or ".join("true or false" if k is bool else k.__name__ for k in kinds)
        raise UnreadableField(where, f"is {_type_name(value)} ({shown(value)}), expected {expected}")
    return value


def unreadable_evaluation(error: UnreadableField) -> Evaluation:
    """NON_COMPLIANT, naming the field: the rule could not read what it needs, so it cannot say COMPLIANT."""
    return Evaluation(
        ComplianceType.NON_COMPLIANT,
        annotation=f"Not evaluated: configuration item field {error.path} {error.problem}.",
    )


def fail_closed(evaluate_change: Callable[..., list[Evaluation]]) -> Callable[..., list[Evaluation]]:
    """Decorates ConfigRule.evaluate_change: an UnreadableField becomes the annotated NON_COMPLIANT evaluation."""

    @functools.wraps(evaluate_change)
    def evaluate(self: object, *args: object) -> list[Evaluation]:
        try:
            return evaluate_change(self, *args)
        except UnreadableField as error:
            return [unreadable_evaluation(error)]

    return evaluate


def resource_name(configuration_item: dict) -> str:
    """resourceName, else resourceId (both strings, checked by the handler)."""
    name = configuration_item.get("resourceName")
    return name if isinstance(name, str) and name else configuration_item["resourceId"]


# Retries ---------------------------------------------------------------------------------------------------------
def error_code(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class Retrier:
    """Calls an AWS API, retrying throttling with exponential backoff and jitter, within one sleep budget."""

    def __init__(self, budget_seconds: float = RETRY_BUDGET_SECONDS, attempts: int = RETRY_ATTEMPTS) -> None:
        self.remaining, self.attempts = budget_seconds, attempts

    def call(self, operation: Callable[..., dict], **kwargs: object) -> dict:
        """operation(**kwargs); a throttling error is retried, any other error (or the last one) is raised."""
        for attempt in range(self.attempts):
            try:
                return operation(**kwargs)
            except botocore.exceptions.ClientError as error:
                wait = RETRY_BASE_SECONDS * 2**attempt * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not secrets)
                if error_code(error) not in THROTTLING_CODES or attempt + 1 == self.attempts or wait > self.remaining:
                    raise
                self.remaining -= wait
                sleep(wait)
        raise AssertionError("unreachable")


# The Lambda entry point ------------------------------------------------------------------------------------------
def _json_object(text: object, name: str) -> dict:
    if not isinstance(text, str):
        raise RuleEvaluationError(f"The event's {name} is not a JSON string.")
    try:
        value = json.loads(text)
    except ValueError:
        raise RuleEvaluationError(f"The event's {name} is not valid JSON.") from None
    if not isinstance(value, dict):
        raise RuleEvaluationError(f"The event's {name} is not a JSON object.")
    return value


def _parameter_error(rule_parameters: dict) -> dict | None:
    """rdklib's customer-error response when a parameter value is not a string (AWS Config sends strings)."""
    for name, value in rule_parameters.items():
        if not isinstance(value, str):
            message = f"Rule parameter {shown(name)} must be a string, got {_type_name(value)} ({shown(value)})."
            return build_parameters_value_error_response(InvalidParametersError(message))
    return None


def _check_item_envelope(item: object, resource_types: list[str]) -> dict:
    """The fields rdklib needs to report on the item's resource, else RuleEvaluationError naming the field."""
    if not isinstance(item, dict):
        raise RuleEvaluationError("The event carries no configuration item (configurationItem is not an object).")
    for key in ("resourceType", "resourceId", "configurationItemCaptureTime", "configurationItemStatus"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RuleEvaluationError(f"The configuration item's {key} is {_type_name(value)} ({shown(value)}).")
    for key, longest in EVALUATION_LIMITS.items():
        if len(item[key]) > longest:
            raise RuleEvaluationError(f"The configuration item's {key} is longer than an evaluation takes ({longest}).")
    captured = item["configurationItemCaptureTime"]
    if not is_timestamp(captured):
        raise RuleEvaluationError(
            f"The configuration item's configurationItemCaptureTime is not a time ({shown(captured)})."
        )
    return item


def is_timestamp(text: str) -> bool:
    """Whether `text` is an ISO 8601 date-time (an evaluation's OrderingTimestamp must be one)."""
    try:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _client_factory(event: dict) -> ClientFactory:
    """The client factory rdklib's Evaluator builds (AssumeRoleMode=false: the function's own role)."""
    parameters = json.loads(event["ruleParameters"]) if "ruleParameters" in event else {}
    assume = str(parameters.get("AssumeRoleMode", "true")).lower() != "false"
    return ClientFactory(role_arn=event.get("executionRoleArn"), assume_role_mode=assume)


def _timestamp_text(value: object) -> object:
    """botocore parses the history's timestamps into datetimes; evaluations carry them as ISO 8601 text."""
    return value.isoformat() if isinstance(value, datetime) else value


def _history_item(history: dict) -> dict:
    """A GetResourceConfigHistory item in the shape of a change notification's configurationItem.

    The history API returns configuration and supplementary values as JSON strings; they stay strings here and
    the rules parse them strictly (a string that is not a JSON object is reported, not crashed on).
    """
    return {
        "configurationItemCaptureTime": _timestamp_text(history.get("configurationItemCaptureTime")),
        "configurationStateId": history.get("configurationStateId"),
        "awsAccountId": history.get("accountId"),
        "configurationItemStatus": history.get("configurationItemStatus"),
        "resourceType": history.get("resourceType"),
        "resourceId": history.get("resourceId"),
        "resourceName": history.get("resourceName") or history.get("resourceId"),
        "ARN": history.get("arn"),
        "awsRegion": history.get("awsRegion"),
        "availabilityZone": history.get("availabilityZone", ""),
        "configuration": history.get("configuration"),
        "supplementaryConfiguration": history.get("supplementaryConfiguration") or {},
        "tags": history.get("tags") or {},
        "relationships": [],
        "relatedEvents": history.get("relatedEvents") or [],
    }


def _fetch_oversized(factory: ClientFactory, summary: dict) -> dict:
    """The latest configuration item of the summarised resource; UnreadableField if AWS Config gives none.

    Oversized items are not in the event: AWS Config's guidance is to read them with GetResourceConfigHistory
    (https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_example-events.html).
    """
    config = factory.build_client("config")
    try:
        history = Retrier().call(
            config.get_resource_config_history,
            resourceType=summary["resourceType"],
            resourceId=summary["resourceId"],
            limit=1,
        )
    except botocore.exceptions.ClientError as error:
        raise UnreadableField(HISTORY, f"failed: {error_code(error)}") from None
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField(HISTORY, "refused the resource id") from None
    items = history.get("configurationItems") or []
    if not items or not isinstance(items[0], dict):
        raise UnreadableField(HISTORY, "returned no configuration item")
    item = _history_item(items[0])
    if item["resourceId"] != summary["resourceId"] or item["resourceType"] != summary["resourceType"]:
        raise UnreadableField(HISTORY, "returned another resource")
    for key in ("configurationItemCaptureTime", "configurationItemStatus"):
        if not isinstance(item[key], str) or not item[key]:
            raise UnreadableField(HISTORY, f"returned an item whose {key} is {_type_name(item[key])}")
    if not is_timestamp(item["configurationItemCaptureTime"]):
        raise UnreadableField(HISTORY, "returned an item whose configurationItemCaptureTime is not a time")
    return item


def _inflate(event: dict, invoking: dict, resource_types: list[str]) -> dict | list:
    """The event with the oversized item read from AWS Config, or the reported evaluation if it cannot be read."""
    summary = _check_item_envelope(invoking.get("configurationItemSummary"), resource_types)
    applicable = summary["configurationItemStatus"] in APPLICABLE_STATUSES and summary["resourceType"] in resource_types
    if not applicable or event.get("eventLeftScope") is True:
        item = {**summary, "configuration": None, "supplementaryConfiguration": {}}
    else:
        factory = _client_factory(event)
        try:
            item = _fetch_oversized(factory, summary)
        except UnreadableField as unreadable:
            evaluation = Evaluation(
                ComplianceType.NON_COMPLIANT,
                annotation=f"Not evaluated: the oversized configuration item could not be read ({unreadable}).",
            )
            return process_event_evaluations_list(event, factory, [evaluation], summary)
    inflated = {**invoking, "configurationItem": item, "messageType": CHANGE_NOTIFICATION}
    inflated.pop("configurationItemSummary", None)
    return {**event, "invokingEvent": json.dumps(inflated)}


def handle(rule: ConfigRule, resource_types: list[str], event: dict, context: object) -> list | dict:
    """Check the event's envelope and the rule's parameters, read an oversized item with retries, then let
    rdklib's Evaluator run the rule.

    Parameters are checked before anything is called: an unknown or invalid one is a customer error even when
    the oversized item's lookup would fail. Returns what rdklib returns (evaluations, or its error response);
    raises RuleEvaluationError when the event names nothing to report on.
    """
    if not isinstance(event, dict):
        raise RuleEvaluationError("The event is not a JSON object.")
    invoking = _json_object(event.get("invokingEvent"), "invokingEvent")
    parameters = _json_object(event.get("ruleParameters", "{}"), "ruleParameters")
    refused = _parameter_error(parameters)
    if refused is not None:
        return refused
    try:
        rule.evaluate_parameters(parameters)
    except InvalidParametersError as error:
        return build_parameters_value_error_response(error)
    message_type = invoking.get("messageType")
    if message_type == OVERSIZED_NOTIFICATION:
        inflated = _inflate(event, invoking, resource_types)
        if isinstance(inflated, list):
            return inflated
        event = inflated
    elif message_type == CHANGE_NOTIFICATION:
        _check_item_envelope(invoking.get("configurationItem"), resource_types)
    elif message_type != SCHEDULED_NOTIFICATION:
        raise RuleEvaluationError(f"Unexpected messageType {shown(message_type)}.")
    elif not isinstance(invoking.get("notificationCreationTime"), str) or not invoking["notificationCreationTime"]:
        raise RuleEvaluationError("The scheduled notification has no notificationCreationTime.")
    return Evaluator(rule, resource_types).handle(event, context)
