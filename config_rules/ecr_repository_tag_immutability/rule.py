"""AWS Config rule: ECR private repositories have tag immutability configured (FSBP ECR.2).

Prowler's check: ecr_repositories_tag_immutability (it reads the repository's imageTagMutability from
DescribeRepositories and fails only MUTABLE).

Change-triggered on AWS::ECR::Repository (resource id: the repository name). Evaluated from the configuration item:
AWS Config's resource schema records configuration.ImageTagMutability, a string
(https://github.com/awslabs/aws-config-resource-schema, AWS::ECR::Repository.properties.json). IMMUTABLE is
COMPLIANT; MUTABLE, absent (CreateRepository's default, MUTABLE), MUTABLE_WITH_EXCLUSION, IMMUTABLE_WITH_EXCLUSION or
any other value NON_COMPLIANT, as ECR.2 passes only IMMUTABLE (compliance.ecr_repository_tag_immutability); a value
that is not a string is NON_COMPLIANT naming the field. Stricter than Prowler: a repository with exclusion filters
passes Prowler's check and is NON_COMPLIANT here.
"""

from __future__ import annotations

from compliance.ecr_repository_tag_immutability import DEFAULT_SETTING, OVERWRITABLE, is_compliant, overwritable
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    fail_closed,
    field,
    handle,
    item_configuration,
    resource_name,
    shown,
)

APPLICABLE_RESOURCES = ["AWS::ECR::Repository"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations): none, the item carries the setting.
IAM_ACTIONS: tuple[str, ...] = ()
# The configuration item field the rule judges and the one value FSBP ECR.2 passes.
REQUIRED_SETTING = ("ImageTagMutability", "IMMUTABLE")


class EcrRepositoryTagImmutability(ParameterlessRule):
    """NON_COMPLIANT when a repository's ImageTagMutability is not IMMUTABLE."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        name = resource_name(configuration_item)
        recorded = field(configuration, "ImageTagMutability", "configuration", str, required=False)
        setting = DEFAULT_SETTING if recorded is None else recorded
        if is_compliant(setting):
            return [Evaluation(ComplianceType.COMPLIANT, annotation=f"Repository {name} has immutable image tags.")]
        if recorded is None:
            value = f"not set, so {DEFAULT_SETTING}"
        else:
            value = setting if setting in OVERWRITABLE else shown(setting)
        annotation = f"Repository {name} has ImageTagMutability {value}: {overwritable(setting)}."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(EcrRepositoryTagImmutability(), APPLICABLE_RESOURCES, event, context)
