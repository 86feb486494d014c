"""`mlplat preflight`: what the plan runs at its maximum against the account's Service Quotas.

EC2's instance types come from moto (DescribeInstanceTypes, the real boto3 path). moto implements
Service Quotas for the `vpc` service only, so the SageMaker and EC2 quota listings are answered by
botocore's Stubber (`QuotaStub`), in the shape ListServiceQuotas returns.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from mlplat.tooling.cli import EXIT_CHECKS_FAILED, EXIT_CONFIG_ERROR, main
from mlplat.tooling.offline import run_callable, run_stack
from mlplat.tooling.preflight import STANDARD_CLASS, ec2_class, needs_of

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


@pytest.fixture(scope="module")
def prod_plan():
    return run_stack(ROOT, "prod")


def _by_name(needs):
    return {n.quota_name: n for n in needs}


def test_endpoints_count_their_autoscaling_maximum_twice_when_deployed_blue_green(prod_plan):
    needs = _by_name(needs_of(prod_plan))
    endpoint = needs["ml.m5.xlarge for endpoint usage"]
    # Pulumi.prod.yaml: churn autoscales to 6 instances and deploys blue/green (canary).
    assert endpoint.amount == 12 and "6 x 2 (blue/green)" in endpoint.reasons[0]
    # The drift loop's Model Monitor job, and the churn training pipeline's PrepareData and Evaluate steps.
    assert needs["ml.m5.xlarge for processing job usage"].amount == 3
    # Pulumi.prod.yaml: the churn pipeline trains on 2 x ml.m5.4xlarge.
    assert needs["ml.m5.4xlarge for training job usage"].amount == 2


def test_gpu_pools_need_vcpus_of_their_class_at_their_maximum(prod_plan):
    pool = next(p for p in prod_plan.of_type("kubernetes:karpenter.sh/v1:NodePool") if p.name.endswith("-a100"))
    needs = _by_name(needs_of(prod_plan, vcpus={"p4d.24xlarge": 96, "m6i.large": 2}))
    # The Karpenter NodePool at its node limit (16 in prod), on demand.
    assert needs["Running On-Demand P instances"].amount == int(pool.inputs["spec"]["limits"]["nodes"]) * 96 == 16 * 96
    assert "NodePool platform-training-nodepool-a100: 16 x p4d.24xlarge" in needs["Running On-Demand P instances"].reasons[0]
    assert needs[f"Running On-Demand {STANDARD_CLASS} instances"].amount == 3 * 2  # the system group: at most 3
    assert not any(n.service_code == "ec2" for n in needs_of(prod_plan))  # no vCPU figures: no EC2 needs


def test_spot_pools_count_against_the_spot_quota():
    import pulumi_aws as aws

    def program():
        aws.eks.NodeGroup("spot", cluster_name="c", node_role_arn="arn:aws:iam::123456789012:role/n", subnet_ids=["s"],
                          instance_types=["g5.12xlarge"], capacity_type="SPOT",
                          scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=0, max_size=4, desired_size=0))

    needs = _by_name(needs_of(run_callable(program), vcpus={"g5.12xlarge": 48}))
    assert needs["All G and VT Spot Instance Requests"].amount == 4 * 48


def test_a_node_pool_with_spot_and_on_demand_may_fill_either_quota():
    import pulumi_kubernetes as k8s

    def program():
        k8s.apiextensions.CustomResource("pool", api_version="karpenter.sh/v1", kind="NodePool", metadata={"name": "p"}, spec={
            "template": {"spec": {"requirements": [
                {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g5.xlarge", "g5.12xlarge"]},
                {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot", "on-demand"]}]}},
            "limits": {"nodes": "3"}})

    needs = _by_name(needs_of(run_callable(program), vcpus={"g5.xlarge": 4, "g5.12xlarge": 48}))
    assert needs["All G and VT Spot Instance Requests"].amount == needs["Running On-Demand G and VT instances"].amount == 3 * 48


def test_pipeline_steps_need_their_instances_from_parameter_defaults():
    import pulumi_aws as aws

    definition = {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "TrainingInstanceType", "Type": "String", "DefaultValue": "ml.g5.2xlarge"},
                       {"Name": "TrainingInstanceCount", "Type": "Integer", "DefaultValue": 2}],
        "Steps": [
            {"Name": "Train", "Type": "Training", "Arguments": {
                "EnableManagedSpotTraining": True,
                "ResourceConfig": {"InstanceType": {"Get": "Parameters.TrainingInstanceType"},
                                   "InstanceCount": {"Get": "Parameters.TrainingInstanceCount"}, "VolumeSizeInGB": 50}}},
            {"Name": "Prepare", "Type": "Processing", "Arguments": {
                "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}}}},
            {"Name": "Check", "Type": "Condition", "Arguments": {}},
        ],
    }

    def program():
        aws.sagemaker.Pipeline("p", pipeline_name="p", pipeline_display_name="p", role_arn="arn:aws:iam::123456789012:role/r",
                               pipeline_definition=json.dumps(definition))

    needs = _by_name(needs_of(run_callable(program)))
    assert needs["ml.g5.2xlarge for spot training job usage"].amount == 2
    assert needs["ml.m5.xlarge for processing job usage"].amount == 1
    assert len(needs) == 2


@pytest.mark.parametrize(("instance_type", "klass"), [
    ("p4d.24xlarge", "P"), ("p5.48xlarge", "P"), ("g5.xlarge", "G and VT"), ("vt1.3xlarge", "G and VT"),
    ("inf2.xlarge", "Inf"), ("trn1.32xlarge", "Trn"), ("dl1.24xlarge", "DL"), ("x2idn.16xlarge", "X"),
    ("m6i.large", STANDARD_CLASS), ("c7g.large", STANDARD_CLASS),
])
def test_ec2_classes_follow_the_quota_names(instance_type, klass):
    assert ec2_class(instance_type) == klass


# --- the command: moto for EC2, the Stubber for Service Quotas -------------------------------------------------

class QuotaStub:
    """Service Quotas answering ListAWSDefaultServiceQuotas / ListServiceQuotas from `applied` (name -> value)."""

    def __init__(self, applied: dict[str, float]) -> None:
        self.client = boto3.client("service-quotas", region_name=REGION)
        self.stubber = Stubber(self.client)
        self.applied = applied

    def expect(self, service_codes: list[str]) -> None:
        for service in service_codes:
            quotas = [{"ServiceCode": service, "QuotaName": name, "QuotaCode": f"L-{abs(hash(name)) % 10**8:08d}",
                       "Value": value} for name, value in self.applied.items()]
            self.stubber.add_response("list_aws_default_service_quotas", {"Quotas": quotas}, {"ServiceCode": service})
            self.stubber.add_response("list_service_quotas", {"Quotas": quotas}, {"ServiceCode": service})
        self.stubber.activate()


SNAPSHOT = ["--registry", str(ROOT / "stacks" / "registry.prod.json")]


def _run(monkeypatch, capsys, applied: dict[str, float], registry: list[str] = SNAPSHOT) -> tuple[int, str]:
    stub = QuotaStub(applied)
    stub.expect(["ec2", "sagemaker"])
    from mlplat.tooling import verify

    class Clients(verify.AwsClients):
        def client(self, service: str) -> Any:
            return stub.client if service == "service-quotas" else super().client(service)

    monkeypatch.setattr(verify, "AwsClients", Clients)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        code = main(["preflight", "--stack", "prod", "--cwd", str(ROOT), *registry])
    stub.stubber.assert_no_pending_responses()
    return code, capsys.readouterr().out


ENOUGH = {
    "ml.m5.xlarge for endpoint usage": 20, "ml.m5.xlarge for processing job usage": 4,
    "ml.m5.4xlarge for training job usage": 2,
    "Running On-Demand P instances": 2000, f"Running On-Demand {STANDARD_CLASS} instances": 64,
}


def test_enough_quota_passes(monkeypatch, capsys):
    code, out = _run(monkeypatch, capsys, ENOUGH)
    assert code == 0, out
    assert out.startswith("preflight of stack 'prod': 5 quotas checked, 0 short")


def test_each_shortfall_names_the_quota_to_raise(monkeypatch, capsys):
    code, out = _run(monkeypatch, capsys, {**ENOUGH, "Running On-Demand P instances": 96})
    assert code == EXIT_CHECKS_FAILED
    line = next(line for line in out.splitlines() if line.strip().startswith("Running On-Demand P instances"))
    assert "SHORT by" in line and "--service-code ec2 --quota-code L-" in line and "--desired-value " in line
    assert ", 1 short" in out.splitlines()[0]


def test_a_quota_the_account_does_not_list_is_short(monkeypatch, capsys):
    code, out = _run(monkeypatch, capsys, {k: v for k, v in ENOUGH.items() if "endpoint" not in k})
    assert code == EXIT_CHECKS_FAILED
    assert "no quota named 'ml.m5.xlarge for endpoint usage' in sagemaker" in out


def test_bad_input_exits_2(capsys, monkeypatch):
    assert main(["preflight", "--stack", "qa", "--cwd", str(ROOT)]) == EXIT_CONFIG_ERROR
    assert "Pulumi.qa.yaml: does not exist" in capsys.readouterr().err
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["preflight", "--stack", "prod", "--cwd", str(ROOT)]) == EXIT_CONFIG_ERROR
    assert "no AWS credentials" in capsys.readouterr().err


def test_without_a_snapshot_the_live_registry_decides(monkeypatch, capsys):
    """moto's SageMaker has no group mlplat-prod-churn: latest-approved finds no package, the endpoint waits
    for a model, and it needs no endpoint instances yet."""
    code, out = _run(monkeypatch, capsys, ENOUGH, registry=[])
    assert code == 0, out
    assert "for endpoint usage" not in out
