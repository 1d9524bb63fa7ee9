"""The account in the emulated AWS Config: its rules are periodic and read no configuration item of it."""

from __future__ import annotations


def configuration_items(account: str, region: str) -> list[dict]:
    """None: the emulation keeps no configuration item of the account (GetResourceConfigHistory: not discovered)."""
    return []


def stale_key(account: str, region: str) -> None:
    """None: the account outlives every finding about it."""
    return None
