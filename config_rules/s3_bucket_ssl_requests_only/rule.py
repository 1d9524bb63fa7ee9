"""AWS Config rule: S3 bucket policies deny requests that do not use TLS (FSBP S3.5, CIS 2.1.1).

Change-triggered on AWS::S3::Bucket. Evaluated from the configuration item's
supplementaryConfiguration.BucketPolicy.policyText (the policy as a JSON string, null when the bucket has none:
AWS Config records the key for every bucket); only when the item does not carry BucketPolicy does the rule ask S3
(GetBucketPolicy). BucketPolicy may be an object or a JSON string holding one (as GetResourceConfigHistory
returns it). COMPLIANT only with the statement AWS documents for this check
(https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule): Effect Deny, Principal "*", Action
s3:* (or *), Resource covering the bucket and every object in it, and a Condition that is exactly
Bool aws:SecureTransport "false" (a statement with further conditions denies only some HTTP requests).
A policy text that is not a JSON policy is NON_COMPLIANT with an annotation naming the field.
"""

from __future__ import annotations

import json

import botocore.exceptions
from compliance import s3_bucket_ssl_requests_only as tls_only
from rdklib import ComplianceType, Evaluation
from rule_support import (
    ParameterlessRule,
    UnreadableField,
    as_object,
    fail_closed,
    handle,
    resource_name,
    shown,
)

APPLICABLE_RESOURCES = ["AWS::S3::Bucket"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations).
IAM_ACTIONS = ("s3:GetBucketPolicy",)
# What the deny statement must carry (the framework tests read these).
DENIED_ACTIONS = tls_only.DENIED_ACTIONS
SECURE_TRANSPORT_CONDITION = tls_only.SECURE_TRANSPORT_CONDITION
POLICY_PATH = "supplementaryConfiguration.BucketPolicy.policyText"
NO_POLICY = ""


def policy_statements(policy_text: str) -> list:
    """The policy's statements; UnreadableField if the text is not a JSON policy with a Statement."""
    try:
        policy = json.loads(policy_text)
    except ValueError:
        raise UnreadableField(POLICY_PATH, f"is not JSON ({shown(policy_text)})") from None
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), dict | list):
        raise UnreadableField(POLICY_PATH, "is not a policy with a Statement")
    return tls_only.as_list(policy["Statement"])


def denies_insecure_transport(policy_text: str, bucket: str, partition: str = "aws") -> bool:
    """Whether the policy holds a statement denying every request to the bucket made without TLS."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return any(tls_only.statement_denies_insecure_transport(s, bucket_arn) for s in policy_statements(policy_text))


def _from_configuration_item(configuration_item: dict) -> str | None:
    """The policy text ("" for none) as the item records it, or None if the item does not carry BucketPolicy."""
    supplementary = configuration_item.get("supplementaryConfiguration")
    supplementary = {} if supplementary is None else as_object(supplementary, "supplementaryConfiguration", True)
    if supplementary.get("BucketPolicy") is None:
        return None
    recorded = as_object(supplementary["BucketPolicy"], "supplementaryConfiguration.BucketPolicy", json_string=True)
    text = recorded.get("policyText", NO_POLICY)
    if text is None:
        return NO_POLICY
    if not isinstance(text, str):
        raise UnreadableField(POLICY_PATH, f"is {type(text).__name__} ({shown(text)}), expected a string or null")
    return text


def _from_s3(client_factory: object, bucket: str) -> str:
    s3 = client_factory.build_client("s3")
    try:
        return s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return NO_POLICY
        raise
    except botocore.exceptions.ParamValidationError:
        raise UnreadableField("resourceName", f"({bucket[:60]!r}) is not a bucket name S3 accepts") from None


def _partition(configuration_item: dict) -> str:
    arn = configuration_item.get("ARN")
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1].startswith("aws") else "aws"


class S3BucketSslRequestsOnly(ParameterlessRule):
    """NON_COMPLIANT unless the bucket policy denies every request made without TLS."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        bucket = resource_name(configuration_item)
        policy = _from_configuration_item(configuration_item)
        if policy is None:
            policy = _from_s3(client_factory, bucket)
        if policy == NO_POLICY:
            annotation = "The bucket has no bucket policy, so S3 accepts requests made over plain HTTP."
            return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation)]
        if not denies_insecure_transport(policy, bucket, _partition(configuration_item)):
            annotation = (
                "The bucket policy has no statement denying s3:* on the bucket and its objects to every principal "
                'when aws:SecureTransport is "false".'
            )
            return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation)]
        return [
            Evaluation(
                ComplianceType.COMPLIANT,
                annotation="The bucket policy denies every request made without TLS (aws:SecureTransport false).",
            )
        ]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(S3BucketSslRequestsOnly(), APPLICABLE_RESOURCES, event, context)
