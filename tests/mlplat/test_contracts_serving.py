"""SageMaker hosting contracts and fakes: the planned endpoint's requests match botocore's shapes,
deliberately wrong values fail with the request field named, and the fakes answer in AWS formats."""

from __future__ import annotations

import copy
import functools
from typing import Any, Callable

import pulumi_aws as aws
import pytest

from mlplat.components.artifact_store import GovernedBucket
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.components.network import ExistingVpcArgs, Network, NetworkArgs
from mlplat.components.serving_endpoint import ServingEndpoint, ServingEndpointArgs
from mlplat.tooling.contracts import check_plan, mapped_types
from mlplat.tooling.contracts.sagemaker_serving import create_endpoint, create_endpoint_config, create_model
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan

ACCOUNT, REGION = "123456789012", "us-east-1"
PKG = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3"
REPO = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/churn"
ENDPOINT = "Team-Churn"  # SageMaker keeps the case in names and lowercases it in ARNs

MAPPED = {
    "aws:sagemaker/model:Model": "sagemaker:CreateModel",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": "sagemaker:CreateEndpointConfig",
    "aws:sagemaker/endpoint:Endpoint": "sagemaker:CreateEndpoint",
    "aws:appautoscaling/target:Target": "application-autoscaling:RegisterScalableTarget",
    "aws:appautoscaling/policy:Policy": "application-autoscaling:PutScalingPolicy",
    "aws:appautoscaling/scheduledAction:ScheduledAction": "application-autoscaling:PutScheduledAction",
}


def program(**fields: Any) -> Callable[[], None]:
    def run() -> None:
        keys = Encryption("enc", EncryptionArgs())
        handles = {}
        for role, domain in (("models", "models"), ("captures", "data")):
            bucket = aws.s3.Bucket(f"store-{role}", bucket_prefix=f"store-{role}-")
            handles[role] = GovernedBucket(role=role, bucket=bucket, key=keys.key(domain), arn=bucket.arn,
                                           name=bucket.bucket, store=None)  # type: ignore[arg-type]
        net = Network("net", NetworkArgs(existing=ExistingVpcArgs(
            vpc_id="vpc-0123456789abcdef0", cidr_block="10.1.0.0/16",
            private_subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"),
        )))
        args = dict(
            models_bucket=handles["models"], captures_bucket=handles["captures"], network=net, log_key=keys.key("logs"),
            alarm_actions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"], model_package=PKG, image_repository_arn=REPO,
            name_prefix="Team-", model_family="churn",
            autoscaling={"target_invocations_per_instance": 100},
            scale_down_schedule={"scale_down_cron": "cron(0 20 ? * MON-FRI *)", "scale_up_cron": "cron(0 7 ? * MON-FRI *)"},
        )
        ServingEndpoint("Churn", ServingEndpointArgs(**{**args, **fields}))

    return run


@functools.cache
def endpoint_plan() -> Plan:
    return run_callable(program())


def mutated(edit: Callable[[Plan], None]) -> Plan:
    plan = copy.deepcopy(endpoint_plan())
    edit(plan)
    return plan


def errors(plan: Plan) -> list[tuple[str, str, str, str]]:
    return [(e.urn.rsplit("::", 1)[-1], e.operation, e.path, e.message) for e in check_plan(plan)]


def test_every_serving_type_is_mapped() -> None:
    assert set(MAPPED) <= mapped_types()


def test_the_planned_endpoint_passes_every_contract() -> None:
    plan = endpoint_plan()
    assert {r.type for r in plan.custom_resources} >= set(MAPPED)
    assert errors(plan) == []
    assert errors(run_callable(program(), preview=True)) == []  # unknown values are skipped
    assert errors(run_callable(program(serverless={}, autoscaling=None, scale_down_schedule=None))) == []


def test_requests_use_the_api_member_names() -> None:
    plan = endpoint_plan()
    [request] = create_endpoint(plan.named("Churn-endpoint"), plan)
    config_name = plan.named("Churn-config").inputs["name"]
    assert (request.service, request.operation) == ("sagemaker", "CreateEndpoint")
    assert request.params == {
        "EndpointName": ENDPOINT,
        "EndpointConfigName": config_name,
        "DeploymentConfig": {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "CANARY", "WaitIntervalInSeconds": 600,
                    "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                },
                "TerminationWaitInSeconds": 300,
            },
            "AutoRollbackConfiguration": {"Alarms": [
                {"AlarmName": f"{ENDPOINT}-rollback-5xx"}, {"AlarmName": f"{ENDPOINT}-rollback-latency"},
            ]},
        },
        "Tags": [{"Key": "mlplat:model-family", "Value": "churn"},
                 {"Key": "mlplat:platform-version", "Value": plan.named("Churn-endpoint").tags["mlplat:platform-version"]}],
    }
    [config] = create_endpoint_config(plan.named("Churn-config"), plan)
    assert config.params["EndpointConfigName"] == config_name and "NamePrefix" not in config.params
    assert config.params["KmsKeyId"] == plan.named("enc-models-key").outputs["arn"]
    assert config.params["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"
    [model] = create_model(plan.named("Churn-model"), plan)
    # The provider auto-names the model: the name comes from the planned outputs.
    assert model.params["ModelName"] == plan.named("Churn-model").outputs["name"]
    assert model.params["PrimaryContainer"] == {"ModelPackageName": PKG}
    assert model.params["VpcConfig"]["Subnets"] == ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]


def _variant(plan: Plan) -> dict[str, Any]:
    return plan.named("Churn-config").inputs["productionVariants"][0]


def _traffic(plan: Plan) -> dict[str, Any]:
    return plan.named("Churn-endpoint").inputs["deploymentConfig"]["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]


WRONG = [
    pytest.param(lambda p: _variant(p).update(instanceType="ml.m5.huge"), [(
        "Churn-config", "sagemaker:CreateEndpointConfig", "ProductionVariants[0].InstanceType",
        "'ml.m5.huge' is not one of the API's values (ml.t2.medium, ml.t2.large, ml.t2.xlarge, ml.t2.2xlarge, "
        "ml.m4.xlarge, ml.m4.2xlarge, ml.m4.4xlarge, ml.m4.10xlarge, ml.m4.16xlarge, ml.m5.large, ml.m5.xlarge, "
        "ml.m5.2xlarge, ... ({} values))",
    )], id="instance-type"),
    pytest.param(lambda p: _traffic(p).update(canarySize={"type": "PERCENT", "value": 0}), [
        ("Churn-endpoint", "sagemaker:CreateEndpoint",
         "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Type",
         "'PERCENT' is not one of the API's values (INSTANCE_COUNT, CAPACITY_PERCENT)"),
        ("Churn-endpoint", "sagemaker:CreateEndpoint",
         "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value",
         "0 is below the API minimum 1"),
    ], id="canary-size"),
    pytest.param(lambda p: _traffic(p).update(waitIntervalInSeconds=4000), [
        ("Churn-endpoint", "sagemaker:CreateEndpoint",
         "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds",
         "4000 is above the API maximum 3600"),
    ], id="wait-interval"),
    pytest.param(lambda p: p.named("Churn-endpoint").inputs.update(name="bad_name"), [
        ("Churn-endpoint", "sagemaker:CreateEndpoint", "EndpointName",
         "'bad_name' does not match the API pattern [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"),
    ], id="endpoint-name"),
    pytest.param(lambda p: p.named("Churn-config").inputs["dataCaptureConfig"].update(initialSamplingPercentage=101), [
        ("Churn-config", "sagemaker:CreateEndpointConfig", "DataCaptureConfig.InitialSamplingPercentage",
         "101 is above the API maximum 100"),
    ], id="sampling"),
    pytest.param(lambda p: _variant(p).update(serverlessConfig={"memorySizeInMb": 512, "maxConcurrency": 5}), [
        ("Churn-config", "sagemaker:CreateEndpointConfig", "ProductionVariants[0].ServerlessConfig.MemorySizeInMB",
         "512 is below the API minimum 1024"),
    ], id="serverless-memory"),
    pytest.param(lambda p: p.named("Churn-model").inputs["vpcConfig"].update(subnets=[]), [
        ("Churn-model", "sagemaker:CreateModel", "VpcConfig.Subnets", "0 items is below the API minimum 1"),
    ], id="model-subnets"),
    pytest.param(lambda p: p.named("Churn-primary-scaling-target").inputs.update(scalableDimension="sagemaker:variant:Count"), [(
        "Churn-primary-scaling-target", "application-autoscaling:RegisterScalableTarget", "ScalableDimension",
        "'sagemaker:variant:Count' is not one of the API's values (ecs:service:DesiredCount, "
        "ec2:spot-fleet-request:TargetCapacity, elasticmapreduce:instancegroup:InstanceCount, "
        "appstream:fleet:DesiredCapacity, dynamodb:table:ReadCapacityUnits, dynamodb:table:WriteCapacityUnits, "
        "dynamodb:index:ReadCapacityUnits, dynamodb:index:WriteCapacityUnits, rds:cluster:ReadReplicaCount, "
        "sagemaker:variant:DesiredInstanceCount, custom-resource:ResourceType:Property, "
        "comprehend:document-classifier-endpoint:DesiredInferenceUnits, ... ({} values))",
    )], id="scalable-dimension"),
    pytest.param(lambda p: p.named("Churn-primary-scale-down").inputs.update(name="a/b"), [(
        "Churn-primary-scale-down", "application-autoscaling:PutScheduledAction", "ScheduledActionName",
        "'a/b' does not match the API pattern {}",
    )], id="scheduled-action-name"),
    pytest.param(lambda p: p.named("Churn-model").inputs.update(newProviderField=1), [(
        "Churn-model", "(mapping)", "",
        "property 'newProviderField' has no member in CreateModelInput (members: ModelName, PrimaryContainer, "
        "Containers, InferenceExecutionConfig, ExecutionRoleArn, Tags, VpcConfig, EnableNetworkIsolation)",
    )], id="mapping-gap"),
]


@pytest.mark.parametrize(("edit", "expected"), WRONG)
def test_wrong_values_fail_with_the_request_field_named(
    edit: Callable[[Plan], None], expected: list[tuple[str, str, str, str]]
) -> None:
    from mlplat.tooling.contracts import operation_model

    found = errors(mutated(edit))
    counts = {
        "ProductionVariants[0].InstanceType": len(operation_model("sagemaker", "CreateEndpointConfig").input_shape
                                                  .members["ProductionVariants"].member.members["InstanceType"].enum),
        "ScalableDimension": len(operation_model("application-autoscaling", "RegisterScalableTarget").input_shape
                                 .members["ScalableDimension"].enum),
        "ScheduledActionName": operation_model("application-autoscaling", "PutScheduledAction").input_shape
        .members["ScheduledActionName"].metadata["pattern"],
    }
    assert found == [(urn, op, path, message.replace("{}", str(counts.get(path, "{}"))))
                     for urn, op, path, message in expected]


# --- fakes ----------------------------------------------------------------------------------------


def test_fakes_answer_in_aws_formats() -> None:
    plan = endpoint_plan()
    model = plan.named("Churn-model")
    assert model.id == model.outputs["name"] and model.outputs["name"].startswith("Churn-model-")
    assert model.outputs["arn"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{model.outputs['name'].lower()}"
    config = plan.named("Churn-config")
    assert config.outputs["arn"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/{config.inputs['name'].lower()}"
    endpoint = plan.named("Churn-endpoint")
    assert (endpoint.id, endpoint.outputs["arn"]) == (ENDPOINT, f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/team-churn")

    target = plan.named("Churn-primary-scaling-target")
    assert target.id == f"endpoint/{ENDPOINT}/variant/primary"
    assert target.outputs["roleArn"] == (
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )
    assert target.outputs["arn"].startswith(f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/")
    policy = plan.named("Churn-primary-scaling-policy")
    assert policy.id == f"{ENDPOINT}-primary-invocations-per-instance"
    assert policy.outputs["arn"].startswith(f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:")
    assert policy.outputs["arn"].endswith(f":resource/sagemaker/endpoint/{ENDPOINT}/variant/primary:policyName/{policy.id}")
    high, low = policy.outputs["alarmArns"]
    prefix = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:TargetTracking-endpoint/{ENDPOINT}/variant/primary-Alarm"
    assert high.startswith(f"{prefix}High-") and low.startswith(f"{prefix}Low-")
    action = plan.named("Churn-primary-scale-down")
    assert action.id == f"{ENDPOINT}-primary-scale-down-sagemaker-endpoint/{ENDPOINT}/variant/primary"
    assert ":scheduledActionName/" in action.outputs["arn"]


def test_prefix_list_invoke_answers_for_the_region() -> None:
    plan = endpoint_plan()
    rule = plan.named("Churn-sg-s3-https")
    assert [args for token, args in plan.invokes if token == "aws:ec2/getPrefixList:getPrefixList"] == [
        {"name": f"com.amazonaws.{REGION}.s3"}
    ]
    assert rule.inputs["prefixListId"].startswith("pl-") and len(rule.inputs["prefixListId"]) == 11
