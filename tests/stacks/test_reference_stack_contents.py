"""What each reference stack must contain (issues: serving, ML lifecycle, training) and pass (policies, contracts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlplat.tooling.contracts import check_plan as check_contracts
from mlplat.tooling.k8s_validation import check_plan as check_kubernetes
from mlplat.tooling.offline import run_stack
from mlplat.tooling.policy_runner import evaluate
from mlplat.policies.pack_folder import PackFolder

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_PACK = PackFolder(ROOT / "policies")
STACKS = ("dev", "staging", "prod")
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.fixture(scope="module")
def plans():
    return {stack: run_stack(ROOT, stack) for stack in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_contract_checks_pass(plans, stack):
    assert check_contracts(plans[stack]) == []


@pytest.mark.parametrize("stack", STACKS)
def test_kubernetes_objects_validate(plans, stack):
    report = check_kubernetes(plans[stack], kubernetes_version="1.34")
    assert report.problems == []
    kinds = {urn.split("::")[2].rsplit("$", 1)[-1] for urn in report.validated}
    assert {"kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue", "kubernetes:core/v1:ResourceQuota",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy"} <= kinds


@pytest.mark.parametrize("stack", STACKS)
def test_policies_pass_every_mandatory_rule(plans, stack):
    if stack in ("staging", "prod"):
        assert REFERENCE_PACK.waivers()[stack] == [], "staging and prod must pass with zero waivers"
    report = evaluate(plans[stack], pack_config=REFERENCE_PACK.pack_config(stack), config=plans[stack].config)
    assert report.mandatory == [], [f"{v.rule_id} {v.urn}: {v.message}" for v in report.mandatory]
    if stack != "dev":
        assert report.advisory == [] and report.waived == []


def test_prod_serves_safely(plans):
    plan = plans["prod"]
    config = plan.named("churn-config", ENDPOINT_CONFIG)
    variant = config.inputs["productionVariants"][0]
    assert variant["initialInstanceCount"] >= 2
    assert config.inputs["dataCaptureConfig"]["enableCapture"] is True
    assert config.inputs["dataCaptureConfig"]["initialSamplingPercentage"] == 100
    policy = plan.named("churn-endpoint", ENDPOINT).inputs["deploymentConfig"]
    assert policy["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]["type"] == "CANARY"
    assert len(policy["autoRollbackConfiguration"]["alarms"]) >= 2
    assert plan.of_type("aws:appautoscaling/policy:Policy")
    alarms = {r.name for r in plan.of_type(ALARM)}
    for suffix in ("5xx-errors", "4xx-error-rate", "model-latency-p99", "overhead-latency-p99", "cpu-utilization", "disk-utilization"):
        assert any(name.endswith(suffix) for name in alarms), suffix
    assert plan.of_type("aws:sagemaker/monitoringSchedule:MonitoringSchedule")
    rule = plan.of_type("aws:cloudwatch/eventRule:EventRule")
    assert any(json.loads(r.inputs["eventPattern"])["detail-type"] == ["CloudWatch Alarm State Change"] for r in rule)


def test_dev_scales_down_out_of_hours_and_waits_for_models(plans):
    plan = plans["dev"]
    actions = [r.name for r in plan.of_type("aws:appautoscaling/scheduledAction:ScheduledAction")]
    assert any(name.endswith("scale-down") for name in actions) and any(name.endswith("scale-up") for name in actions)
    assert not [r for r in plan.of_type(ENDPOINT) if r.name.startswith("fraud")]
    assert any("waits for an approved model package" in d.message for d in plan.diagnostics)


@pytest.mark.parametrize("stack", STACKS)
def test_ml_lifecycle_is_declared(plans, stack):
    plan = plans[stack]
    groups = plan.of_type("aws:sagemaker/featureGroup:FeatureGroup")
    assert len(groups) >= 2
    pii = [g for g in groups if g.tags.get("pii") == "true"]
    assert pii and all(g.get("onlineStoreConfig.ttlDuration") for g in pii)
    assert plan.of_type("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
    assert len(plan.of_type("aws:ecr/repository:Repository")) >= 2
    server = plan.of_type("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")
    assert len(server) == 1
    assert server[0].inputs["trackingServerSize"] == ("Medium" if stack == "prod" else "Small")


@pytest.mark.parametrize("stack", ("staging", "prod"))
def test_drift_retrains_the_family_training_pipeline(plans, stack):
    plan = plans[stack]
    pipelines = plan.of_type("aws:sagemaker/pipeline:Pipeline")
    assert [p.inputs["pipelineName"] for p in pipelines] == [f"mlplat-{stack}-churn-training"]
    target = plan.named("platform-churn-drift-retrain-target", "aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["arn"] == pipelines[0].outputs["arn"]
    allowed = json.loads(plan.named("platform-churn-drift-retrain-policy", "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert allowed["Statement"][0]["Resource"] == pipelines[0].outputs["arn"]
    definition = json.loads(pipelines[0].inputs["pipelineDefinition"])
    register = definition["Steps"][-1]["Arguments"]["IfSteps"][0]
    assert register["Arguments"]["ModelPackageGroupName"] == f"mlplat-{stack}-churn"
    approval = {p["Name"]: p.get("DefaultValue") for p in definition["Parameters"]}["ModelApprovalStatus"]
    assert approval == "PendingManualApproval"


def test_training_clusters_differ_by_environment(plans):
    dev = plans["dev"].of_type("aws:eks/cluster:Cluster")[0]
    prod = plans["prod"].of_type("aws:eks/cluster:Cluster")[0]
    assert dev.inputs["vpcConfig"]["endpointPublicAccess"] is True and dev.inputs["vpcConfig"]["publicAccessCidrs"]
    assert prod.inputs["vpcConfig"]["endpointPublicAccess"] is False
    def pool(env: str, name: str) -> tuple[list[str], str]:
        (nodes,) = [n for n in plans[env].of_type("kubernetes:karpenter.sh/v1:NodePool") if n.name.endswith(f"-{name}")]
        requirements = {r["key"]: r["values"] for r in nodes.inputs["spec"]["template"]["spec"]["requirements"]}
        return requirements["karpenter.sh/capacity-type"], nodes.inputs["spec"]["limits"]["nodes"]

    assert pool("dev", "g5") == (["spot"], "2")
    assert pool("prod", "a100") == (["on-demand"], "16")
    # GPU pools are Karpenter's: the only managed node group is the system group.
    for env in ("dev", "prod"):
        assert [n.name for n in plans[env].of_type("aws:eks/nodeGroup:NodeGroup")] == ["platform-training-system"]
    teams = {r.inputs["metadata"]["name"] for r in plans["prod"].of_type("kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue")}
    assert len(teams) == 1 and len(plans["prod"].of_type("kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue")) == 2


def test_lineage_lists_every_resource_of_a_family(plans):
    from mlplat.tooling.lineage import resources_of_family

    members = resources_of_family(plans["prod"], "churn")
    types = {r.type for r in members}
    assert {ENDPOINT, ENDPOINT_CONFIG, "aws:sagemaker/modelPackageGroup:ModelPackageGroup", "aws:ecr/repository:Repository",
            ALARM, "aws:sagemaker/monitoringSchedule:MonitoringSchedule"} <= types
