"""From one ASFF finding to a decision: act on it (which control, which resource) or skip it, and why.

Sources acted on: Prowler's findings (routed by check id), Security Hub CSPM's own control findings (routed by
security control id, or by the per-standard GeneratorId when consolidated control findings is off), and, on the
custom action only, findings of our AWS Config rules. Security Hub's OCSF findings reach here normalised to this
shape (ocsf.py).

Pure: no AWS call. Every rule a finding must pass before anything changes lives here, in the order it is
checked; the first that fails gives the skip reason, a stable machine code that operators can alert on.
The one check that needs the ledger (duplicate) is made by the handler after all of these pass.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Container
from dataclasses import dataclass

from prowler_bridge.ocsf import OCSF_PRODUCT_UID
from prowler_bridge.resources import Arn, MalformedArnError, finding_arn, resource_key
from prowler_bridge.settings import BridgeConfig, DeployedControl

PROWLER = "Prowler"
PROWLER_PRODUCT = "product/prowler/prowler"
CONFIG_PRODUCT = "product/aws/config"
CONFIG_RULE_FIELD = "aws/config/ConfigRuleName"
# Security Hub CSPM's control findings: ProductArn .../product/aws/securityhub; a consolidated finding's GeneratorId
# is security-control/<id>, and every control finding carries Compliance.SecurityControlId (outside the China and
# GovCloud Regions): https://docs.aws.amazon.com/securityhub/latest/userguide/asff-changes-consolidation.html and
# https://docs.aws.amazon.com/securityhub/latest/userguide/sample-control-findings.html
SECURITY_HUB_PRODUCT = "product/aws/securityhub"
SECURITY_CONTROL_PREFIX = "security-control/"
GENERATOR_PREFIX = "prowler-"
OPEN_WORKFLOW_STATUSES = ("NEW", "NOTIFIED")
_ACCOUNT = re.compile(r"^\d{12}$")
# An OCSF metadata.product.uid as Security Hub writes it: arn:<partition>:securityhub:<region>::productv2/<co>/<name>
_PRODUCT_UID = re.compile(r"^arn:aws[a-z-]*:securityhub:[a-z0-9-]*::productv2/[\x21-\x7e]{1,400}$")
# The ledger's partition key holds "finding#<key>" and DynamoDB allows 2,048 bytes: an Id longer than this, or not
# printable ASCII, is keyed by its SHA-256 instead (deterministic, so a re-import is still a duplicate).
LEDGER_KEY_MAX = 1024
HASHED_KEY_PREFIX = "sha256:"
_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")

# Actions a decision can ask for.
START_AUTOMATION = "start_automation"
START_CONFIG_REMEDIATION = "start_config_remediation"


def ledger_key(finding_id: str) -> str:
    """The finding's key in the ledger: its Id, or sha256:<hex digest> of it when it is long or not ASCII."""
    if (
        len(finding_id) <= LEDGER_KEY_MAX
        and _PRINTABLE.match(finding_id)
        and not finding_id.startswith(HASHED_KEY_PREFIX)
    ):
        return finding_id
    return HASHED_KEY_PREFIX + hashlib.sha256(finding_id.encode("utf-8", "surrogatepass")).hexdigest()


# Metrics from the decision line, in CloudWatch's Embedded Metric Format (no API call: CloudWatch Logs extracts
# them from the line): https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
# Each distinct set of dimension values is one metric, so every dimension takes a value from a fixed vocabulary
# (anything else is "other"), Control a catalogue control id (the bridge logs only ids from bridge_config.json).
# Worst case per deployment, 300 controls: 17 decisions (16 + "other") + 301 controls (300 + "other") x 17 decisions
# + 32 skip reasons (31 + "other") = 5,166 metrics; a deployment's real count is far lower (most pairs never occur).
METRIC_NAMESPACE = "Remedy"
METRIC_NAME = "Decisions"
OTHER = "other"
DEPLOYMENT_VARIABLE = "REMEDY_DEPLOYMENT"  # the stack sets it to the resource prefix
DEFAULT_DEPLOYMENT = "remedy"
DECISIONS = (
    "started",
    "attached",
    "resolved",
    "failure_notified",
    "failed",
    "skipped",
    "restarted",
    "ledger_undo_failed",
    "ledger_write_failed",
    "retry_later",
    "redriven",
    "parked",
    "dropped",
    "backoff_failed",
    "park_failed",
    "ledger_settle_failed",
)
SKIP_REASONS = (
    "malformed_finding",
    "spoofed_product",
    "unmapped_check",
    "unmapped_control",
    "unmapped_rule",
    "not_prowler",
    "not_failed",
    "record_archived",
    "workflow_closed",
    "malformed_arn",
    "partition_mismatch",
    "account_mismatch",
    "region_mismatch",
    "account_out_of_scope",
    "region_out_of_scope",
    "excluded_by_tag",
    "automatic_off",
    "duplicate",
    "resource_not_found",
    "config_remediation_in_progress",
    "already_compliant",
    "status_not_final",
    "unmapped_document",
    "unknown_execution",
    "malformed_message",
    "unsupported_parameters",
    "paused",
    "mode_off",
    "mode_manual",
    "skipped_by_guard",
    "failure_already_settled",
)
# Dimension sets: totals per decision (the alarms' metric), per control, skips per reason.
BY_DECISION = ["Deployment", "Decision"]
BY_CONTROL = ["Deployment", "Control", "Decision"]
BY_REASON = ["Deployment", "Decision", "Reason"]
_DIMENSION_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def _one_of(value: object, vocabulary: tuple[str, ...]) -> str:
    return value if isinstance(value, str) and value in vocabulary else OTHER


def metric_members(line: dict) -> dict:
    """The Embedded Metric Format members for one decision line: one count of metric Decisions."""
    deployment = os.environ.get(DEPLOYMENT_VARIABLE) or DEFAULT_DEPLOYMENT
    decision = _one_of(line.get("decision"), DECISIONS)
    members: dict = {
        "Deployment": deployment if _DIMENSION_VALUE.match(deployment) else OTHER,
        "Decision": decision,
        METRIC_NAME: 1,
    }
    dimensions = [BY_DECISION]
    control = line.get("control")
    if isinstance(control, str) and control:
        members["Control"] = control if _DIMENSION_VALUE.match(control) else OTHER
        dimensions.append(BY_CONTROL)
    if decision == "skipped":
        members["Reason"] = _one_of(line.get("reason"), SKIP_REASONS)
        dimensions.append(BY_REASON)
    directive = {
        "Namespace": METRIC_NAMESPACE,
        "Dimensions": dimensions,
        "Metrics": [{"Name": METRIC_NAME, "Unit": "Count"}],
    }
    members["_aws"] = {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [directive]}
    return members


def log_decision(decision: str, **fields: object) -> dict:
    """Print one structured JSON line and return it.

    CloudWatch Logs Insights queries the line's fields; its Embedded Metric Format members (capitalised, and
    `_aws`) make CloudWatch count the decision per deployment, control and skip reason."""
    line = {"decision": decision, **{k: v for k, v in fields.items() if v is not None}}
    line.update(metric_members(line))
    print(json.dumps(line, default=str, sort_keys=True))
    return line


@dataclass(frozen=True)
class Decision:
    """What to do with one finding. `reason` is None when every check passed (then `action` is set).

    `finding_id` is the ledger key (ledger_key); `raw_id` the finding's own Id, for Security Hub's APIs;
    `product_uid` the OCSF product uid of a finding that came in Security Hub's OCSF format (else None)."""

    finding_id: str | None
    check_id: str | None = None
    reason: str | None = None
    detail: str | None = None
    action: str | None = None
    control: DeployedControl | None = None
    product_arn: str | None = None
    account: str | None = None
    region: str | None = None
    arn: Arn | None = None
    config_rule: str | None = None
    raw_id: str | None = None
    product_uid: str | None = None

    @property
    def identifier(self) -> dict[str, str]:
        """The finding's AwsSecurityFindingIdentifier (for BatchUpdateFindings); for an OCSF finding also what
        BatchUpdateFindingsV2 addresses it by (its product uid and account)."""
        identifier = {"Id": self.raw_id or self.finding_id or "", "ProductArn": self.product_arn or ""}
        if self.product_uid and self.account:
            identifier.update(ProductUid=self.product_uid, AccountId=self.account)
        return identifier

    def log(self, decision: str, **fields: object) -> dict:
        """Log this decision with the finding's identifiers."""
        known = {
            "reason": self.reason,
            "detail": self.detail,
            "finding_id": self.finding_id,
            "check_id": self.check_id,
            "control": self.control.id if self.control else None,
            "config_rule": self.config_rule,
            "account": self.account,
            "region": self.region,
        }
        return log_decision(decision, **{**known, **fields})


def _skip(finding_id: object, reason: str, detail: str | None = None, **known: object) -> Decision:
    key = ledger_key(finding_id) if isinstance(finding_id, str) and finding_id else None
    return Decision(finding_id=key, reason=reason, detail=detail, **known)


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def security_hub_control(finding: dict, config: BridgeConfig) -> tuple[str | None, DeployedControl | None]:
    """(the finding's control label, our control) for a Security Hub CSPM control finding.

    Compliance.SecurityControlId first (consolidated or not), then the GeneratorId: security-control/<id>, or
    <standard path>/<requirement id> of a per-standard finding (CIS v3.0 ids, China and GovCloud Regions)."""
    security_control = _dict(finding.get("Compliance")).get("SecurityControlId")
    generator = finding.get("GeneratorId")
    label = security_control if isinstance(security_control, str) and security_control else None
    control = config.control_for_security_control(label) if label else None
    if control is None and isinstance(generator, str) and generator:
        label = label or generator
        if generator.startswith(SECURITY_CONTROL_PREFIX):
            control = config.control_for_security_control(generator[len(SECURITY_CONTROL_PREFIX) :])
        else:
            control = config.control_for_standard_control(generator)
    return label, control


def _config_rule_matches(actual: str, ours: str) -> bool:
    """Our rule, deployed by the stack (exact name) or inside a conformance pack (name gets a suffix)."""
    return actual == ours or re.fullmatch(re.escape(ours) + r"-conformance-pack-[a-z0-9]+", actual) is not None


def _config_control(config: BridgeConfig, rule_name: str) -> DeployedControl | None:
    return next((c for c in config.controls.values() if _config_rule_matches(rule_name, c.config_rule)), None)


def _route(
    finding: dict, config: BridgeConfig, product_prefix: str, custom_action: bool, known: dict
) -> tuple[DeployedControl, str] | Decision:
    """(control, action) for the finding's source, or the skip; fills `known` with what it learnt."""
    finding_id, product_arn, generator = finding["Id"], finding["ProductArn"], finding.get("GeneratorId")
    product_fields = _dict(finding.get("ProductFields"))
    if product_fields.get("ProviderName") == PROWLER or finding.get("ProductName") == PROWLER:
        check_id = (
            generator[len(GENERATOR_PREFIX) :]
            if isinstance(generator, str) and generator.startswith(GENERATOR_PREFIX)
            else None
        )
        known["check_id"] = check_id
        if product_arn != product_prefix + PROWLER_PRODUCT:
            return _skip(finding_id, "spoofed_product", f"claims Prowler but ProductArn is {product_arn}", **known)
        control = config.control_for_check(check_id) if check_id else None
        if control is None:
            return _skip(finding_id, "unmapped_check", f"GeneratorId {generator!r:.300}", **known)
        return control, START_AUTOMATION
    if product_arn == product_prefix + SECURITY_HUB_PRODUCT:
        label, control = security_hub_control(finding, config)
        known["check_id"] = label
        if control is None:
            return _skip(finding_id, "unmapped_control", f"security control {label!r:.300}", **known)
        return control, START_AUTOMATION
    if custom_action and product_arn == product_prefix + CONFIG_PRODUCT:
        rule_name = product_fields.get(CONFIG_RULE_FIELD)
        known["config_rule"] = rule_name if isinstance(rule_name, str) else None
        control = _config_control(config, rule_name) if isinstance(rule_name, str) else None
        if control is None:
            return _skip(finding_id, "unmapped_rule", f"AWS Config rule {rule_name!r:.300} is not Remedy's", **known)
        return control, START_CONFIG_REMEDIATION
    return _skip(finding_id, "not_prowler", f"ProductArn {product_arn:.300}", **known)


def _state(finding: dict, finding_id: str, known: dict) -> Decision | None:
    """2. State: failed, active, open."""
    status = _dict(finding.get("Compliance")).get("Status")
    if status != "FAILED":
        return _skip(finding_id, "not_failed", f"Compliance.Status {status!r:.100}", **known)
    if finding.get("RecordState") != "ACTIVE":
        return _skip(finding_id, "record_archived", f"RecordState {finding.get('RecordState')!r:.100}", **known)
    workflow = finding.get("Workflow", {})
    if not isinstance(workflow, dict):
        return _skip(finding_id, "malformed_finding", "Workflow is not an object", **known)
    workflow_status = workflow.get("Status", "NEW")  # Security Hub sets NEW on import when absent
    if workflow_status not in OPEN_WORKFLOW_STATUSES:
        return _skip(finding_id, "workflow_closed", f"Workflow.Status {workflow_status!r:.100}", **known)
    return None


def _resource(finding: dict, finding_id: str, control: DeployedControl, partition: str, known: dict) -> Decision | None:
    """3. Resource: an ARN of the control's resource type, in the finding's own account and region (an AWS-owned
    resource on a control of the account stands for the finding's account: finding_arn)."""
    account, region = finding.get("AwsAccountId"), known["region"]
    if not isinstance(account, str) or not _ACCOUNT.match(account):
        return _skip(finding_id, "malformed_finding", f"AwsAccountId {account!r:.100} is not a 12-digit id", **known)
    known["account"] = account
    try:
        arn = finding_arn(_first_resource(finding).get("Id"), account, control.resource_type)
        resource_key(arn, control.resource_type)
    except MalformedArnError as problem:
        return _skip(finding_id, "malformed_arn", str(problem)[:500], **known)
    known["arn"] = arn
    if arn.partition and arn.partition != partition:
        return _skip(finding_id, "partition_mismatch", f"{arn.text} is not in partition {partition}", **known)
    if arn.account and arn.account != account:
        return _skip(finding_id, "account_mismatch", f"{arn.text} is not in AwsAccountId {account}", **known)
    if arn.region and arn.region != region:
        return _skip(finding_id, "region_mismatch", f"{arn.text} is not in Region {region:.100}", **known)
    return None


def _scope(
    finding_id: str, allowed_accounts: Callable[[], Container[str]], allowed_regions: frozenset[str], known: dict
) -> Decision | None:
    """4. Scope: an account and a region the bridge serves."""
    if known["account"] not in allowed_accounts():
        return _skip(finding_id, "account_out_of_scope", None, **known)
    if known["region"] not in allowed_regions:
        return _skip(finding_id, "region_out_of_scope", None, **known)
    return None


def _opt_outs(
    finding: dict, finding_id: str, config: BridgeConfig, control: DeployedControl, custom_action: bool, known: dict
) -> Decision | None:
    """5. Opt-outs: the exclusion tag (from the finding, no API call), automatic remediation off."""
    tags = _first_resource(finding).get("Tags", {})
    if not isinstance(tags, dict):
        return _skip(finding_id, "malformed_finding", "Resources[0].Tags is not an object", **known)
    if config.exclusion_tag_key in tags:
        return _skip(finding_id, "excluded_by_tag", f"tag {config.exclusion_tag_key}", **known)
    if not custom_action and not control.automatic:
        return _skip(finding_id, "automatic_off", "this control is remediated on request only", **known)
    return None


def _first_resource(finding: dict) -> dict:
    resources = finding.get("Resources")
    return resources[0] if isinstance(resources, list) and resources and isinstance(resources[0], dict) else {}


def evaluate(
    finding: object,
    *,
    config: BridgeConfig,
    partition: str,
    allowed_accounts: Callable[[], Container[str]],
    allowed_regions: frozenset[str],
    custom_action: bool,
    ocsf: bool = False,
) -> Decision:
    """Decide about one finding of a "Findings - Imported" (custom_action False) or "Custom Action" event, or
    (ocsf True) of a "Findings Imported V2" event, normalised by ocsf.py.

    `allowed_accounts` is called only when a finding gets that far (it may ask STS for the own account).
    Each stage below returns the skip of the first rule the finding fails, or None.
    """
    if not isinstance(finding, dict):
        return _skip(None, "malformed_finding", "finding is not an object")
    finding_id, product_arn, region = finding.get("Id"), finding.get("ProductArn"), finding.get("Region")
    generator = finding.get("GeneratorId")
    check_id = None
    if isinstance(generator, str) and generator.startswith(GENERATOR_PREFIX):
        check_id = generator[len(GENERATOR_PREFIX) :]
    if not all(isinstance(v, str) and v for v in (finding_id, product_arn, region)):
        return _skip(
            finding_id, "malformed_finding", "Id, ProductArn and Region must be non-empty strings", check_id=check_id
        )
    known: dict = {"product_arn": product_arn, "region": region, "raw_id": finding_id}
    product_uid = finding.get(OCSF_PRODUCT_UID) if ocsf else None
    if isinstance(product_uid, str) and _PRODUCT_UID.match(product_uid):
        known["product_uid"] = product_uid

    # 1. Source: Prowler or Security Hub's own controls (any event), one of our AWS Config rules (custom action).
    routed = _route(finding, config, f"arn:{partition}:securityhub:{region}::", custom_action, known)
    if isinstance(routed, Decision):
        return routed
    control, action = routed
    known["control"] = control

    stages = (
        lambda: _state(finding, finding_id, known),
        lambda: _resource(finding, finding_id, control, partition, known),
        lambda: _scope(finding_id, allowed_accounts, allowed_regions, known),
        lambda: _opt_outs(finding, finding_id, config, control, custom_action, known),
    )
    for stage in stages:
        skipped = stage()
        if skipped is not None:
            return skipped
    return Decision(finding_id=ledger_key(finding_id), action=action, **known)
