"""Cost (MLP-COST-01): the fixed monthly estimate stays under the environment's budget, and each team's.

The budgets are the stack's `aws:budgets/budget:Budget` resources (the stack config's `budget_usd_per_month` and
`team_budgets_usd_per_month` declare them), so the rule reads them in `mlplat plan` and in the engine alike. The
estimate is mlplat.core.cost over the same resources with the vendored price table: fixed costs only (instances
x count x 730 h, control planes, endpoints, keys, alarms; capacity reservations at full price, idle or not).
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Optional, Sequence

import pulumi
from pydantic import Field

from mlplat.core.cost import CostEstimate, CostResource, estimate_cost, top_contributors
from mlplat.core.prices import load_price_table
from mlplat.core.vocabulary import CONFIG_KEY, CONFIG_NAMESPACE, LAYER_ALL, layer_of_stack

from ._framework import Finding, ResourceView, RuleConfig, RuleContext, stack_rule

__all__ = ["BUDGET_TEAM_TAG", "BUDGET_TYPE", "BudgetConfig", "budget_respected", "stack_layer", "stack_region"]

BUDGET_TYPE = "aws:budgets/budget:Budget"
BUDGET_TEAM_TAG = "mlplat:budget-team"  # mlplat.platform.budget tags a team's budget with the team
_REGION_IN_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):")
_REGION_IN_SERVICE = re.compile(r"^com\.amazonaws\.([a-z]{2}(?:-[a-z]+)+-\d)\.")


class BudgetConfig(RuleConfig):
    region: Optional[str] = Field(
        default=None,
        description="Region of the prices. Omitted: the stack's aws:region, else the region its resources name.",
    )
    contributors: int = Field(default=3, ge=1, le=10, description="Largest items named in a finding.")


@stack_rule(
    id="MLP-COST-01", name="mlplat-cost-within-budget", severity="medium",
    description="The stack declares a monthly budget, and its fixed monthly cost estimate (on-demand list prices, "
                "730 hours; capacity reservations at full price) is within it, and within each team's budget",
    remediation=(
        "Set budget_usd_per_month in the stack config (it declares an AWS Budget alerting the alarm topic), or reduce "
        "the largest items the finding names (instance types, counts, node group sizes); waive with a reason if the "
        "budget is raised elsewhere.",
    ),
    frameworks=("NIST-800-53:SA-2",), levels=("advisory", "mandatory"), config=BudgetConfig,
)
def budget_respected(views: list[ResourceView], cfg: BudgetConfig, ctx: RuleContext) -> Iterable[Finding]:
    budgets = [v for v in views if v.type == BUDGET_TYPE]
    environment_budgets = [b for b in budgets if _team_of(b) is None]
    if not environment_budgets and stack_layer() in (LAYER_ALL, "foundation"):
        # A layer stack other than the foundation has no budget of its own to declare: the environment's
        # budget is the foundation's, compared with the sum over the layers by `mlplat plan --env`.
        yield Finding("the stack declares no monthly budget (set budget_usd_per_month in the stack config)")
    region = cfg.region or stack_region(views)
    if region is None:
        yield Finding("the stack's region is unknown (set aws:region, or the rule's region setting): no estimate")
        return
    estimate = estimate_cost([CostResource(v.urn, v.type, v.name, _plain(v.props), v.parent) for v in views],
                             load_price_table(), region)
    for budget in environment_budgets:
        limit = _limit(budget)
        if limit is not None and estimate.fixed_monthly_usd > limit:
            yield Finding(f"the fixed monthly estimate ${estimate.fixed_monthly_usd:,.2f} exceeds the budget "
                          f"${limit:,.2f} ({_basis(estimate)}); largest: {_largest(estimate, cfg.contributors)}"
                          f"{_unpriced(estimate)}", urn=budget.urn)
    for budget in budgets:
        team = _team_of(budget)
        limit = _limit(budget)
        if team is None or limit is None:
            continue
        share = estimate.by("team").get(team, 0.0)
        if share > limit:
            mine = CostEstimate(estimate.region, estimate.currency, estimate.price_date,
                                tuple(i for i in estimate.items if i.team == team), estimate.hours_per_month)
            yield Finding(f"team {team}'s fixed monthly estimate ${share:,.2f} exceeds its budget ${limit:,.2f} "
                          f"({_basis(estimate)}); largest: {_largest(mine, cfg.contributors)}", urn=budget.urn)


def stack_layer() -> str:
    """The stack's layer: its platform config's `layer`, else what its name tells (`<env>-<layer>`), else all."""
    raw = pulumi.runtime.get_config(f"{CONFIG_NAMESPACE}:{CONFIG_KEY}")
    if isinstance(raw, str):
        try:
            layer = json.loads(raw).get("layer")
        except (ValueError, AttributeError):
            layer = None
        if isinstance(layer, str):
            return layer
    try:
        named = layer_of_stack(pulumi.get_stack())
    except Exception:  # noqa: BLE001 - the engine did not say which stack this is
        named = None
    return named[1] if named is not None else LAYER_ALL


def stack_region(views: list[ResourceView]) -> Optional[str]:
    """aws:region, else the region an AWS provider, an ARN or a VPC endpoint's service name of the stack names."""
    try:
        configured = pulumi.runtime.get_config("aws:region")
    except Exception:  # noqa: BLE001 - outside a Pulumi run there is no config
        configured = None
    if isinstance(configured, str) and configured:
        return configured
    for view in views:
        if view.type == "pulumi:providers:aws" and isinstance(view.props.get("region"), str):
            return str(view.props["region"])
    for view in views:
        service = view.props.get("serviceName")
        if isinstance(service, str) and (match := _REGION_IN_SERVICE.match(service)):
            return match.group(1)
        for value in view.props.values():
            if isinstance(value, str) and (match := _REGION_IN_ARN.match(value)):
                return match.group(1)
    return None


def _plain(value: Any) -> Any:
    """Plain dicts and lists from the engine's property proxies (the estimate reads inputs as JSON data)."""
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): _plain(value[k]) for k in value}  # as items() reads them, without its view
    if isinstance(value, Sequence):
        return [_plain(value[i]) for i in range(len(value))]  # as iter() reads them, without its IndexError
    if hasattr(value, "__iter__"):
        return [_plain(v) for v in value]
    return value


def _limit(budget: ResourceView) -> Optional[float]:
    if budget.props.get("limitUnit", "USD") != "USD" or budget.props.get("timeUnit", "MONTHLY") != "MONTHLY":
        return None
    try:
        return float(budget.props.get("limitAmount"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _team_of(budget: ResourceView) -> Optional[str]:
    """The team of a team's budget (its `mlplat:budget-team` tag); None for the environment's budget."""
    team = budget.tags.get(BUDGET_TEAM_TAG)
    return team if isinstance(team, str) and team else None


def _basis(estimate: CostEstimate) -> str:
    return f"on-demand list prices as of {estimate.price_date.isoformat()}, {estimate.region}"


def _largest(estimate: CostEstimate, count: int) -> str:
    items = top_contributors(estimate, count)
    return "; ".join(f"{i.resource} {i.description} ${i.monthly_usd:,.2f}" for i in items) or "nothing priced"


def _unpriced(estimate: CostEstimate) -> str:
    missing = estimate.unpriced
    return f" ({len(missing)} items without a price are not counted)" if missing else ""
