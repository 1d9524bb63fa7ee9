"""Rule rds_cluster_deletion_protection: outcomes per DB cluster's deletion protection, and the API calls made."""

from __future__ import annotations

import pytest
import rule_support

from config_rules.rds_cluster_deletion_protection import rule
from resource_types.rds_db_cluster.simulation import create_aurora_postgres
from tests.config_events import RuleExamples, history_item, set_field, single_compliance
from tests.conftest import REGION
from tests.framework_requirements import rule_attribute_has

# FSBP RDS.7 "RDS clusters should have deletion protection enabled": the control fails if an RDS cluster doesn't have
# deletion protection enabled (the rule reads the cluster's deletionProtection).
FRAMEWORK_REQUIREMENTS = {("aws_fsbp", "RDS.7"): rule_attribute_has("CHECKED_FIELDS", "deletionProtection")}

RULE = RuleExamples(rule)
NAME = "ledger-cluster"


def _not_recorded_for(resource_id: str) -> dict:
    """The not_recorded_in_item example (no deletionProtection), about the cluster `resource_id`."""
    item = RULE.item("not_recorded_in_item")
    item["resourceId"] = item["configuration"]["dbClusterResourceId"] = resource_id
    return RULE.change_event(item)


def _cluster(protected: bool, identifier: str = NAME) -> str:
    """A cluster in the emulated account: its DbClusterResourceId."""
    return create_aurora_postgres(REGION, identifier, DeletionProtection=protected)["DbClusterResourceId"]


@pytest.mark.parametrize(
    ("example", "expected", "annotation"),
    [
        ("protected", "COMPLIANT", f"Deletion protection of DB cluster {NAME} is on."),
        (
            "unprotected",
            "NON_COMPLIANT",
            f"Deletion protection of DB cluster {NAME} is off (DeletionProtection is false).",
        ),
    ],
)
def test_the_configuration_item_decides_without_asking_rds(aws, api_calls, example, expected, annotation):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == expected
    assert result[0]["Annotation"] == annotation
    assert result[0]["ComplianceResourceType"] == "AWS::RDS::DBCluster"
    assert result[0]["ComplianceResourceId"] == RULE.item(example)["resourceId"]
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize("engine", ["aurora-mysql", "postgres", "neptune"])
def test_every_kind_of_cluster_is_judged_by_its_own_flag(aws, api_calls, engine):
    """Aurora, Multi-AZ DB clusters (engine postgres/mysql) and the Neptune clusters DescribeDBClusters also lists
    hold DeletionProtection themselves."""
    item = set_field(RULE.item("unprotected"), "configuration.engine", engine)

    assert single_compliance(RULE.evaluate(RULE.change_event(item))) == "NON_COMPLIANT"


@pytest.mark.parametrize(("protected", "expected"), [(True, "COMPLIANT"), (False, "NON_COMPLIANT")])
def test_an_item_without_the_setting_is_decided_by_describe_db_clusters(aws, api_calls, protected, expected):
    _cluster(not protected, "other-cluster")  # another cluster, with the opposite setting, is not taken for it
    resource_id = _cluster(protected)
    api_calls.clear()

    result = RULE.evaluate(_not_recorded_for(resource_id))

    assert single_compliance(result) == expected
    assert result[0]["ComplianceResourceId"] == resource_id
    assert api_calls.operations == ["DescribeDBClusters", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


def test_describe_db_clusters_without_the_setting_counts_as_off(aws, api_calls):
    """RDS's default is off: an answer without DeletionProtection never passes."""
    resource_id = "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    cluster = {"DBClusterIdentifier": NAME, "DbClusterResourceId": resource_id, "Status": "available"}
    api_calls.respond("DescribeDBClusters", {"DBClusters": [cluster]})

    assert single_compliance(RULE.evaluate(_not_recorded_for(resource_id))) == "NON_COMPLIANT"


def test_a_cluster_gone_since_the_item_is_not_applicable(aws, api_calls):
    _cluster(False, "other-cluster")  # the name may live on in another cluster: only the resource id counts
    api_calls.clear()

    result = RULE.evaluate(RULE.event("not_recorded_in_item"))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == "The DB cluster no longer exists."
    assert api_calls.operations == ["DescribeDBClusters", "PutEvaluations"]


def test_a_cluster_deleting_by_describe_db_clusters_is_not_applicable(aws, api_calls):
    resource_id = "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    cluster = {"DBClusterIdentifier": NAME, "DbClusterResourceId": resource_id, "Status": "deleting"}
    api_calls.respond("DescribeDBClusters", {"DBClusters": [cluster]})

    result = RULE.evaluate(_not_recorded_for(resource_id))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert result[0]["Annotation"] == "The DB cluster is being deleted."


@pytest.mark.parametrize("example", ["deleting", "deleted"])
def test_a_cluster_being_or_already_deleted_is_not_applicable_without_asking_rds(aws, api_calls, example):
    result = RULE.evaluate(RULE.event(example))

    assert single_compliance(result) == "NOT_APPLICABLE"
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize("value", ["true", "false", 1, 0, [], {}])
def test_a_setting_that_is_not_a_boolean_is_non_compliant_naming_it(aws, api_calls, value):
    item = set_field(RULE.item("protected"), "configuration.deletionProtection", value)

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(
        "Not evaluated: configuration item field configuration.deletionProtection"
    )
    assert api_calls.operations == ["PutEvaluations"]


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("configuration", None, "configuration"),
        ("configuration", "not json", "configuration"),
        ("configuration.status", 3, "configuration.status"),
    ],
)
def test_an_unreadable_item_is_non_compliant_naming_the_field(aws, api_calls, path, value, named):
    item = set_field(RULE.item("protected"), path, value)

    result = RULE.evaluate(RULE.change_event(item))

    assert single_compliance(result) == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith(f"Not evaluated: configuration item field {named}")
    assert "DescribeDBClusters" not in api_calls.operations


@pytest.mark.parametrize(("protected", "expected"), [(True, "COMPLIANT"), (False, "NON_COMPLIANT")])
def test_an_oversized_item_is_read_from_the_configuration_history(aws, api_calls, monkeypatch, protected, expected):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    item = set_field(RULE.item("protected"), "configuration.deletionProtection", protected)
    api_calls.respond("GetResourceConfigHistory", {"configurationItems": [history_item(item)]})

    result = RULE.evaluate(RULE.event("oversized"))

    assert single_compliance(result) == expected
    assert api_calls.operations == ["GetResourceConfigHistory", "PutEvaluations"]
    api_calls.assert_within(RULE.iam)


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling"])
def test_an_api_error_is_reported_and_never_compliant(aws, api_calls, monkeypatch, code):
    monkeypatch.setattr(rule_support, "sleep", lambda _seconds: None)
    resource_id = _cluster(True)
    api_calls.fail("DescribeDBClusters", code=code)

    result = RULE.evaluate(_not_recorded_for(resource_id))

    assert result["customerErrorCode"] == code
    assert "PutEvaluations" not in api_calls.operations


def test_two_clusters_with_one_resource_id_fail_closed(aws, api_calls):
    """AWS's ids are unique in a Region; an answer saying otherwise is never taken as compliant."""
    resource_id = "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    clusters = [
        {"DBClusterIdentifier": name, "DbClusterResourceId": resource_id, "DeletionProtection": True}
        for name in ("first", "second")
    ]
    api_calls.respond("DescribeDBClusters", {"DBClusters": clusters})

    result = RULE.evaluate(_not_recorded_for(resource_id))

    assert "names more than one DB cluster (first, second)" in result["internalErrorMessage"]
    assert "PutEvaluations" not in api_calls.operations
