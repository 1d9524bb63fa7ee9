"""What the types' simulation modules share: AWS Config's recording shapes. Not in the bridge's asset."""

from __future__ import annotations

from datetime import datetime


def lower_camel(value: object) -> object:
    """DescribeX shapes (PascalCase) -> AWS Config's configuration shapes (lowerCamelCase)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: lower_camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_camel(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
