"""MLP-COST-01 across the layer stacks of an environment (`mlplat plan --env`).

Each layer's plan estimates its own fixed monthly cost (`costEstimate` of its JSON report). The
environment's budgets are declared once, by the foundation layer (AWS Budgets on the project tag and
on each team's `owner` tag, so they count every layer's costs): here the sum of the layers' estimates is
compared with the environment's budget, the sum of each team's shares with that team's budget, and a
layer's estimate with its own budget when its stack file sets `layers.budget_usd_per_month` (a limit
for the plan only: AWS cannot attribute costs to a stack).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

__all__ = ["BUDGET_TEAM_TAG", "BUDGET_TYPE", "BudgetFinding", "EnvironmentCost", "LayerCost", "declared_budgets",
           "environment_cost", "layer_cost"]

BUDGET_TYPE = "aws:budgets/budget:Budget"
BUDGET_TEAM_TAG = "mlplat:budget-team"  # as mlplat.platform.budget tags a team's budget


@dataclass(frozen=True)
class LayerCost:
    """One layer's fixed monthly estimate (None: the plan made none), its teams' shares and its budgets."""

    stack: str
    fixed_monthly_usd: Optional[float]
    up_to_monthly_usd: Optional[float] = None
    by_team: Mapping[str, float] = field(default_factory=dict)
    budget_usd: Optional[float] = None  # the layer's own (layers.budget_usd_per_month)
    environment_budget_usd: Optional[float] = None  # declared by this layer (the foundation)
    team_budgets_usd: Mapping[str, float] = field(default_factory=dict)  # declared by this layer


@dataclass(frozen=True)
class BudgetFinding:
    message: str


@dataclass
class EnvironmentCost:
    layers: list[LayerCost]
    findings: list[BudgetFinding]

    @property
    def fixed_monthly_usd(self) -> float:
        return round(sum(c.fixed_monthly_usd or 0.0 for c in self.layers), 2)

    @property
    def up_to_monthly_usd(self) -> float:
        return round(sum(c.up_to_monthly_usd or c.fixed_monthly_usd or 0.0 for c in self.layers), 2)

    @property
    def environment_budget_usd(self) -> Optional[float]:
        budgets = [c.environment_budget_usd for c in self.layers if c.environment_budget_usd is not None]
        return sum(budgets) if budgets else None

    @property
    def by_team(self) -> dict[str, float]:
        teams: dict[str, float] = {}
        for cost in self.layers:
            for team, usd in cost.by_team.items():
                teams[team] = round(teams.get(team, 0.0) + usd, 2)
        return teams


def declared_budgets(steps: Sequence[Mapping[str, Any]]) -> tuple[Optional[float], dict[str, float]]:
    """The environment budget and the team budgets (USD a month) among a plan's steps."""
    environment: Optional[float] = None
    teams: dict[str, float] = {}
    for step in steps:
        state = step.get("newState") or {}
        if state.get("type") != BUDGET_TYPE:
            continue
        inputs = state.get("inputs") or {}
        if inputs.get("limitUnit", "USD") != "USD" or inputs.get("timeUnit", "MONTHLY") != "MONTHLY":
            continue
        try:
            limit = float(inputs.get("limitAmount"))
        except (TypeError, ValueError):
            continue
        team = (inputs.get("tags") or {}).get(BUDGET_TEAM_TAG)
        if isinstance(team, str) and team:
            teams[team] = teams.get(team, 0.0) + limit
        else:
            environment = (environment or 0.0) + limit
    return environment, teams


def layer_cost(stack: str, report: Mapping[str, Any], budget_usd: Optional[float] = None) -> LayerCost:
    """A layer's cost from its `mlplat plan --format json` report."""
    estimate = report.get("costEstimate") or {}
    environment, teams = declared_budgets(report.get("steps") or [])
    fixed = estimate.get("monthlyFixedUsd")
    return LayerCost(
        stack,
        float(fixed) if isinstance(fixed, (int, float)) else None,
        float(estimate["upToMonthlyUsd"]) if isinstance(estimate.get("upToMonthlyUsd"), (int, float)) else None,
        {str(k): float(v) for k, v in (estimate.get("perTeam") or {}).items() if k != "-" and isinstance(v, (int, float))},
        budget_usd, environment, teams,
    )


def environment_cost(layers: Sequence[LayerCost], environment: str) -> EnvironmentCost:
    """The layers' costs against the environment's, each team's and each layer's budget."""
    result = EnvironmentCost(list(layers), [])
    total = result.fixed_monthly_usd
    declaring = [c.stack for c in layers if c.environment_budget_usd is not None]
    limit = result.environment_budget_usd
    if limit is not None and total > limit:
        result.findings.append(BudgetFinding(
            f"environment {environment}: the layers' fixed monthly estimate ${total:,.2f} exceeds the environment's "
            f"budget ${limit:,.2f} ({', '.join(declaring)}); largest: {_largest(layers)}"))
    team_budgets: dict[str, float] = {}
    for cost in layers:
        for team, usd in cost.team_budgets_usd.items():
            team_budgets[team] = team_budgets.get(team, 0.0) + usd
    shares = result.by_team
    for team, team_limit in sorted(team_budgets.items()):
        share = shares.get(team, 0.0)
        if share > team_limit:
            where = ", ".join(f"{c.stack} ${c.by_team[team]:,.2f}" for c in layers if c.by_team.get(team))
            result.findings.append(BudgetFinding(
                f"team {team}: the layers' fixed monthly estimate ${share:,.2f} exceeds its budget ${team_limit:,.2f} "
                f"({where})"))
    for cost in layers:
        if cost.budget_usd is not None and cost.fixed_monthly_usd is not None and cost.fixed_monthly_usd > cost.budget_usd:
            result.findings.append(BudgetFinding(
                f"{cost.stack}: the layer's fixed monthly estimate ${cost.fixed_monthly_usd:,.2f} exceeds its budget "
                f"${cost.budget_usd:,.2f} (layers.budget_usd_per_month)"))
    return result


def _largest(layers: Sequence[LayerCost]) -> str:
    ranked = sorted((c for c in layers if c.fixed_monthly_usd), key=lambda c: -(c.fixed_monthly_usd or 0.0))
    return "; ".join(f"{c.stack} ${c.fixed_monthly_usd:,.2f}" for c in ranked[:3]) or "nothing priced"
