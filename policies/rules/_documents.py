"""Reading IAM-style policy documents (IAM, bucket, key, repository and trust policies)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: Any  # "*" or {"AWS": ..., "Service": ..., "Federated": ...}
    conditions: Mapping[str, Mapping[str, Any]]
    sid: str = ""
    index: int = 0

    @property
    def label(self) -> str:
        return self.sid or f"#{self.index + 1}"

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def principal_values(self, kind: Optional[str] = None) -> list[str]:
        if self.principals == "*":
            return ["*"] if kind in (None, "AWS") else []
        if not isinstance(self.principals, Mapping):
            return []
        values: list[str] = []
        for key, value in self.principals.items():
            if kind is not None and key != kind:
                continue
            values.extend(_as_list(value))
        return values

    @property
    def has_star_principal(self) -> bool:
        return "*" in self.principal_values(None if self.principals == "*" else "AWS") or self.principals == "*"

    def condition_value(self, key: str) -> list[Any]:
        """Values of a condition key under any operator (keys compare case-insensitively)."""
        found: list[Any] = []
        for block in self.conditions.values():
            if not isinstance(block, Mapping):
                continue
            for k, v in block.items():
                if k.lower() == key.lower():
                    found.extend(_as_list(v))
        return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def _raw_statements(document: Any) -> list[Any]:
    """The `Statement` entries as written: a single object as a list of one; malformed: none."""
    raw = document.get("Statement", []) if isinstance(document, Mapping) else []
    if isinstance(raw, Mapping):
        return [raw]
    return list(raw) if isinstance(raw, Sequence) and not isinstance(raw, str) else []


def not_principal_allow_labels(document: Any) -> list[str]:
    """Labels (Sid, else `#<position>`) of the Allow statements that use NotPrincipal."""
    return [
        item.get("Sid") or f"#{index + 1}"
        for index, item in enumerate(_raw_statements(document))
        if isinstance(item, Mapping) and item.get("Effect") == "Allow" and "NotPrincipal" in item
    ]


def statements(document: Any) -> list[Statement]:
    """The statements of a parsed policy document (tolerates a single statement object)."""
    out = []
    for s in _raw_statements(document):
        if not isinstance(s, Mapping):
            continue
        out.append(
            Statement(
                effect=str(s.get("Effect", "")),
                actions=tuple(str(a) for a in _as_list(s.get("Action"))),
                not_actions=tuple(str(a) for a in _as_list(s.get("NotAction"))),
                resources=tuple(str(r) for r in _as_list(s.get("Resource"))),
                principals=s.get("Principal"),
                conditions=s.get("Condition") or {},
                sid=str(s.get("Sid", "")),
                index=len(out),
            )
        )
    return out


def allow_statements(document: Any) -> Iterable[Statement]:
    return (s for s in statements(document) if s.allows)


# Condition keys that restrict a "*" principal to something specific.
RESTRICTING_CONDITION_KEYS = (
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:PrincipalAccount", "aws:PrincipalOrgID",
    "aws:PrincipalArn", "aws:SourceVpc", "aws:SourceVpce", "kms:CallerAccount", "aws:ResourceAccount",
)


def is_unconditioned_public_allow(statement: Statement) -> bool:
    """An Allow to principal "*" without a condition that narrows who can use it."""
    if not statement.allows or not statement.has_star_principal:
        return False
    return not any(statement.condition_value(key) for key in RESTRICTING_CONDITION_KEYS)
