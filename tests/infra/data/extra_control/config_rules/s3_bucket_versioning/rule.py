"""Test-data rule: S3 bucket versioning enabled (used to prove a new control needs no infra change)."""

from rdklib import ComplianceType, ConfigRule, Evaluation, Evaluator

APPLICABLE_RESOURCES = ["AWS::S3::Bucket"]
IAM_ACTIONS = ("s3:GetBucketVersioning",)


class S3BucketVersioning(ConfigRule):
    def evaluate_change(self, event, client_factory, configuration_item, valid_rule_parameters):
        status = (configuration_item.get("supplementaryConfiguration") or {}).get("BucketVersioningConfiguration")
        enabled = (status or {}).get("status") == "Enabled"
        return [Evaluation(ComplianceType.COMPLIANT if enabled else ComplianceType.NON_COMPLIANT)]


def lambda_handler(event, context):
    return Evaluator(S3BucketVersioning(), APPLICABLE_RESOURCES).handle(event, context)
