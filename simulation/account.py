"""An emulated AWS account running the synthesized Remedy stack, in process, on moto.

Moto provides the resources. This module adds exactly what moto lacks, each piece named after the
service it stands in for: Config (simulation.config_service), SSM Automation (simulation.ssm_automation,
made asynchronous here), EventBridge delivery, and Security Hub's BatchUpdateFindings and events.
The missing APIs are answered by a botocore hook on boto3's default session, so the rule handlers,
runbook scripts and bridge call boto3 exactly as they do in AWS.
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import boto3
from moto.events.models import EventPattern

from simulation.cloud_assembly import STACK_NAME, CloudAssembly, EventRule
from simulation.config_service import ConfigService
from simulation.lambda_service import LambdaService
from simulation.routing import Router, Routes
from simulation.ssm_automation import SsmAutomation

END_STATUSES = ("Success", "Failed", "TimedOut", "Cancelled")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def flatten_event(node: object, prefix: str = "", result: dict | None = None) -> dict:
    """Flatten an event as EventBridge matches it: nested objects by path, arrays of objects into value lists."""
    result = {} if result is None else result
    if isinstance(node, dict):
        for key, value in node.items():
            flatten_event(value, f"{prefix}.{key}" if prefix else key, result)
    elif isinstance(node, list) and any(isinstance(v, dict) for v in node):
        for value in node:
            flatten_event(value, prefix, result)
    else:
        values = node if isinstance(node, list) else [node]
        existing = result.get(prefix)
        if existing is None:
            result[prefix] = values if isinstance(node, list) else node
        else:
            merged = existing if isinstance(existing, list) else [existing]
            result[prefix] = merged + values
    return result


def event_matches(pattern: dict, event: dict) -> bool:
    """EventBridge pattern matching: moto's matcher, over an event flattened through arrays as AWS does."""
    matcher = EventPattern.load(json.dumps(pattern))
    return matcher._does_event_match(flatten_event(json.loads(json.dumps(event))), matcher.get_pattern())


class EventBridge:
    """Default event bus: rules and their Lambda and event bus targets from the cloud assembly; delivery queued,
    as it is async. `forward(bus_arn, event)` puts an event on another bus (of an account in the organization)."""

    def __init__(
        self, rules: list[EventRule], lambdas: LambdaService, account: str, region: str, dlq_urls: dict
    ) -> None:
        self.rules, self.lambdas, self.account, self.region = rules, lambdas, account, region
        self.dlq_urls = dlq_urls
        self.pending: deque[dict] = deque()
        self.delivered: list[tuple[str, dict]] = []
        self.failures: list[tuple[str, dict, str]] = []
        self.forward: Callable[[str, dict], None] | None = None

    def receive(self, event: dict) -> None:
        """An event another bus sent here: it keeps its source account and region, as in AWS."""
        self.pending.append(event)

    def put(self, source: str, detail_type: str, detail: dict, resources: list[str] | None = None) -> dict:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": self.account,
            "time": _now(),
            "region": self.region,
            "resources": resources or [],
            "detail": detail,
        }
        self.pending.append(event)
        return event

    def deliver_one(self) -> bool:
        if not self.pending:
            return False
        event = self.pending.popleft()
        for rule in self.rules:
            if not event_matches(rule.pattern, event):
                continue
            for bus_arn in rule.target_bus_arns:
                if self.forward is None:
                    raise RuntimeError(f"rule {rule.logical_id} targets bus {bus_arn}: no organization to deliver to")
                self.delivered.append((rule.logical_id, event))
                self.forward(bus_arn, event)
            for function_id in rule.target_function_ids:
                self.delivered.append((rule.logical_id, event))
                try:
                    self.lambdas.invoke(function_id, event)
                except Exception as error:  # a failed target lands in the target's DLQ, as in AWS
                    self.failures.append((rule.logical_id, event, repr(error)))
                    for queue_id in rule.dead_letter_queue_ids:
                        boto3.client("sqs", region_name=self.region).send_message(
                            QueueUrl=self.dlq_urls[queue_id], MessageBody=json.dumps(event)
                        )
        return True


class SecurityHub:
    """Findings live in moto; this adds BatchUpdateFindings, the Imported events and the custom action."""

    def __init__(self, events: EventBridge, region: str, action_target_arn: str) -> None:
        self.events, self.region, self.action_target_arn = events, region, action_target_arn

    def _client(self):  # noqa: ANN202
        return boto3.client("securityhub", region_name=self.region)

    def findings(self) -> dict[str, dict]:
        """Every finding by Id (moto's GetFindings ignores filters: filter here)."""
        found: dict[str, dict] = {}
        for page in self._client().get_paginator("get_findings").paginate():
            for finding in page["Findings"]:
                found[finding["Id"]] = finding
        return found

    def import_findings(self, findings: list[dict]) -> None:
        """BatchImportFindings as a provider calls it; Security Hub fills its fields and emits Imported events."""
        stored = []
        for finding in findings:
            finding = json.loads(json.dumps(finding))
            finding.setdefault("ProductName", (finding.get("ProductFields") or {}).get("ProviderName", ""))
            finding.setdefault("Workflow", {"Status": "NEW"})
            finding.setdefault("WorkflowState", "NEW")
            finding.setdefault("RecordState", "ACTIVE")
            finding.setdefault("Region", self.region)
            existing = self.findings().get(finding["Id"])
            if existing:  # provider re-import keeps the customer's workflow and note
                for field in ("Workflow", "WorkflowState", "Note"):
                    if field in existing:
                        finding[field] = existing[field]
            stored.append(finding)
        response = self._client().batch_import_findings(Findings=stored)
        if response.get("FailedCount"):
            raise ValueError(f"BatchImportFindings failed: {response['FailedFindings']}")
        for finding in stored:
            self.events.put(
                "aws.securityhub", "Security Hub Findings - Imported", {"findings": [finding]}, [finding["Id"]]
            )

    def batch_update_findings(self, params: dict) -> dict:
        current = self.findings()
        processed, unprocessed, updated = [], [], []
        for identifier in params.get("FindingIdentifiers", []):
            finding = current.get(identifier["Id"])
            if finding is None or finding.get("ProductArn") != identifier.get("ProductArn"):
                unprocessed.append(
                    {"FindingIdentifier": identifier, "ErrorCode": "FindingNotFound", "ErrorMessage": "no such finding"}
                )
                continue
            if "Workflow" in params:
                finding["Workflow"] = {"Status": params["Workflow"]["Status"]}
            if "Note" in params:
                finding["Note"] = {**params["Note"], "UpdatedAt": _now()}
            finding["UpdatedAt"] = _now()
            updated.append(finding)
            processed.append(identifier)
        if updated:
            self._client().batch_import_findings(Findings=updated)
            for finding in updated:  # AWS emits Imported events for customer updates too
                self.events.put(
                    "aws.securityhub", "Security Hub Findings - Imported", {"findings": [finding]}, [finding["Id"]]
                )
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}

    def custom_action(self, finding_ids: list[str]) -> dict:
        """A person selecting findings and choosing the 'Remediate' custom action in the console."""
        current = self.findings()
        findings = [current[i] for i in finding_ids]
        return self.events.put(
            "aws.securityhub",
            "Security Hub Findings - Custom Action",
            {"actionName": "Remediate", "actionDescription": "Run the Remedy runbook", "findings": findings},
            [self.action_target_arn],
        )


class SsmAutomationService:
    """StartAutomationExecution returns at once; the execution runs when the account settles, then EventBridge
    hears of its end, as it does in AWS (the caller records the id before the outcome arrives)."""

    def __init__(
        self, interpreter: SsmAutomation, events: EventBridge, resource_parameters: dict[str, str] | None = None
    ) -> None:
        """resource_parameters: document -> the parameter naming the resource (from the remediation
        configurations), so each execution's resource is known for the report."""
        self.interpreter, self.events = interpreter, events
        self.resource_parameters = resource_parameters or {}
        self.pending: deque[tuple[str, str, dict]] = deque()
        self.ids: dict[str, str] = {}  # our id -> interpreter id
        self.started: list[tuple[str, str, dict]] = []
        self.origins: dict[str, tuple[str, str]] = {}  # execution id -> (trigger, resource id)
        self.rejected: dict[str, str] = {}  # executions whose parameters failed validation
        self._tokens: dict[str, tuple[str, dict, str]] = {}  # ClientToken -> (document, parameters, id)

    def start(
        self,
        document: str,
        parameters: dict[str, list[str]],
        *,
        client_token: str | None = None,
        trigger: str = "api",
        resource_id: str | None = None,
    ) -> str:
        """StartAutomationExecution. A ClientToken seen before with the same document and parameters returns that
        execution, as AWS's idempotent retry does; with others it is IdempotentParameterMismatch."""
        if document not in self.interpreter.documents:
            raise ValueError(f"Automation document {document} not found")
        if client_token and client_token.lower() in self._tokens:
            earlier_document, earlier_parameters, earlier_id = self._tokens[client_token.lower()]
            if (earlier_document, earlier_parameters) != (document, parameters):
                raise ValueError(f"IdempotentParameterMismatch: ClientToken {client_token} was used with other input")
            return earlier_id
        execution_id = str(uuid.uuid4())
        if client_token:
            self._tokens[client_token.lower()] = (document, parameters, execution_id)
        self.pending.append((execution_id, document, parameters))
        self.started.append((execution_id, document, parameters))
        resource = resource_id or (parameters.get(self.resource_parameters.get(document, ""), [""]) or [""])[0]
        self.origins[execution_id] = (trigger, resource)
        return execution_id

    def run_one(self) -> bool:
        if not self.pending:
            return False
        execution_id, document, parameters = self.pending.popleft()
        try:
            self.ids[execution_id] = self.interpreter.start_automation_execution(
                DocumentName=document, Parameters=parameters
            )
            status = self.status(execution_id)
        except ValueError as error:  # parameter validation: the execution fails to start
            self.ids[execution_id] = ""
            self.rejected[execution_id] = str(error)
            status = "Failed"
        self._notify(execution_id, document, status)
        return True

    def _notify(self, execution_id: str, document: str, status: str) -> None:
        self.events.put(
            "aws.ssm",
            "EC2 Automation Execution Status-change Notification",
            {
                "ExecutionId": execution_id,
                "Definition": document,
                "DefinitionVersion": 1.0,
                "Status": status,
                "StartTime": _now(),
                "EndTime": _now(),
                "Time": 0.0,
                "ExecutedBy": "remedy-simulation",
            },
        )

    def waiting(self) -> list[str]:
        """Executions paused at an aws:approve step, waiting for a person's decision."""
        return [i for i in self.ids if self.status(i) == "Waiting"]

    def approval_request(self, execution_id: str) -> dict:
        """The inputs (Message, Approvers, NotificationArn) of the approval step the execution waits at."""
        return self.interpreter.executions[self.ids[execution_id]].step_executions[-1]["Inputs"]

    def signal(self, execution_id: str, signal_type: str, approver: str, comment: str = "") -> None:
        """SendAutomationSignal Approve/Reject by `approver`; EventBridge hears of the end status, if reached."""
        self.interpreter.send_automation_signal(
            AutomationExecutionId=self.ids[execution_id],
            SignalType=signal_type,
            Payload={"Comment": [comment]} if comment else None,
            Approver=approver,
        )
        if self.status(execution_id) != "Waiting":
            self._notify(execution_id, self.started_document(execution_id), self.status(execution_id))

    def started_document(self, execution_id: str) -> str:
        return next(d for i, d, _p in self.started if i == execution_id)

    def status(self, execution_id: str) -> str:
        if execution_id not in self.ids:
            return "InProgress"
        inner = self.ids[execution_id]
        if not inner:
            return "Failed"
        return self.interpreter.executions[inner].status

    def get(self, params: dict) -> dict:
        execution_id = params["AutomationExecutionId"]
        if execution_id not in self.ids:
            if any(e[0] == execution_id for e in self.pending):
                return {
                    "AutomationExecution": {
                        "AutomationExecutionId": execution_id,
                        "AutomationExecutionStatus": "InProgress",
                    }
                }
            raise ValueError(f"automation execution {execution_id} does not exist")
        if not self.ids[execution_id]:
            return {
                "AutomationExecution": {
                    "AutomationExecutionId": execution_id,
                    "AutomationExecutionStatus": "Failed",
                    "FailureMessage": self.rejected[execution_id],
                }
            }
        response = self.interpreter.get_automation_execution(self.ids[execution_id])
        response["AutomationExecution"]["AutomationExecutionId"] = execution_id
        return response


def evaluate_bucket_policies_as_https() -> None:
    """moto applies a bucket policy's Deny statements to object requests without their conditions
    (moto.s3.models.FakeBucket.get_permission), so the TLS-only statement (Deny when aws:SecureTransport is false)
    would deny every GetObject and PutObject. AWS denies only plain HTTP requests with it, and every SDK call here
    uses HTTPS: evaluate bucket policies without the statements whose one condition is that (process-wide, also
    for a moto server in this process; idempotent)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    if getattr(FakeBucket.get_permission, "evaluated_as_https", False):
        return

    def get_permission(bucket: FakeBucket, action: str, resource: str) -> object:
        if bucket.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(bucket.policy)
        statements = policy.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        kept = [s for s in statements if not _only_over_plain_http(s)]
        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**policy, "Statement": kept})).is_action_permitted(action, resource)

    get_permission.evaluated_as_https = True
    FakeBucket.get_permission = get_permission


def keep_unspecified_instance_metadata_options() -> None:
    """ModifyInstanceMetadataOptions keeps every option a request leaves out ("If the parameter is not specified,
    the existing state is maintained":
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceMetadataOptions.html); moto 5.2.5 sets
    them to None instead (so an instance sent only HttpTokens reports no HttpEndpoint). Keep them as AWS does
    (process-wide, also for a moto server in this process; idempotent)."""
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.modify_instance_metadata_options
    if getattr(original, "keeps_unspecified", False):
        return

    def modify(backend: InstanceBackend, instance_id: str, **options: object) -> object:
        kept = backend.get_instance(instance_id).metadata_options
        current = {
            "http_tokens": kept.http_tokens,
            "hop_limit": kept.http_put_response_hop_limit,
            "http_endpoint": kept.http_endpoint,
            "http_protocol": kept.http_protocol_ipv6,
            "metadata_tags": kept.instance_metadata_tags,
        }
        given = {name: value for name, value in options.items() if value is not None}
        return original(backend, instance_id, **{**current, **given})

    modify.keeps_unspecified = True
    InstanceBackend.modify_instance_metadata_options = modify


def _only_over_plain_http(statement: object) -> bool:
    if not isinstance(statement, dict) or not isinstance(statement.get("Condition"), dict):
        return False
    condition = statement["Condition"]
    values = condition.get("Bool") if list(condition) == ["Bool"] else None
    if not isinstance(values, dict) or list(values) != ["aws:SecureTransport"]:
        return False
    value = values["aws:SecureTransport"]
    return str(value[0] if isinstance(value, list) and len(value) == 1 else value).lower() == "false"


class EmulatedAccount:
    """Provision the synthesized stack on moto and run it: rules, remediations, bridge, events, findings."""

    def __init__(
        self,
        assembly_dir: Path | str,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        *,
        stack_name: str = STACK_NAME,
        account: str | None = None,
        router: Router | None = None,
    ) -> None:
        """account and router: one (account, region) of an organization (simulation.organization), whose router
        routes every account's calls; without them, the account moto's credentials act in, with a router of its
        own on boto3's default session."""
        self.region, self.endpoint_url = region, endpoint_url
        self.assembly = CloudAssembly(assembly_dir, stack_name, region=region)
        self.account = account or ""
        self._shared_router = router

    # Provisioning -------------------------------------------------------------------------------------
    def provision(self) -> EmulatedAccount:
        """Create the stack's stateful resources in the emulated account and wire the services."""
        if not self.account:
            self.account = boto3.client("sts", region_name=self.region).get_caller_identity()["Account"]
        self.assembly.account = self.account
        for logical_id, resource in self.assembly.resources.items():
            self._create_resource(logical_id, resource["Type"], resource.get("Properties", {}))
        evaluate_bucket_policies_as_https()
        keep_unspecified_instance_metadata_options()
        for policy in self.assembly.of_type("AWS::S3::BucketPolicy").values():
            self._bucket_policy(policy.get("Properties", {}))
        boto3.client("securityhub", region_name=self.region).enable_security_hub()
        self._wire_events()
        self._register_documents()
        self._wire_config()
        self._automatic_attempts: dict[str, tuple[str, str, int]] = {}
        self._install_hook()
        return self

    def _create_resource(self, logical_id: str, kind: str, properties: dict) -> None:
        """Create one stateful resource of the stack (tables, topics, queues, named roles, buckets, action targets)
        and record its physical id; other resources need none."""
        assembly, physical = self.assembly, self.assembly.physical
        if kind in ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"):
            name = f"remedy-{logical_id.lower()}"
            boto3.client("dynamodb", region_name=self.region).create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=properties["AttributeDefinitions"],
                KeySchema=properties["KeySchema"],
            )
            if _point_in_time_recovery(properties):
                boto3.client("dynamodb", region_name=self.region).update_continuous_backups(
                    TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
                )
            physical[logical_id] = name
        elif kind == "AWS::SNS::Topic":
            physical[logical_id] = boto3.client("sns", region_name=self.region).create_topic(
                Name=logical_id, Attributes=self._kms_master_key(logical_id, properties)
            )["TopicArn"]
        elif kind == "AWS::SQS::Queue":
            physical[logical_id] = boto3.client("sqs", region_name=self.region).create_queue(
                QueueName=logical_id, Attributes=self._kms_master_key(logical_id, properties)
            )["QueueUrl"]
            physical[f"{logical_id}.Arn"] = f"arn:aws:sqs:{self.region}:{self.account}:{logical_id}"
        elif kind == "AWS::IAM::Role" and "RoleName" in properties:
            name = str(assembly.resolve(properties["RoleName"]))
            physical[f"{logical_id}.Arn"] = boto3.client("iam").create_role(
                RoleName=name,
                Path=properties.get("Path", "/"),
                AssumeRolePolicyDocument=json.dumps(assembly.resolve(properties["AssumeRolePolicyDocument"])),
            )["Role"]["Arn"]
            physical[logical_id] = name
        elif kind == "AWS::S3::Bucket":
            physical[logical_id] = self._bucket(logical_id, properties)
            physical[f"{logical_id}.Arn"] = f"arn:{assembly.partition}:s3:::{physical[logical_id]}"
        elif kind == "AWS::SecurityHub::ActionTarget":
            physical[logical_id] = f"arn:aws:securityhub:{self.region}:{self.account}:action/custom/{properties['Id']}"

    def _wire_events(self) -> None:
        """The Lambda functions, EventBridge (with the stack's dead-letter queues) and Security Hub."""
        assembly = self.assembly
        self.lambdas = LambdaService(assembly.functions(), self.region)
        dlq_urls = {k: v for k, v in assembly.physical.items() if k in assembly.of_type("AWS::SQS::Queue")}
        self.events = EventBridge(assembly.event_rules(), self.lambdas, self.account, self.region, dlq_urls)
        action_targets = [assembly.physical[k] for k in assembly.of_type("AWS::SecurityHub::ActionTarget")]
        self.security_hub = SecurityHub(self.events, self.region, action_targets[0] if action_targets else "")

    def _register_documents(self) -> None:
        """Each Automation document, in the interpreter that runs it and in (moto's) SSM."""
        router = self._shared_router
        self.interpreter = SsmAutomation(
            session_factory=(lambda: router.session(self.region)) if router else None, endpoint_url=self.endpoint_url
        )
        ssm = boto3.client("ssm", region_name=self.region)
        for name, content in self.assembly.documents().items():
            self.interpreter.register(name, content)
            ssm.create_document(
                Name=name, Content=json.dumps(content), DocumentType="Automation", DocumentFormat="JSON"
            )

    def _wire_config(self) -> None:
        """SSM Automation as the services start it, and AWS Config with the stack's rules and remediations."""
        assembly = self.assembly
        resource_parameters = {
            c.document: name
            for c in assembly.remediation_configurations().values()
            for name, value in c.parameters.items()
            if "ResourceValue" in value
        }
        self.ssm = SsmAutomationService(self.interpreter, self.events, resource_parameters)
        self.config = ConfigService(
            assembly.config_rules(),
            assembly.remediation_configurations(),
            self.lambdas,
            self.ssm.start,
            self.account,
            self.region,
            execution_status=self.ssm.status,
        )

    def _kms_master_key(self, logical_id: str, properties: dict) -> dict:
        """{"KmsMasterKeyId": <a KMS key made here>} for a topic or queue the template encrypts with a KMS key (the
        template's key is not provisioned), else {}: the stack's own topics and queues are encrypted as deployed."""
        if "KmsMasterKeyId" not in properties:
            return {}
        key = boto3.client("kms", region_name=self.region).create_key(Description=f"{logical_id} (simulation)")
        return {"KmsMasterKeyId": key["KeyMetadata"]["Arn"]}

    def _bucket(self, logical_id: str, properties: dict) -> str:
        """A bucket of the stack (the bridge's audit bucket), with the template's Object Lock, public access block
        and default encryption (under a KMS key made here: the template's key is not provisioned)."""
        name = f"remedy-{self.account}-{logical_id.lower()}"[:63]
        s3 = boto3.client("s3", region_name=self.region)
        location = (
            {} if self.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        )
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=bool(properties.get("ObjectLockEnabled")), **location)
        if "ObjectLockConfiguration" in properties:
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=properties["ObjectLockConfiguration"])
        if "PublicAccessBlockConfiguration" in properties:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"]
            )
        for rule in properties.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", []):
            default = dict(rule["ServerSideEncryptionByDefault"])
            if "KMSMasterKeyID" in default:
                key = boto3.client("kms", region_name=self.region).create_key(Description=f"{logical_id} (simulation)")
                default["KMSMasterKeyID"] = key["KeyMetadata"]["Arn"]
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": default,
                            "BucketKeyEnabled": rule.get("BucketKeyEnabled", False),
                        }
                    ]
                },
            )
        return name

    def _bucket_policy(self, properties: dict) -> None:
        """The template's policy on a bucket of the stack (e.g. the TLS-only statement enforce_ssl adds), once every
        bucket exists; a policy on a bucket the stack does not make is left out."""
        bucket = str(self.assembly.resolve(properties["Bucket"]))
        if bucket.startswith("<unprovisioned:"):
            return
        policy = self.assembly.resolve(properties["PolicyDocument"])
        boto3.client("s3", region_name=self.region).put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    # The APIs moto lacks, answered before the request leaves botocore --------------------------------------
    def routes(self) -> Routes:
        """This account's answers to the APIs moto lacks, by (endpoint prefix, operation)."""
        return {
            ("config", "PutEvaluations"): self.config.put_evaluations,
            ("config", "GetComplianceDetailsByConfigRule"): self.config.get_compliance_details_by_config_rule,
            ("config", "StartRemediationExecution"): self.config.start_remediation_execution,
            ("ssm", "StartAutomationExecution"): lambda p: {
                "AutomationExecutionId": self.ssm.start(
                    p["DocumentName"], p.get("Parameters", {}), client_token=p.get("ClientToken"), trigger="bridge"
                )
            },
            ("config", "DescribeRemediationExecutionStatus"): self.config.describe_remediation_execution_status,
            ("config", "GetComplianceDetailsByResource"): self.config.get_compliance_details_by_resource,
            ("config", "GetResourceConfigHistory"): self.config.get_resource_config_history,
            ("ssm", "GetAutomationExecution"): self.ssm.get,
            ("securityhub", "BatchUpdateFindings"): self.security_hub.batch_update_findings,
        }

    def _install_hook(self) -> None:
        if self._shared_router is not None:
            self._shared_router.add(self.account, self.region, self.routes())
            return
        self._router = Router()
        self._router.add(self.account, self.region, self.routes(), fallback=True)
        self._router.install()

    def close(self) -> None:
        """Take the hook off boto3's default session (the emulated services stop answering)."""
        router = getattr(self, "_router", None)
        if router is not None:
            router.uninstall()
            self._router = None

    def __enter__(self) -> EmulatedAccount:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Running ------------------------------------------------------------------------------------------------
    def step(self) -> bool:
        """Run one queued execution, else deliver one queued event; False when there is nothing to do."""
        if self.ssm.run_one():
            self._retry_automatic_failures()
            return True
        return self.events.deliver_one()

    def settle(self, max_steps: int = 10_000) -> None:
        """Run queued executions and deliver queued events until the account is quiet."""
        for _ in range(max_steps):
            if not self.step():
                return
        raise RuntimeError("the emulated account did not settle (event loop?)")

    def run_automatic_remediations(self) -> list[str]:
        """What AWS Config does on its own after evaluating: remediate non-compliant resources of automatic rules."""
        started = self.start_automatic_remediations()
        self.settle()
        return started

    def start_automatic_remediations(self) -> list[str]:
        """Start (not run) the automatic remediations; failures are retried as the executions end."""
        started = []
        for rule_name, resource_id in self.config.automatic_remediation_targets():
            execution_id = self.config.remediate(rule_name, resource_id, trigger="config_automatic")
            self._automatic_attempts[execution_id] = (rule_name, resource_id, 1)
            started.append(execution_id)
        return started

    def _retry_automatic_failures(self) -> None:
        for execution_id, (rule_name, resource_id, attempt) in list(self._automatic_attempts.items()):
            if self.ssm.status(execution_id) in ("Failed", "TimedOut"):
                del self._automatic_attempts[execution_id]
                if attempt < self.config.remediations[rule_name].maximum_attempts:
                    retry = self.config.remediate(rule_name, resource_id, trigger="config_automatic")
                    self._automatic_attempts[retry] = (rule_name, resource_id, attempt + 1)
            elif self.ssm.status(execution_id) in END_STATUSES:
                del self._automatic_attempts[execution_id]


def _point_in_time_recovery(properties: dict) -> bool:
    """Whether the template turns point-in-time recovery on (a table's own specification or a global table's
    replicas'), as CloudFormation would when it creates the table."""
    specifications = [properties.get("PointInTimeRecoverySpecification") or {}]
    specifications += [r.get("PointInTimeRecoverySpecification") or {} for r in properties.get("Replicas", [])]
    return any(spec.get("PointInTimeRecoveryEnabled") is True for spec in specifications)
