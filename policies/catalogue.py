"""The governance catalogue: every rule the pack has or plans, by domain.

Implemented rules are described by their own metadata (name, severity, description, remediation,
frameworks, levels, typed config: `rules._framework.Rule`); `catalogue.yaml` beside this module adds
what the rules do not carry: the domain sections, each rule's tier (P0, P1), the target it is held
to (scope, levels, the "seen in" ids of other packs) and the rules planned but not yet written.
`render_markdown` writes docs/GOVERNANCE.md and `render_json` the same as data (`mlplat rules`).

Every registered rule must have an entry: a rule missing from the catalogue, or an entry listed
twice, is a ConfigError rather than a document that silently leaves it out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, Optional

import yaml
from pydantic import Field, ValidationError

from mlplat.core.errors import ConfigError, Problem
from mlplat.core.models import StrictModel, problems_from_validation

from .rules import registered_rules
from .rules._framework import Level, Rule

CATALOGUE_RESOURCE = "catalogue.yaml"
GENERATED_BY = "mlplat rules --format markdown --out docs/GOVERNANCE.md"
Tier = Literal["P0", "P1"]


class TargetLevels(StrictModel):
    """Enforcement levels a rule is held to; staging carries prod's."""

    dev: Level
    prod: Level


class CatalogueEntry(StrictModel):
    """One rule of the catalogue: the target an implemented rule must meet, or a planned rule."""

    id: str = Field(pattern=r"^MLP-[A-Z0-9]+-\d{2}$")
    tier: Tier
    scope: Literal["resource", "stack"]
    levels: TargetLevels
    seen_in: tuple[str, ...] = ()
    checks: Optional[str] = Field(default=None, description="What a planned rule will check (implemented rules: their description).")


class CatalogueSection(StrictModel):
    title: str
    rules: tuple[CatalogueEntry, ...]


class CatalogueFile(StrictModel):
    introduction: str
    sections: tuple[CatalogueSection, ...]


@dataclass(frozen=True)
class CatalogueRule:
    """A catalogue entry with its registered rule (None while it is planned)."""

    entry: CatalogueEntry
    section: str
    rule: Optional[Rule]

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def status(self) -> str:
        return "implemented" if self.rule is not None else "planned"

    @property
    def levels(self) -> dict[str, str]:
        """dev, staging, prod: the rule's own levels once implemented, else the catalogue's target."""
        if self.rule is not None:
            return {env: self.rule.level(env) for env in ("dev", "staging", "prod")}
        target = self.entry.levels
        return {"dev": target.dev, "staging": target.prod, "prod": target.prod}


@dataclass(frozen=True)
class Catalogue:
    introduction: str
    sections: tuple[tuple[str, tuple[CatalogueRule, ...]], ...]

    @property
    def rules(self) -> list[CatalogueRule]:
        return [rule for _, rules in self.sections for rule in rules]


def read_catalogue_file(text: Optional[str] = None) -> CatalogueFile:
    """The catalogue data (`catalogue.yaml` shipped with the pack, or `text`), validated."""
    source = f"mlplat/policies/{CATALOGUE_RESOURCE}"
    if text is None:
        text = resources.files(__package__).joinpath(CATALOGUE_RESOURCE).read_text(encoding="utf-8")
    try:
        return CatalogueFile.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, CatalogueFile, "catalogue"), source) from None


def load_catalogue(data: Optional[CatalogueFile] = None, rules: Optional[list[Rule]] = None) -> Catalogue:
    """The catalogue data joined with the registered rules."""
    data = data if data is not None else read_catalogue_file()
    by_id = {rule.id: rule for rule in (rules if rules is not None else registered_rules())}
    problems: list[Problem] = []
    seen: set[str] = set()
    sections = []
    for number, section in enumerate(data.sections):
        members = []
        for index, entry in enumerate(section.rules):
            if entry.id in seen:
                problems.append(Problem(f"catalogue.sections.{number}.rules.{index}.id", "is listed twice", value=entry.id))
            seen.add(entry.id)
            members.append(CatalogueRule(entry, section.title, by_id.get(entry.id)))
        sections.append((section.title, tuple(members)))
    for rule_id in sorted(set(by_id) - seen):
        problems.append(Problem("catalogue.sections", "is a registered rule without a catalogue entry (add it to a section)",
                                value=rule_id))
    if problems:
        raise ConfigError(problems, f"mlplat/policies/{CATALOGUE_RESOURCE}")
    return Catalogue(data.introduction, tuple(sections))


# --- rendering -------------------------------------------------------------------------------


def _config_defaults(rule: Rule) -> list[tuple[str, Any, str]]:
    defaults = rule.config().model_dump(mode="json")
    return [(name, defaults[name], field.description or "") for name, field in rule.config.model_fields.items()]


def _to_json(item: CatalogueRule) -> dict[str, Any]:
    rule = item.rule
    return {
        "id": item.id,
        "name": rule.name if rule else None,
        "section": item.section,
        "tier": item.entry.tier,
        "status": item.status,
        "scope": rule.scope if rule else item.entry.scope,
        "severity": rule.severity if rule else None,
        "description": rule.description if rule else item.entry.checks,
        "remediation": list(rule.remediation) if rule else [],
        "frameworks": list(rule.frameworks) if rule else list(item.entry.seen_in),
        "levels": item.levels,
        "config": {name: {"default": default, "description": text} for name, default, text in _config_defaults(rule)}
        if rule else {},
    }


def render_json(catalogue: Catalogue) -> str:
    return json.dumps({"rules": [_to_json(item) for item in catalogue.rules]}, indent=2) + "\n"


def _seen_in(item: CatalogueRule) -> str:
    frameworks = item.rule.frameworks if item.rule else item.entry.seen_in
    ids = [f for f in frameworks if not f.startswith("NIST-")]
    return ", ".join(ids) or "—"


def _summary_row(item: CatalogueRule) -> str:
    rule, levels = item.rule, item.levels
    name = f"`{rule.name}`" if rule else "(planned)"
    severity = rule.severity if rule else "—"
    scope = rule.scope if rule else item.entry.scope
    return f"| {item.id} | {name} | {scope} | {severity} | {levels['dev']} | {levels['prod']} | {_seen_in(item)} | {item.entry.tier} |"


def _details(item: CatalogueRule) -> list[str]:
    rule, levels = item.rule, item.levels
    if rule is None:
        return [
            f"### {item.id} (planned, {item.entry.tier})", "",
            item.entry.checks or "(not described yet)", "",
            f"- scope: {item.entry.scope}; levels: dev {levels['dev']}, staging and prod {levels['prod']}",
            f"- seen in: {_seen_in(item)}", "",
        ]
    lines = [
        f"### {item.id} `{rule.name}`", "",
        rule.description, "",
        f"- severity: {rule.severity}; scope: {rule.scope}; tier: {item.entry.tier}",
        f"- levels: dev {levels['dev']}, staging {levels['staging']}, prod {levels['prod']}",
        f"- frameworks: {', '.join(rule.frameworks) or '—'}",
        "- remediation:",
        *(f"  {number}. {step}" for number, step in enumerate(rule.remediation, 1)),
    ]
    config = _config_defaults(rule)
    if config:
        lines.append(f"- configuration (the pack's `settings.yaml`, per environment, key `{item.id}`):")
        lines += [f"  - `{name}` (default `{json.dumps(default)}`)" + (f": {text}" if text else "") for name, default, text in config]
    return [*lines, ""]


def render_markdown(catalogue: Catalogue) -> str:
    implemented = sum(1 for item in catalogue.rules if item.rule is not None)
    planned = len(catalogue.rules) - implemented
    lines = [
        "# mlplat governance catalogue", "",
        f"<!-- Generated by `{GENERATED_BY}` (`make docs`) from the rules' metadata and "
        f"policies/{CATALOGUE_RESOURCE}. Do not edit: a test fails when this file is stale. -->", "",
        catalogue.introduction.strip(), "",
        f"{implemented} rules implemented, {planned} planned.", "",
    ]
    for title, items in catalogue.sections:
        lines += [
            f"## {title}", "",
            "| id | policy | scope | severity | dev | staging, prod | seen in | tier |",
            "|---|---|---|---|---|---|---|---|",
            *(_summary_row(item) for item in items), "",
        ]
        for item in items:
            lines += _details(item)
    return "\n".join(lines).rstrip("\n") + "\n"


RENDERERS = {"markdown": render_markdown, "json": render_json}

__all__ = [
    "Catalogue", "CatalogueEntry", "CatalogueFile", "CatalogueRule", "CatalogueSection", "GENERATED_BY", "RENDERERS",
    "TargetLevels", "load_catalogue", "read_catalogue_file", "render_json", "render_markdown",
]
