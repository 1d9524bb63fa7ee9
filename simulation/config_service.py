"""AWS Config: invokes the rules with events shaped as AWS sends them, stores evaluations, runs remediations.

Moto stores no evaluations and has no remediation configurations; this piece provides them:
PutEvaluations, GetComplianceDetailsByConfigRule and StartRemediationExecution are answered here.
Configuration items are built from the emulated resources, in AWS Config's recording format, by each resource
type's simulation module (resource_types/<type>/simulation.py), and GetResourceConfigHistory answers from them too
(moto 5.2.5 answers it for S3 buckets only), tags included, as the runbooks' guard step reads them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import resource_types
from remedy_cli.config_events import (
    change_notification,
    configuration_items,
    rule_event,
    scheduled_notification,
)
from simulation.cloud_assembly import ConfigRule, RemediationConfiguration
from simulation.lambda_service import LambdaService

__all__ = ["ConfigService", "NotDiscoveredError", "configuration_items"]


class NotDiscoveredError(ValueError):
    """AWS Config's ResourceNotDiscoveredException (the router answers with `code`)."""

    code = "ResourceNotDiscoveredException"


class ConfigService:
    """The rules and remediation configurations of the cloud assembly, run against the emulated account."""

    def __init__(
        self,
        rules: dict[str, ConfigRule],
        remediations: dict[str, RemediationConfiguration],
        lambdas: LambdaService,
        start_automation: Callable[..., str],
        account: str,
        region: str,
        execution_status: Callable[[str], str] | None = None,
    ) -> None:
        """start_automation(document, parameters, trigger=, resource_id=) starts a runbook; execution_status(id)
        is its SSM status (for DescribeRemediationExecutionStatus)."""
        self.rules, self.remediations, self.lambdas = rules, remediations, lambdas
        self.start_automation = start_automation
        self.execution_status = execution_status or (lambda _id: "InProgress")
        self.account, self.region = account, region
        self.evaluations: dict[str, dict[tuple[str, str], dict]] = {name: {} for name in rules}
        self._tokens: dict[str, str] = {}
        self.remediation_executions: list[dict] = []

    # Rule invocation ------------------------------------------------------------------------------
    def _event(self, rule: ConfigRule, invoking_event: dict) -> dict:
        token = uuid.uuid4().hex
        self._tokens[token] = rule.name
        return rule_event(rule.name, rule.input_parameters, invoking_event, token, self.account, self.region)

    def evaluate(self, rule_name: str) -> object:
        """Invoke one rule as AWS Config does: once per recorded resource in scope, or once on schedule."""
        rule = self.rules[rule_name]
        results = []
        if "ScheduledNotification" in rule.message_types:
            invoking = scheduled_notification(self.account)
            results.append(self.lambdas.invoke(rule.function_id, self._event(rule, invoking)))
        if "ConfigurationItemChangeNotification" in rule.message_types:
            for resource_type in rule.resource_types:
                items = configuration_items(resource_type, self.account, self.region)
                present = {item["resourceId"] for item in items}
                # A resource evaluated before and gone now: Config records its deletion and notifies the rule.
                deleted = [
                    {
                        "resourceId": rid,
                        "resourceName": rid,
                        "ARN": "",
                        "awsRegion": self.region,
                        "configurationItemStatus": "ResourceDeleted",
                        "configuration": None,
                        "supplementaryConfiguration": {},
                        "tags": {},
                    }
                    for (rtype, rid) in self.evaluations[rule.name]
                    if rtype == resource_type and rid not in present
                ]
                for item in items + deleted:
                    invoking = change_notification(item, resource_type, self.account)
                    results.append(self.lambdas.invoke(rule.function_id, self._event(rule, invoking)))
        errors = [r for r in results if isinstance(r, dict) and r.get("internalErrorMessage")]
        if errors:
            raise RuntimeError(f"rule {rule_name} reported an error: {errors[0]}")
        return results

    def evaluate_all(self) -> None:
        for name in self.rules:
            self.evaluate(name)

    def non_compliant(self, rule_name: str) -> list[tuple[str, str]]:
        return sorted(key for key, e in self.evaluations[rule_name].items() if e["ComplianceType"] == "NON_COMPLIANT")

    # The Config API moto lacks ---------------------------------------------------------------------
    def put_evaluations(self, params: dict) -> dict:
        rule_name = self._tokens.get(params.get("ResultToken", ""))
        if rule_name is None:
            raise ValueError("PutEvaluations with an unknown result token")
        if not params.get("TestMode"):
            for evaluation in params.get("Evaluations", []):
                key = (evaluation["ComplianceResourceType"], evaluation["ComplianceResourceId"])
                self.evaluations[rule_name][key] = {**evaluation, "ResultRecordedTime": datetime.now(UTC)}
        return {"FailedEvaluations": []}

    def get_compliance_details_by_config_rule(self, params: dict) -> dict:
        wanted = set(params.get("ComplianceTypes") or ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"])
        results = [
            {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": params["ConfigRuleName"],
                        "ResourceType": resource_type,
                        "ResourceId": resource_id,
                    }
                },
                "ComplianceType": evaluation["ComplianceType"],
                "Annotation": evaluation.get("Annotation", ""),
            }
            for (resource_type, resource_id), evaluation in self.evaluations.get(params["ConfigRuleName"], {}).items()
            if evaluation["ComplianceType"] in wanted
        ]
        return {"EvaluationResults": results}

    def get_compliance_details_by_resource(self, params: dict) -> dict:
        """GetComplianceDetailsByResource: every rule's latest evaluation of one resource, with the time AWS
        Config recorded it (ResultRecordedTime)."""
        wanted = set(params.get("ComplianceTypes") or ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"])
        key = (params["ResourceType"], params["ResourceId"])
        return {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {
                        "EvaluationResultQualifier": {
                            "ConfigRuleName": rule_name,
                            "ResourceType": key[0],
                            "ResourceId": key[1],
                        }
                    },
                    "ComplianceType": evaluations[key]["ComplianceType"],
                    "ResultRecordedTime": evaluations[key]["ResultRecordedTime"],
                    "Annotation": evaluations[key].get("Annotation", ""),
                }
                for rule_name, evaluations in self.evaluations.items()
                if key in evaluations and evaluations[key]["ComplianceType"] in wanted
            ]
        }

    def describe_remediation_execution_status(self, params: dict) -> dict:
        """DescribeRemediationExecutionStatus: the latest remediation of each resource key of the rule, its state
        from the SSM execution (QUEUED while not yet run, IN_PROGRESS, SUCCEEDED or FAILED)."""
        rule_name = params["ConfigRuleName"]
        wanted = {k["resourceId"] for k in params.get("ResourceKeys", [])}
        latest: dict[str, str] = {}
        for run in self.remediation_executions:
            if run["rule"] == rule_name and (not wanted or run["resource_id"] in wanted):
                latest[run["resource_id"]] = run["execution_id"]
        states = {"Pending": "QUEUED", "InProgress": "IN_PROGRESS", "Waiting": "IN_PROGRESS", "Success": "SUCCEEDED"}
        return {
            "RemediationExecutionStatuses": [
                {
                    "ResourceKey": {"resourceType": self.remediations[rule_name].resource_type, "resourceId": rid},
                    "State": states.get(self.execution_status(execution_id), "FAILED"),
                }
                for rid, execution_id in latest.items()
            ]
        }

    def start_remediation_execution(self, params: dict) -> dict:
        """The console's Remediate button: run the rule's remediation for the given resources now."""
        rule_name = params["ConfigRuleName"]
        if rule_name not in self.remediations:
            raise ValueError(f"no remediation configuration for rule {rule_name}")
        failed = []
        for key in params.get("ResourceKeys", []):
            try:
                self.remediate(rule_name, key["resourceId"], trigger="config_start_remediation")
            except ValueError:
                failed.append(key)
        return {"FailureMessage": "", "FailedItems": failed}

    def get_resource_config_history(self, params: dict) -> dict:
        """GetResourceConfigHistory: the resource's current configuration item (status OK, with its tags);
        ResourceNotDiscoveredException for a resource or type not recorded here."""
        resource_type, resource_id = params["resourceType"], params["resourceId"]
        known = resource_type in {t.config_type for t in resource_types.all_types()}
        recorded = configuration_items(resource_type, self.account, self.region) if known else []
        items = [i for i in recorded if i["resourceId"] == resource_id]
        if not items:
            raise NotDiscoveredError(
                f"Resource {resource_id} of resourceType:{resource_type} is unknown or has not been discovered"
            )
        item = {
            "version": "1.3",
            "accountId": self.account,
            "configurationItemCaptureTime": datetime.now(UTC),
            "configurationItemStatus": "OK",
            "resourceType": resource_type,
            **{k: v for k, v in items[0].items() if k not in ("configuration", "supplementaryConfiguration")},
            "configuration": json.dumps(items[0]["configuration"], default=str),
        }
        return {"configurationItems": [item]}

    # Remediation ------------------------------------------------------------------------------------
    def runbook_parameters(self, rule_name: str, resource_id: str) -> dict[str, list[str]]:
        configuration = self.remediations[rule_name]
        parameters = {}
        for name, value in configuration.parameters.items():
            if "ResourceValue" in value:
                parameters[name] = [resource_id]
            else:
                parameters[name] = [str(v) for v in value["StaticValue"]["Values"]]
        return parameters

    def remediate(self, rule_name: str, resource_id: str, trigger: str = "config") -> str:
        """Start the rule's remediation for one resource; returns the automation execution id."""
        configuration = self.remediations[rule_name]
        execution_id = self.start_automation(
            configuration.document,
            self.runbook_parameters(rule_name, resource_id),
            trigger=trigger,
            resource_id=resource_id,
        )
        self.remediation_executions.append(
            {"rule": rule_name, "resource_id": resource_id, "execution_id": execution_id}
        )
        return execution_id

    def automatic_remediation_targets(self) -> list[tuple[str, str]]:
        """(rule, resource id) pairs AWS Config would remediate on its own now."""
        return [
            (rule_name, resource_id)
            for rule_name, configuration in self.remediations.items()
            if configuration.automatic
            for _resource_type, resource_id in self.non_compliant(rule_name)
        ]
