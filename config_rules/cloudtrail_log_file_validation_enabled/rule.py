"""AWS Config rule: CloudTrail trails have log file validation on (FSBP CloudTrail.4, CIS 3.2).

Change-triggered on AWS::CloudTrail::Trail. Evaluated from the configuration item's
configuration.logFileValidationEnabled (AWS Config records DescribeTrails' shape in lower camel case); only when the
item does not carry it does the rule ask CloudTrail (GetTrail). A trail is judged where it can be changed: in its
home Region by the account that owns it (UpdateTrail "must be called from the Region in which the trail was created",
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html). A multi-Region trail's copy in
another Region, or an organization trail seen from a member account (its ARN names the management account), is
NOT_APPLICABLE, with an annotation naming where it is judged. A field that is missing or of another type than AWS
Config records is NON_COMPLIANT with an annotation naming it.
"""

from __future__ import annotations

import re

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    UnreadableField,
    fail_closed,
    field,
    handle,
    item_configuration,
    resource_name,
)

APPLICABLE_RESOURCES = ["AWS::CloudTrail::Trail"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("cloudtrail:GetTrail",)
_TRAIL_ARN = re.compile(r"^arn:aws[a-z-]*:cloudtrail:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):trail/.+$")


def _elsewhere(configuration_item: dict, configuration: dict) -> str | None:
    """Where the trail is judged, if not here (another owner account or another home Region); else None."""
    arn = field(configuration, "trailARN", "configuration", str)
    match = _TRAIL_ARN.match(arn)
    if not match:
        raise UnreadableField("configuration.trailARN", f"is not a trail ARN ({arn[:60]!r})")
    home = field(configuration, "homeRegion", "configuration", str)
    owner = match["account"]
    if owner != configuration_item.get("awsAccountId"):
        return f"A trail of account {owner} (an organization trail): judged and changed there, in {home}."
    if home != configuration_item.get("awsRegion"):
        return f"A multi-Region trail whose home Region is {home}: judged and changed there."
    return None


def _from_cloudtrail(client_factory: object, trail: str) -> bool | None:
    """LogFileValidationEnabled from GetTrail; None if the trail no longer exists."""
    cloudtrail = client_factory.build_client("cloudtrail")
    try:
        answer = cloudtrail.get_trail(Name=trail)["Trail"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "TrailNotFoundException":
            return None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceName", "is not a trail name CloudTrail accepts") from None
    enabled = answer.get("LogFileValidationEnabled")
    if not isinstance(enabled, bool):
        raise UnreadableField("GetTrail", f"answered LogFileValidationEnabled={enabled!r}")
    return enabled


class CloudTrailLogFileValidationEnabled(ParameterlessRule):
    """NON_COMPLIANT when the trail does not create signed digest files of its logs."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        elsewhere = _elsewhere(configuration_item, configuration)
        if elsewhere:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation=elsewhere)]
        enabled = field(configuration, "logFileValidationEnabled", "configuration", bool, required=False)
        if enabled is None:
            enabled = _from_cloudtrail(client_factory, configuration["trailARN"])
            if enabled is None:
                return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The trail no longer exists.")]
        name = resource_name(configuration_item)
        if enabled:
            return [Evaluation(ComplianceType.COMPLIANT, annotation=f"Trail {name} validates its log files."[:256])]
        annotation = f"Trail {name} has log file validation off: changed or deleted log files go unnoticed."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(CloudTrailLogFileValidationEnabled(), APPLICABLE_RESOURCES, event, context)
