"""AWS Config rule: EBS volumes are encrypted at rest (FSBP EC2.3; Prowler ec2_ebs_volume_encryption).

Change-triggered on AWS::EC2::Volume. Evaluated from the configuration item's
configuration.encrypted (AWS Config records the DescribeVolumes shape in lower camel case);
only when the item does not carry it does the rule ask EC2 (DescribeVolumes). An `encrypted` that is
not a JSON boolean (the string "false", a number) is NON_COMPLIANT with an annotation naming it.
"""

from __future__ import annotations

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    RuleEvaluationError,
    UnreadableField,
    as_object,
    fail_closed,
    field,
    handle,
)

APPLICABLE_RESOURCES = ["AWS::EC2::Volume"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("ec2:DescribeVolumes",)


def _from_configuration_item(configuration_item: dict) -> tuple[bool, list[dict]] | None:
    """(encrypted, attachments) as the item records them, or None if it does not record `encrypted`."""
    if configuration_item.get("configuration") is None:
        return None
    configuration = as_object(configuration_item["configuration"], "configuration", json_string=True)
    encrypted = field(configuration, "encrypted", "configuration", bool, required=False)
    if encrypted is None:
        return None
    attachments = field(configuration, "attachments", "configuration", list, required=False) or []
    places = []
    for index, attachment in enumerate(attachments):
        attachment = as_object(attachment, f"configuration.attachments[{index}]")
        path = f"configuration.attachments[{index}]"
        places.append(
            {
                "InstanceId": field(attachment, "instanceId", path, str, required=False),
                "Device": field(attachment, "device", path, str, required=False),
            }
        )
    return encrypted, places


def _from_ec2(client_factory: object, volume_id: str) -> tuple[bool, list[dict]] | None:
    """(encrypted, attachments) from DescribeVolumes, or None if the volume no longer exists."""
    ec2 = client_factory.build_client("ec2")
    try:
        volume = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "InvalidVolume.NotFound":
            return None
        if error.response["Error"]["Code"] == "InvalidVolumeID.Malformed":
            raise UnreadableField("resourceId", "is not a volume id EC2 accepts") from None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceId", "is not a volume id EC2 accepts") from None
    attachments = [
        {"InstanceId": a.get("InstanceId"), "Device": a.get("Device")} for a in volume.get("Attachments", [])
    ]
    if not isinstance(volume.get("Encrypted"), bool):
        raise RuleEvaluationError(f"DescribeVolumes reported no Encrypted flag for {volume_id}.")
    return volume["Encrypted"], attachments


def _where_attached(attachments: list[dict]) -> str:
    if not attachments:
        return "It is not attached to any instance."
    places = ", ".join(f"{a['InstanceId']} as {a['Device']}" for a in attachments)
    return f"It is attached to instance {places}."


class Ec2EbsVolumeEncryption(ParameterlessRule):
    """NON_COMPLIANT when the EBS volume is not encrypted at rest."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        volume_id = configuration_item["resourceId"]
        recorded = _from_configuration_item(configuration_item)
        if recorded is None:
            recorded = _from_ec2(client_factory, volume_id)
            if recorded is None:
                return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The volume no longer exists.")]
        encrypted, attachments = recorded
        if encrypted:
            return [Evaluation(ComplianceType.COMPLIANT, annotation="The EBS volume is encrypted at rest.")]
        annotation = f"The EBS volume is not encrypted at rest. {_where_attached(attachments)}"
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(Ec2EbsVolumeEncryption(), APPLICABLE_RESOURCES, event, context)
