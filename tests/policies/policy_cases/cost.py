"""MLP-COST-01: the fixed monthly estimate within the declared budgets (the table's us-east-1 prices)."""

from __future__ import annotations

import json

import pulumi_aws as aws

from mlplat.core.prices import load_price_table

from . import RuleCase

REGION = {"aws:region": "us-east-1"}


def layer(name: str) -> dict[str, str]:
    """The stack config of a layer stack of prod (`ml-platform:platform.layer`)."""
    return {**REGION, "ml-platform:platform": json.dumps({"environment": "prod", "layer": name})}
TAGS = {"owner": "growth-ml@example.com"}


def _budget(amount: float, team: str | None = None) -> aws.budgets.Budget:
    return aws.budgets.Budget(
        f"budget-{team or 'env'}", budget_type="COST", limit_amount=f"{amount:.2f}", limit_unit="USD", time_unit="MONTHLY",
        tags={"mlplat:budget-team": team} if team else None,
    )


def _endpoint(count: int) -> None:
    aws.sagemaker.EndpointConfiguration("serving", production_variants=[aws.sagemaker.EndpointConfigurationProductionVariantArgs(
        variant_name="primary", model_name="m", instance_type="ml.m5.xlarge", initial_instance_count=count,
    )], tags=TAGS)


def _hosting_month(count: int) -> float:
    price = load_price_table().sagemaker_hourly("us-east-1", "hosting", "ml.m5.xlarge")
    assert price is not None
    return count * 730 * price.usd


def within_budget() -> None:
    _endpoint(2)
    _budget(_hosting_month(2) + 1)


def over_budget() -> None:
    _endpoint(4)
    _budget(_hosting_month(2))


def no_budget() -> None:
    _endpoint(1)


def idle_reservation() -> None:
    # A capacity reservation bills whether an instance uses it or not: it counts at full price.
    aws.ec2.CapacityReservation("gpus", instance_type="g5.xlarge", instance_platform="Linux/UNIX",
                                availability_zone="us-east-1a", instance_count=2)
    _budget(100)


def team_over_budget() -> None:
    _endpoint(2)
    _budget(_hosting_month(2) + 1)
    _budget(_hosting_month(1), team="growth-ml@example.com")


CASES = [
    RuleCase("MLP-COST-01", "pass", within_budget, "estimate within the budget", config=REGION),
    RuleCase("MLP-COST-01", "fail", over_budget, "estimate over the budget", config=REGION,
             message="largest: serving variant primary: 4 x ml.m5.xlarge"),
    RuleCase("MLP-COST-01", "fail", no_budget, "no budget declared", config=REGION, message="declares no monthly budget"),
    RuleCase("MLP-COST-01", "fail", no_budget, "a foundation layer without a budget", config=layer("foundation"),
             message="declares no monthly budget"),
    RuleCase("MLP-COST-01", "pass", no_budget, "a serving layer: the budget is the foundation's",
             config=layer("serving-growth")),
    RuleCase("MLP-COST-01", "fail", idle_reservation, "a capacity reservation counts in full", config=REGION,
             message="2 x g5.xlarge reserved"),
    RuleCase("MLP-COST-01", "fail", team_over_budget, "a team over its budget", config=REGION,
             message="team growth-ml@example.com's fixed monthly estimate"),
]
