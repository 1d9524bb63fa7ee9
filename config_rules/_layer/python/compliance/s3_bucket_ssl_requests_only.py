"""The S3 TLS-only control (FSBP S3.5, CIS v3.0 2.1.1): which bucket policy statement denies requests without TLS.

Used by the rule s3_bucket_ssl_requests_only and the runbook deny_s3_insecure_transport (see this package's
docstring), so the rule judges a policy compliant exactly when the runbook finds nothing to add. The statement is the
one AWS documents for this check (https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule): Effect Deny,
Principal "*", Action s3:* (or *), Resource covering the bucket and every object in it, and a Condition that is
exactly Bool aws:SecureTransport "false" (a statement with further conditions denies only some HTTP requests).
"""

import re

DENIED_ACTIONS = ("s3:*", "*")
SECURE_TRANSPORT_CONDITION = {"Bool": {"aws:SecureTransport": "false"}}


def as_list(value: object) -> list:
    """A policy element that may be one value or a list of them, as a list."""
    return value if isinstance(value, list) else [value]


def _matches(pattern: object, target: str) -> bool:
    """IAM wildcard match: * any characters, ? one character (case-sensitive, as ARNs are)."""
    if not isinstance(pattern, str):
        return False
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, target) is not None


def _all_principals(principal: object) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and list(principal) == ["AWS"] and "*" in as_list(principal["AWS"])


def _only_insecure_transport(condition: object) -> bool:
    """Whether the condition is exactly Bool aws:SecureTransport false."""
    if not isinstance(condition, dict) or list(condition) != ["Bool"] or not isinstance(condition["Bool"], dict):
        return False
    values = condition["Bool"]
    if list(values) != ["aws:SecureTransport"]:
        return False
    return all(isinstance(v, str) and v.lower() == "false" for v in as_list(values["aws:SecureTransport"]))


def statement_denies_insecure_transport(statement: object, bucket_arn: str) -> bool:
    """Whether `statement` denies s3:* to every principal on the bucket and all its objects, exactly when
    aws:SecureTransport is false."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return False
    if not _all_principals(statement.get("Principal")):
        return False
    if not any(action in DENIED_ACTIONS for action in as_list(statement.get("Action"))):
        return False
    resources = as_list(statement.get("Resource"))
    if not all(any(_matches(r, target) for r in resources) for target in (bucket_arn, f"{bucket_arn}/*")):
        return False
    return _only_insecure_transport(statement.get("Condition"))


def deny_statement(bucket_arn: str, sid: str) -> dict:
    """The statement AWS documents for denying requests without TLS to a bucket and its objects."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": SECURE_TRANSPORT_CONDITION,
    }
