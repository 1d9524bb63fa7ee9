"""AWS Config rule: ECR private repositories scan images on push (FSBP ECR.1).

Prowler's check: ecr_repositories_scan_images_on_push_enabled (it reads the repository's
imageScanningConfiguration.scanOnPush from DescribeRepositories).

Change-triggered on AWS::ECR::Repository (resource id: the repository name). Evaluated from the configuration item:
AWS Config's resource schema records configuration.ImageScanningConfiguration.ScanOnPush
(https://github.com/awslabs/aws-config-resource-schema, AWS::ECR::Repository.properties.json); a JSON true is
COMPLIANT, false or absent (CloudFormation's default: "If this parameter is not specified, it will default to
false") NON_COMPLIANT, anything else NON_COMPLIANT naming the field. The rule judges the repository's own setting, as
Prowler does: a registry-level scanning configuration (enhanced scanning with Amazon Inspector, or basic scanning
filters) decides scanning on its own and is not read here, so a repository that such a configuration scans
continuously but whose own setting is off is still NON_COMPLIANT (ECR.1 would pass it).
"""

from __future__ import annotations

from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    fail_closed,
    field,
    handle,
    item_configuration,
    resource_name,
)

APPLICABLE_RESOURCES = ["AWS::ECR::Repository"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations): none, the item carries the setting.
IAM_ACTIONS: tuple[str, ...] = ()
SETTING = "configuration.ImageScanningConfiguration"
# The settings the rule requires to be true (what FSBP ECR.1's scan-on-push branch asks).
REQUIRED_SETTINGS = ("ImageScanningConfiguration.ScanOnPush",)


class EcrRepositoryScanOnPush(ParameterlessRule):
    """NON_COMPLIANT when a repository's ImageScanningConfiguration.ScanOnPush is not true."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        name = resource_name(configuration_item)
        scanning = field(configuration, "ImageScanningConfiguration", "configuration", dict, required=False) or {}
        scan_on_push = field(scanning, "ScanOnPush", SETTING, bool, required=False)
        if scan_on_push:
            return [Evaluation(ComplianceType.COMPLIANT, annotation=f"Repository {name} scans images on push."[:256])]
        shown = "not set" if scan_on_push is None else "false"
        annotation = f"Repository {name} does not scan images on push (ScanOnPush {shown})."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation[:256])]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(EcrRepositoryScanOnPush(), APPLICABLE_RESOURCES, event, context)
