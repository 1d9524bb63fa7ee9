"""Runbook script: create an IAM role to manage incidents with AWS Support (CIS v3.0 1.17).

Embedded into document.yaml's aws:executeScript step at synth; unit-tested as a module. What "a support role
exists" means (a role with the AWS managed policy AWSSupportAccess attached) is the rule's
(compliance.iam_support_role_created, embedded too). When no role has it, the runbook creates one role, RoleName on
RolePath, whose trust policy admits exactly one principal, TrustedPrincipalArn: an IAM user or role of this account
(its ARN, or role/<name> or user/<name> alone: one value for every account of an organization), or this account
itself (arn:<partition>:iam::<account>:root, the default: only the account's principals whose own policies allow
sts:AssumeRole on the role can assume it,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts), and
attaches AWSSupportAccess to it. IAM itself refuses a trust policy naming a user or role that does not exist
("Invalid principal in policy": https://repost.aws/knowledge-center/iam-trust-policy-error): the step then fails and
nothing is created.
It never changes a role it did not create: a role of that name whose trust policy, path or description differ from
what this runbook writes is refused; one that matches (a run interrupted after CreateRole) only gets the policy.
"""

import json
import re
import urllib.parse

import boto3
import botocore.exceptions
from compliance.iam_support_role_created import POLICY_NAME, page_role_names, support_policy_arn

from ssm_documents._support.controls import _dry_run
from ssm_documents._support.outcome import changed, checked_account, no_change, would_change

# Every action this script calls: the runbook's IAM role grants exactly these.
IAM_ACTIONS = (
    "sts:GetCallerIdentity",
    "iam:ListEntitiesForPolicy",
    "iam:GetRole",
    "iam:CreateRole",
    "iam:AttachRolePolicy",
)
# IAM's own limits: role names 1-64 of [\w+=,.@-], paths "/" or /.../ of up to 512 characters
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_PATH = re.compile(r"^/(?:[\w+=,.@-]+/)*$")
MAX_PATH = 512
DEFAULT_ROLE_NAME, DEFAULT_ROLE_PATH = "remedy-aws-support", "/"
PRINCIPAL = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):(?P<resource>root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$"
)
# Written on the role at creation: with the trust policy and the path, how a later run recognises its own role.
DESCRIPTION = "Manages incidents with AWS Support (CIS 1.17); created by the Remedy runbook CreateAwsSupportRole."


def _text(events: dict, name: str, default: str) -> str:
    value = events.get(name, default)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r:.100}")
    return value.strip() or default


def _role_name_and_path(events: dict) -> tuple[str, str]:
    name, path = _text(events, "RoleName", DEFAULT_ROLE_NAME), _text(events, "RolePath", DEFAULT_ROLE_PATH)
    if not ROLE_NAME.match(name):
        raise ValueError(f"RoleName must be 1 to 64 of letters, digits and _+=,.@-, got {name!r:.100}")
    if not ROLE_PATH.match(path) or len(path) > MAX_PATH:
        raise ValueError(f"RolePath must be / or /<segments>/ of letters, digits and _+=,.@-, got {path!r:.100}")
    return name, path


def _principal(events: dict, partition: str, account_id: str) -> str:
    """TrustedPrincipalArn, refused unless it names one user or role of this account, or this account (its root).

    user/<path/name> or role/<path/name> alone names that user or role of this account (one value for every account
    of an organization)."""
    principal = _text(events, "TrustedPrincipalArn", "") or "root"
    if principal == "root" or principal.startswith(("user/", "role/")):
        principal = f"arn:{partition}:iam::{account_id}:{principal}"
    match = PRINCIPAL.match(principal)
    if not match:
        raise ValueError(
            "TrustedPrincipalArn must be the ARN of one IAM user or role, or arn:<partition>:iam::<account>:root, "
            f"or role/<name> or user/<name> (never a wildcard), got {principal!r:.200}; nothing changed"
        )
    if (match["partition"], match["account"]) != (partition, account_id):
        raise ValueError(
            f"TrustedPrincipalArn {principal} is not of this account ({account_id}, partition {partition}): the "
            "support role admits only principals of the account it is in; nothing changed"
        )
    return principal


def trust_policy(principal: str) -> dict:
    """The role's trust policy: `principal` may assume it, no one else."""
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _statements(document: object) -> list:
    """A trust policy's statements, comparable: GetRole's document (decoded, or URL-encoded JSON text)."""
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    statements = document.get("Statement") if isinstance(document, dict) else None
    statements = statements if isinstance(statements, list) else [statements]
    normal = []
    for statement in statements:
        if not isinstance(statement, dict):
            return [statement]
        principal = statement.get("Principal")
        if isinstance(principal, dict) and isinstance(principal.get("AWS"), list) and len(principal["AWS"]) == 1:
            principal = {**principal, "AWS": principal["AWS"][0]}
        action = statement.get("Action")
        action = action[0] if isinstance(action, list) and len(action) == 1 else action
        normal.append({**statement, "Principal": principal, "Action": action})
    return normal


def support_roles(iam: object, partition: str) -> list[str]:
    """The names of every IAM role AWSSupportAccess is attached to (every page)."""
    names: list[str] = []
    marker = None
    while True:
        kwargs = {"PolicyArn": support_policy_arn(partition), "EntityFilter": "Role"}
        page = iam.list_entities_for_policy(**kwargs, **({"Marker": marker} if marker else {}))
        page_names, marker = page_role_names(page)
        names.extend(page_names)
        if marker is None:
            return sorted(names)


def _existing_role(iam: object, name: str) -> dict | None:
    try:
        return iam.get_role(RoleName=name)["Role"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return None
        raise


def _check_ours(role: dict, path: str, principal: str) -> None:
    """Refuse a role this runbook did not create for `principal` on `path`: it is never changed."""
    differs = [
        what
        for what, same in (
            ("trust policy", _statements(role.get("AssumeRolePolicyDocument")) == trust_policy(principal)["Statement"]),
            ("path", role.get("Path") == path),
            ("description", role.get("Description") == DESCRIPTION),
        )
        if not same
    ]
    if differs:
        raise ValueError(
            f"Role {role.get('RoleName')} exists and was not created by this runbook for {principal} (its "
            f"{', '.join(differs)} differ): it is left as it is; choose another RoleName; nothing changed"
        )


def _create(iam: object, name: str, path: str, principal: str, existing: dict | None, partition: str) -> None:
    if existing is None:
        iam.create_role(
            RoleName=name,
            Path=path,
            AssumeRolePolicyDocument=json.dumps(trust_policy(principal)),
            Description=DESCRIPTION,
        )
    iam.attach_role_policy(RoleName=name, PolicyArn=support_policy_arn(partition))


def _plan(creates: bool, name: str, path: str, principal: str) -> tuple[str, str]:
    """What the run would do (dry run) and the message once done."""
    if creates:
        role = f"role {name} on path {path}, assumable by {principal} only,"
        return f"create {role} and attach {POLICY_NAME} to it", f"Created {role} and attached {POLICY_NAME} to it."
    plan = f"attach {POLICY_NAME} to role {name}, which an earlier run created for {principal}"
    return plan, f"Attached {POLICY_NAME} to role {name}, which an earlier run created for {principal}."


def create_aws_support_role(events: dict, context: object) -> dict:
    """Create the AWS Support role unless a role already has AWSSupportAccess; never changes another role.

    With DryRun true it makes the same checks and returns the plan (PlannedState) without changing anything.
    """
    dry_run = _dry_run(events)
    name, path = _role_name_and_path(events)
    account_id = checked_account(events)
    iam = boto3.client("iam")
    partition = iam.meta.partition
    principal = _principal(events, partition, account_id)
    previous = {"SupportRoles": support_roles(iam, partition)}
    result = {"AccountId": account_id, "RoleName": name, "RolePath": path, "TrustedPrincipalArn": principal}
    result = {**result, "DryRun": dry_run, "PreviousState": previous}
    if previous["SupportRoles"]:
        roles = ", ".join(previous["SupportRoles"])
        return no_change(result, previous, f"{POLICY_NAME} is already attached to role(s) {roles}; nothing changed.")
    existing = _existing_role(iam, name)
    if existing is not None:
        _check_ours(existing, path, principal)
    plan, done = _plan(existing is None, name, path, principal)
    target = {"SupportRoles": [name]}
    if dry_run:
        return would_change(result, previous, target, f"Dry run: would {plan}; nothing changed.")
    _create(iam, name, path, principal, existing, partition)
    current = {"SupportRoles": support_roles(iam, partition)}
    return changed(result, target, current, done)
