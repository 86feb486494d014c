"""Lookups by name on a component (a bucket role, a model family, a feature group, a team...).

A name the component does not have is a WiringError that says where it was asked for, which
argument held it, the value and the names there are.
"""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

from mlplat.core.errors import WiringError

__all__ = ["lookup"]

T = TypeVar("T")


def lookup(items: Mapping[str, T], key: Any, *, where: str, argument: str, noun: str) -> T:
    """`items[key]`, or a WiringError: `<where>: <argument> <key!r> is not <noun> (allowed: ...)`.

    `where` names the call (`ArtifactStore 'store'.grant_read`), `noun` what the key should be
    (`a bucket of this store`). A key that is not a str (a handle passed where its name belongs)
    is named by its type.
    """
    if isinstance(key, str) and key in items:
        return items[key]
    allowed = ", ".join(items) or "none"
    if not isinstance(key, str):
        raise WiringError(f"{where}: {argument} takes a name, got a {type(key).__name__} (allowed: {allowed})")
    raise WiringError(f"{where}: {argument} {key!r} is not {noun} (allowed: {allowed})")
