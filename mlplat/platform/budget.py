"""The stack's AWS Budgets: the environment's (`budget_usd_per_month`) and each team's.

Each is an `aws.budgets.Budget` on the stack's cost allocation tags (`project`, or a team's `owner`; activate
them in the Billing console), notifying the platform's alarm topic at 80% of the actual spend and 100% of the
forecast. MLP-COST-01 reads the limits from these resources (in `mlplat plan` and in the engine alike) and
compares them with the plan's fixed monthly estimate.

Child names (stable): `<platform>-budget`, and `<platform>-budget-team-<8 hex of the team>` per team.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping, Optional

import pulumi
import pulumi_aws as aws

from mlplat.core.naming import child

__all__ = ["BUDGET_NOTIFICATIONS", "BUDGET_TEAM_TAG", "TEAM_FILTER_KEY", "declare_budgets"]

# (notification type, threshold in % of the limit)
BUDGET_NOTIFICATIONS: tuple[tuple[str, float], ...] = (("ACTUAL", 80.0), ("FORECASTED", 100.0))
TEAM_FILTER_KEY = "owner"
BUDGET_TEAM_TAG = "mlplat:budget-team"  # on a team's budget: the team (MLP-COST-01 compares the team's share)


def _notifications(topic_arn: pulumi.Input[str]) -> list[aws.budgets.BudgetNotificationArgs]:
    return [aws.budgets.BudgetNotificationArgs(comparison_operator="GREATER_THAN", notification_type=kind,
                                               threshold=threshold, threshold_type="PERCENTAGE",
                                               subscriber_sns_topic_arns=[topic_arn])
            for kind, threshold in BUDGET_NOTIFICATIONS]


def _budget(resource_name: str, budget_name: str, amount: float, tag: str, value: str, topic_arn: pulumi.Input[str],
            opts: pulumi.ResourceOptions, team: Optional[str] = None) -> aws.budgets.Budget:
    return aws.budgets.Budget(
        resource_name,
        name=budget_name,
        budget_type="COST",
        limit_amount=f"{amount:.2f}",
        limit_unit="USD",
        time_unit="MONTHLY",
        cost_filters=[aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=[f"user:{tag}${value}"])],
        notifications=_notifications(topic_arn),
        tags={BUDGET_TEAM_TAG: team} if team else None,
        opts=opts,
    )


def declare_budgets(name: str, *, project: str, environment: str, budget: Optional[float],
                    team_budgets: Mapping[str, float], topic_arn: pulumi.Input[str],
                    opts: pulumi.ResourceOptions) -> dict[str, Any]:
    """The Budget resources of the stack config's budgets: {"environment": Budget | None, "teams": {team: Budget}}."""
    declared: dict[str, Any] = {"environment": None, "teams": {}}
    if budget is not None:
        declared["environment"] = _budget(child(name, "budget"), f"{project}-{environment}", budget, "project", project,
                                          topic_arn, opts)
    for team, amount in sorted(team_budgets.items()):
        digest = hashlib.sha256(team.encode()).hexdigest()[:8]
        declared["teams"][team] = _budget(child(name, f"budget-team-{digest}"), f"{project}-{environment}-team-{digest}",
                                          amount, TEAM_FILTER_KEY, team, topic_arn, opts, team=team)
    return declared
