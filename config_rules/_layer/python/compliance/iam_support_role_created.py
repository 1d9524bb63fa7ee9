"""The AWS Support role control (CIS v3.0 1.17): the AWS managed policy it asks for and which roles hold it.

Used by the rule iam_support_role_created and the runbook create_aws_support_role (see this package's docstring).
The account complies when at least one IAM role has the AWS managed policy AWSSupportAccess attached, which
iam:ListEntitiesForPolicy with EntityFilter Role answers (paginated: IsTruncated and Marker,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListEntitiesForPolicy.html). Users and groups holding it
do not count: CIS asks for a role.
"""

POLICY_NAME = "AWSSupportAccess"


def support_policy_arn(partition: str) -> str:
    """The ARN of the AWS managed policy AWSSupportAccess in `partition` (aws, aws-cn, aws-us-gov, ...)."""
    return f"arn:{partition}:iam::aws:policy/{POLICY_NAME}"


def page_role_names(page: object) -> tuple[list[str], str | None]:
    """One ListEntitiesForPolicy answer -> (the role names on it, the Marker of the next page or None).

    ValueError naming the field when the answer is not shaped as the API documents it."""
    if not isinstance(page, dict):
        raise ValueError(f"ListEntitiesForPolicy answered {type(page).__name__}, expected an object")
    roles = page.get("PolicyRoles")
    if not isinstance(roles, list) or not all(isinstance(r, dict) for r in roles):
        raise ValueError(f"PolicyRoles is {roles!r:.200}, expected a list of roles")
    names = [role.get("RoleName") for role in roles]
    if not all(isinstance(name, str) and name for name in names):
        raise ValueError(f"PolicyRoles holds a role without a RoleName: {roles!r:.200}")
    if page.get("IsTruncated") is not True:
        return names, None
    marker = page.get("Marker")
    if not isinstance(marker, str) or not marker:
        raise ValueError("ListEntitiesForPolicy answered IsTruncated true without a Marker")
    return names, marker
