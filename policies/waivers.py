"""Waivers: reviewed exceptions to a rule, kept in the pack configuration (never in code).

A waiver names a rule (and optionally one finding of it, such as one wildcard action), selects
resources by URN glob, logical name or type, says why (at least ten characters), who owns it and
until when. A waived finding is reported as waived, never silently passed; an expired waiver is
ignored and reported; critical rules cannot be waived in prod (MLP-GOV-04 reports such waivers).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from typing import Any, Iterable, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["applicable_waiver", "MIN_REASON_LENGTH", "parse_waivers", "Waiver", "waiver_problems"]

MIN_REASON_LENGTH = 10


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(description="Rule id, e.g. MLP-S3-06.")
    finding: Optional[str] = Field(
        default=None, description="One finding of the rule (e.g. an action 's3:*'). Omitted: every finding."
    )
    urn: Optional[str] = Field(default=None, description="URN glob (fnmatch). Omitted: any URN.")
    name: Optional[str] = Field(default=None, description="Logical name glob. Omitted: any name.")
    type: Optional[str] = Field(default=None, description="Type token glob. Omitted: any type.")
    reason: str = Field(description=f"Why the exception is acceptable (at least {MIN_REASON_LENGTH} characters).")
    owner: str = Field(description="Who answers for it.")
    expires: dt.date = Field(description="Last day the waiver applies (YYYY-MM-DD).")

    def selects(self, urn: str, name: str, type_: str) -> bool:
        return (
            (self.urn is None or fnmatch.fnmatchcase(urn, self.urn))
            and (self.name is None or fnmatch.fnmatchcase(name, self.name))
            and (self.type is None or fnmatch.fnmatchcase(type_, self.type))
        )

    def covers(self, rule_id: str, finding: Optional[str], urn: str, name: str, type_: str) -> bool:
        if self.rule != rule_id:
            return False
        if self.finding is not None and self.finding != finding:
            return False
        return self.selects(urn, name, type_)

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def describe(self) -> str:
        scope = ", ".join(f"{k}={getattr(self, k)}" for k in ("finding", "urn", "name", "type") if getattr(self, k))
        return f"waiver of {self.rule}" + (f" ({scope})" if scope else "") + f" by {self.owner} until {self.expires}: {self.reason}"


def parse_waivers(raw: Any) -> tuple[list[Waiver], list[str]]:
    """Waivers from pack configuration, and a problem line for each entry that is malformed."""
    waivers: list[Waiver] = []
    problems: list[str] = []
    if raw in (None, []):
        return waivers, problems
    if not isinstance(raw, list):
        return waivers, [f"waivers: must be a list, got {type(raw).__name__}"]
    for index, entry in enumerate(raw):
        try:
            waivers.append(Waiver.model_validate(entry))
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
            problems.append(f"waivers[{index}]: {details}")
    return waivers, problems


def waiver_problems(
    waivers: Iterable[Waiver],
    *,
    known_rules: Mapping[str, str],
    environment: str,
    today: dt.date,
) -> list[str]:
    """Why each waiver cannot apply. `known_rules` maps rule id -> severity."""
    problems = []
    for waiver in waivers:
        label = waiver.describe()
        if waiver.rule not in known_rules:
            problems.append(f"{label}: names no known rule")
            continue
        if len(waiver.reason.strip()) < MIN_REASON_LENGTH:
            problems.append(f"{label}: reason is shorter than {MIN_REASON_LENGTH} characters")
        if not waiver.owner.strip():
            problems.append(f"{label}: has no owner")
        if waiver.expired(today):
            problems.append(f"{label}: expired on {waiver.expires} (ignored)")
        if environment in ("staging", "prod") and known_rules[waiver.rule] == "critical":
            problems.append(f"{label}: critical rules cannot be waived in {environment} (ignored)")
    return problems


def applicable_waiver(
    waivers: Iterable[Waiver],
    *,
    rule_id: str,
    severity: str,
    finding: Optional[str],
    urn: str,
    name: str,
    type_: str,
    environment: str,
    today: dt.date,
) -> Optional[Waiver]:
    """The waiver that covers this finding, if one applies (valid, unexpired, allowed here)."""
    if severity == "critical" and environment in ("staging", "prod"):
        return None
    for waiver in waivers:
        if (
            waiver.covers(rule_id, finding, urn, name, type_)
            and not waiver.expired(today)
            and len(waiver.reason.strip()) >= MIN_REASON_LENGTH
            and waiver.owner.strip()
        ):
            return waiver
    return None
