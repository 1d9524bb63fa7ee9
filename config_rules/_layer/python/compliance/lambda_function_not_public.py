"""The Lambda public access control (FSBP Lambda.1): which statements of a function's policy make it public.

Used by the rule lambda_function_not_public and the runbook remove_public_lambda_permissions (see this package's
docstring), so both name the same statements. A statement is public when it allows everyone (Principal "*",
{"AWS": "*"} or the any-account root "arn:aws:iam::*:root") and no condition restricts the caller to an account,
a source resource or an organization (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, with a value that is
not a wildcard). Condition keys are case-insensitive
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html); Lambda itself
writes "AWS:SourceAccount" and "AWS:SourceArn" (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html).
"""

RESTRICTING_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:principalorgid"})
EVERYONE = frozenset({"*", "arn:aws:iam::*:root"})


def _values(value: object) -> list:
    return value if isinstance(value, list) else [value]


def allows_everyone(principal: object) -> bool:
    """True for "*", {"AWS": "*"} (or a list holding it) and the any-account root."""
    if isinstance(principal, dict):
        return any(isinstance(v, str) and v in EVERYONE for v in _values(principal.get("AWS")))
    return isinstance(principal, str) and principal in EVERYONE


def restricted(condition: object) -> bool:
    """True when the condition block limits callers by account, source or organization (a non-wildcard value)."""
    if not isinstance(condition, dict):
        return False
    for operator, keys in condition.items():
        if not isinstance(keys, dict) or "IfExists" in str(operator):
            continue
        for key, value in keys.items():
            concrete = [v for v in _values(value) if isinstance(v, str) and v and "*" not in v and "?" not in v]
            if key.lower() in RESTRICTING_KEYS and concrete:
                return True
    return False


def public_statements(policy: dict) -> list[dict]:
    """The Allow statements of a function policy that admit everyone without a restricting condition, by Sid."""
    statements = policy.get("Statement") or []
    public = [
        s
        for s in (statements if isinstance(statements, list) else [statements])
        if isinstance(s, dict)
        and s.get("Effect") == "Allow"
        and allows_everyone(s.get("Principal"))
        and not restricted(s.get("Condition"))
    ]
    return sorted(public, key=lambda s: str(s.get("Sid", "")))
