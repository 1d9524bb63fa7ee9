"""From one ASFF finding to a decision: act on it (which control, which resource) or skip it, and why.

Pure: no AWS call. Every rule a finding must pass before anything changes lives here, in the order it is
checked; the first that fails gives the skip reason, a stable machine code that operators can alert on.
The one check that needs the ledger (duplicate) is made by the handler after all of these pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Container
from dataclasses import dataclass

from prowler_bridge.resources import Arn, MalformedArnError, parse_arn, resource_key
from prowler_bridge.settings import BridgeConfig, Control

PROWLER = "Prowler"
PROWLER_PRODUCT = "product/prowler/prowler"
CONFIG_PRODUCT = "product/aws/config"
CONFIG_RULE_FIELD = "aws/config/ConfigRuleName"
GENERATOR_PREFIX = "prowler-"
OPEN_WORKFLOW_STATUSES = ("NEW", "NOTIFIED")
_ACCOUNT = re.compile(r"^\d{12}$")

# Actions a decision can ask for.
START_AUTOMATION = "start_automation"
START_CONFIG_REMEDIATION = "start_config_remediation"


def log_decision(decision: str, **fields: object) -> dict:
    """Print one structured JSON line (CloudWatch Logs Insights can query it) and return it."""
    line = {"decision": decision, **{k: v for k, v in fields.items() if v is not None}}
    print(json.dumps(line, default=str, sort_keys=True))
    return line


@dataclass(frozen=True)
class Decision:
    """What to do with one finding. `reason` is None when every check passed (then `action` is set)."""

    finding_id: str | None
    check_id: str | None = None
    reason: str | None = None
    detail: str | None = None
    action: str | None = None
    control: Control | None = None
    product_arn: str | None = None
    account: str | None = None
    region: str | None = None
    arn: Arn | None = None
    config_rule: str | None = None

    @property
    def identifier(self) -> dict[str, str]:
        """The finding's AwsSecurityFindingIdentifier (for BatchUpdateFindings)."""
        return {"Id": self.finding_id or "", "ProductArn": self.product_arn or ""}

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
    return Decision(
        finding_id=finding_id if isinstance(finding_id, str) else None, reason=reason, detail=detail, **known
    )


def _config_rule_matches(actual: str, ours: str) -> bool:
    """Our rule, deployed by the stack (exact name) or inside a conformance pack (name gets a suffix)."""
    return actual == ours or re.fullmatch(re.escape(ours) + r"-conformance-pack-[a-z0-9]+", actual) is not None


def _config_control(config: BridgeConfig, rule_name: str) -> Control | None:
    return next((c for c in config.controls.values() if _config_rule_matches(rule_name, c.config_rule)), None)


def evaluate(
    finding: object,
    *,
    config: BridgeConfig,
    partition: str,
    allowed_accounts: Callable[[], Container[str]],
    allowed_regions: frozenset[str],
    custom_action: bool,
) -> Decision:
    """Decide about one finding of a "Findings - Imported" (custom_action False) or "Custom Action" event.

    `allowed_accounts` is called only when a finding gets that far (it may ask STS for the own account).
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
    known: dict = {"product_arn": product_arn, "region": region}
    product_fields = finding.get("ProductFields") if isinstance(finding.get("ProductFields"), dict) else {}
    claims_prowler = product_fields.get("ProviderName") == PROWLER or finding.get("ProductName") == PROWLER
    product_prefix = f"arn:{partition}:securityhub:{region}::"

    # 1. Source: Prowler (any event), or one of our AWS Config rules (custom action only).
    if claims_prowler:
        known["check_id"] = check_id
        if product_arn != product_prefix + PROWLER_PRODUCT:
            return _skip(finding_id, "spoofed_product", f"claims Prowler but ProductArn is {product_arn}", **known)
        control = config.control_for_check(check_id) if check_id else None
        if control is None:
            return _skip(finding_id, "unmapped_check", f"GeneratorId {generator!r}", **known)
        action = START_AUTOMATION
    elif custom_action and product_arn == product_prefix + CONFIG_PRODUCT:
        rule_name = product_fields.get(CONFIG_RULE_FIELD)
        known["config_rule"] = rule_name if isinstance(rule_name, str) else None
        control = _config_control(config, rule_name) if isinstance(rule_name, str) else None
        if control is None:
            return _skip(finding_id, "unmapped_rule", f"AWS Config rule {rule_name!r} is not Remedy's", **known)
        action = START_CONFIG_REMEDIATION
    else:
        return _skip(finding_id, "not_prowler", f"ProductArn {product_arn}", **known)
    known["control"] = control

    # 2. State: failed, active, open.
    compliance = finding.get("Compliance") if isinstance(finding.get("Compliance"), dict) else {}
    if compliance.get("Status") != "FAILED":
        return _skip(finding_id, "not_failed", f"Compliance.Status {compliance.get('Status')!r}", **known)
    if finding.get("RecordState") != "ACTIVE":
        return _skip(finding_id, "record_archived", f"RecordState {finding.get('RecordState')!r}", **known)
    workflow = finding.get("Workflow") if isinstance(finding.get("Workflow"), dict) else {}
    workflow_status = workflow.get("Status", "NEW")  # Security Hub sets NEW on import when absent
    if workflow_status not in OPEN_WORKFLOW_STATUSES:
        return _skip(finding_id, "workflow_closed", f"Workflow.Status {workflow_status!r}", **known)

    # 3. Resource: an ARN of the control's resource type, in the finding's own account and region.
    account = finding.get("AwsAccountId")
    if not isinstance(account, str) or not _ACCOUNT.match(account):
        return _skip(finding_id, "malformed_finding", f"AwsAccountId {account!r} is not a 12-digit id", **known)
    known["account"] = account
    resources = finding.get("Resources")
    resource = resources[0] if isinstance(resources, list) and resources and isinstance(resources[0], dict) else {}
    try:
        arn = parse_arn(resource.get("Id"))
        resource_key(arn, control.resource_type)
    except MalformedArnError as problem:
        return _skip(finding_id, "malformed_arn", str(problem), **known)
    known["arn"] = arn
    if arn.partition and arn.partition != partition:
        return _skip(finding_id, "partition_mismatch", f"{arn.text} is not in partition {partition}", **known)
    if arn.account and arn.account != account:
        return _skip(finding_id, "account_mismatch", f"{arn.text} is not in AwsAccountId {account}", **known)
    if arn.region and arn.region != region:
        return _skip(finding_id, "region_mismatch", f"{arn.text} is not in Region {region}", **known)

    # 4. Scope.
    if account not in allowed_accounts():
        return _skip(finding_id, "account_out_of_scope", None, **known)
    if region not in allowed_regions:
        return _skip(finding_id, "region_out_of_scope", None, **known)

    # 5. Opt-outs: the exclusion tag (from the finding, no API call), automatic remediation off.
    tags = resource.get("Tags", {})
    if not isinstance(tags, dict):
        return _skip(finding_id, "malformed_finding", "Resources[0].Tags is not an object", **known)
    if config.exclusion_tag_key in tags:
        return _skip(finding_id, "excluded_by_tag", f"tag {config.exclusion_tag_key}", **known)
    if not custom_action and not control.automatic:
        return _skip(finding_id, "automatic_off", "this control is remediated on request only", **known)

    return Decision(finding_id=finding_id, action=action, **known)
