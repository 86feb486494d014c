"""MLP-COST-01 across layer stacks: the environment's budget against the sum of the layers, each team's
against its share in every layer, and a layer's own budget (`mlplat plan --env`)."""

from __future__ import annotations

import pytest

from mlplat.core.errors import ConfigError
from mlplat.platform.config import parse_platform_config
from mlplat.tooling.environment_cost import declared_budgets, environment_cost, layer_cost
from mlplat.tooling.multistack import EnvironmentReport, LayerResult, LayerStack, render_environment

TAGS = {"owner": "ml@example.com", "cost_center": "cc-1", "project": "mlplat", "data_classification": "internal"}


def budget_step(limit: object, team: str | None = None, unit: str = "USD", time_unit: str = "MONTHLY") -> dict:
    tags = {"project": "mlplat", **({"mlplat:budget-team": team} if team else {})}
    return {"op": "create", "newState": {"type": "aws:budgets/budget:Budget", "inputs": {
        "limitAmount": limit, "limitUnit": unit, "timeUnit": time_unit, "tags": tags}}}


def report(fixed: float, teams: dict[str, float] | None = None, steps: list | None = None, up_to: float | None = None):
    return {"steps": steps or [], "costEstimate": {"monthlyFixedUsd": fixed, "upToMonthlyUsd": up_to or fixed,
                                                    "perTeam": {**(teams or {}), "-": 0.0}}}


def test_the_budgets_a_plan_declares():
    steps = [budget_step("2500"), budget_step(300.5, team="fraud"), budget_step("9", unit="GBP"),
             budget_step(40, time_unit="ANNUALLY"), {"op": "create", "newState": {"type": "aws:s3/bucket:Bucket"}}]
    assert declared_budgets(steps) == (2500.0, {"fraud": 300.5})


def test_within_every_budget_no_finding_and_the_totals_are_the_layers_sums():
    costs = [layer_cost("prod-foundation", report(300.0, {"platform": 300.0}, [budget_step("1000")])),
             layer_cost("prod-training", report(200.0, {"platform": 200.0}, up_to=5000.0)),
             layer_cost("prod-serving-fraud", report(150.25, {"fraud": 150.25}), budget_usd=200.0)]
    cost = environment_cost(costs, "prod")
    assert cost.findings == []
    assert cost.fixed_monthly_usd == 650.25
    assert cost.up_to_monthly_usd == 5450.25
    assert cost.environment_budget_usd == 1000.0
    assert cost.by_team == {"platform": 500.0, "fraud": 150.25}


def test_the_sum_over_the_layers_exceeds_the_environment_budget_though_each_layer_is_under_it():
    costs = [layer_cost("prod-foundation", report(400.0, steps=[budget_step("1000")])),
             layer_cost("prod-training", report(450.0)), layer_cost("prod-serving-a", report(300.0))]
    [finding] = environment_cost(costs, "prod").findings
    assert finding.message == ("environment prod: the layers' fixed monthly estimate $1,150.00 exceeds the environment's "
                               "budget $1,000.00 (prod-foundation); largest: prod-training $450.00; prod-foundation "
                               "$400.00; prod-serving-a $300.00")


def test_a_teams_shares_in_several_layers_add_up_against_its_budget():
    costs = [layer_cost("prod-foundation", report(10.0, {"fraud": 10.0}, [budget_step("5000"),
                                                                            budget_step("100", team="fraud")])),
             layer_cost("prod-serving-fraud-a", report(60.0, {"fraud": 60.0})),
             layer_cost("prod-serving-fraud-b", report(50.0, {"fraud": 50.0, "growth": 0.0}))]
    [finding] = environment_cost(costs, "prod").findings
    assert finding.message == ("team fraud: the layers' fixed monthly estimate $120.00 exceeds its budget $100.00 "
                               "(prod-foundation $10.00, prod-serving-fraud-a $60.00, prod-serving-fraud-b $50.00)")


def test_a_layer_over_its_own_budget():
    costs = [layer_cost("prod-foundation", report(10.0, steps=[budget_step("5000")])),
             layer_cost("prod-serving-fraud", report(250.0), budget_usd=200.0),
             layer_cost("prod-serving-growth", report(150.0), budget_usd=200.0)]
    [finding] = environment_cost(costs, "prod").findings
    assert finding.message == ("prod-serving-fraud: the layer's fixed monthly estimate $250.00 exceeds its budget "
                               "$200.00 (layers.budget_usd_per_month)")


def results(budget_usd: float) -> list[LayerResult]:
    foundation = LayerResult(LayerStack("prod-foundation", "prod", "foundation", ()), 0, 0, 1.0, resources=90,
                             cost=layer_cost("prod-foundation", report(100.0, steps=[budget_step(str(budget_usd))])))
    serving = LayerResult(LayerStack("prod-serving", "prod", "serving", ("prod-foundation",), 80.0), 1, 0, 1.0,
                          resources=40, cost=layer_cost("prod-serving", report(90.0), budget_usd=80.0))
    return [foundation, serving]


@pytest.mark.parametrize(("level", "fails"), [("mandatory", True), ("advisory", False), ("disabled", False)])
def test_the_env_report_shows_each_layers_cost_and_fails_on_a_mandatory_finding(level, fails):
    layers = results(150.0)
    report_ = EnvironmentReport("prod", layers, 2.0, 2, cost=environment_cost([r.cost for r in layers], "prod"),
                                budget_level=level)
    text = render_environment(report_)
    assert report_.failed is fails
    assert "  [0] prod-foundation (foundation): ok, 90 resources, 0 contract errors, 0 mandatory violations, 1.0s, " \
           "$100.00/month fixed" in text
    assert "prod-serving (serving): ok, 40 resources, 0 contract errors, 0 mandatory violations, 1.0s, " \
           "$90.00/month fixed (budget $80.00)" in text
    assert "Cost: $190.00/month fixed over 2 layers (up to $190.00 with every pool at its limit) against the " \
           "environment's budget $150.00" in text
    assert f"  MLP-COST-01 ({level}): environment prod: the layers' fixed monthly estimate $190.00 exceeds" in text
    assert f"  MLP-COST-01 ({level}): prod-serving: the layer's fixed monthly estimate $90.00 exceeds its budget" in text
    whole = next(line for line in text.splitlines() if line.startswith("Whole environment"))
    assert whole.endswith("FAILED (MLP-COST-01)" if fails else "passes")


def test_within_budget_the_report_says_so():
    layers = results(1000.0)
    layers[1] = LayerResult(layers[1].layer, 1, 0, 1.0, resources=40, cost=layer_cost("prod-serving", report(50.0), 80.0))
    text = render_environment(EnvironmentReport("prod", layers, 2.0, 2, budget_level="mandatory",
                                                cost=environment_cost([r.cost for r in layers], "prod")))
    assert "  MLP-COST-01: within the environment's, the teams' and the layers' budgets" in text
    assert text.splitlines()[-3].endswith("passes")


def test_a_layers_own_budget_is_a_layer_setting():
    raw = {"environment": "prod", "tags": dict(TAGS), "layers": {"budget_usd_per_month": 100}}
    with pytest.raises(ConfigError) as caught:
        parse_platform_config(raw, source="stacks/Pulumi.prod.yaml", aws_region="us-east-1")
    assert ("platform.layers.budget_usd_per_month: 100.0 is a layer stack's own budget; a single stack's is "
            "budget_usd_per_month") in [p.render() for p in caught.value.problems]
    raw = {**raw, "layer": "serving-fraud", "layers": {"budget_usd_per_month": 0}}
    with pytest.raises(ConfigError) as caught:
        parse_platform_config(raw, source="stacks/Pulumi.prod-serving-fraud.yaml", aws_region="us-east-1")
    assert "platform.layers.budget_usd_per_month" in str(caught.value)
    raw["layers"] = {"budget_usd_per_month": 250}
    config = parse_platform_config(raw, source="stacks/Pulumi.prod-serving-fraud.yaml", aws_region="us-east-1")
    assert config.layers.budget_usd_per_month == 250.0


def test_the_environment_budget_is_a_foundation_setting():
    raw = {"environment": "prod", "tags": dict(TAGS), "layer": "serving-fraud", "budget_usd_per_month": 100}
    with pytest.raises(ConfigError) as caught:
        parse_platform_config(raw, source="stacks/Pulumi.prod-serving-fraud.yaml", aws_region="us-east-1")
    assert ("platform.budget_usd_per_month: belongs to the foundation layer's stack file, not to a serving-fraud stack "
            "(a setting lives in one stack file)") in [p.render() for p in caught.value.problems]
