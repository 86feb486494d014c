"""Feature group schema safety: which changes to feature definitions replace a group.

A SageMaker feature group accepts new features in place (UpdateFeatureGroup's FeatureAdditions),
but removing a feature, changing its type, collection or vector dimension, or changing the
record identifier or event time feature replaces the group: its online store is recreated empty
and a new offline table starts. Deleting a group from the program deletes it.

`feature_group_changes(baseline, plan)` compares the groups of a baseline (a preview JSON
document as `Plan.to_preview_json()` or `pulumi preview --json` write it, or a Plan) with a plan,
by URN. `replacement_findings(baseline, plan, environment)` turns replacements and deletions into
findings: warnings in dev, errors in staging and prod (staging carries prod's safety). Added
features are supported evolution and produce no finding.

    findings = replacement_findings(json.load(open("baseline.json")), plan, "prod")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping, Optional, Union

from mlplat.core.vocabulary import ENVIRONMENTS

from .plan import Plan, is_unknown

__all__ = [
    "Baseline",
    "BLOCKING_ENVIRONMENTS",
    "compare_group",
    "feature_group_changes",
    "FEATURE_GROUP_TYPE",
    "feature_type",
    "FeatureGroupChanges",
    "Finding",
    "groups_of",
    "KEY_FIELDS",
    "replacement_findings",
    "Severity",
]

FEATURE_GROUP_TYPE = "aws:sagemaker/featureGroup:FeatureGroup"
BLOCKING_ENVIRONMENTS: tuple[str, ...] = ("staging", "prod")
KEY_FIELDS: tuple[tuple[str, str], ...] = (
    ("recordIdentifierFeatureName", "record identifier"),
    ("eventTimeFeatureName", "event time feature"),
    ("featureGroupName", "feature group name"),
)

Severity = Literal["warning", "error"]
Baseline = Union[Mapping[str, Any], Plan]


@dataclass(frozen=True)
class Finding:
    """One change a reviewer must see: `error` blocks the plan, `warning` informs."""

    severity: Severity
    urn: str
    message: str

    def render(self) -> str:
        return f"{self.severity}: {self.urn}: {self.message}"

    def to_json(self) -> dict[str, str]:
        return {"severity": self.severity, "urn": self.urn, "message": self.message}


@dataclass(frozen=True)
class FeatureGroupChanges:
    """How one feature group's definitions differ between the baseline and the plan."""

    urn: str
    removed: tuple[str, ...] = ()
    retyped: tuple[tuple[str, str, str], ...] = ()  # (feature, before, after)
    added: tuple[str, ...] = ()
    keys_changed: tuple[tuple[str, str, str], ...] = ()  # (what, before, after)
    deleted: bool = False

    @property
    def replaces(self) -> bool:
        """True when the change replaces the group (removed or retyped features, changed keys)."""
        return bool(self.removed or self.retyped or self.keys_changed)

    @property
    def destructive(self) -> bool:
        return self.replaces or self.deleted


def feature_type(definition: Mapping[str, Any]) -> str:
    """A feature's full type as one string: `String`, `List<Integral>`, `Vector<Fractional>[128]`."""
    base = str(definition.get("featureType"))
    collection = definition.get("collectionType")
    if not collection:
        return base
    text = f"{collection}<{base}>"
    dimension = (((definition.get("collectionConfig") or {}).get("vectorConfig")) or {}).get("dimension")
    return f"{text}[{dimension}]" if dimension is not None else text


def _definitions(inputs: Mapping[str, Any]) -> Optional[dict[str, str]]:
    raw = inputs.get("featureDefinitions")
    if not isinstance(raw, list) or is_unknown(raw):
        return None
    out: dict[str, str] = {}
    for item in raw:
        if isinstance(item, Mapping) and isinstance(item.get("featureName"), str):
            out[item["featureName"]] = feature_type(item)
    return out


def groups_of(source: Baseline) -> dict[str, dict[str, Any]]:
    """{URN: inputs} of every feature group in a Plan or a preview JSON document."""
    if isinstance(source, Plan):
        return {r.urn: r.inputs for r in source.of_type(FEATURE_GROUP_TYPE)}
    if not isinstance(source, Mapping) or not isinstance(source.get("steps"), list):
        raise ValueError("the baseline is not a preview JSON document (an object with a 'steps' list)")
    groups: dict[str, dict[str, Any]] = {}
    for step in source["steps"]:
        state = step.get("newState") if isinstance(step, Mapping) else None
        if isinstance(state, Mapping) and state.get("type") == FEATURE_GROUP_TYPE:
            groups[str(state.get("urn") or step.get("urn"))] = dict(state.get("inputs") or {})
    return groups


def compare_group(urn: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> FeatureGroupChanges:
    """The changes between two sets of a group's inputs (pure)."""
    old, new = _definitions(before), _definitions(after)
    removed: tuple[str, ...] = ()
    retyped: tuple[tuple[str, str, str], ...] = ()
    added: tuple[str, ...] = ()
    if old is not None and new is not None:
        removed = tuple(name for name in old if name not in new)
        retyped = tuple((name, old[name], new[name]) for name in old if name in new and old[name] != new[name])
        added = tuple(name for name in new if name not in old)
    keys = []
    for field, label in KEY_FIELDS:
        a, b = before.get(field), after.get(field)
        if a is not None and b is not None and not is_unknown(a) and not is_unknown(b) and a != b:
            keys.append((label, str(a), str(b)))
    return FeatureGroupChanges(urn=urn, removed=removed, retyped=retyped, added=added, keys_changed=tuple(keys))


def feature_group_changes(baseline: Baseline, plan: Plan) -> list[FeatureGroupChanges]:
    """Every feature group whose definitions changed since `baseline`, sorted by URN.

    Groups only in the plan are new (no change to report); groups only in the baseline are
    reported with `deleted=True`.
    """
    before = groups_of(baseline)
    after = groups_of(plan)
    changes: list[FeatureGroupChanges] = []
    for urn in sorted(set(before) | set(after)):
        if urn not in after:
            changes.append(FeatureGroupChanges(urn=urn, deleted=True))
        elif urn in before:
            change = compare_group(urn, before[urn], after[urn])
            if change.removed or change.retyped or change.added or change.keys_changed:
                changes.append(change)
    return changes


def _messages(change: FeatureGroupChanges) -> Iterable[str]:
    if change.deleted:
        yield "the feature group would be deleted (its online records are lost; offline data stays in S3)"
        return
    reasons = []
    if change.removed:
        reasons.append(f"removes feature(s) {', '.join(change.removed)}")
    for name, old, new in change.retyped:
        reasons.append(f"changes feature {name} from {old} to {new}")
    for label, old, new in change.keys_changed:
        reasons.append(f"changes the {label} from {old} to {new}")
    if reasons:
        yield (
            "the feature group would be replaced (" + "; ".join(reasons) + "): its online store is recreated "
            "empty and a new offline table starts; add features instead, or create a new group and migrate"
        )


def replacement_findings(baseline: Mapping[str, Any], plan: Plan, environment: str) -> list[Finding]:
    """Findings for feature groups the plan would replace or delete, compared with `baseline`.

    `baseline` is a preview JSON document (`Plan.to_preview_json()` or `pulumi preview --json`).
    Replacements and deletions are errors in staging and prod, warnings in dev; added features
    produce no finding.
    """
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    severity: Severity = "error" if environment in BLOCKING_ENVIRONMENTS else "warning"
    findings = []
    for change in feature_group_changes(baseline, plan):
        for message in _messages(change):
            findings.append(Finding(severity, change.urn, message))
    return findings
