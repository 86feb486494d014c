"""Dotted paths into nested data (`scalingConfig.maxSize`, `rules.0.status`): one reader for every layer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["value_at"]


def value_at(data: Any, path: str, default: Any = None) -> Any:
    """The value at `path` in `data` (mappings by key, sequences by index), or `default` when a step is missing."""
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, Sequence) and not isinstance(current, str) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return default
    return current
