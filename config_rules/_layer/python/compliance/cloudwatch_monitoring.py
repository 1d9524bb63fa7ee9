"""The CloudTrail monitoring controls (CIS v3.0 4.1-4.15): the events to watch, their CIS metric filter patterns, and
which metric filters and alarms count.

Used by the rule cloudwatch_metric_filter_alarm and the runbook create_cloudwatch_metric_filter_alarm (see this
package's docstring): both name an event by its key in MONITORED_EVENTS, so they never disagree on its pattern.

A metric filter watches an event when its pattern holds every clause of the event's CIS pattern (a `$.field`
compared with a value, in any order and spacing, the value quoted or not): a filter with more conditions around the
same clauses still counts, one missing a clause (say an event name) does not. An alarm counts when it watches the
filter's metric (name and namespace) and has at least one alarm action, so it notifies someone.
"""

import re

# The namespace CIS uses for these metrics (CIS AWS Foundations Benchmark v3.0, section 4 remediation).
NAMESPACE = "CISBenchmark"
# Fixed names of what the runbook creates: <prefix><event key> for the filter and the alarm.
NAME_PREFIX = "remedy-"

# A required clause: (field after "$.", operator, value); operator "=", "!=" or "NOT EXISTS" (value "").
Clause = tuple[str, str, str]


def _names(names: tuple[str, ...], source: str = "") -> tuple[tuple[Clause, ...], str]:
    """(clauses, pattern) for "any of these event names", from one event source when `source` is given."""
    clauses: tuple[Clause, ...] = tuple(("eventName", "=", name) for name in names)
    any_name = " || ".join(f'($.eventName = "{name}")' for name in names)
    if not source:
        return clauses, f"{{ {any_name} }}"
    return (("eventSource", "=", source), *clauses), f'{{ ($.eventSource = "{source}") && ({any_name}) }}'


def _spec(metric: str, description: str, clauses: tuple[Clause, ...], pattern: str) -> dict:
    return {"metric": metric, "description": description, "clauses": clauses, "pattern": pattern}


# key -> {"metric", "description", "clauses", "pattern"}: the filter patterns of CIS AWS Foundations Benchmark v3.0
# 4.1-4.15 (their event lists are the ones Prowler's cloudwatch_* checks require too).
MONITORED_EVENTS: dict[str, dict] = {
    "UnauthorizedApiCalls": _spec(
        "UnauthorizedApiCalls",
        "unauthorized API calls",
        (
            ("errorCode", "=", "*UnauthorizedOperation"),
            ("errorCode", "=", "AccessDenied*"),
            ("sourceIPAddress", "!=", "delivery.logs.amazonaws.com"),
            ("eventName", "!=", "HeadBucket"),
        ),
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
        '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    ),
    "ConsoleSignInWithoutMfa": _spec(
        "ConsoleSignInWithoutMfa",
        "console sign-in without MFA",
        (
            ("eventName", "=", "ConsoleLogin"),
            ("additionalEventData.MFAUsed", "!=", "Yes"),
            ("userIdentity.type", "=", "IAMUser"),
            ("responseElements.ConsoleLogin", "=", "Success"),
        ),
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    "RootAccountUsage": _spec(
        "RootAccountUsage",
        "usage of the root user",
        (
            ("userIdentity.type", "=", "Root"),
            ("userIdentity.invokedBy", "NOT EXISTS", ""),
            ("eventType", "!=", "AwsServiceEvent"),
        ),
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    ),
    "IamPolicyChanges": _spec(
        "IamPolicyChanges",
        "IAM policy changes",
        *_names(
            (
                "DeleteGroupPolicy",
                "DeleteRolePolicy",
                "DeleteUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "PutUserPolicy",
                "CreatePolicy",
                "DeletePolicy",
                "CreatePolicyVersion",
                "DeletePolicyVersion",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "AttachGroupPolicy",
                "DetachGroupPolicy",
            )
        ),
    ),
    "CloudTrailConfigChanges": _spec(
        "CloudTrailConfigChanges",
        "CloudTrail configuration changes",
        *_names(("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")),
    ),
    "ConsoleAuthenticationFailures": _spec(
        "ConsoleAuthenticationFailures",
        "console authentication failures",
        (("eventName", "=", "ConsoleLogin"), ("errorMessage", "=", "Failed authentication")),
        '{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
    ),
    "KmsKeyDisableOrDeletion": _spec(
        "KmsKeyDisableOrDeletion",
        "disabling or scheduled deletion of customer managed KMS keys",
        *_names(("DisableKey", "ScheduleKeyDeletion"), "kms.amazonaws.com"),
    ),
    "S3BucketPolicyChanges": _spec(
        "S3BucketPolicyChanges",
        "S3 bucket policy changes",
        *_names(
            (
                "PutBucketAcl",
                "PutBucketPolicy",
                "PutBucketCors",
                "PutBucketLifecycle",
                "PutBucketReplication",
                "DeleteBucketPolicy",
                "DeleteBucketCors",
                "DeleteBucketLifecycle",
                "DeleteBucketReplication",
            ),
            "s3.amazonaws.com",
        ),
    ),
    "ConfigChanges": _spec(
        "ConfigChanges",
        "AWS Config configuration changes",
        *_names(
            ("StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"),
            "config.amazonaws.com",
        ),
    ),
    "SecurityGroupChanges": _spec(
        "SecurityGroupChanges",
        "security group changes",
        *_names(
            (
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
            )
        ),
    ),
    "NetworkAclChanges": _spec(
        "NetworkAclChanges",
        "network ACL changes",
        *_names(
            (
                "CreateNetworkAcl",
                "CreateNetworkAclEntry",
                "DeleteNetworkAcl",
                "DeleteNetworkAclEntry",
                "ReplaceNetworkAclEntry",
                "ReplaceNetworkAclAssociation",
            )
        ),
    ),
    "NetworkGatewayChanges": _spec(
        "NetworkGatewayChanges",
        "network gateway changes",
        *_names(
            (
                "CreateCustomerGateway",
                "DeleteCustomerGateway",
                "AttachInternetGateway",
                "CreateInternetGateway",
                "DeleteInternetGateway",
                "DetachInternetGateway",
            )
        ),
    ),
    "RouteTableChanges": _spec(
        "RouteTableChanges",
        "route table changes",
        *_names(
            (
                "CreateRoute",
                "CreateRouteTable",
                "ReplaceRoute",
                "ReplaceRouteTableAssociation",
                "DeleteRouteTable",
                "DeleteRoute",
                "DisassociateRouteTable",
            ),
            "ec2.amazonaws.com",
        ),
    ),
    "VpcChanges": _spec(
        "VpcChanges",
        "VPC changes",
        *_names(
            (
                "CreateVpc",
                "DeleteVpc",
                "ModifyVpcAttribute",
                "AcceptVpcPeeringConnection",
                "CreateVpcPeeringConnection",
                "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection",
                "AttachClassicLinkVpc",
                "DetachClassicLinkVpc",
                "DisableVpcClassicLink",
                "EnableVpcClassicLink",
            )
        ),
    ),
    "OrganizationsChanges": _spec(
        "OrganizationsChanges",
        "AWS Organizations changes",
        *_names(
            (
                "AcceptHandshake",
                "AttachPolicy",
                "CancelHandshake",
                "CreateAccount",
                "CreateOrganization",
                "CreateOrganizationalUnit",
                "CreatePolicy",
                "DeclineHandshake",
                "DeleteOrganization",
                "DeleteOrganizationalUnit",
                "DeletePolicy",
                "EnableAllFeatures",
                "EnablePolicyType",
                "InviteAccountToOrganization",
                "LeaveOrganization",
                "DetachPolicy",
                "DisablePolicyType",
                "MoveAccount",
                "RemoveAccountFromOrganization",
                "UpdateOrganizationalUnit",
                "UpdatePolicy",
            ),
            "organizations.amazonaws.com",
        ),
    ),
}


def _clause_regex(clause: Clause) -> str:
    field, operator, value = clause
    if operator == "NOT EXISTS":
        return rf"\$\.{re.escape(field)}\s+NOT\s+EXISTS\b"
    # "=" must not match inside "!=": the character before "=" is whitespace or the field's last character.
    op = r"\s*!=\s*" if operator == "!=" else r"\s*(?<!!)=\s*"
    return rf"\$\.{re.escape(field)}{op}\"?{re.escape(value)}\"?(?![\w*])"


def watches(filter_pattern: str, event: str) -> bool:
    """Whether a metric filter's pattern holds every clause of the event's CIS pattern."""
    return all(re.search(_clause_regex(c), filter_pattern) for c in MONITORED_EVENTS[event]["clauses"])


def filter_metrics(metric_filters: list[dict], event: str) -> list[tuple[str, str, str]]:
    """(filter name, metric name, namespace) of DescribeMetricFilters' filters that watch `event`, by filter name."""
    return sorted(
        (metric_filter["filterName"], transformation["metricName"], transformation["metricNamespace"])
        for metric_filter in metric_filters
        if watches(metric_filter.get("filterPattern", ""), event)
        for transformation in metric_filter.get("metricTransformations", [])
    )


def notifying_alarms(alarms: list[dict]) -> list[str]:
    """Names of DescribeAlarmsForMetric's alarms that notify: at least one alarm action."""
    return sorted(alarm["AlarmName"] for alarm in alarms if alarm.get("AlarmActions"))


def log_group_of(trail: dict, account: str) -> tuple[str, str] | None:
    """(region, log group name) a DescribeTrails trail delivers to when it counts: multi-region, delivering to
    CloudWatch Logs in `account`; None otherwise."""
    arn = trail.get("CloudWatchLogsLogGroupArn") or ""
    # arn:<partition>:logs:<region>:<account>:log-group:<name>[:*]
    parts = arn.split(":")
    if not trail.get("IsMultiRegionTrail") or len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    if parts[4] != account:
        return None
    return parts[3], parts[6]


def monitored_log_groups(trails: list[dict], account: str) -> list[tuple[str, str, str]]:
    """(trail ARN, region, log group name) of the trails that count, by trail ARN (each trail once)."""
    found = {}
    for trail in trails:
        target = log_group_of(trail, account)
        if target:
            found[trail["TrailARN"]] = target
    return [(arn, *found[arn]) for arn in sorted(found)]
