"""The cost estimate: prod's explained line by line against the table's own prices, budgets, differences."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from mlplat.core.cost import CostResource, cost_difference, estimate_cost, top_contributors
from mlplat.core.prices import STALE_AFTER_DAYS, load_price_table
from mlplat.policies.pack_folder import PackFolder
from mlplat.tooling.cli import main
from mlplat.tooling.cost_report import PlanCost, plan_cost, plan_resources
from mlplat.tooling.offline import run_stack
from mlplat.tooling.policy_runner import evaluate

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SCALING_TARGET = "aws:appautoscaling/target:Target"


@pytest.fixture(scope="module")
def prod():
    return run_stack(ROOT, "prod")


@pytest.fixture(scope="module")
def table():
    return load_price_table()


def _hourly(table, section: str, key: str) -> float:
    price = {"ec2": lambda: table.ec2_hourly(REGION, key),
             "hosting": lambda: table.sagemaker_hourly(REGION, "hosting", key),
             "services": lambda: table.service(REGION, key)}[section]()
    assert price is not None, f"the table prices {section} {key} in {REGION}"
    return price.usd


def _expected_line(resource, plan, table) -> tuple[float, float]:
    """(fixed, up to) of one priced resource of the prod plan, from its inputs and the table's rates."""
    hours = 730
    if resource.type == "aws:eks/cluster:Cluster":
        return (hours * _hourly(table, "services", "eks_cluster_hour"),) * 2
    if resource.type == NODE_GROUP:
        rate = _hourly(table, "ec2", resource.inputs["instanceTypes"][0])
        scaling = resource.inputs["scalingConfig"]
        desired = scaling.get("desiredSize", scaling["minSize"])
        return desired * hours * rate, scaling["maxSize"] * hours * rate
    if resource.type == NODE_POOL:
        types = [v for req in resource.inputs["spec"]["template"]["spec"]["requirements"]
                 if req["key"] == "node.kubernetes.io/instance-type" for v in req["values"]]
        return 0.0, int(resource.inputs["spec"]["limits"]["nodes"]) * hours * max(_hourly(table, "ec2", t) for t in types)
    if resource.type == ENDPOINT_CONFIG:
        fixed = up_to = 0.0
        for variant in resource.inputs["productionVariants"]:
            rate = _hourly(table, "hosting", variant["instanceType"])
            target = next(t for t in plan.of_type(SCALING_TARGET)
                          if t.parent == resource.parent and t.inputs["resourceId"].endswith(f"/variant/{variant['variantName']}"))
            count = max(variant["initialInstanceCount"], target.inputs["minCapacity"])
            fixed += count * hours * rate
            up_to += max(count, target.inputs["maxCapacity"]) * hours * rate
        return fixed, up_to
    if resource.type == "aws:ec2/vpcEndpoint:VpcEndpoint":
        interface = resource.inputs["vpcEndpointType"] == "Interface"
        line = len(resource.inputs["subnetIds"]) * hours * _hourly(table, "services", "interface_endpoint_az_hour") if interface else 0.0
        return line, line
    monthly = {"aws:kms/key:Key": "kms_key_month", "aws:cloudwatch/metricAlarm:MetricAlarm": "cloudwatch_alarm_metric_month",
               "aws:cloudwatch/compositeAlarm:CompositeAlarm": "cloudwatch_composite_alarm_month",
               "aws:cloudwatch/dashboard:Dashboard": "cloudwatch_dashboard_month"}
    if resource.type in monthly:
        # An alarm bills per metric it evaluates (a metric math alarm: each of its metrics).
        queries = resource.inputs.get("metricQueries") or []
        metrics = max(1, len([q for q in queries if q.get("metric")]))
        return (metrics * _hourly(table, "services", monthly[resource.type]),) * 2
    return 0.0, 0.0


def test_prods_estimate_is_explained_line_by_line_by_the_tables_prices(prod, table):
    estimate = estimate_cost(plan_resources(prod), table, REGION)
    by_urn: dict[str, list] = {}
    for item in estimate.fixed:
        by_urn.setdefault(item.urn, []).append(item)
    explained_fixed = explained_up_to = 0.0
    for resource in prod.custom_resources:
        fixed, up_to = _expected_line(resource, prod, table)
        items = [i for i in by_urn.pop(resource.urn, []) if i.rate is not None]
        assert sum(i.monthly_usd for i in items) == pytest.approx(fixed), resource.urn
        assert sum(i.up_to_monthly_usd for i in items) == pytest.approx(up_to), resource.urn
        explained_fixed, explained_up_to = explained_fixed + fixed, explained_up_to + up_to
    # What is left is unpriced (a rate the table lacks), listed with its reason and counted nowhere.
    assert all(i.rate is None and i.unpriced for items in by_urn.values() for i in items)
    assert estimate.fixed_monthly_usd == pytest.approx(explained_fixed)
    assert estimate.up_to_monthly_usd == pytest.approx(explained_up_to)
    # The lines a reviewer checks first: the control plane, the GPU pool at zero and up to its maximum.
    cluster = next(i for i in estimate.fixed if i.type == "aws:eks/cluster:Cluster")
    assert cluster.monthly_usd == pytest.approx(730 * table.service(REGION, "eks_cluster_hour").usd)
    gpu = next(i for i in estimate.fixed if i.type == NODE_POOL and i.detail["instanceType"] == "p4d.24xlarge")
    assert gpu.monthly_usd == 0 and gpu.up_to_monthly_usd == pytest.approx(16 * 730 * table.ec2_hourly(REGION, "p4d.24xlarge").usd)


def test_prods_estimate_is_attributed_to_components_families_and_teams(prod, table):
    estimate = estimate_cost(plan_resources(prod), table, REGION)
    by_component = estimate.by("component")
    assert sum(by_component.values()) == pytest.approx(estimate.fixed_monthly_usd)
    # The churn family (lineage tags): its whole endpoint, and alarms of its monitoring, drift loop and registry.
    assert all(i.family == "churn" for i in estimate.fixed if i.component == "ServingEndpoint churn")
    assert {i.component for i in estimate.fixed if i.family == "churn"} == {
        "ServingEndpoint churn", "EndpointMonitoring platform-churn-monitoring", "DriftMonitor platform-churn-drift",
        "ModelRegistry platform-registry"}
    assert estimate.by("family")["churn"] > by_component["ServingEndpoint churn"]
    assert sum(estimate.by("team").values()) == pytest.approx(estimate.fixed_monthly_usd)


def test_a_budget_below_the_estimate_fails_prod_naming_the_top_contributors(table):
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    platform = document["config"]["ml-platform:platform"]
    plan = run_stack(ROOT, "prod", config_overrides={"ml-platform:platform": {**platform, "budget_usd_per_month": 100}})
    report = evaluate(plan, pack_config=PackFolder(ROOT / "policies").pack_config("prod"), config=plan.config)
    found = [v for v in report.mandatory if v.rule_id == "MLP-COST-01"]
    assert len(found) == 1 and report.failed
    estimate = estimate_cost(plan_resources(plan), table, REGION)
    assert f"${estimate.fixed_monthly_usd:,.2f} exceeds the budget $100.00" in found[0].message
    for item in top_contributors(estimate, 3):
        assert f"{item.resource} {item.description}" in found[0].message


def test_the_reference_stacks_stay_within_their_budgets():
    for stack in ("dev", "staging", "prod"):
        plan = run_stack(ROOT, stack)
        report = evaluate(plan, pack_config=PackFolder(ROOT / "policies").pack_config(stack), config=plan.config)
        assert not [v for v in report.violations if v.rule_id == "MLP-COST-01"], stack


def _endpoint(count: int, instance_type: str = "ml.g5.xlarge", region_arn: str = "") -> list[CostResource]:
    return [CostResource("urn:churn-config", "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "churn-config",
                         {"productionVariants": [{"variantName": "primary", "instanceType": instance_type,
                                                  "initialInstanceCount": count}]})]


def test_the_difference_names_the_largest_change(table):
    before = estimate_cost(_endpoint(2), table, REGION)
    after = estimate_cost(_endpoint(4), table, REGION)
    difference = cost_difference(before, after)
    delta = 2 * 730 * table.sagemaker_hourly(REGION, "hosting", "ml.g5.xlarge").usd
    assert difference.delta_usd == pytest.approx(delta)
    assert difference.headline() == f"+${delta:,.0f}/month, mostly `churn-config`: 2 -> 4 x ml.g5.xlarge"
    assert cost_difference(after, after).headline() == "no change in the fixed monthly estimate"


def test_an_unpriced_rate_is_listed_never_zero(table):
    estimate = estimate_cost(_endpoint(2), table, "ap-east-1")
    [item] = estimate.unpriced
    assert item.monthly_usd is None and "mlplat prices refresh --region ap-east-1" in item.unpriced
    assert estimate.fixed_monthly_usd == 0 and estimate.to_json()["unpriced"][0]["unpriced"] == item.unpriced


def test_the_plan_warns_past_120_days(prod, table):
    fresh = plan_cost(prod, table, table.published + timedelta(days=STALE_AFTER_DAYS))
    stale = plan_cost(prod, table, table.published + timedelta(days=STALE_AFTER_DAYS + 1))
    assert not any("days old" in w for w in fresh.warnings())
    assert any(f"{STALE_AFTER_DAYS + 1} days old" in w for w in stale.warnings())
    assert f"on-demand list prices as of {table.published.isoformat()}" in "\n".join(fresh.lines_text())


def test_plan_json_markdown_and_baseline(tmp_path, capsys):
    baseline = tmp_path / "baseline.json"
    assert main(["plan", "--stack", "dev", "--cwd", str(ROOT), "--format", "json", "--out", str(baseline)]) == 0
    document = json.loads(baseline.read_text())
    estimate = document["costEstimate"]
    assert {"currency", "priceDate", "monthlyFixedUsd", "upToMonthlyUsd", "perResource", "perComponent", "perFamily",
            "perTeam", "usageBased", "unpriced"} <= set(estimate)
    assert estimate["monthlyFixedUsd"] == pytest.approx(sum(estimate["perResource"].values()), abs=0.05)
    # The baseline had one more system node: the markdown (the pull request comment) leads with the difference.
    for step in document["steps"]:
        if step["newState"]["type"] == NODE_GROUP and "system" in step["urn"]:
            scaling = step["newState"]["inputs"]["scalingConfig"]
            scaling["desiredSize"] = scaling.get("desiredSize", scaling["minSize"]) + 1
            instance_type = step["newState"]["inputs"]["instanceTypes"][0]
    baseline.write_text(json.dumps(document))
    capsys.readouterr()
    assert main(["plan", "--stack", "dev", "--cwd", str(ROOT), "--format", "markdown", "--baseline", str(baseline)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rate = load_price_table().ec2_hourly(REGION, instance_type).usd
    assert lines[2].startswith(f"**Cost: -${730 * rate:,.0f}/month, mostly `platform-training-system` "
                               f"(TrainingCluster platform-training): ")
    assert "-> " in lines[2] and f"x {instance_type}" in lines[2]


def test_an_unreadable_price_table_exits_2_with_one_message(tmp_path, capsys):
    bad = tmp_path / "prices.json"
    bad.write_text("{}")
    assert main(["plan", "--stack", "dev", "--cwd", str(ROOT), "--prices", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlplat plan: ") and "is not a price table" in err and "Traceback" not in err


def test_plan_cost_reads_a_refreshed_table(tmp_path, prod, table):
    raw = json.loads((ROOT / "mlplat" / "core" / "data" / "prices.json").read_text())
    raw["regions"][REGION]["services"]["eks_cluster_hour"] = [0.2, "eks-blog"]
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(raw))
    refreshed = plan_cost(prod, load_price_table(path), table.published)
    base = plan_cost(prod, table, table.published)
    assert refreshed.estimate.fixed_monthly_usd - base.estimate.fixed_monthly_usd == pytest.approx(730 * 0.1)
    assert isinstance(base, PlanCost)


def test_a_budget_must_be_a_positive_amount():
    from mlplat.core.errors import ConfigError
    from mlplat.platform.config import parse_platform_config

    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    platform = {**document["config"]["ml-platform:platform"], "budget_usd_per_month": -5,
                "team_budgets_usd_per_month": {"growth-ml@example.com": 0}}
    with pytest.raises(ConfigError) as excinfo:
        parse_platform_config(platform, source="stacks/Pulumi.prod.yaml", aws_region=REGION)
    text = str(excinfo.value)
    assert "platform.budget_usd_per_month: -5.0 must be a positive amount of USD" in text
    assert "platform.team_budgets_usd_per_month.growth-ml@example.com: 0.0 must be a positive amount of USD" in text


def test_budgets_are_aws_budgets_alerting_the_alarm_topic(prod):
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    platform = document["config"]["ml-platform:platform"]
    plan = run_stack(ROOT, "prod", config_overrides={"ml-platform:platform": {
        **platform, "team_budgets_usd_per_month": {"growth-ml@example.com": 300}}})
    budgets = plan.of_type("aws:budgets/budget:Budget")
    environment = next(b for b in budgets if "mlplat:budget-team" not in b.tags)
    team = next(b for b in budgets if b.tags.get("mlplat:budget-team") == "growth-ml@example.com")
    assert environment.inputs["limitAmount"] == f"{platform['budget_usd_per_month']:.2f}"
    assert environment.inputs["costFilters"] == [{"name": "TagKeyValue", "values": ["user:project$mlplat"]}]
    assert team.inputs["costFilters"] == [{"name": "TagKeyValue", "values": ["user:owner$growth-ml@example.com"]}]
    topic = plan.of_type("aws:sns/topic:Topic")[0]
    for budget in (environment, team):
        assert {n["notificationType"] for n in budget.inputs["notifications"]} == {"ACTUAL", "FORECASTED"}
        assert all(n["subscriberSnsTopicArns"] == [topic.outputs["arn"]] for n in budget.inputs["notifications"])


def _serverless(memory_mb: int = 2048, provisioned: int = 0) -> list[CostResource]:
    config = {"memorySizeInMb": memory_mb, "maxConcurrency": 5}
    if provisioned:
        config["provisionedConcurrency"] = provisioned
    return [CostResource("urn:serverless-config", ENDPOINT_CONFIG, "serverless-config",
                         {"productionVariants": [{"variantName": "primary", "serverlessConfig": config}]})]


def test_serverless_inference_is_usage_at_the_sourced_gb_second_rate(table):
    estimate = estimate_cost(_serverless(2048), table, REGION)
    [item] = estimate.usage
    assert item.price_key == "services/sagemaker_serverless_gb_second"
    assert item.rate == table.service(REGION, "sagemaker_serverless_gb_second")
    assert item.rate.usd > 0 and item.rate.source in table.sources
    assert "2048 MB = 2 GB-seconds per second of inference" in item.description
    assert estimate.fixed == [] and estimate.fixed_monthly_usd == 0  # billed by use, never in the fixed total


def test_rates_no_source_gives_stay_unpriced_with_the_reason(table):
    """Provisioned concurrency, MLflow tracking server sizes and the feature store's online storage: no cited source
    prices them (README, Cost), so the estimate names them unpriced rather than counting $0."""
    usage = estimate_cost(_serverless(1024, provisioned=2), table, REGION).usage
    provisioned = next(i for i in usage if i.price_key == "services/sagemaker_serverless_provisioned_gb_second")
    assert provisioned.rate is None and "no services price" in provisioned.unpriced
    server = CostResource("urn:mlflow", "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer", "mlflow",
                          {"trackingServerSize": "Medium"})
    [item] = estimate_cost([server], table, REGION).unpriced
    assert item.monthly_usd is None and "mlflow_tracking_server_medium_hour" in item.unpriced
    group = CostResource("urn:fg", "aws:sagemaker/featureGroup:FeatureGroup", "fg",
                         {"onlineStoreConfig": {"enableOnlineStore": True}})
    [online] = estimate_cost([group], table, REGION).usage
    assert online.rate is None and "feature_store_online_gb_month" in online.unpriced


NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


def _node_class(reservations: list[dict]) -> CostResource:
    return CostResource("urn:nodeclass-h100", NODE_CLASS, "training-nodeclass-h100",
                        {"metadata": {"annotations": {"mlplat.io/capacity-reservations": json.dumps(reservations)}}})


def test_a_pools_reservations_count_at_full_price_and_one_without_its_size_is_unpriced(table):
    estimate = estimate_cost([_node_class([
        {"reservation": "cr-0123456789abcdef0", "instanceType": "p4d.24xlarge", "count": 2, "capacityBlock": True},
        {"reservation": "tagged purpose=llm", "instanceType": "g5.12xlarge", "count": 1, "capacityBlock": False},
        {"reservation": "cr-0abc", "instanceType": None, "count": None, "capacityBlock": False},
    ])], table, REGION)
    p4d, g5 = 730 * table.ec2_hourly(REGION, "p4d.24xlarge").usd, 730 * table.ec2_hourly(REGION, "g5.12xlarge").usd
    assert [(i.description, i.monthly_usd) for i in estimate.fixed if i.rate is not None] == [
        ("capacity reservation cr-0123456789abcdef0: 2 x p4d.24xlarge x 730 h (Capacity Block (prepaid))", pytest.approx(2 * p4d)),
        ("capacity reservation tagged purpose=llm: 1 x g5.12xlarge x 730 h (reserved, billed even when idle)", pytest.approx(g5)),
    ]
    assert estimate.fixed_monthly_usd == pytest.approx(2 * p4d + g5)
    (unpriced,) = estimate.unpriced
    assert unpriced.unpriced == "the pool does not say the reservation's instance_type and instance_count"
    # A node class without reservations costs nothing of its own.
    assert estimate_cost([CostResource("urn:nc", NODE_CLASS, "nc", {"metadata": {}})], table, REGION).items == ()


def test_a_pool_of_instance_families_is_priced_up_to_its_dearest_size(table):
    pool = CostResource("urn:pool", NODE_POOL, "training-nodepool-a10g", {"spec": {
        "template": {"spec": {"requirements": [
            {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g5"]}]}},
        "limits": {"nodes": "2"}}})
    (item,) = estimate_cost([pool], table, REGION).fixed
    dearest = max((t for t in table.priced(REGION, "ec2") if t.startswith("g5.")),
                  key=lambda t: table.ec2_hourly(REGION, t).usd)
    assert item.monthly_usd == 0
    assert item.up_to_monthly_usd == pytest.approx(2 * 730 * table.ec2_hourly(REGION, dearest).usd)
    assert item.up_to_description == f"up to 2 x {dearest} (limits.nodes)"
