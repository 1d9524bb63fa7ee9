"""The Prowler bridge Lambda: EventBridge events from Security Hub and SSM -> Remedy's runbooks.

Dispatches on the event's "detail-type":
  "Security Hub Findings - Imported"        a Prowler finding, or a Security Hub CSPM control finding, that
                                            passes every check in findings.py starts its control's runbook
                                            (only if the control is automatic).
  "Findings Imported V2"                    the same for Security Hub's OCSF findings (normalised by ocsf.py).
  "Security Hub Findings - Custom Action"   the "Remediate" button: the same, for any control; on a finding
                                            of one of our AWS Config rules it asks AWS Config to remediate.
                                            Only this deployment's action target is accepted.
  "EC2 Automation Execution Status-change Notification"
                                            Success resolves the findings an execution served; Failed,
                                            TimedOut or Cancelled keeps them open, notifies (SNS) and queues
                                            the failure (SQS) for the retry consumer, prowler_bridge.retry. Either
                                            way, and for AWS Config's own runs too, one audit record goes to S3
                                            (audit.py).
Every decision is one JSON log line. Bad input (a wrong type or shape, another action target) raises ValueError
before any AWS call that changes anything. Configuration: bridge_config.json (settings.py) and the stack's
environment variables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import Any

import resource_types
from prowler_bridge.accounts import AccountClients
from prowler_bridge.audit import AuditTrail
from prowler_bridge.clients import client as aws_client
from prowler_bridge.findings import (
    START_AUTOMATION,
    Decision,
    evaluate,
    log_decision,
)
from prowler_bridge.ledger import (
    CUSTOM_ACTION_MIN_AGE_SECONDS,
    DEFAULT_LEASE_SECONDS,
    TRANSACTION_MAX_ITEMS,
    Ledger,
    backoff_seconds,
    chunks,
    resource_pk,
)
from prowler_bridge.ocsf import normalise
from prowler_bridge.resources import ResourceNotFoundError, resolve_resource_id
from prowler_bridge.run_controls import RunControls
from prowler_bridge.settings import (
    BridgeConfig,
    Settings,
    allowed_accounts,
    load_bridge_config,
    load_settings,
    own_account,
    partition_for,
)

IMPORTED = "Security Hub Findings - Imported"
# Security Hub's OCSF findings: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-v2-cwe-event-formats.html
IMPORTED_V2 = "Findings Imported V2"
CUSTOM_ACTION = "Security Hub Findings - Custom Action"
AUTOMATION_STATUS = "EC2 Automation Execution Status-change Notification"
EVENT_SOURCES = {
    IMPORTED: "aws.securityhub",
    IMPORTED_V2: "aws.securityhub",
    CUSTOM_ACTION: "aws.securityhub",
    AUTOMATION_STATUS: "aws.ssm",
}
# The envelope's fields (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html) and
# the status event's, bounded: they reach log lines, client regions and ledger keys.
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_EXECUTION_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOCUMENT = re.compile(r"^[A-Za-z0-9_.:/-]{3,512}$")
_STATUS = re.compile(r"^[A-Za-z]{1,64}$")
STATUS_FIELDS = {"ExecutionId": _EXECUTION_ID, "Definition": _DOCUMENT, "Status": _STATUS}
FAILED_STATUSES = ("Failed", "TimedOut", "Cancelled")
SUCCESS_STATUS = "Success"
UPDATED_BY = "remedy-bridge"
NOTE_MAX = 512
ASSUME_ROLE_PARAMETER = "AutomationAssumeRole"
# The runbook guard's Trigger values for runs the bridge starts (ssm_documents/_support/controls.py TRIGGERS).
BRIDGE_TRIGGERS = ("bridge-automatic", "bridge-manual")
GUARD_STEP = "CheckRemedyControls"  # the first step of every runbook (infra/runbooks.py); its outputs name a skip
# ASFF workflow status -> the OCSF status_id BatchUpdateFindingsV2 sets (1 New, 2 In Progress, 4 Resolved):
# https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindingsV2.html
OCSF_STATUS_IDS = {"NEW": 1, "NOTIFIED": 2, "RESOLVED": 4}
# Findings per update call: BatchUpdateFindings takes up to 100 finding identifiers
# (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html), and so does
# BatchUpdateFindingsV2 ("Maximum number of 100 items":
# https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindingsV2.html).
SECURITY_HUB_BATCH_MAX = 100

# Actions the bridge's Lambda role calls in its own account (the stack grants exactly these).
# iam:PassRole is on the runbook roles (StartAutomationExecution hands AutomationAssumeRole to SSM).
# The resource id lookups' actions, from the registry (resource_types/: iam:GetUser for IAM users, ...); the
# deployment grants those of the catalogue's resource types (infra/bridge_resources.py lookup_grants).
LOOKUP_IAM_ACTIONS = tuple(
    sorted({action for kind in resource_types.all_types() for grant in kind.lookup_grants for action in grant.actions})
)
IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "sts:AssumeRole",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:GetItem",
    "dynamodb:DeleteItem",
    *LOOKUP_IAM_ACTIONS,
    "iam:PassRole",
    "ssm:StartAutomationExecution",
    "ssm:GetAutomationExecution",
    "config:StartRemediationExecution",
    "config:DescribeRemediationExecutionStatus",
    "config:GetComplianceDetailsByResource",
    "ssm:GetParameter",
    "securityhub:BatchUpdateFindings",
    "sns:Publish",
    "sqs:SendMessage",
    "s3:PutObject",
)
# Actions the member role (MEMBER_ROLE_NAME) must grant the bridge in every other in-scope account.
MEMBER_IAM_ACTIONS = (
    *LOOKUP_IAM_ACTIONS,
    "iam:PassRole",
    "ssm:StartAutomationExecution",
    "ssm:GetAutomationExecution",
    "config:StartRemediationExecution",
    "config:DescribeRemediationExecutionStatus",
    "config:GetComplianceDetailsByResource",
    "ssm:GetParameter",
)
CONFIG_BUSY_STATES = ("QUEUED", "IN_PROGRESS")


def validate_event(event: object) -> str:
    """The event's detail-type if the event has the shape the bridge handles; ValueError otherwise."""
    if not isinstance(event, dict):
        raise ValueError(f"event must be a JSON object from EventBridge; got {type(event).__name__}")
    detail_type = event.get("detail-type")
    if not isinstance(detail_type, str) or detail_type not in EVENT_SOURCES:
        raise ValueError(f"unknown event detail-type {detail_type!r:.100}; expected one of {sorted(EVENT_SOURCES)}")
    if event.get("source") != EVENT_SOURCES[detail_type]:
        raise ValueError(
            f"event source {event.get('source')!r:.100} does not match detail-type {detail_type!r} "
            f"(expected {EVENT_SOURCES[detail_type]!r})"
        )
    _validate_envelope(event, required=detail_type in (AUTOMATION_STATUS, CUSTOM_ACTION))
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise ValueError(f"{detail_type!r} event has no 'detail' object")
    if detail_type == AUTOMATION_STATUS:
        for key, pattern in STATUS_FIELDS.items():
            if not isinstance(detail.get(key), str) or not pattern.match(detail[key]):
                raise ValueError(f"{detail_type!r} event: detail.{key} must be a string like {pattern.pattern}")
    elif not isinstance(detail.get("findings"), list):
        raise ValueError(f"{detail_type!r} event: detail.findings must be a list of findings")
    return detail_type


def _validate_envelope(event: dict, required: bool) -> None:
    """account and region (required for status and custom action events), resources: the shapes AWS sends."""
    for key, pattern in (("account", _ACCOUNT), ("region", _REGION)):
        value = event.get(key)
        if (key in event or required) and not (isinstance(value, str) and pattern.match(value)):
            raise ValueError(f"event {key} must be a string like {pattern.pattern}; got {value!r:.100}")
    resources = event.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(r, str) and len(r) <= 2048 for r in resources):
        raise ValueError("event resources must be a list of strings (at most 2,048 characters each)")


def action_target_arn(config: BridgeConfig, partition: str, region: str, account: str) -> str:
    """This deployment's "Remediate" action target: the only custom action the bridge accepts."""
    return f"arn:{partition}:securityhub:{region}:{account}:action/custom/{config.action_target_id}"


def check_action_target(event: dict, bridge: Bridge, context: Any) -> None:
    """ValueError unless the custom action event names exactly this deployment's action target, in its account."""
    expected = action_target_arn(bridge.config, bridge.partition, bridge.settings.region, event["account"])
    if event.get("resources") != [expected]:
        raise ValueError(f"custom action event does not name this deployment's action target ({expected})")
    if event["account"] != _own_account(context):  # checked last: it may ask STS
        raise ValueError(f"custom action event of account {event['account']}, not the bridge's own")


def _own_account(context: Any) -> str:
    """The bridge's account: from the invocation's function ARN when Lambda gives one, else from STS."""
    function_arn = getattr(context, "invoked_function_arn", None)
    parts = function_arn.split(":") if isinstance(function_arn, str) else []
    return parts[4] if len(parts) > 4 and _ACCOUNT.match(parts[4]) else own_account()


def normalised(event: dict) -> dict:
    """A "Findings Imported V2" event with its OCSF findings in the ASFF shape the decision reads (ocsf.py)."""
    findings = [normalise(finding) for finding in event["detail"]["findings"]]
    return {**event, "detail": {**event["detail"], "findings": findings}}


def status_out_of_scope(event: dict, bridge: Bridge) -> dict | None:
    """A skip for a status event of an account or region the bridge does not serve; None when in scope."""
    detail, account, region = event["detail"], event["account"], event["region"]
    fields = {"event": "automation_status", "execution_id": detail["ExecutionId"], "status": detail["Status"]}
    if region not in bridge.settings.allowed_regions:
        return {"decisions": [log_decision("skipped", reason="region_out_of_scope", region=region, **fields)]}
    if account not in allowed_accounts(bridge.settings):
        return {"decisions": [log_decision("skipped", reason="account_out_of_scope", account=account, **fields)]}
    return None


def _note(text: str) -> dict[str, str]:
    return {"Text": text if len(text) <= NOTE_MAX else text[: NOTE_MAX - 3] + "...", "UpdatedBy": UPDATED_BY}


class Bridge:
    """One invocation's work: configuration, settings and the clients it needs."""

    def __init__(self, config: BridgeConfig, settings: Settings, lease_seconds: int = DEFAULT_LEASE_SECONDS) -> None:
        self.config = config
        self.settings = settings
        self.lease_seconds = lease_seconds  # how long this invocation can still live: its claims' lease
        self.partition = partition_for(settings.region)
        self.ledger = Ledger(settings.ledger_table, settings.ledger_ttl_hours)
        self.accounts = AccountClients(settings.member_role_name, self.partition, settings.member_role_path)
        self.run_controls = RunControls(config.prefix, self.accounts.factory)  # pause and modes (run_controls.py)
        self.audit = AuditTrail(settings.audit_bucket)

    # -- Security Hub findings ---------------------------------------------------------------------------

    def handle_findings(self, event: dict, custom_action: bool, ocsf: bool = False) -> dict:
        """Evaluate every finding, then act once per (control, account, region, resource) on those that pass, so
        the calls grow with the batch's resources and its hundreds of findings, not with its findings. Raises at
        the end if any could not be started."""
        securityhub_region = event.get("region") or self.settings.region
        findings = event["detail"]["findings"]
        outcomes: list[Outcome] = []
        groups: dict[tuple, list[Member]] = {}
        for index, finding in enumerate(findings):
            decision = evaluate(
                finding,
                config=self.config,
                partition=self.partition,
                allowed_accounts=lambda: allowed_accounts(self.settings),
                allowed_regions=self.settings.allowed_regions,
                custom_action=custom_action,
                ocsf=ocsf,
            )
            outcomes.append(Outcome(decision, "skipped"))
            if decision.reason:
                continue
            decision = replace(decision, region=self.config.run_region(decision.control, decision.region))
            key = (decision.action, decision.control.id, decision.account, decision.region, decision.arn.text)
            groups.setdefault(key, []).append(Member(index, decision, _observed_at(finding)))
        acted: list[Member] = []
        for group in self._claim(list(groups.values()), custom_action, outcomes):
            acted += self._act(group, custom_action, securityhub_region, outcomes)
        self._confirm(acted, outcomes)
        results = [outcome.log(_kind(custom_action)) for outcome in outcomes]
        failures = [outcome.decision.finding_id for outcome in outcomes if outcome.name == "failed"]
        if failures:
            raise RuntimeError(f"{len(failures)} finding(s) could not be remediated (see log): {failures}")
        return {"decisions": results}

    def _claim(self, groups: list[list[Member]], custom_action: bool, outcomes: list[Outcome]) -> list[list[Member]]:
        """The groups' findings this invocation claimed, group by group. The account's run-time controls come
        first (a held group claims nothing); then the claims, TRANSACTION_MAX_ITEMS to a transaction. A finding
        claimed already, or twice in the batch, is a duplicate."""
        wanted: list[list[Member]] = []
        for group in groups:
            first = group[0].decision
            try:
                held = self.run_controls.skip_reason(first.account, first.region, first.control.id, not custom_action)
            except Exception as error:
                _fail(group, error, outcomes)
                continue
            for member in group if held else ():  # paused, mode_off or mode_manual: nothing claimed or started
                outcomes[member.index] = Outcome(replace(member.decision, reason=held), "skipped")
            if not held:
                wanted.append(group)
        ids = list(dict.fromkeys(member.decision.finding_id for group in wanted for member in group))
        min_age = CUSTOM_ACTION_MIN_AGE_SECONDS if custom_action else None
        claimed: set[str] = set()
        errors: dict[str, Exception] = {}
        for chunk in chunks(ids, TRANSACTION_MAX_ITEMS):
            try:
                claimed |= self.ledger.claim_findings(chunk, min_age, self.lease_seconds)
            except Exception as error:
                errors.update(dict.fromkeys(chunk, error))
        return [members for group in wanted if (members := _claimed(group, claimed, errors, outcomes))]

    def _act(
        self, group: list[Member], custom_action: bool, securityhub_region: str, outcomes: list[Outcome]
    ) -> list[Member]:
        """Resolve the group's resource once, then remediate it once (or ask AWS Config to) for all the group's
        findings; the members to confirm. A failure releases the group's finding claims."""
        decisions = [member.decision for member in group]
        first = decisions[0]
        observed_at = max(member.observed_at for member in group)  # the newest sighting decides "fixed since"
        try:
            client = self.accounts.factory(first.account, first.region)
            resource_id = resolve_resource_id(first.arn, first.control.resource_type, client)
            if first.action == START_AUTOMATION:
                results = self._remediate_once(decisions, custom_action, securityhub_region, observed_at, resource_id)
            else:
                results = self._ask_config(decisions, client, resource_id, securityhub_region)
        except ResourceNotFoundError as problem:
            self._release(decisions)
            for member in group:
                skipped = replace(member.decision, reason="resource_not_found", detail=str(problem))
                outcomes[member.index] = Outcome(skipped, "skipped")
            return []
        except Exception as error:
            self._release(decisions)
            _fail(group, error, outcomes)
            return []
        for member, outcome in zip(group, results, strict=True):
            outcomes[member.index] = outcome
        return group

    def _confirm(self, acted: list[Member], outcomes: list[Outcome]) -> None:
        """Confirm the claims of the findings acted on, TRANSACTION_MAX_ITEMS to a transaction; a chunk that
        fails is released and its findings fail (Lambda's retry acts on them again, attaching to the run)."""
        for chunk in chunks(acted, TRANSACTION_MAX_ITEMS):
            try:
                self.ledger.confirm_findings([member.decision.finding_id for member in chunk])
            except Exception as error:
                self._release([member.decision for member in chunk])
                _fail(chunk, error, outcomes)

    def _release(self, decisions: list[Decision]) -> None:
        """Release the findings' claims after a failure; an error here is logged, not raised (the claims are
        leases: they run out with this invocation)."""
        try:
            self.ledger.release_findings([decision.finding_id for decision in decisions])
        except Exception as error:
            log_decision("ledger_undo_failed", findings=len(decisions), error=f"{type(error).__name__}: {error}")

    def _ask_config(
        self, decisions: list[Decision], client: Any, resource_id: str, securityhub_region: str
    ) -> list[Outcome]:
        """Findings of one of our Config rules about one resource: AWS Config runs its own remediation for it."""
        first = decisions[0]
        response = client("config").start_remediation_execution(
            ConfigRuleName=first.config_rule,
            ResourceKeys=[{"resourceType": first.control.resource_type, "resourceId": resource_id}],
        )
        if response.get("FailedItems"):
            raise RuntimeError(f"AWS Config did not start the remediation: {response.get('FailureMessage')}")
        note = f"Remedy asked AWS Config to run the remediation of {first.config_rule} for {resource_id}"
        errors = self.finding_update_errors([d.identifier for d in decisions], "NOTIFIED", note, securityhub_region)
        return _each(decisions, "started", errors, resource_id=resource_id)

    def _remediate_once(
        self,
        decisions: list[Decision],
        custom_action: bool,
        securityhub_region: str,
        observed_at: str,
        resource_id: str,
    ) -> list[Outcome]:
        """One runbook execution per (control, account, region, resource): claim it for all `decisions` (the
        findings about it) in one write, or attach them to its run; one outcome per decision."""
        first = decisions[0]
        control = first.control
        identifiers = [decision.identifier for decision in decisions]
        pk = resource_pk(control.id, first.account, first.region, resource_id)
        claim = self.ledger.claim_resource(pk, identifiers, self.lease_seconds)
        if not claim.owner:
            under_way = f"execution {claim.execution_id}" if claim.execution_id else "a run being started"
            note = f"Remedy: attached to the remediation of {resource_id} already under way ({under_way})"
            errors = self.finding_update_errors(identifiers, "NOTIFIED", note, securityhub_region)
            return _each(decisions, "attached", errors, resource_id=resource_id, execution_id=claim.execution_id)
        try:
            verdict = self._config_verdict(control, first, resource_id, observed_at)
            if verdict:
                return self._settled_by_config(decisions, pk, resource_id, verdict, securityhub_region)
            trigger = BRIDGE_TRIGGERS[1] if custom_action else BRIDGE_TRIGGERS[0]
            execution_id, parameters = self._start(first, resource_id, claim.client_token, trigger)
            self.ledger.record_execution(
                execution_id,
                findings=identifiers,
                control=control.id,
                account=first.account,
                region=first.region,
                document=control.document,
                parameters=parameters,
                securityhub_region=securityhub_region,
                resource=pk,
            )
            self.ledger.mark_started(pk, execution_id)  # after the record: an attached finding finds its run
        except Exception:
            self._give_back(pk)
            raise
        note = f"Remedy started {control.document} execution {execution_id}"
        errors = self.finding_update_errors(identifiers, "NOTIFIED", note, securityhub_region)
        started = {"document": control.document, "parameters": parameters}
        return _each(
            decisions[:1], "started", errors, execution_id=execution_id, resource_id=resource_id, **started
        ) + (_each(decisions[1:], "attached", errors, resource_id=resource_id, execution_id=execution_id))

    def _give_back(self, pk: str) -> None:
        """After a failure before the start was recorded: end the lease (the retry takes the claim over with
        the same ClientToken, so a start that did happen is not repeated). An error here is logged, not raised:
        the caller re-raises the original one (and releases the finding claims it holds)."""
        try:
            self.ledger.end_lease(pk)
        except Exception as error:
            log_decision("ledger_undo_failed", resource=pk, error=f"{type(error).__name__}: {error}")

    def _start(
        self, decision: Decision, resource_id: str, client_token: str, trigger: str
    ) -> tuple[str, dict[str, str]]:
        """StartAutomationExecution with the claim's idempotency token."""
        parameters = self.runbook_parameters(decision, resource_id, trigger)
        response = self.accounts.factory(decision.account, decision.region)("ssm").start_automation_execution(
            DocumentName=decision.control.document,
            Parameters={k: [v] for k, v in parameters.items()},
            ClientToken=client_token,
        )
        return response["AutomationExecutionId"], parameters

    def _config_verdict(self, control: Any, decision: Decision, resource_id: str, observed_at: str) -> str | None:
        """Why not to start, from the resource's own AWS Config rule: its remediation is under way, or it found
        the resource compliant after the finding was observed (fixed since). None: start."""
        config = self.accounts.factory(decision.account, decision.region)("config")
        key = {"resourceType": control.resource_type, "resourceId": resource_id}
        statuses = config.describe_remediation_execution_status(
            ConfigRuleName=control.config_rule, ResourceKeys=[key]
        ).get("RemediationExecutionStatuses", [])
        if any(s.get("State") in CONFIG_BUSY_STATES for s in statuses):
            return "config_remediation_in_progress"
        results = config.get_compliance_details_by_resource(
            ResourceType=control.resource_type, ResourceId=resource_id, ComplianceTypes=["COMPLIANT"]
        ).get("EvaluationResults", [])
        for result in results:
            qualifier = result.get("EvaluationResultIdentifier", {}).get("EvaluationResultQualifier", {})
            recorded = _iso(result.get("ResultRecordedTime"))
            if qualifier.get("ConfigRuleName") == control.config_rule and recorded and recorded > observed_at:
                return "already_compliant"
        return None

    def _settled_by_config(
        self, decisions: list[Decision], pk: str, resource_id: str, verdict: str, securityhub_region: str
    ) -> list[Outcome]:
        """No start: the findings are resolved (compliant since) or left notified (Config's run under way)."""
        self.ledger.release_resource(pk)
        rule = decisions[0].control.config_rule
        if verdict == "already_compliant":
            workflow, note = "RESOLVED", f"Remedy: AWS Config rule {rule} found {resource_id} compliant since"
        else:
            workflow, note = "NOTIFIED", f"Remedy: AWS Config's remediation of {resource_id} ({rule}) is under way"
        errors = self.finding_update_errors([d.identifier for d in decisions], workflow, note, securityhub_region)
        return _each([replace(d, reason=verdict) for d in decisions], "skipped", errors, resource_id=resource_id)

    def runbook_parameters(self, decision: Decision, resource_id: str, trigger: str) -> dict[str, str]:
        """The runbook's parameters: static ones from the catalogue, the resource id, the runbook's role, and
        for the runbook's guard step the control and who started the run (`trigger`)."""
        control = decision.control
        role = control.role_arn(self.partition, decision.account, decision.region)
        guard = {"ControlId": control.id, "Trigger": trigger}
        return {**control.parameters, **guard, control.resource_parameter: resource_id, ASSUME_ROLE_PARAMETER: role}

    def update_findings(self, identifiers: list[dict], workflow: str, note: str, region: str) -> str | None:
        """Set the findings' workflow status with a note (finding_update_errors); the error text if Security Hub
        did not update them all (None if done)."""
        errors = self.finding_update_errors(identifiers, workflow, note, region)
        return "; ".join(dict.fromkeys(errors.values())) or None

    def finding_update_errors(
        self, identifiers: list[dict], workflow: str, note: str, region: str
    ) -> dict[tuple[str, str], str]:
        """Set the findings' workflow status with a note, each in the format it came in (ASFF: BatchUpdateFindings;
        OCSF: BatchUpdateFindingsV2), SECURITY_HUB_BATCH_MAX findings to a call. Returns, per finding (Id,
        ProductArn) that Security Hub did not update, why: its UnprocessedFindings entry, or the error of its
        call; the callers treat these as they treat a refused update (logged, or raised)."""
        unique = list({_finding_key(i): i for i in identifiers}.values())
        ocsf = [i for i in unique if i.get("ProductUid") and i.get("AccountId")]
        asff = [i for i in unique if i not in ocsf]
        securityhub = aws_client("securityhub", region)
        errors: dict[tuple[str, str], str] = {}
        for chunk in chunks(asff, SECURITY_HUB_BATCH_MAX):
            sent = [{"Id": i["Id"], "ProductArn": i["ProductArn"]} for i in chunk]
            errors |= _update_errors(
                chunk,
                sent,
                lambda sent=sent: securityhub.batch_update_findings(
                    FindingIdentifiers=sent, Workflow={"Status": workflow}, Note=_note(note)
                ),
            )
        for chunk in chunks(ocsf, SECURITY_HUB_BATCH_MAX):
            sent = [_ocsf_identifier(i) for i in chunk]
            errors |= _update_errors(
                chunk,
                sent,
                lambda sent=sent: securityhub.batch_update_findings_v2(
                    FindingIdentifiers=sent, StatusId=OCSF_STATUS_IDS[workflow], Comment=_note(note)["Text"]
                ),
            )
        return errors

    # -- Automation status changes -----------------------------------------------------------------------

    def handle_status(self, event: dict) -> dict:
        """Write the execution's audit record (audit.py); resolve the findings of a successful execution, notify
        and queue a failed one."""
        detail = event["detail"]
        execution_id, document, status = detail["ExecutionId"], detail["Definition"], detail["Status"]
        fields = {"event": "automation_status", "execution_id": execution_id, "document": document, "status": status}
        if status != SUCCESS_STATUS and status not in FAILED_STATUSES:
            return {"decisions": [log_decision("skipped", reason="status_not_final", **fields)]}
        record = self.ledger.execution(execution_id)
        controls = self.config.controls_for_document(document)
        if record is None and not controls:
            return {"decisions": [log_decision("skipped", reason="unmapped_document", **fields)]}
        account = record["account"] if record else event.get("account") or own_account()
        region = record["region"] if record else event.get("region") or self.settings.region
        if record is None and account not in allowed_accounts(self.settings):
            return {"decisions": [log_decision("skipped", reason="account_out_of_scope", account=account, **fields)]}
        audit = (event, record, controls, (account, region), self.config, self.accounts.factory(account, region))
        if record is None and status == SUCCESS_STATUS:  # AWS Config's run: no finding of ours to resolve
            self.audit.record(*audit)
            return {"decisions": [log_decision("skipped", reason="unknown_execution", **fields)]}
        if not self.ledger.claim_status(execution_id, status, self.lease_seconds):
            return {"decisions": [log_decision("skipped", reason="duplicate", **fields)]}
        if record and record.get("resource"):
            attached = self.ledger.resource_findings(record["resource"])
            record["findings"] = list({(f["Id"], f["ProductArn"]): f for f in record["findings"] + attached}.values())
        try:  # the audit record first: unwritten, nothing was notified yet; written, a retry leaves it as it is
            outputs = self.audit.record(*audit)["outputs"]
            skipped = _guard_skip(outputs)
            if status == SUCCESS_STATUS and skipped:
                decision = self._skipped_by_guard(record, fields, *skipped)
            elif status == SUCCESS_STATUS:
                decision = self._resolved(record, fields)
            else:
                decision = self._failed(record, controls, account, region, fields)
        except Exception:
            self.ledger.release_status(execution_id, status)
            raise
        if record and record.get("resource"):
            self.ledger.release_resource(record["resource"])
        self.ledger.confirm_status(execution_id, status)
        return {"decisions": [decision]}

    def _skipped_by_guard(self, record: dict, fields: dict, reason: str, message: str) -> dict:
        """The runbook's guard step ended the run with nothing changed (paused, mode, exclusion tag): the
        findings stay open, with the guard's message."""
        note = f"Remedy {fields['document']} execution {fields['execution_id']} changed nothing: {message}"
        error = self.update_findings(record["findings"], "NOTIFIED", note, record["securityhub_region"])
        return log_decision(
            "skipped",
            reason=reason,
            findings=record["findings"],
            control=record["control"],
            finding_update_error=error,
            **fields,
        )

    def _resolved(self, record: dict, fields: dict) -> dict:
        note = f"Remedy {fields['document']} execution {fields['execution_id']} succeeded; the resource was fixed"
        error = self.update_findings(record["findings"], "RESOLVED", note, record["securityhub_region"])
        if error:
            raise RuntimeError(f"could not resolve the findings of {fields['execution_id']}: {error}")
        return log_decision("resolved", findings=record["findings"], control=record["control"], **fields)

    def _failed(self, record: dict | None, controls: list, account: str, region: str, fields: dict) -> dict:
        """Keep the findings open with the reason, notify (SNS), and queue the failure for the retry consumer
        (prowler_bridge.retry) if the bridge started the execution: a run AWS Config started is retried by
        Config itself (its remediation's MaximumAutomaticAttempts), so it is only notified."""
        execution_id, document, status = fields["execution_id"], fields["document"], fields["status"]
        reason = self.failure_reason(execution_id, account, region)
        findings = record["findings"] if record else []
        control = record["control"] if record else (controls[0].id if len(controls) == 1 else None)
        message = {
            "execution_id": execution_id,
            "document": document,
            "status": status,
            "reason": reason,
            "findings": findings,
            "control": control,
            "account": account,
            "region": region,
        }
        note = f"Remedy {document} execution {execution_id} {status}: {reason}."
        update_error = (
            self.update_findings(findings, "NOTIFIED", note + " Queued for retry.", record["securityhub_region"])
            if record
            else None
        )
        aws_client("sns").publish(
            TopicArn=self.settings.failure_topic_arn,
            Subject=f"Remedy: {document} {status}"[:100],
            Message=f"Remedy runbook {document} execution {execution_id} in {account}/{region}: {status}.\n"
            f"Reason: {reason}\n\n{json.dumps(message, indent=2)}",
        )
        queued = self._queue_failure(record, message) if record else "not_started_by_bridge"
        return log_decision(
            "failure_notified",
            reason=reason,
            findings=findings,
            control=control,
            account=account,
            region=region,
            finding_update_error=update_error,
            queued=queued,
            **fields,
        )

    def _queue_failure(self, record: dict, message: dict) -> str:
        """One failure message per (control, account, region, resource) in flight. The failure queue is a
        standard queue (EventBridge's target DLQ and Lambda's on-failure destination accept no FIFO queue:
        https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html), so SQS cannot
        deduplicate: the ledger's failure item does. The message waits the retry backoff of its attempt
        (DelaySeconds, at most 900: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-delay-queues.html).
        Returns "sent", or "merged" when a message for the resource is in flight already."""
        resource = record.get("resource") or f"execution#{message['execution_id']}"
        attempt = self.ledger.claim_failure(resource, message["execution_id"], message["findings"], self.lease_seconds)
        if attempt is None:
            return "merged"
        body = {**message, "resource": resource, "attempt": attempt}
        try:
            aws_client("sqs").send_message(
                QueueUrl=self.settings.failure_queue_url,
                MessageBody=json.dumps(body),
                DelaySeconds=backoff_seconds(attempt),
            )
        except Exception:
            self.ledger.withdraw_failure(resource)  # the retry of this status event queues it again
            raise
        self.ledger.confirm_failure(resource)
        return "sent"

    def failure_reason(self, execution_id: str, account: str, region: str) -> str:
        """SSM's FailureMessage for the execution (or why it could not be read)."""
        try:
            execution = self.accounts.factory(account, region)("ssm").get_automation_execution(
                AutomationExecutionId=execution_id
            )["AutomationExecution"]
        except Exception as error:
            return f"failure message unavailable ({type(error).__name__}: {error})"
        return execution.get("FailureMessage") or "no failure message given"


@dataclass(frozen=True)
class Member:
    """One finding of a batch that passed every check: its place in the batch, its decision, when it was seen."""

    index: int
    decision: Decision
    observed_at: str


@dataclass(frozen=True)
class Outcome:
    """What became of one finding: the decision's name and its log line's other fields (logged in batch order)."""

    decision: Decision
    name: str
    fields: dict = field(default_factory=dict)

    def log(self, kind: str) -> dict:
        return self.decision.log(self.name, event=kind, **self.fields)


def _fail(members: list[Member], error: Exception, outcomes: list[Outcome]) -> None:
    for member in members:
        outcomes[member.index] = Outcome(member.decision, "failed", {"error": f"{type(error).__name__}: {error}"})


def _claimed(
    group: list[Member], claimed: set[str], errors: dict[str, Exception], outcomes: list[Outcome]
) -> list[Member]:
    """The group's members this invocation claimed (each finding once); the others' outcomes: failed (their
    claim could not be written) or duplicate. Claimed ids are taken from `claimed` as they are handed out."""
    members = []
    for member in group:
        finding_id = member.decision.finding_id
        if finding_id in errors:
            _fail([member], errors[finding_id], outcomes)
        elif finding_id in claimed:
            claimed.discard(finding_id)
            members.append(member)
        else:
            outcomes[member.index] = Outcome(replace(member.decision, reason="duplicate"), "skipped")
    return members


def _each(decisions: list[Decision], name: str, errors: dict, **fields: object) -> list[Outcome]:
    """One outcome per decision, each with its own finding's update error (if Security Hub refused it)."""
    return [
        Outcome(d, name, {**fields, "finding_update_error": errors.get(_finding_key(d.identifier))}) for d in decisions
    ]


def _finding_key(identifier: dict) -> tuple[str, str]:
    return identifier.get("Id", ""), identifier.get("ProductArn", "")


def _update_errors(chunk: list[dict], sent: list[dict], call: Callable[[], dict]) -> dict[tuple[str, str], str]:
    """Why the findings of one update call were not updated: the call's error for all of them, or the
    UnprocessedFindings entry of each one Security Hub names (an entry naming none of them counts for all)."""
    try:
        response = call()
    except Exception as error:
        return dict.fromkeys(map(_finding_key, chunk), f"{type(error).__name__}: {error}")
    errors = {}
    for item in response.get("UnprocessedFindings") or []:
        item = item if isinstance(item, dict) else {}
        text = f"unprocessed: {item.get('ErrorCode')}: {item.get('ErrorMessage')}"
        named = [i for i, s in zip(chunk, sent, strict=True) if s == item.get("FindingIdentifier")] or chunk
        errors |= dict.fromkeys(map(_finding_key, named), text)
    return errors


def _guard_skip(outputs: object) -> tuple[str, str] | None:
    """(reason, message) when the runbook's guard step (infra/runbooks.py GUARD_STEP) skipped the run, from the
    execution's outputs ({"CheckRemedyControls.Outcome": ["skipped"], ...}); None when it ran the fix."""

    def output(name: str) -> str:
        values = outputs.get(f"{GUARD_STEP}.{name}") if isinstance(outputs, dict) else None
        return values[0] if isinstance(values, list) and values and isinstance(values[0], str) else ""

    if output("Outcome") != "skipped":
        return None
    return output("Reason") or "skipped_by_guard", output("Message")[:300]


def _ocsf_identifier(identifier: dict) -> dict[str, str]:
    """BatchUpdateFindingsV2's OcsfFindingIdentifier of a finding that came in the OCSF format."""
    return {
        "CloudAccountUid": identifier["AccountId"],
        "FindingInfoUid": identifier["Id"],
        "MetadataProductUid": identifier["ProductUid"],
    }


def _observed_at(finding: object) -> str:
    """When the finding's source last saw the resource (ASFF UpdatedAt), as ISO text; empty if unknown."""
    value = finding.get("UpdatedAt") if isinstance(finding, dict) else None
    return _iso(value) or ""


def _iso(value: object) -> str | None:
    """A timestamp (datetime from boto3, or ISO text) as comparable UTC ISO text, e.g. 2026-11-27T09:00:00."""
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, str) and len(value) >= 19:
        return value[:19]
    return None


def _kind(custom_action: bool) -> str:
    return "custom_action" if custom_action else "imported"


def lambda_handler(event: Any, context: Any = None) -> dict:
    """Entry point (EventBridge). Returns {"decisions": [one log line per finding or status event]}."""
    detail_type = validate_event(event)
    remaining_ms = context.get_remaining_time_in_millis() if hasattr(context, "get_remaining_time_in_millis") else None
    lease = DEFAULT_LEASE_SECONDS if remaining_ms is None else max(1, int(remaining_ms / 1000) + 1)
    bridge = Bridge(load_bridge_config(), load_settings(), lease_seconds=lease)
    if detail_type == AUTOMATION_STATUS:
        return status_out_of_scope(event, bridge) or bridge.handle_status(event)
    if detail_type == CUSTOM_ACTION:
        check_action_target(event, bridge, context)
    if detail_type == IMPORTED_V2:
        return bridge.handle_findings(normalised(event), custom_action=False, ocsf=True)
    return bridge.handle_findings(event, custom_action=detail_type == CUSTOM_ACTION)
