"""AWS Config rule: a protective setting of RDS DB instances is on (FSBP RDS.8 deletion protection, RDS.13 automatic
minor version upgrades with CIS v3.0 2.3.2, RDS.10 IAM database authentication, RDS.17 copying tags to snapshots;
Prowler rds_instance_*).

One rule module, one AWS Config rule per control: the `Setting` parameter names the DescribeDBInstances flag the
control requires to be true. Change-triggered on AWS::RDS::DBInstance (resource id: the DbiResourceId). Evaluated from
the configuration item (AWS Config records DescribeDBInstances in lower camel case: deletionProtection,
autoMinorVersionUpgrade, iAMDatabaseAuthenticationEnabled, copyTagsToSnapshot); only when the item does not carry the
flag does the rule ask RDS (DescribeDBInstances filtered by dbi-resource-id). A flag that is not a JSON boolean is
NON_COMPLIANT.

NOT_APPLICABLE: a DB cluster member for DeletionProtection, IAMDatabaseAuthenticationEnabled and CopyTagsToSnapshot
(the cluster holds them), and an engine without IAM database authentication
(config_rules/_layer/python/compliance/rds_instance_setting.py says why, with AWS's pages).
"""

from __future__ import annotations

import botocore.exceptions
from compliance.rds_instance_setting import SETTINGS, config_field, not_applicable_reason
from rdklib import ComplianceType, ConfigRule, Evaluation, InvalidParametersError
from rule_support import (
    RuleEvaluationError,
    as_object,
    fail_closed,
    field,
    handle,
    reject_unknown_parameters,
    resource_name,
    shown,
)

APPLICABLE_RESOURCES = ["AWS::RDS::DBInstance"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("rds:DescribeDBInstances",)
RULE_PARAMETERS = {"Setting"}
# The configuration item fields the decision reads (AWS Config's lower camel case of DescribeDBInstances).
CHECKED_FIELDS = ("engine", "dBClusterIdentifier", *(config_field(name) for name in SETTINGS))


def _from_configuration_item(configuration_item: dict, setting: str) -> dict | None:
    """{setting, engine, cluster} as the item records them, or None if it does not record the setting."""
    if configuration_item.get("configuration") is None:
        return None
    configuration = as_object(configuration_item["configuration"], "configuration", json_string=True)
    value = field(configuration, config_field(setting), "configuration", bool, required=False)
    if value is None:
        return None
    return {
        "value": value,
        "engine": field(configuration, "engine", "configuration", str),
        "cluster": field(configuration, "dBClusterIdentifier", "configuration", str, required=False),
    }


def _from_rds(client_factory: object, resource_id: str, setting: str) -> dict | None:
    """The same from DescribeDBInstances, or None if no instance has this DbiResourceId any more."""
    rds = client_factory.build_client("rds")
    try:
        instances = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [resource_id]}])
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "DBInstanceNotFound":
            return None
        raise
    found = instances.get("DBInstances") or []
    if not found:
        return None
    instance = found[0]
    if not isinstance(instance.get(setting), bool) or not isinstance(instance.get("Engine"), str):
        raise RuleEvaluationError(f"DescribeDBInstances reported no {setting} flag or engine for {resource_id}.")
    return {"value": instance[setting], "engine": instance["Engine"], "cluster": instance.get("DBClusterIdentifier")}


class RdsInstanceSetting(ConfigRule):
    """NON_COMPLIANT when the DB instance's `Setting` flag is false."""

    def evaluate_parameters(self, rule_parameters: dict) -> dict:
        reject_unknown_parameters(rule_parameters, RULE_PARAMETERS)
        setting = rule_parameters.get("Setting")
        if setting not in SETTINGS:
            raise InvalidParametersError(f"Setting must be one of {', '.join(SETTINGS)}; got {shown(setting)}.")
        return {"Setting": setting}

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        setting = valid_rule_parameters["Setting"]
        state = _from_configuration_item(configuration_item, setting)
        if state is None:
            state = _from_rds(client_factory, configuration_item["resourceId"], setting)
            if state is None:
                return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The DB instance no longer exists.")]
        name, words = resource_name(configuration_item), SETTINGS[setting][1]
        reason = not_applicable_reason(setting, state["engine"], state["cluster"])
        if reason:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation=f"DB instance {name}: {reason}."[:256])]
        if not state["value"]:
            annotation = f"DB instance {name} does not have {words} enabled ({setting} is false)."
            return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]
        return [Evaluation(ComplianceType.COMPLIANT, annotation=f"DB instance {name} has {words} enabled."[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(RdsInstanceSetting(), APPLICABLE_RESOURCES, event, context)
