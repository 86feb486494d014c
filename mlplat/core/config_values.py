"""Pulumi config values as programs and stack files hand them over: a structured value may arrive as JSON text."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["structured"]


def structured(value: Any) -> Any:
    """`value` decoded when it is JSON text (`aws:assumeRoles`, an object-valued key), otherwise as given."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
