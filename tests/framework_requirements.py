"""What a framework requirement asks of a rule, as predicates on the rule's parsed parameters and module.

Each rule's test module (tests/config_rules/test_<rule>.py) declares, with the framework's documented wording:
- `FRAMEWORK_REQUIREMENTS`: {(framework, requirement id): predicate} for every CIS v3.0 / FSBP id a control on the
  rule may claim;
- `PROWLER_REQUIREMENTS` (optional): {Prowler check id: predicate} for checks whose pass needs a parameter value.
tests/catalogue/test_framework_mapping.py holds every control's claims to them, so a new control states its
requirements in its own test module.
"""

from __future__ import annotations

from collections.abc import Callable

Requirement = Callable[[dict, object], bool]
BLOCK_PUBLIC_ACCESS_SETTINGS = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}


def at_least(name: str, minimum: int) -> Requirement:
    """The parameter is set and at least `minimum`."""
    return lambda params, _rule: params.get(name) is not None and params[name] >= minimum


def at_most(name: str, maximum: int) -> Requirement:
    """The parameter is set, positive and at most `maximum`."""
    return lambda params, _rule: params.get(name) is not None and 0 < params[name] <= maximum


def all_true(*names: str) -> Requirement:
    """Every named parameter is true."""
    return lambda params, _rule: all(params.get(n) is True for n in names)


def both(first: Requirement, second: Requirement) -> Requirement:
    """Both requirements hold."""
    return lambda params, rule: first(params, rule) and second(params, rule)


def rule_attribute_has(attribute: str, *values: object) -> Requirement:
    """The rule module's `attribute` (a constant such as IAM_ACTIONS or SETTINGS) contains every value."""
    return lambda _params, rule: set(values) <= set(getattr(rule, attribute))
