"""AWS::::Account reads the ARNs Prowler's CloudTrail monitoring checks report for the account (a CloudWatch Logs
log group, or its logs service's `log_group_arn_template` when no metric filter matches)."""

from __future__ import annotations

import pytest

import resource_types
from resource_types.arn import MalformedArnError

ACCOUNT = resource_types.get("AWS::::Account")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:logs:eu-central-1:123456789012:log-group",
        "arn:aws:logs:eu-central-1:123456789012:log-group:cloudtrail-logs:*",
        "arn:aws:logs:eu-central-1:123456789012:log-group:aws-cloudtrail-logs-123456789012",
    ],
)
def test_log_group_arns_of_the_monitoring_checks_name_the_account(arn):
    assert ACCOUNT.key(arn) == "123456789012"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:logs:eu-central-1:123456789012:metric-filter/remedy-RootAccountUsage",
        "arn:aws:logs:eu-central-1:123456789012:log-groups",
        "arn:aws:logs::123456789012:log-group",
    ],
)
def test_other_logs_arns_do_not(arn):
    with pytest.raises(MalformedArnError):
        ACCOUNT.key(arn)
