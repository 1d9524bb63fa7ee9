"""Rule rds_instance_setting: outcomes per Setting and configuration item, and the API calls made."""

from __future__ import annotations

import json

import pytest
import rule_support

from config_rules.rds_instance_setting import rule
from resource_types.rds_db_instance.simulation import create_postgres
from tests.config_events import RuleExamples, history_item, single_compliance
from tests.conftest import REGION


def _requires(setting: str):
    """The control's Setting is `setting` and the rule reads that flag from the configuration item."""
    return lambda params, rule: params.get("Setting") == setting and rule.config_field(setting) in rule.CHECKED_FIELDS


# FSBP RDS.8 "RDS DB instances should have deletion protection enabled"; FSBP RDS.13 "RDS automatic minor version
# upgrades should be enabled" and CIS v3.0 2.3.2 "Ensure Auto Minor Version Upgrade feature is Enabled for RDS
# Instances"; FSBP RDS.10 "IAM authentication should be configured for RDS instances"; FSBP RDS.17 "RDS DB instances
# should be configured to copy tags to snapshots".
FRAMEWORK_REQUIREMENTS = {
    ("aws_fsbp", "RDS.8"): _requires("DeletionProtection"),
    ("aws_fsbp", "RDS.13"): _requires("AutoMinorVersionUpgrade"),
    ("cis_aws_v3.0", "2.3.2"): _requires("AutoMinorVersionUpgrade"),
    ("aws_fsbp", "RDS.10"): _requires("IAMDatabaseAuthenticationEnabled"),
    ("aws_fsbp", "RDS.17"): _requires("CopyTagsToSnapshot"),
}
# Each Prowler check (and its v2 id) passes only on the flag it reads: a control maps it only with that Setting.
PROWLER_REQUIREMENTS = {
    "rds_instance_deletion_protection": _requires("DeletionProtection"),
    "extra7113": _requires("DeletionProtection"),
    "rds_instance_minor_version_upgrade_enabled": _requires("AutoMinorVersionUpgrade"),
    "extra7131": _requires("AutoMinorVersionUpgrade"),
    "rds_instance_iam_authentication_enabled": _requires("IAMDatabaseAuthenticationEnabled"),
    "rds_instance_copy_tags_to_snapshots": _requires("CopyTagsToSnapshot"),
}

RULE = RuleExamples(rule)
RULE_IAM = (*rule.IAM_ACTIONS, "config:PutEvaluations")
RESOURCE_ID = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SETTINGS = list(rule.SETTINGS)


def _for(setting: str, item: dict) -> dict:
    """A change event about `item` for the rule with Setting `setting`."""
    return RULE.change_event(item, {"Setting": setting})


def _event_for(resource_id: str, setting: str, name: str = "ledger-db") -> dict:
    """The not_recorded_in_item example (no flags), about the instance `resource_id`."""
    item = RULE.item("not_recorded_in_item")
    item["resourceId"] = item["configuration"]["dbiResourceId"] = resource_id
    item["resourceName"] = name
    return _for(setting, item)


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("compliant", "COMPLIANT"),
        ("non_compliant", "NON_COMPLIANT"),
        ("deleted", "NOT_APPLICABLE"),
        ("cluster_member", "NOT_APPLICABLE"),
    ],
)
def test_examples_are_evaluated_from_the_configuration_item_alone(api_calls, example, expected):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == RESOURCE_ID
    assert result[0]["ComplianceResourceType"] == "AWS::RDS::DBInstance"
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize("setting", SETTINGS)
def test_each_setting_reads_its_own_flag(api_calls, setting):
    for value, expected in ((True, "COMPLIANT"), (False, "NON_COMPLIANT")):
        item = RULE.item("compliant" if not value else "non_compliant")  # every other flag the opposite
        item["configuration"][rule.config_field(setting)] = value
        assert single_compliance(RULE.evaluate(_for(setting, item))) == expected, (setting, value)
    assert api_calls.operations == ["PutEvaluations"] * 2


def test_annotations_name_the_instance_and_the_setting(api_calls):
    item = RULE.item("non_compliant")
    assert RULE.evaluate(_for("IAMDatabaseAuthenticationEnabled", item))[0]["Annotation"] == (
        "DB instance ledger-db does not have IAM database authentication enabled "
        "(IAMDatabaseAuthenticationEnabled is false)."
    )
    assert RULE.evaluate(RULE.event("compliant"))[0]["Annotation"] == (
        "DB instance ledger-db has deletion protection enabled."
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("DeletionProtection", "NOT_APPLICABLE"),
        ("IAMDatabaseAuthenticationEnabled", "NOT_APPLICABLE"),
        ("CopyTagsToSnapshot", "NOT_APPLICABLE"),
        ("AutoMinorVersionUpgrade", "NON_COMPLIANT"),
    ],
)
def test_cluster_members_are_judged_only_on_what_the_instance_holds(api_calls, setting, expected):
    result = RULE.evaluate(_for(setting, RULE.item("cluster_member")))

    assert single_compliance(result) == expected
    if expected == "NOT_APPLICABLE":
        assert "is set on its DB cluster (ledger-cluster)" in result[0]["Annotation"]


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("oracle-ee", "NOT_APPLICABLE"),
        ("sqlserver-se", "NOT_APPLICABLE"),
        ("mariadb", "NON_COMPLIANT"),
        ("mysql", "NON_COMPLIANT"),
    ],
)
def test_iam_authentication_applies_only_to_engines_that_have_it(api_calls, engine, expected):
    item = RULE.item("non_compliant")
    item["configuration"]["engine"] = engine

    assert single_compliance(RULE.evaluate(_for("IAMDatabaseAuthenticationEnabled", item))) == expected
    assert single_compliance(RULE.evaluate(_for("DeletionProtection", item))) == "NON_COMPLIANT"


@pytest.mark.parametrize("value", ["false", "true", 0, 1, [], {}])
def test_a_flag_that_is_not_a_boolean_is_non_compliant_naming_it(api_calls, value):
    item = RULE.item("compliant")
    item["configuration"]["deletionProtection"] = value

    result = RULE.evaluate(_for("DeletionProtection", item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(
        "Not evaluated: configuration item field configuration.deletionProtection"
    )
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(("key", "value"), [("engine", None), ("engine", 5), ("dBClusterIdentifier", True)])
def test_an_unreadable_engine_or_cluster_is_non_compliant(api_calls, key, value):
    item = RULE.item("compliant")
    item["configuration"][key] = value

    result = RULE.evaluate(_for("IAMDatabaseAuthenticationEnabled", item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert f"configuration.{key}" in result[0]["Annotation"]


@pytest.mark.parametrize("configuration", ["not json", "[]", 7])
def test_an_unreadable_configuration_is_non_compliant(api_calls, configuration):
    item = RULE.item("compliant")
    item["configuration"] = configuration

    result = RULE.evaluate(_for("DeletionProtection", item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert "configuration" in result[0]["Annotation"]


@pytest.mark.parametrize("example", ["compliant", "non_compliant"])
def test_an_oversized_item_is_read_from_the_configuration_history(api_calls, monkeypatch, example):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(RULE.item(example))]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert result == RULE.evaluate(RULE.event(example))
    assert api_calls.operations[0] == "GetResourceConfigHistory"


@pytest.mark.parametrize("setting", SETTINGS)
def test_falls_back_to_rds_when_the_item_lacks_the_setting(api_calls, setting):
    create = {
        "DeletionProtection": "DeletionProtection",
        "AutoMinorVersionUpgrade": "AutoMinorVersionUpgrade",
        "IAMDatabaseAuthenticationEnabled": "EnableIAMDatabaseAuthentication",
        "CopyTagsToSnapshot": "CopyTagsToSnapshot",
    }[setting]
    off = create_postgres(REGION, "pricing-db", **{create: False})
    on = create_postgres(REGION, "ledger-db", **{create: True})
    api_calls.clear()

    result = RULE.evaluate(_event_for(off["DbiResourceId"], setting, "pricing-db"))
    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["ComplianceResourceId"] == off["DbiResourceId"]

    assert single_compliance(RULE.evaluate(_event_for(on["DbiResourceId"], setting))) == "COMPLIANT"
    assert api_calls.operations == ["DescribeDBInstances", "PutEvaluations"] * 2
    asked = str(api_calls.calls[0].params)
    assert "dbi-resource-id" in asked and off["DbiResourceId"] in asked
    api_calls.assert_within(RULE_IAM)


def test_fallback_on_an_instance_that_no_longer_exists_is_not_applicable(api_calls):
    result = RULE.evaluate(_event_for(RESOURCE_ID, "DeletionProtection"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["DescribeDBInstances", "PutEvaluations"]


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"Setting": ""},
        {"Setting": "deletionProtection"},
        {"Setting": "PubliclyAccessible"},
        {"Setting": "DeletionProtection", "Engine": "postgres"},
    ],
)
def test_a_missing_unknown_or_misspelt_parameter_is_a_customer_error_and_evaluates_nothing(api_calls, parameters):
    event = RULE.event("non_compliant")
    event["ruleParameters"] = json.dumps({"AssumeRoleMode": "false", **parameters})

    result = RULE.evaluate(event)

    assert result["customerErrorCode"] == "InvalidParameterValueException"
    assert api_calls.operations == []


def test_access_denied_is_reported_as_such_and_never_compliant(api_calls):
    api_calls.fail("DescribeDBInstances", code="AccessDenied")
    result = RULE.evaluate(_event_for(RESOURCE_ID, "AutoMinorVersionUpgrade"))

    assert result["customerErrorCode"] == "AccessDenied"
    assert "PutEvaluations" not in api_calls.operations


@pytest.mark.parametrize("setting", SETTINGS)
def test_a_multi_az_db_cluster_member_is_not_applicable_for_every_setting(api_calls, setting):
    """A Multi-AZ DB cluster (a non-Aurora engine) is modified only through the cluster, its members never."""
    item = RULE.item("cluster_member")
    item["configuration"]["engine"] = "postgres"

    result = RULE.evaluate(_for(setting, item))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert "ledger-cluster" in result[0]["Annotation"]
