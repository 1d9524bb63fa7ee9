"""The ECR tag immutability control (FSBP ECR.2): which image tag mutability setting complies.

Used by the rule ecr_repository_tag_immutability and the runbook enable_ecr_repository_tag_immutability, so the rule
judges a repository compliant exactly when the runbook finds nothing to change. ECR.2 "passes if tag immutability is
enabled and has the value IMMUTABLE" (https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html#ecr-2):
only IMMUTABLE complies. IMMUTABLE_WITH_EXCLUSION leaves the tags its exclusion filters match overwritable, and
MUTABLE_WITH_EXCLUSION every other tag (the four values:
https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImageTagMutability.html). A repository created
without the setting has MUTABLE ("If this parameter is omitted, the default setting of MUTABLE will be used":
https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html).
"""

COMPLIANT_SETTING = "IMMUTABLE"
DEFAULT_SETTING = "MUTABLE"
# Setting -> which tags it leaves overwritable (what a NON_COMPLIANT annotation and the runbook's plan say).
OVERWRITABLE = {
    "MUTABLE": "every tag can be overwritten",
    "MUTABLE_WITH_EXCLUSION": "every tag its exclusion filters do not match can be overwritten",
    "IMMUTABLE_WITH_EXCLUSION": "the tags its exclusion filters match can be overwritten",
}


def is_compliant(setting: str) -> bool:
    """Whether the repository's imageTagMutability makes every tag immutable."""
    return setting == COMPLIANT_SETTING


def overwritable(setting: str) -> str:
    """Which tags `setting` leaves overwritable, for a setting that is not compliant."""
    return OVERWRITABLE.get(setting, "a setting ECR does not document, so no tag is known to be immutable")
