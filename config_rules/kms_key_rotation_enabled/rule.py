"""AWS Config rule: customer managed symmetric KMS keys have automatic rotation on (FSBP KMS.4, CIS 3.6).

Change-triggered on AWS::KMS::Key. Which keys AWS KMS can rotate automatically comes from the configuration item's
configuration (DescribeKey's KeyMetadata in lower camel case): "Automatic key rotation is supported only on
symmetric encryption KMS keys. You cannot enable automatic rotation of asymmetric KMS keys, HMAC KMS keys, KMS keys
with imported key material, or KMS keys in a custom key store. To enable or disable automatic rotation of a set of
related multi-Region keys, set the property on the primary key." and AWS managed keys are rotated by AWS every year
(https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html). Those keys, multi-Region replicas
and keys not in the Enabled state (disabled, pending deletion or import) are NOT_APPLICABLE, as Prowler's
kms_cmk_rotation_enabled judges only enabled customer managed symmetric keys.

The rotation setting is read from supplementaryConfiguration.KeyRotationStatus (AWS Config's resource schema for
AWS::KMS::Key records it there); only when the item does not carry it does the rule ask KMS (GetKeyRotationStatus).
A field that is missing or of another type than AWS Config records is NON_COMPLIANT with an annotation naming it.
"""

from __future__ import annotations

import json

import botocore.exceptions
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    UnreadableField,
    as_object,
    fail_closed,
    field,
    handle,
    item_configuration,
)

APPLICABLE_RESOURCES = ["AWS::KMS::Key"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("kms:GetKeyRotationStatus",)
ROTATION = "supplementaryConfiguration.KeyRotationStatus"


def _not_applicable(configuration: dict) -> str | None:
    """Why AWS KMS cannot rotate this key automatically (an annotation), or None if it can."""
    path = "configuration"
    manager = field(configuration, "keyManager", path, str)
    if manager != "CUSTOMER":
        return f"An {manager} managed key: AWS rotates it, its rotation cannot be configured."
    # keySpec replaced customerMasterKeySpec (deprecated); an item carries either.
    spec = field(configuration, "keySpec", path, str, required=False) or field(
        configuration, "customerMasterKeySpec", path, str
    )
    if spec != "SYMMETRIC_DEFAULT":
        return f"A {spec} key: automatic rotation is only for symmetric encryption keys."
    origin = field(configuration, "origin", path, str)
    if origin != "AWS_KMS":
        return f"Key material of origin {origin} (imported or in a custom key store): no automatic rotation."
    regions = field(configuration, "multiRegionConfiguration", path, dict, required=False) or {}
    if field(regions, "multiRegionKeyType", f"{path}.multiRegionConfiguration", str, required=False) == "REPLICA":
        return "A multi-Region replica key: its rotation is set on, and evaluated at, the primary key."
    state = field(configuration, "keyState", path, str)
    if state != "Enabled":
        return f"The key is {state}: only enabled keys are evaluated."
    return None


def _recorded_rotation(configuration_item: dict) -> bool | None:
    """KeyRotationStatus as the item records it (a JSON boolean, or its JSON text from GetResourceConfigHistory)."""
    supplementary = configuration_item.get("supplementaryConfiguration")
    supplementary = {} if supplementary is None else as_object(supplementary, "supplementaryConfiguration", True)
    value = supplementary.get("KeyRotationStatus")
    if isinstance(value, str) and value in ("true", "false"):
        value = json.loads(value)
    return field({"KeyRotationStatus": value}, "KeyRotationStatus", "supplementaryConfiguration", bool, required=False)


def _rotation_from_kms(client_factory: object, key_id: str) -> bool | None:
    """GetKeyRotationStatus; None if the key no longer exists."""
    kms = client_factory.build_client("kms")
    try:
        answer = kms.get_key_rotation_status(KeyId=key_id)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NotFoundException":
            return None
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceId", "is not a key id KMS accepts") from None
    enabled = answer.get("KeyRotationEnabled")
    if not isinstance(enabled, bool):
        raise UnreadableField("GetKeyRotationStatus", f"answered KeyRotationEnabled={enabled!r}")
    return enabled


class KmsKeyRotationEnabled(ParameterlessRule):
    """NON_COMPLIANT when an enabled customer managed symmetric key has automatic rotation off."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        why_not = _not_applicable(configuration)
        if why_not:
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation=why_not)]
        rotation = _recorded_rotation(configuration_item)
        if rotation is None:
            rotation = _rotation_from_kms(client_factory, configuration_item["resourceId"])
            if rotation is None:
                return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation="The key no longer exists.")]
        if rotation:
            return [Evaluation(ComplianceType.COMPLIANT, annotation="Automatic key rotation is on.")]
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation="Automatic key rotation is off.")]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(KmsKeyRotationEnabled(), APPLICABLE_RESOURCES, event, context)
