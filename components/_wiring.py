"""Wiring mistakes a user can make with a component, each a WiringError that says how to fix it.

- a lookup by name (a bucket role, a model family, a feature group, a team...) of a name the
  component does not have: the message says where it was asked for, which argument held it, the
  value and the names there are;
- a constructor given something else than its Args (a dict, None): the message names the Args class.
"""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

from mlplat.core.errors import WiringError

__all__ = ["lookup", "require_args"]

T = TypeVar("T")
A = TypeVar("A")


def require_args(component: str, name: str, args: Any, expected: type[A]) -> A:
    """`args` when it is an `expected` instance; else WiringError naming the class to build."""
    if isinstance(args, expected):
        return args
    got = "None" if args is None else type(args).__name__
    raise WiringError(
        f"{component} {name!r}: args takes {expected.__name__}, got {got}; "
        f"build it with {expected.__name__}(...), which checks its fields"
    )


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
