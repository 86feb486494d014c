"""What a plan changes against a baseline: resources created, deleted, updated (which inputs) or unchanged.

The baseline is a preview JSON document (`mlplat plan --format json`, `Plan.to_preview_json()` or
`pulumi preview --json`); the plan is compared through its own preview JSON, so secrets are masked
the same way on both sides. Resources are matched by URN: a renamed child or type token is a
deletion and a creation, which is what Pulumi would do.

    diff = diff_plans(json.load(open("baseline.json")), plan)
    diff.unchanged  # URNs whose inputs are equal
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Union

from .plan import Plan

__all__ = ["Change", "PlanDiff", "diff_plans", "resources_of"]

Operation = Literal["create", "delete", "update", "same"]
Baseline = Union[Mapping[str, Any], Plan]


@dataclass(frozen=True)
class Change:
    """One resource's fate: its URN, type, operation and, for an update, the inputs that differ."""

    urn: str
    type: str
    op: Operation
    keys: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urn": self.urn, "type": self.type, "op": self.op}
        if self.keys:
            out["keys"] = list(self.keys)
        return out


@dataclass(frozen=True)
class PlanDiff:
    changes: tuple[Change, ...] = field(default_factory=tuple)

    def of(self, op: Operation) -> list[Change]:
        return [c for c in self.changes if c.op == op]

    @property
    def unchanged(self) -> list[str]:
        return [c.urn for c in self.of("same")]

    def by_urn(self) -> dict[str, Change]:
        return {c.urn: c for c in self.changes}

    def summary(self) -> str:
        return (f"{len(self.of('create'))} to create, {len(self.of('delete'))} to delete, "
                f"{len(self.of('update'))} to update, {len(self.of('same'))} unchanged")

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary(), "changes": [c.to_json() for c in self.changes if c.op != "same"]}


def resources_of(source: Baseline) -> dict[str, tuple[str, dict[str, Any]]]:
    """{URN: (type, inputs)} of every resource of a preview JSON document (or of a Plan's)."""
    # A plan's secrets are masked as its JSON report masks them, so a baseline report compares equal.
    document = source.redactor().data(source.to_preview_json()) if isinstance(source, Plan) else source
    if not isinstance(document, Mapping) or not isinstance(document.get("steps"), list):
        raise ValueError("the baseline is not a preview JSON document (an object with a 'steps' list)")
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for step in document["steps"]:
        state = step.get("newState") if isinstance(step, Mapping) else None
        if not isinstance(state, Mapping):
            continue
        urn = str(state.get("urn") or step.get("urn"))
        found[urn] = (str(state.get("type", "")), dict(state.get("inputs") or {}))
    return found


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def diff_plans(baseline: Baseline, plan: Baseline) -> PlanDiff:
    """Every resource of the baseline and the plan (a Plan or its preview JSON), with what the plan does
    to it, sorted by URN."""
    before, after = resources_of(baseline), resources_of(plan)
    changes: list[Change] = []
    for urn in sorted(set(before) | set(after)):
        if urn not in after:
            changes.append(Change(urn, before[urn][0], "delete"))
        elif urn not in before:
            changes.append(Change(urn, after[urn][0], "create"))
        else:
            old, new = before[urn][1], after[urn][1]
            keys = tuple(sorted(k for k in set(old) | set(new) if _canonical(old.get(k)) != _canonical(new.get(k))))
            changes.append(Change(urn, after[urn][0], "update" if keys else "same", keys))
    return PlanDiff(tuple(changes))
