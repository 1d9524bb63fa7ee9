"""AWS Config rule: customer managed KMS keys are not scheduled for deletion (FSBP KMS.3).

Prowler's check: kms_cmk_not_deleted_unintentionally (it reads DescribeKey's KeyManager and KeyState and fails a
customer managed key whose KeyState is PendingDeletion).

Change-triggered on AWS::KMS::Key. Evaluated from the configuration item alone: its configuration is DescribeKey's
KeyMetadata in lower camel case, with keyManager and keyState. A customer managed key in the PendingDeletion state
("ScheduleKeyDeletion ... changes the key state of the KMS key to PendingDeletion":
https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html) is NON_COMPLIANT, as is a
multi-Region primary key in PendingReplicaDeletion ("the primary key in a multi-Region key, it is scheduled for
deletion, and it still has existing replica keys":
https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html); any other documented state is COMPLIANT.
A state or key manager AWS does not document fails the evaluation: an unreadable item is never taken for a
compliant one. AWS managed and AWS owned keys cannot be scheduled for deletion and are NOT_APPLICABLE.
"""

from __future__ import annotations

from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    UnreadableField,
    fail_closed,
    field,
    handle,
    item_configuration,
)

APPLICABLE_RESOURCES = ["AWS::KMS::Key"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations): none, the item carries the state.
IAM_ACTIONS: tuple[str, ...] = ()
# Key states of a key whose deletion is scheduled.
SCHEDULED_STATES = ("PendingDeletion", "PendingReplicaDeletion")
# Every KeyState and KeyManager AWS documents (https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html):
# a value outside them is unreadable, never taken for "not scheduled".
KEY_STATES = frozenset(
    {
        "Creating",
        "Enabled",
        "Disabled",
        "PendingDeletion",
        "PendingImport",
        "PendingReplicaDeletion",
        "Unavailable",
        "Updating",
    }
)
KEY_MANAGERS = frozenset({"AWS", "CUSTOMER"})


class KmsKeyDeletionNotScheduled(ParameterlessRule):
    """NON_COMPLIANT when a customer managed key is scheduled for deletion."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        manager = field(configuration, "keyManager", "configuration", str)
        if manager not in KEY_MANAGERS:
            raise UnreadableField("configuration.keyManager", f"is {manager!r}, not one of {sorted(KEY_MANAGERS)}")
        if manager != "CUSTOMER":
            annotation = f"An {manager} managed key: its deletion cannot be scheduled."
            return [Evaluation(ComplianceType.NOT_APPLICABLE, annotation=annotation)]
        state = field(configuration, "keyState", "configuration", str)
        if state not in KEY_STATES:
            raise UnreadableField("configuration.keyState", f"is {state!r}, not one of {sorted(KEY_STATES)}")
        if state in SCHEDULED_STATES:
            annotation = f"The key is scheduled for deletion (key state {state})."
            return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation)]
        return [Evaluation(ComplianceType.COMPLIANT, annotation=f"The key is not scheduled for deletion ({state}).")]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(KmsKeyDeletionNotScheduled(), APPLICABLE_RESOURCES, event, context)
