"""The cost estimate of a plan (and of a baseline plan's JSON), and how reports show it.

    cost = plan_cost(plan, load_price_table(), today=date.today(), baseline=json.load(open("base.json")))
    cost.lines_text(), cost.lines_markdown(), cost.to_json()
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, Optional

from mlplat.core.cost import CostDifference, CostEstimate, CostItem, CostResource, cost_difference, estimate_cost
from mlplat.core.prices import STALE_AFTER_DAYS, PriceTable

from .plan import Plan

ALLOW_UNPRICED_KEY = "allow_unpriced_instance_types"  # the stack-config key (mlplat.platform.config_pricing)

__all__ = ["PlanCost", "baseline_resources", "plan_allows_unpriced", "plan_cost", "plan_resources", "plan_region"]

_SHOWN = 8  # rows of the short table
_GROUPINGS = (("per model family", "family"), ("per team (owner tag)", "team"))


def _platform_config(plan: Plan) -> Mapping[str, Any]:
    raw = plan.config.get("ml-platform:platform")
    try:
        platform = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        platform = {}
    return platform if isinstance(platform, dict) else {}


def plan_region(plan: Plan) -> Optional[str]:
    """The stack's region: `aws:region`, else the platform config's `region`."""
    region = plan.config.get("aws:region")
    if isinstance(region, str) and region:
        return region
    value = _platform_config(plan).get("region")
    return value if isinstance(value, str) else None


def plan_allows_unpriced(plan: Plan) -> bool:
    """Whether the stack config opts in to instance types the price table does not price."""
    return _platform_config(plan).get(ALLOW_UNPRICED_KEY) is True


def plan_resources(plan: Plan) -> list[CostResource]:
    return [CostResource(r.urn, r.type, r.name, r.inputs, r.parent) for r in plan.resources]


def baseline_resources(document: Mapping[str, Any]) -> list[CostResource]:
    """The resources of a preview JSON document (`mlplat plan --format json`, `pulumi preview --json`)."""
    resources = []
    for step in document.get("steps") or []:
        state = step.get("newState") if isinstance(step, Mapping) else None
        if not isinstance(state, Mapping) or step.get("op") == "delete":
            continue
        urn = str(state.get("urn", ""))
        resources.append(CostResource(urn, str(state.get("type", "")), urn.rsplit("::", 1)[-1],
                                      state.get("inputs") or {}, state.get("parent")))
    return resources


@dataclass(frozen=True)
class PlanCost:
    estimate: CostEstimate
    table: PriceTable
    today: date
    difference: Optional[CostDifference] = None
    allows_unpriced: bool = False  # the stack config sets allow_unpriced_instance_types

    @property
    def stale(self) -> bool:
        return self.table.is_stale(self.today)

    def basis(self) -> str:
        return (f"on-demand list prices as of {self.table.published.isoformat()} ({self.estimate.region}, "
                f"{self.estimate.hours_per_month} h a month)")

    def warnings(self) -> list[str]:
        warnings = []
        if self.stale:
            warnings.append(f"the price table is {self.table.age_days(self.today)} days old (over {STALE_AFTER_DAYS}): "
                            f"refresh it with `mlplat prices refresh --region {self.estimate.region}`")
        if self.allows_unpriced:
            warnings.append(f"the stack config sets {ALLOW_UNPRICED_KEY}: instance types the price table does not "
                            f"price are accepted ({len(self.estimate.unpriced)} fixed items unpriced in this plan)")
        if self.estimate.unpriced:
            reasons = sorted({i.unpriced for i in self.estimate.unpriced})
            shown = "; ".join(reasons[:4]) + (f"; and {len(reasons) - 4} more" if len(reasons) > 4 else "")
            warnings.append(f"{len(self.estimate.unpriced)} fixed items have no price in the table and are not counted "
                            f"({shown}): price them with `mlplat prices refresh --region {self.estimate.region}` and "
                            "`mlplat plan --prices FILE`")
        return warnings

    def headline(self) -> str:
        e = self.estimate
        text = f"${e.fixed_monthly_usd:,.0f}/month fixed"
        if e.up_to_monthly_usd > e.fixed_monthly_usd + 0.005:
            text += f", up to ${e.up_to_monthly_usd:,.0f}/month at maximum scale"
        return text

    def to_json(self) -> dict[str, Any]:
        document = self.estimate.to_json()
        document["warnings"] = self.warnings()
        if self.difference is not None:
            document["baseline"] = self.difference.to_json()
        return document

    def _largest_fixed(self) -> list[CostItem]:
        return sorted(self.estimate.fixed, key=lambda i: -(i.monthly_usd or 0.0))[:_SHOWN]

    def _totals(self, key: str) -> dict[str, float]:
        """Non-zero totals per model family or team; "-" (resources without the tag) left out."""
        return {k: v for k, v in self.estimate.by(key).items() if k != "-" and v}

    def lines_text(self) -> list[str]:
        e = self.estimate
        lines = ["", f"Cost estimate: {self.headline()}", f"  {self.basis()}"]
        if self.difference is not None:
            lines.append(f"  against the baseline: {self.difference.headline()}")
        lines += [f"  warning: {w}" for w in self.warnings()]
        lines.append("  largest fixed items:")
        for item in self._largest_fixed():
            amount = f"${item.monthly_usd:>10,.2f}" if item.monthly_usd is not None else "  unpriced "
            lines.append(f"    {amount}  {item.resource}: {item.description}")
        lines.append("  per component:")
        lines += [f"    ${usd:>10,.2f}  {name}" for name, usd in self.estimate.by("component").items() if usd]
        for label, key in _GROUPINGS:
            if totals := self._totals(key):
                lines.append(f"  {label}: " + ", ".join(f"{k} ${v:,.0f}" for k, v in totals.items()))
        if e.usage:
            lines.append(f"  usage-based, not in the total: {len(e.usage)} items (storage, data processed, job hours)")
        return lines

    def lines_markdown(self) -> list[str]:
        e = self.estimate
        lines = ["", f"#### Cost: {self.headline()}", "", f"{self.basis()}."]
        lines += [f"> **Warning**: {w}" for w in self.warnings()]
        lines += ["", "| monthly | resource | what |", "| ---: | --- | --- |"]
        for item in self._largest_fixed():
            amount = f"${item.monthly_usd:,.2f}" if item.monthly_usd is not None else "unpriced"
            lines.append(f"| {amount} | `{item.resource}` | {item.description} |")
        lines += ["", "<details><summary>Per component, family and team; usage-based items</summary>", ""]
        lines += [f"- {name}: ${usd:,.2f}" for name, usd in self.estimate.by("component").items() if usd]
        for label, key in _GROUPINGS:
            if totals := self._totals(key):
                lines.append(f"- {label}: " + ", ".join(f"{k} ${v:,.2f}" for k, v in totals.items()))
        if e.usage:
            lines += ["", "Usage-based (not in the total):", ""]
            for item in e.usage:
                rate = f"${item.rate.usd:g}/{item.unit}" if item.rate else "rate not in the table"
                lines.append(f"- `{item.resource}` {item.description}: {rate}; needs {item.assumption}")
        lines += ["", "</details>"]
        return lines

    def lead_markdown(self) -> list[str]:
        """The line a pull request comment starts with: the difference against the baseline."""
        if self.difference is None:
            return []
        return [f"**Cost: {self.difference.headline()}** (fixed monthly estimate, {self.basis()})", ""]


def plan_cost(plan: Plan, table: PriceTable, today: date, baseline: Optional[Mapping[str, Any]] = None) -> Optional[PlanCost]:
    """The plan's estimate (None without a region) and, with a baseline, the difference (same prices, same region)."""
    region = plan_region(plan)
    if region is None:
        return None
    estimate = estimate_cost(plan_resources(plan), table, region)
    difference = None
    if baseline is not None:
        difference = cost_difference(estimate_cost(baseline_resources(baseline), table, region), estimate)
    return PlanCost(estimate, table, today, difference, plan_allows_unpriced(plan))
