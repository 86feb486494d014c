"""Child names and the few deterministic physical names mlplat needs.

Children are named `f"{component}-{suffix}"`; suffixes are part of the public contract (renaming
one replaces live infrastructure, so add an alias instead). Physical names are left to provider
auto-naming except where AWS needs a name before the resource exists (see docs/DECISIONS.md, Naming).
"""

from __future__ import annotations

import re

from .errors import ConfigError, Problem

__all__ = ["bucket_prefix", "child", "MAX_BUCKET_PREFIX"]


def child(component: str, suffix: str) -> str:
    return f"{component}-{suffix}"


_BUCKET_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]*-$")
# bucket_prefix is at most 37 characters: the provider appends 26 to stay within S3's 63.
MAX_BUCKET_PREFIX = 37


def bucket_prefix(*parts: str) -> str:
    """A valid S3 `bucket_prefix` from name parts (`mlplat`, `dev`, `models` -> `mlplat-dev-models-`)."""
    raw = "-".join(p for p in parts if p).lower()
    cleaned = re.sub(r"[^a-z0-9-]+", "-", raw).strip("-")
    prefix = f"{cleaned}-"
    if not _BUCKET_PREFIX.match(prefix) or len(prefix) > MAX_BUCKET_PREFIX:
        raise ConfigError(
            [
                Problem(
                    "bucket_name_prefix",
                    f"is not a usable S3 bucket prefix (lowercase letters, digits and '-', at most {MAX_BUCKET_PREFIX} characters with the role)",
                    prefix,
                )
            ]
        )
    return prefix
