"""Shared by every Remedy AWS Config rule; reaches Lambda as a layer beside rdklib (config_rules/_layer)."""

from __future__ import annotations

from rdklib import InvalidParametersError

# Parameters rdklib itself reads (AssumeRoleMode=false is set on every rule by the deployment).
RDKLIB_PARAMETERS = frozenset({"AssumeRoleMode", "ExecutionRoleName", "ExecutionRoleRegion"})


def reject_unknown_parameters(rule_parameters: dict, accepted: set[str] | frozenset[str]) -> None:
    """A misspelt parameter would otherwise be ignored silently: name it as a customer error."""
    unknown = set(rule_parameters) - set(accepted) - RDKLIB_PARAMETERS
    if unknown:
        takes = f"This rule takes: {', '.join(sorted(accepted))}." if accepted else "This rule takes none."
        raise InvalidParametersError(f"Unknown rule parameter(s): {', '.join(sorted(unknown))}. {takes}")
