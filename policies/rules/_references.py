"""What a rule can read beyond one resource: the stack's resources, indexed once per evaluation.

CrossGuard shows other resources to stack policies only, and in a preview the ids, ARNs and
names computed by the provider are unknown. What the engine always records is which resources a
property was computed from (property dependencies, keyed by top-level property name): an
`EndpointConfiguration` whose `dataCaptureConfig` was built from a bucket's name depends on that
bucket even while the name is unknown. So a reference is followed through the property
dependencies first, and through a known value (an id, ARN or name) only when the value is known.

A `StackIndex` is built once per stack evaluation (`views_of_stack`) and shared by every view
(`ResourceView.stack`); derived joins that several rules need (each bucket with its settings)
are computed once through `memo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence, TypeVar

if TYPE_CHECKING:
    from ._framework import ResourceView

__all__ = ["IDENTIFYING_KEYS", "StackIndex", "referenced_one", "stack_index"]

T = TypeVar("T")

# Outputs by which other resources' inputs name a resource (in a known value).
IDENTIFYING_KEYS: tuple[str, ...] = ("id", "arn", "name")


class StackIndex:
    """Every resource of the stack by URN and type, with the reverse of the property dependencies."""

    def __init__(self, views: Sequence["ResourceView"]) -> None:
        self.views = list(views)
        self.by_urn = {v.urn: v for v in self.views}
        self._by_type: Optional[dict[str, list["ResourceView"]]] = None
        self._dependents: Optional[dict[str, list[tuple[str, "ResourceView"]]]] = None
        self._by_value: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, list["ResourceView"]]] = {}
        self._memo: dict[str, Any] = {}

    def of_type(self, *types: str) -> list["ResourceView"]:
        if self._by_type is None:
            by_type: dict[str, list["ResourceView"]] = {}
            for view in self.views:
                by_type.setdefault(view.type, []).append(view)
            self._by_type = by_type
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return [v for t in types for v in self._by_type.get(t, ())]

    def referenced(self, view: "ResourceView", prop: str, types: Optional[Iterable[str]] = None) -> list["ResourceView"]:
        """The resources `view`'s top-level property `prop` was computed from (of `types`, if given)."""
        wanted = set(types) if types is not None else None
        found = []
        for urn in view.property_dependencies.get(prop, ()):
            target = self.by_urn.get(urn)
            if target is not None and (wanted is None or target.type in wanted):
                found.append(target)
        return found

    def referencing(self, view: "ResourceView", types: Optional[Iterable[str]] = None,
                    props: Optional[Iterable[str]] = None) -> list["ResourceView"]:
        """The resources (of `types`) whose properties (`props`, if given) were computed from `view`."""
        if self._dependents is None:
            dependents: dict[str, list[tuple[str, "ResourceView"]]] = {}
            for other in self.views:
                for prop, urns in other.property_dependencies.items():
                    for urn in urns:
                        dependents.setdefault(urn, []).append((prop, other))
            self._dependents = dependents
        wanted_types = set(types) if types is not None else None
        wanted_props = set(props) if props is not None else None
        found: list["ResourceView"] = []
        for prop, other in self._dependents.get(view.urn, ()):
            if wanted_types is not None and other.type not in wanted_types:
                continue
            if wanted_props is not None and prop not in wanted_props:
                continue
            if not any(o is other for o in found):
                found.append(other)
        return found

    def named(self, value: Any, types: Iterable[str], keys: Sequence[str] = IDENTIFYING_KEYS) -> list["ResourceView"]:
        """The resources (of `types`) whose known output at one of `keys` equals `value`."""
        if not isinstance(value, str) or not value:
            return []
        key = (tuple(sorted(types)), tuple(keys))
        table = self._by_value.get(key)
        if table is None:
            table = {}
            for view in self.of_type(*key[0]):
                for name in keys:
                    known = view.known(name)
                    if isinstance(known, str) and known:
                        table.setdefault(known, []).append(view)
            self._by_value[key] = table
        return list(table.get(value, ()))

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """`build()` once per stack evaluation (joins several rules share)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]


def stack_index(views: Sequence["ResourceView"]) -> StackIndex:
    """The index the views share (built by `views_of_stack`), else a new one over `views`."""
    if views and views[0].stack is not None and len(views[0].stack.views) == len(views):
        return views[0].stack
    index = StackIndex(views)
    return index


def referenced_one(r: "ResourceView", prop: str, types: Sequence[str],
                   value_paths: Sequence[tuple[str, Sequence[str]]] = ()) -> Optional["ResourceView"]:
    """The one resource of `types` that `prop` references: by property dependency, else by a
    known value (`value_paths`: (path in r, the target's outputs it may equal))."""
    found = r.referenced(prop, types)
    if len(found) == 1:
        return found[0]
    for path, keys in value_paths:
        value = r.known(path)
        named = r.stack.named(value, types, keys) if r.stack is not None else []
        if len(named) == 1:
            return named[0]
    return None
