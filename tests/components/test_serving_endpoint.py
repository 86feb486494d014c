"""ServingEndpoint: every child's exact inputs, its IAM documents, rollback wiring, metrics, grants,
the waiting, serverless, async, shadow and autoscaling modes, and Args validation.

Programs run under the offline runner with the Encryption, ArtifactStore and Network components
they are wired to; assertions read the Plan (plain data), never apply callbacks. Validation tests
are pure: uninitialised resources stand in for the handles, so no program runs.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, Optional

import pulumi_aws as aws
import pytest

from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs, GovernedBucket
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.core.errors import ConfigError, WiringError
from mlplat.components.network import ExistingVpcArgs, Network, NetworkArgs
from mlplat.components.serving_args import config_name_prefix, endpoint_problems, hosting_instance_types, image_repository_arn
from mlplat.components.serving_endpoint import ServingEndpoint, ServingEndpointArgs, alarm_metric_args
from mlplat.tooling.contracts import check_plan, shape_enum
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, PlannedResource, is_unknown
from mlplat.tooling.policy_runner import evaluate

ACCOUNT = "123456789012"
REGION = "us-east-1"
PKG = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3"
REPO = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/churn"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn@sha256:" + "a" * 64
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
ENDPOINT = "mlplat-prod-churn"

COMPONENT = "mlplat:serving:ServingEndpoint"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SM_ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
STASH = "pulumi:index:Stash"
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
SCHEDULED = "aws:appautoscaling/scheduledAction:ScheduledAction"

DEFAULTS: dict[str, Any] = dict(
    alarm_actions=[TOPIC], model_package=PKG, image_repository_arn=REPO, name_prefix="mlplat-prod-",
)
AUTOSCALING = dict(target_invocations_per_instance=150)
SCHEDULE = dict(scale_down_cron="cron(0 20 ? * MON-FRI *)", scale_up_cron="cron(0 7 ? * MON-FRI *)",
                timezone="Europe/Paris")


# --- programs ----------------------------------------------------------------------------------


def endpoint_program(
    name: str = "churn", *, full: bool = False, after: Optional[Callable[[ServingEndpoint], Any]] = None,
    **fields: Any,
) -> Callable[[], None]:
    """A ServingEndpoint with what it is wired to. `full`: a real ArtifactStore and a created Network
    (the golden tree and exact documents); otherwise bare models and captures buckets as store handles
    and an adopted VPC, which keeps the many mode tests fast."""

    def program() -> None:
        if full:
            keys = Encryption("enc", EncryptionArgs(
                s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store")))
            store = ArtifactStore("store", ArtifactStoreArgs(encryption=keys))
            models, captures = store.models, store.captures
            net = Network("net", NetworkArgs(log_key=keys.key("logs")))
        else:
            keys = Encryption("enc", EncryptionArgs())
            models, captures = (_bare_handle(role, keys) for role in ("models", "captures"))
            net = Network("net", NetworkArgs(existing=ExistingVpcArgs(
                vpc_id="vpc-0123456789abcdef0", cidr_block="10.1.0.0/16", private_subnet_ids=ADOPTED_SUBNETS,
            )))
        endpoint = ServingEndpoint(name, ServingEndpointArgs(
            models_bucket=models, captures_bucket=captures, network=net, log_key=keys.key("logs"),
            **{**DEFAULTS, **fields},
        ))
        if after is not None:
            after(endpoint)

    return program


ADOPTED_SUBNETS = ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")


def _bare_handle(role: str, keys: Encryption) -> GovernedBucket:
    bucket = aws.s3.Bucket(f"store-{role}", bucket_prefix=f"store-{role}-")
    key = keys.key("models" if role == "models" else "data")
    return GovernedBucket(role=role, bucket=bucket, key=key, arn=bucket.arn, name=bucket.bucket, store=None)  # type: ignore[arg-type]


def grant_app(endpoint: ServingEndpoint) -> None:
    endpoint.grant_invoke(aws.iam.Role("app", assume_role_policy="{}"))


@functools.cache
def default_plan() -> Plan:
    return run_callable(endpoint_program(full=True, after=grant_app))


@functools.cache
def scaled_plan() -> Plan:
    return run_callable(endpoint_program(full=True, autoscaling=AUTOSCALING, scale_down_schedule=SCHEDULE))


@functools.cache
def waiting_plan() -> Plan:
    return run_callable(endpoint_program(model_package=None, after=grant_app))


@functools.cache
def serverless_plan() -> Plan:
    return run_callable(endpoint_program(serverless={"provisioned_concurrency": 2}, name_prefix="mlplat-dev-"))


@functools.cache
def async_plan() -> Plan:
    return run_callable(endpoint_program(async_inference={"max_concurrent_invocations_per_instance": 4}, after=grant_app))


def doc(resource: PlannedResource) -> dict[str, Any]:
    return json.loads(resource.inputs["policy"])


def arn_of(plan: Plan, name: str) -> str:
    return plan.named(name).outputs["arn"]


def statements(plan: Plan) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc(plan.named("churn-execution-policy", ROLE_POLICY))["Statement"]}


# --- the resource tree (public contract) -------------------------------------------------------

_C = f"urn:pulumi:test::project::{COMPONENT}"
GOLDEN_TREE = sorted([
    (f"{_C}::churn", COMPONENT),
    (f"{_C}${LOG_GROUP}::churn-logs", LOG_GROUP),
    (f"{_C}${ROLE}::churn-execution-role", ROLE),
    (f"{_C}${ROLE_POLICY}::churn-execution-policy", ROLE_POLICY),
    (f"{_C}${SG}::churn-sg", SG),
    (f"{_C}${EGRESS}::churn-sg-vpc-https", EGRESS),
    (f"{_C}${EGRESS}::churn-sg-s3-https", EGRESS),
    (f"{_C}${MODEL}::churn-model", MODEL),
    (f"{_C}${CONFIG}::churn-config", CONFIG),
    (f"{_C}${ALARM}::churn-rollback-5xx", ALARM),
    (f"{_C}${ALARM}::churn-rollback-latency", ALARM),
    (f"{_C}${SM_ENDPOINT}::churn-endpoint", SM_ENDPOINT),
    (f"{_C}${ROLE_POLICY}::churn-invoke-app", ROLE_POLICY),
])


def component_tree(plan: Plan, name: str = "churn") -> list[tuple[str, str]]:
    component = plan.named(name, COMPONENT)
    return plan.tree(component.urn)


def test_default_endpoint_tree_matches_golden() -> None:
    plan = default_plan()
    assert component_tree(plan) == GOLDEN_TREE
    component = plan.named("churn", COMPONENT)
    assert all(r.parent == component.urn for r in plan.descendants(component.urn))
    assert component.outputs == {
        "endpoint_name": ENDPOINT,
        "endpoint_arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}",
        "execution_role_arn": arn_of(plan, "churn-execution-role"),
        "variant_names": ["primary"],
        "serverless": False,
        "waiting_for_model": False,
    }
    assert plan.diagnostics == []


def test_scaled_endpoint_tree_adds_guard_target_policy_and_schedule() -> None:
    extra = sorted([
        (f"{_C}${STASH}::churn-primary-scaling-guard", STASH),
        (f"{_C}${TARGET}::churn-primary-scaling-target", TARGET),
        (f"{_C}${POLICY}::churn-primary-scaling-policy", POLICY),
        (f"{_C}${SCHEDULED}::churn-primary-scale-down", SCHEDULED),
        (f"{_C}${SCHEDULED}::churn-primary-scale-up", SCHEDULED),
    ])
    base = [entry for entry in GOLDEN_TREE if not entry[0].endswith("::churn-invoke-app")]
    assert component_tree(scaled_plan()) == sorted(base + extra)


# --- role, policy, logs, network -----------------------------------------------------------------


def test_execution_role_trusts_sagemaker_for_this_account_only() -> None:
    role = default_plan().named("churn-execution-role", ROLE)
    assert json.loads(role.inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowServiceAssumeRole", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }],
    }
    assert role.inputs["description"] == f"mlplat churn: SageMaker execution role of endpoint {ENDPOINT}"


def test_execution_policy_grants_exactly_what_hosting_needs() -> None:
    plan = default_plan()
    policy = plan.named("churn-execution-policy", ROLE_POLICY)
    assert policy.inputs["role"] == plan.named("churn-execution-role", ROLE).id
    models, captures = arn_of(plan, "store-models"), arn_of(plan, "store-captures")
    log_group = arn_of(plan, "churn-logs")
    subnets = [arn_of(plan, f"net-private-{i}") for i in range(2)]
    eni = f"arn:aws:ec2:{REGION}:{ACCOUNT}:network-interface/*"
    assert doc(policy) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadModelArtifacts", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{models}/churn/*"},
            {"Sid": "DecryptModelArtifacts", "Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": arn_of(plan, "enc-models-key"),
             "Condition": {"StringEquals": {"kms:ViaService": [f"s3.{REGION}.amazonaws.com",
                                                               f"sagemaker.{REGION}.amazonaws.com"]}}},
            {"Sid": "PullInferenceImage", "Effect": "Allow",
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": REPO},
            {"Sid": "GetEcrAuthorizationToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "WriteCaptures", "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{captures}/{ENDPOINT}/*"},
            {"Sid": "EncryptCaptures", "Effect": "Allow", "Action": "kms:GenerateDataKey",
             "Resource": arn_of(plan, "enc-data-key"),
             "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}},
            {"Sid": "WriteEndpointLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [log_group, f"{log_group}:log-stream:*"]},
            {"Sid": "CreateNetworkInterfacesInPrivateSubnets", "Effect": "Allow", "Action": "ec2:CreateNetworkInterface",
             "Resource": [eni, *subnets, arn_of(plan, "churn-sg")]},
            {"Sid": "ManageNetworkInterfacesInPrivateSubnets", "Effect": "Allow",
             "Action": ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission"],
             "Resource": eni, "Condition": {"ArnEquals": {"ec2:Subnet": subnets}}},
            {"Sid": "DescribeNetworking", "Effect": "Allow",
             "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
                        "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"],
             "Resource": "*", "Condition": {"StringEquals": {"ec2:Region": REGION}}},
        ],
    }


def test_log_group_is_precreated_with_retention_and_the_logs_key() -> None:
    plan = default_plan()
    logs = plan.named("churn-logs", LOG_GROUP)
    assert logs.inputs == {
        "name": f"/aws/sagemaker/Endpoints/{ENDPOINT}",
        "retentionInDays": 365,
        "kmsKeyId": arn_of(plan, "enc-logs-key"),
    }


def test_security_group_opens_only_https_to_the_vpc_endpoints_and_s3() -> None:
    plan = default_plan()
    sg = plan.named("churn-sg", SG)
    assert {k: v for k, v in sg.inputs.items() if k != "name"} == {
        "vpcId": plan.named("net-vpc").id,
        "description": "mlplat churn: SageMaker endpoint network interfaces (HTTPS to VPC endpoints and S3 only)",
    }
    https = dict(securityGroupId=sg.id, ipProtocol="tcp", fromPort=443, toPort=443)
    assert plan.named("churn-sg-vpc-https", EGRESS).inputs == {
        **https, "cidrIpv4": "10.0.0.0/16", "description": "HTTPS to the VPC interface endpoints (ECR, STS, logs, KMS)",
    }
    assert plan.named("churn-sg-s3-https", EGRESS).inputs == {
        **https, "prefixListId": plan.named("net-s3").outputs["prefixListId"],
        "description": "HTTPS to S3 through the gateway endpoint (model artifacts, captures)",
    }
    assert [r for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if r.name.startswith("churn")] == []


def test_adopted_network_uses_the_regions_s3_prefix_list() -> None:
    plan = async_plan()  # a light program: an adopted VPC
    assert plan.named("churn-sg", SG).inputs["vpcId"] == "vpc-0123456789abcdef0"
    assert plan.named("churn-sg-vpc-https", EGRESS).inputs["cidrIpv4"] == "10.1.0.0/16"
    lookups = [args for token, args in plan.invokes if token == "aws:ec2/getPrefixList:getPrefixList"]
    assert lookups == [{"name": f"com.amazonaws.{REGION}.s3"}]
    assert plan.named("churn-sg-s3-https", EGRESS).inputs["prefixListId"].startswith("pl-")
    assert plan.named("churn-model", MODEL).inputs["vpcConfig"]["subnets"] == list(ADOPTED_SUBNETS)
    subnets = [f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{s}" for s in ADOPTED_SUBNETS]
    assert statements(plan)["ManageNetworkInterfacesInPrivateSubnets"]["Condition"] == {
        "ArnEquals": {"ec2:Subnet": subnets}
    }


# --- model, configuration, endpoint ---------------------------------------------------------


def test_model_comes_from_the_package_isolated_in_the_private_subnets() -> None:
    plan = default_plan()
    model = plan.named("churn-model", MODEL)
    assert model.declared_inputs == {
        "primaryContainer": {"modelPackageName": PKG},
        "executionRoleArn": arn_of(plan, "churn-execution-role"),
        "enableNetworkIsolation": True,
        "vpcConfig": {
            "securityGroupIds": [plan.named("churn-sg", SG).id],
            "subnets": [plan.named(f"net-private-{i}").id for i in range(2)],
        },
    }
    assert plan.named("churn-execution-policy", ROLE_POLICY).urn in model.dependencies


def test_endpoint_config_has_variants_kms_and_data_capture_under_the_endpoint_prefix() -> None:
    plan = default_plan()
    config = plan.named("churn-config", CONFIG)
    captures = plan.named("store-captures").outputs["bucket"]
    assert config.inputs["name"].startswith(f"{ENDPOINT}-") and len(config.inputs["name"]) == len(ENDPOINT) + 27
    assert {k: v for k, v in config.inputs.items() if k != "name"} == {
        "namePrefix": f"{ENDPOINT}-",
        "kmsKeyArn": arn_of(plan, "enc-models-key"),
        "productionVariants": [{
            "variantName": "primary", "modelName": plan.named("churn-model").outputs["name"],
            "instanceType": "ml.m5.large", "initialInstanceCount": 2, "initialVariantWeight": 1,
        }],
        "dataCaptureConfig": {
            "enableCapture": True, "initialSamplingPercentage": 100,
            "destinationS3Uri": f"s3://{captures}/{ENDPOINT}/data-capture",
            "kmsKeyId": arn_of(plan, "enc-data-key"),
            "captureOptions": [{"captureMode": "Input"}, {"captureMode": "Output"}],
        },
    }
    assert config.options == {}  # replaced before the old one is deleted (no deleteBeforeReplace)


def test_endpoint_is_named_deterministically_and_deploys_canary_with_rollback_alarms() -> None:
    plan = default_plan()
    endpoint = plan.named("churn-endpoint", SM_ENDPOINT)
    alarms = [plan.named(f"churn-rollback-{k}", ALARM) for k in ("5xx", "latency")]
    assert endpoint.inputs == {
        "name": ENDPOINT,
        "endpointConfigName": plan.named("churn-config").inputs["name"],
        "deploymentConfig": {
            "blueGreenUpdatePolicy": {
                "trafficRoutingConfiguration": {
                    "type": "CANARY", "waitIntervalInSeconds": 600,
                    "canarySize": {"type": "CAPACITY_PERCENT", "value": 10},
                },
                "terminationWaitInSeconds": 300,
            },
            "autoRollbackConfiguration": {"alarms": [{"alarmName": a.inputs["name"]} for a in alarms]},
        },
    }
    assert [a.inputs["name"] for a in alarms] == [f"{ENDPOINT}-rollback-5xx", f"{ENDPOINT}-rollback-latency"]
    for needed in (*alarms, plan.named("churn-logs"), plan.named("churn-execution-policy"), plan.named("churn-config"),
                   plan.named("churn-sg-vpc-https"), plan.named("churn-sg-s3-https")):
        assert needed.urn in endpoint.dependencies, needed.urn


def test_rollback_alarms_watch_this_endpoint_and_notify() -> None:
    plan = default_plan()
    common = {
        "namespace": "AWS/SageMaker", "period": 60, "evaluationPeriods": 2, "datapointsToAlarm": 2,
        "treatMissingData": "notBreaching", "actionsEnabled": True, "alarmActions": [TOPIC],
        "dimensions": {"EndpointName": ENDPOINT, "VariantName": "primary"},
    }
    assert plan.named("churn-rollback-5xx", ALARM).inputs == {
        **common, "name": f"{ENDPOINT}-rollback-5xx", "metricName": "Invocation5XXErrors", "statistic": "Sum",
        "comparisonOperator": "GreaterThanOrEqualToThreshold", "threshold": 1,
        "alarmDescription": f"Endpoint {ENDPOINT}: at least 1 5XX error(s) per minute for 2 minutes; rolls back a "
        "blue/green deployment in progress",
    }
    assert plan.named("churn-rollback-latency", ALARM).inputs == {
        **common, "name": f"{ENDPOINT}-rollback-latency", "metricName": "ModelLatency", "extendedStatistic": "p99",
        "unit": "Microseconds", "comparisonOperator": "GreaterThanThreshold", "threshold": 1_000_000,
        "alarmDescription": f"Endpoint {ENDPOINT}: p99 model latency above 1000 ms for 2 minutes; rolls back a "
        "blue/green deployment in progress",
    }


def test_caller_alarms_and_linear_traffic_reach_the_deployment_config() -> None:
    plan = run_callable(endpoint_program(deployment={
        "traffic": "LINEAR", "linear_step_percent": 25, "wait_in_seconds": 120, "termination_wait_in_seconds": 0,
        "maximum_execution_timeout_in_seconds": 1800, "rollback_alarm_names": ["churn-business-kpi"],
    }))
    config = plan.named("churn-endpoint", SM_ENDPOINT).inputs["deploymentConfig"]
    assert config == {
        "blueGreenUpdatePolicy": {
            "trafficRoutingConfiguration": {
                "type": "LINEAR", "waitIntervalInSeconds": 120,
                "linearStepSize": {"type": "CAPACITY_PERCENT", "value": 25},
            },
            "terminationWaitInSeconds": 0,
            "maximumExecutionTimeoutInSeconds": 1800,
        },
        "autoRollbackConfiguration": {"alarms": [
            {"alarmName": f"{ENDPOINT}-rollback-5xx"}, {"alarmName": f"{ENDPOINT}-rollback-latency"},
            {"alarmName": "churn-business-kpi"},
        ]},
    }


def test_several_variants_roll_back_on_metric_math_over_every_variant() -> None:
    plan = run_callable(endpoint_program(variants=[
        {"name": "blue", "instance_type": "ml.c5.xlarge"}, {"name": "green", "initial_weight": 0.25},
    ]))
    assert [v["variantName"] for v in plan.named("churn-config").inputs["productionVariants"]] == ["blue", "green"]
    alarm = plan.named("churn-rollback-5xx", ALARM).inputs
    assert "metricName" not in alarm and "dimensions" not in alarm
    assert alarm["metricQueries"] == [
        {"id": f"m{i}", "returnData": False, "metric": {
            "namespace": "AWS/SageMaker", "metricName": "Invocation5XXErrors", "period": 60, "stat": "Sum",
            "dimensions": {"EndpointName": ENDPOINT, "VariantName": variant}}}
        for i, variant in enumerate(("blue", "green"))
    ] + [{"id": "e1", "expression": "SUM([m0, m1])", "label": f"{ENDPOINT} 5xx", "returnData": True}]
    latency = plan.named("churn-rollback-latency", ALARM).inputs["metricQueries"]
    assert latency[-1]["expression"] == "MAX([m0, m1])"
    assert {q["metric"]["stat"] for q in latency[:-1]} == {"p99"}


def test_lineage_tags_and_the_revision_only_on_deployment_scoped_resources() -> None:
    plan = run_callable(endpoint_program(model_family="churn", source_revision="4f2c9e1"))
    family = {"mlplat:model-family": "churn"}
    for name in ("churn-model", "churn-config"):
        tags = plan.named(name).tags
        assert tags["mlplat:source-revision"] == "4f2c9e1" and tags.items() >= family.items(), name
    for name in ("churn-endpoint", "churn-logs", "churn-execution-role", "churn-rollback-5xx", "churn-sg"):
        tags = plan.named(name).tags
        assert "mlplat:source-revision" not in tags and tags.items() >= family.items(), name


# --- metrics and grants -------------------------------------------------------------------------


def _metrics_of(endpoint: ServingEndpoint) -> dict[str, Any]:
    return {
        "invocations": endpoint.metric_invocations(),
        "5xx": endpoint.metric_invocation_5xx_errors(),
        "4xx": endpoint.metric_invocation_4xx_errors(),
        "model_latency": endpoint.metric_model_latency(),
        "overhead_latency": endpoint.metric_overhead_latency(),
        "per_instance": endpoint.metric_invocations_per_instance(),
        "cpu": endpoint.metric_cpu_utilization(),
        "memory": endpoint.metric_memory_utilization(),
        "disk": endpoint.metric_disk_utilization(),
        "gpu": endpoint.metric_gpu_utilization(),
        "gpu_memory": endpoint.metric_gpu_memory_utilization(),
        "shadow_p50": endpoint.metric_model_latency("shadow", statistic="p50", period_seconds=300),
    }


def test_metrics_have_official_names_dimensions_and_statistics() -> None:
    seen: dict[str, Any] = {}

    def collect(endpoint: ServingEndpoint) -> None:
        seen.update(_metrics_of(endpoint))
        with pytest.raises(WiringError) as info:
            endpoint.metric_invocations("nope")
        assert str(info.value) == (
            "ServingEndpoint 'churn'.metric_invocations: variant 'nope' is not a variant of this endpoint "
            "(allowed: primary, shadow)"
        )

    def collect_handles(endpoint: ServingEndpoint) -> None:
        collect(endpoint)
        seen["handles"] = (endpoint.physical_name, endpoint.variant_names, endpoint.shadow_variant_names,
                           endpoint.instance_types, endpoint.captures_prefix, endpoint.serverless,
                           endpoint.waiting_for_model, endpoint.captures_bucket.role)

    run_callable(endpoint_program(shadow_variants=[{"name": "shadow", "initial_weight": 0.5}], after=collect_handles))
    assert seen.pop("handles") == (ENDPOINT, ("primary",), ("shadow",), {"primary": "ml.m5.large"}, f"{ENDPOINT}/",
                                   False, False, "captures")
    dims = {"EndpointName": ENDPOINT, "VariantName": "primary"}
    table = {k: (m.namespace, m.metric_name, dict(m.dimensions), m.statistic, m.period_seconds, m.unit)
             for k, m in seen.items()}
    invocation, instance = "AWS/SageMaker", "/aws/sagemaker/Endpoints"
    assert table == {
        "invocations": (invocation, "Invocations", dims, "Sum", 60, None),
        "5xx": (invocation, "Invocation5XXErrors", dims, "Sum", 60, None),
        "4xx": (invocation, "Invocation4XXErrors", dims, "Sum", 60, None),
        "model_latency": (invocation, "ModelLatency", dims, "p99", 60, "Microseconds"),
        "overhead_latency": (invocation, "OverheadLatency", dims, "p99", 60, "Microseconds"),
        "per_instance": (invocation, "InvocationsPerInstance", dims, "Sum", 60, None),
        "cpu": (instance, "CPUUtilization", dims, "Average", 60, None),
        "memory": (instance, "MemoryUtilization", dims, "Average", 60, None),
        "disk": (instance, "DiskUtilization", dims, "Average", 60, None),
        "gpu": (instance, "GPUUtilization", dims, "Average", 60, None),
        "gpu_memory": (instance, "GPUMemoryUtilization", dims, "Average", 60, None),
        "shadow_p50": (invocation, "ModelLatency", {**dims, "VariantName": "shadow"}, "p50", 300, "Microseconds"),
    }


@pytest.mark.parametrize(
    ("call", "lines"),
    [
        (lambda e: e.metric_model_latency(statistic="Median"),
         ["metric_model_latency.statistic: 'Median' is not a CloudWatch statistic (allowed: Average, Maximum, Minimum, "
          "SampleCount, Sum, or a percentile p0.01 to p99.99 such as p99 or p99.9)"]),
        (lambda e: e.metric_invocations(statistic="sum", period_seconds=45),
         ["metric_invocations.statistic: 'sum' is not a CloudWatch statistic (allowed: Average, Maximum, Minimum, "
          "SampleCount, Sum, or a percentile p0.01 to p99.99 such as p99 or p99.9)",
          "metric_invocations.period_seconds: 45 is not a CloudWatch period (allowed: 10, 20, 30, or a multiple of "
          "60 seconds)"]),
        # Falsy values are refused, not replaced by the defaults.
        (lambda e: e.metric_cpu_utilization(period_seconds=0),
         ["metric_cpu_utilization.period_seconds: 0 is not a CloudWatch period (allowed: 10, 20, 30, or a multiple "
          "of 60 seconds)"]),
        (lambda e: e.metric_disk_utilization(statistic=""),
         ["metric_disk_utilization.statistic: '' is not a CloudWatch statistic (allowed: Average, Maximum, Minimum, "
          "SampleCount, Sum, or a percentile p0.01 to p99.99 such as p99 or p99.9)"]),
        (lambda e: e.metric_gpu_utilization(period_seconds="60"),
         ["metric_gpu_utilization.period_seconds: '60' is not a CloudWatch period (allowed: 10, 20, 30, or a multiple "
          "of 60 seconds)"]),
    ],
)
def test_bad_metric_statistic_or_period_is_a_config_error_naming_the_method(call: Any, lines: list[str]) -> None:
    seen: dict[str, Any] = {}

    def after(endpoint: ServingEndpoint) -> None:
        with pytest.raises(ConfigError) as info:
            call(endpoint)
        seen["message"] = str(info.value)
        seen["high_resolution"] = endpoint.metric_invocations(period_seconds=20).period_seconds

    run_callable(endpoint_program(after=after))
    noun = "problem" if len(lines) == 1 else "problems"
    assert seen["message"] == "\n".join([f"invalid configuration ({len(lines)} {noun}):", *("  " + line for line in lines)])
    assert seen["high_resolution"] == 20


def test_grant_invoke_allows_only_invoking_this_endpoint() -> None:
    plan = default_plan()
    grant = plan.named("churn-invoke-app", ROLE_POLICY)
    assert grant.inputs["role"] == plan.named("app", ROLE).outputs["name"]
    assert doc(grant) == {"Version": "2012-10-17", "Statement": [{
        "Sid": "InvokeEndpoint", "Effect": "Allow", "Action": "sagemaker:InvokeEndpoint",
        "Resource": arn_of(plan, "churn-endpoint"),
    }]}
    assert arn_of(plan, "churn-endpoint") == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}"


def test_grant_invoke_refuses_twice_and_non_roles() -> None:
    def twice(endpoint: ServingEndpoint) -> None:
        role = aws.iam.Role("app", assume_role_policy="{}")
        endpoint.grant_invoke(role)
        with pytest.raises(WiringError) as info:
            endpoint.grant_invoke(role)
        assert str(info.value) == (
            "ServingEndpoint 'churn' already grants invoke to role 'app' (churn-invoke-app); grant once"
        )
        with pytest.raises(WiringError) as info:
            endpoint.grant_invoke("arn:aws:iam::123456789012:role/app")  # type: ignore[arg-type]
        assert str(info.value) == (
            "ServingEndpoint 'churn'.grant_invoke needs an aws.iam.Role resource (so the grant can attach a policy "
            "to it), got str: 'arn:aws:iam::123456789012:role/app'"
        )

    run_callable(endpoint_program(after=twice))


# --- modes ---------------------------------------------------------------------------------------


def test_waiting_for_a_package_declares_no_model_and_warns() -> None:
    plan = waiting_plan()
    names = {r.name for r in plan.descendants(plan.named("churn", COMPONENT).urn)}
    assert names == {"churn-logs", "churn-execution-role", "churn-execution-policy", "churn-sg", "churn-sg-vpc-https",
                     "churn-sg-s3-https", "churn-invoke-app"}
    assert [(d.severity, d.message, d.urn) for d in plan.diagnostics] == [(
        "warning",
        f"ServingEndpoint 'churn' (endpoint {ENDPOINT}) waits for an approved model package: its execution role, "
        "policy and log group are declared, its model, endpoint configuration and endpoint are not; set "
        "model_package to deploy it",
        plan.named("churn", COMPONENT).urn,
    )]
    component = plan.named("churn", COMPONENT)
    assert component.outputs["waiting_for_model"] is True
    assert component.outputs["endpoint_name"] == ENDPOINT
    # The grant works before the endpoint exists: its ARN is deterministic.
    assert doc(plan.named("churn-invoke-app"))["Statement"][0]["Resource"] == (
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}"
    )
    assert "PullInferenceImage" in statements(plan)  # the registry's repository is already known


def test_waiting_without_a_repository_grants_no_ecr_access() -> None:
    plan = run_callable(endpoint_program(model_package=None, image_repository_arn=None))
    assert list(statements(plan)) == [
        "ReadModelArtifacts", "DecryptModelArtifacts", "WriteCaptures", "EncryptCaptures", "WriteEndpointLogs",
        "CreateNetworkInterfacesInPrivateSubnets", "ManageNetworkInterfacesInPrivateSubnets", "DescribeNetworking",
    ]


def test_serverless_runs_outside_the_vpc_without_capture_and_says_so() -> None:
    plan = serverless_plan()
    endpoint_name = "mlplat-dev-churn"
    names = {r.name for r in plan.descendants(plan.named("churn", COMPONENT).urn)}
    assert names == {"churn-logs", "churn-execution-role", "churn-execution-policy", "churn-model", "churn-config",
                     "churn-rollback-5xx", "churn-rollback-latency", "churn-endpoint"}
    assert plan.named("churn", COMPONENT).outputs["serverless"] is True
    assert plan.named("churn-model").declared_inputs == {
        "primaryContainer": {"modelPackageName": PKG}, "executionRoleArn": arn_of(plan, "churn-execution-role"),
    }
    config = plan.named("churn-config").inputs
    assert {k: v for k, v in config.items() if k != "name"} == {
        "namePrefix": f"{endpoint_name}-",
        "productionVariants": [{
            "variantName": "primary", "modelName": plan.named("churn-model").outputs["name"], "initialVariantWeight": 1,
            "serverlessConfig": {"memorySizeInMb": 2048, "maxConcurrency": 5, "provisionedConcurrency": 2},
        }],
    }
    assert list(statements(plan)) == [
        "ReadModelArtifacts", "DecryptModelArtifacts", "PullInferenceImage", "GetEcrAuthorizationToken",
        "WriteEndpointLogs",
    ]
    assert plan.named("churn-rollback-5xx").inputs["dimensions"] == {"EndpointName": endpoint_name,
                                                                     "VariantName": "primary"}


def test_async_inference_writes_to_the_captures_prefix_and_grants_async_invoke() -> None:
    plan = async_plan()
    captures = plan.named("store-captures").outputs["bucket"]
    assert plan.named("churn-config").inputs["asyncInferenceConfig"] == {
        "outputConfig": {
            "s3OutputPath": f"s3://{captures}/{ENDPOINT}/async-output",
            "s3FailurePath": f"s3://{captures}/{ENDPOINT}/async-failures",
            "kmsKeyId": arn_of(plan, "enc-data-key"),
        },
        "clientConfig": {"maxConcurrentInvocationsPerInstance": 4},
    }
    assert statements(plan)["EncryptCaptures"]["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert doc(plan.named("churn-invoke-app"))["Statement"][0]["Action"] == [
        "sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync",
    ]


def test_shadow_variant_shares_the_model() -> None:
    plan = run_callable(endpoint_program(shadow_variants=[{"name": "shadow", "instance_type": "ml.c5.large",
                                                           "initial_instance_count": 1, "initial_weight": 0.5}]))
    config = plan.named("churn-config").inputs
    assert config["shadowProductionVariants"] == [{
        "variantName": "shadow", "modelName": plan.named("churn-model").outputs["name"], "instanceType": "ml.c5.large",
        "initialInstanceCount": 1, "initialVariantWeight": 0.5,
    }]


def test_raw_artifacts_in_dev_pull_from_the_images_repository() -> None:
    plan = run_callable(endpoint_program(
        model_package=None, image_repository_arn=None, image=IMAGE, allow_raw_model_artifacts=True,
        model_data_url="s3://mlplat-dev-models-1/churn/v7/model.tar.gz",
    ))
    assert plan.named("churn-model").inputs["primaryContainer"] == {
        "image": IMAGE, "modelDataUrl": "s3://mlplat-dev-models-1/churn/v7/model.tar.gz",
    }
    assert statements(plan)["PullInferenceImage"]["Resource"] == REPO


# --- autoscaling -----------------------------------------------------------------------------------


def test_autoscaling_tracks_invocations_per_instance_and_scales_down_on_schedule() -> None:
    plan = scaled_plan()
    target = plan.named("churn-primary-scaling-target", TARGET)
    resource_id = f"endpoint/{ENDPOINT}/variant/primary"
    assert target.inputs == {
        "serviceNamespace": "sagemaker", "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "resourceId": resource_id, "minCapacity": 2, "maxCapacity": 4,
    }
    assert target.options == {"ignoreChanges": ["minCapacity", "maxCapacity"]}
    on_target = {"serviceNamespace": "sagemaker", "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
                 "resourceId": resource_id}
    assert plan.named("churn-primary-scaling-policy", POLICY).inputs == {
        **on_target, "name": f"{ENDPOINT}-primary-invocations-per-instance", "policyType": "TargetTrackingScaling",
        "targetTrackingScalingPolicyConfiguration": {
            "predefinedMetricSpecification": {"predefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "targetValue": 150, "scaleInCooldown": 300, "scaleOutCooldown": 60,
        },
    }
    for suffix, cron, capacity in (("scale-down", SCHEDULE["scale_down_cron"], 1),
                                   ("scale-up", SCHEDULE["scale_up_cron"], None)):
        action = plan.named(f"churn-primary-{suffix}", SCHEDULED)
        assert action.inputs == {
            **on_target, "name": f"{ENDPOINT}-primary-{suffix}", "schedule": cron, "timezone": "Europe/Paris",
            "scalableTargetAction": {"minCapacity": capacity or 2, "maxCapacity": capacity or 4},
        }, action.urn
        assert target.urn in action.property_dependencies["resourceId"]


def test_an_instance_type_change_replaces_the_scalable_target_before_the_endpoint_update() -> None:
    plan = scaled_plan()
    guard = plan.named("churn-primary-scaling-guard", STASH)
    assert guard.inputs == {"input": "ml.m5.large"}
    assert guard.options == {"replaceOnChanges": ["input"], "deleteBeforeReplace": True}
    # The endpoint waits for the guard; the target (and so its policies) depends on it by property,
    # so a delete-before-replace of the guard deletes them before the endpoint is updated.
    assert guard.urn in plan.named("churn-endpoint").dependencies
    target = plan.named("churn-primary-scaling-target")
    assert set(target.property_dependencies["resourceId"]) == {guard.urn, plan.named("churn-endpoint").urn}
    assert target.urn in plan.named("churn-primary-scaling-policy").property_dependencies["resourceId"]


def test_a_schedule_without_autoscaling_pins_the_initial_count() -> None:
    plan = run_callable(endpoint_program(scale_down_schedule={**SCHEDULE, "capacity": 1}))
    assert plan.named("churn-primary-scaling-target").inputs["minCapacity"] == 2
    assert [r.name for r in plan.of_type(POLICY)] == []
    assert plan.named("churn-primary-scale-up").inputs["scalableTargetAction"] == {"minCapacity": 2, "maxCapacity": 2}


# --- preview and contracts -----------------------------------------------------------------------


def test_preview_runs_with_known_names_and_unknown_arns() -> None:
    plan = run_callable(endpoint_program(autoscaling=AUTOSCALING), preview=True)
    endpoint = plan.named("churn-endpoint").inputs
    assert endpoint["name"] == ENDPOINT
    assert endpoint["deploymentConfig"]["autoRollbackConfiguration"]["alarms"][0] == {
        "alarmName": f"{ENDPOINT}-rollback-5xx"
    }
    assert is_unknown(plan.named("churn-model").inputs["executionRoleArn"])
    assert plan.named("churn-primary-scaling-target").inputs["resourceId"] == f"endpoint/{ENDPOINT}/variant/primary"
    assert check_plan(plan) == []


def test_declared_endpoints_pass_the_api_contracts() -> None:
    for plan in (default_plan(), scaled_plan(), serverless_plan(), async_plan()):
        assert check_plan(plan) == [], plan


def test_default_args_pass_the_prod_policy_level() -> None:

    def program() -> None:
        from mlplat.components._tags import platform_tags, register_stack_tags

        register_stack_tags(platform_tags(owner="ml@example.com", cost_center="cc", project="mlplat", environment="prod",
                                          data_classification="internal"))
        endpoint_program(full=True, autoscaling=AUTOSCALING)()  # captures into a governed bucket (MLP-EP-03 joins it)

    plan = run_callable(program)
    report = evaluate(plan, environment="prod")
    ours = [f"{v.rule_id} {v.urn}: {v.message}" for v in report.violations + report.cannot_run
            if f"{COMPONENT}$" in v.urn or v.urn.endswith("::churn")]
    # The Model Monitor schedule is DriftMonitor's (monitoring.drift in the stack config), not the endpoint's:
    # alone, the endpoint gets MLP-EP-06's advisory finding and nothing else.
    assert [v.split(" ", 1)[0] for v in ours] == ["MLP-EP-06"], ours
    assert ours[0].endswith("has no model monitoring schedule")


# --- validation (pure) ---------------------------------------------------------------------------

_KEY = aws.kms.Key.__new__(aws.kms.Key)
_NET = Network.__new__(Network)
_MODELS = GovernedBucket(role="models", bucket=None, key=_KEY, arn=None, name=None, store=None)  # type: ignore[arg-type]
_CAPTURES = GovernedBucket(role="captures", bucket=None, key=_KEY, arn=None, name=None, store=None)  # type: ignore[arg-type]
BASE: dict[str, Any] = dict(models_bucket=_MODELS, captures_bucket=_CAPTURES, network=_NET, log_key=_KEY,
                            alarm_actions=(TOPIC,), model_package=PKG, image_repository_arn=REPO)
A = "ServingEndpointArgs"


def problems_of(**fields: Any) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        ServingEndpointArgs(**{**BASE, **fields})
    return [p.render() for p in exc.value.problems]


def test_default_args_are_valid_and_prod_shaped() -> None:
    args = ServingEndpointArgs(**BASE)
    assert [(v.name, v.instance_type, v.initial_instance_count, v.initial_weight) for v in args.variants] == [
        ("primary", "ml.m5.large", 2, 1.0)
    ]
    assert args.data_capture_sampling_percentage == 100 and args.serverless is None
    assert args.deployment.traffic == "CANARY" and args.deployment.canary_size_percent == 10
    assert endpoint_problems("churn", args) == []


BAD_ARGS = [
    pytest.param(dict(image=IMAGE), [
        f"{A}.image: cannot be combined with model_package (choose one model source: the registered package, "
        "or image + model_data_url in dev)",
    ], id="both-model-sources"),
    pytest.param(dict(model_package=None, image_repository_arn=None,
                      image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn:latest",
                      model_data_url="s3://models-bucket/churn/model.tar.gz"), [
        f"{A}.allow_raw_model_artifacts: False must be True to deploy image + model_data_url instead of a registered "
        "model package (dev only: staging and prod deploy approved packages, MLP-MDL-03)",
        f"{A}.image: '{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn:latest' is not pinned by digest (use "
        "<registry>/<repository>@sha256:<64 hex>; tags can be moved, MLP-MDL-02)",
    ], id="unpinned-image-without-dev-flag"),
    pytest.param(dict(model_package=None, image_repository_arn=None, image=IMAGE, allow_raw_model_artifacts=True), [
        f"{A}.model_data_url: is required with image (a raw model needs both)",
    ], id="image-without-artifact"),
    pytest.param(dict(image_repository_arn=f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/other", image=IMAGE,
                      model_package=None, model_data_url="s3://models-bucket/churn/m.tar.gz",
                      allow_raw_model_artifacts=True), [
        f"{A}.image_repository_arn: 'arn:aws:ecr:{REGION}:{ACCOUNT}:repository/other' does not match the image's "
        f"repository '{REPO}' (omit it: it is derived from the image)",
    ], id="repository-mismatch"),
    pytest.param(dict(model_package=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn",
                      image_repository_arn=None), [
        f"{A}.model_package: 'arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn' is not a versioned model "
        "package ARN from the registry (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>) or "
        "'latest-approved'",
        f"{A}.image_repository_arn: is required with model_package (the ECR repository of the package's "
        "inference image: the execution role may pull only from it; a family the model registry declares "
        "provides it)",
    ], id="unversioned-package-without-repository"),
    pytest.param(dict(variants=[{"name": "a", "instance_type": "ml.m5.huge", "initial_instance_count": 0,
                                 "initial_weight": -1}, {"name": "a", "initial_weight": 0}]), [
        f"{A}.variants.0.instance_type: 'ml.m5.huge' is not a SageMaker hosting instance type (botocore "
        "ProductionVariantInstanceType; ml.m5.* has ml.m5.12xlarge, ml.m5.24xlarge, ml.m5.2xlarge, ml.m5.4xlarge, "
        "ml.m5.large, ml.m5.xlarge)",
        f"{A}.variants.0.initial_instance_count: 0 must be at least 1",
        f"{A}.variants.0.initial_weight: -1.0 must be 0 or more (a share relative to the other variants)",
        f"{A}.variants.1.name: 'a' is used by another variant (names must be unique across production and shadow "
        "variants)",
    ], id="variants"),
    pytest.param(dict(variants=[{"initial_weight": 0}], shadow_variants=[{"name": "bad_name"}]), [
        f"{A}.shadow_variants.0.name: 'bad_name' is not a variant name (letters, digits and '-', starting and ending "
        "with a letter or digit, at most 63 characters)",
        f"{A}.variants: all have initial_weight 0: at least one must take traffic",
    ], id="weights-and-variant-names"),
    pytest.param(dict(serverless={"memory_size_in_mb": 1500, "max_concurrency": 300, "provisioned_concurrency": 400},
                      variants=[{}], shadow_variants=[{"name": "s"}], async_inference={},
                      data_capture_sampling_percentage=50, autoscaling=AUTOSCALING, scale_down_schedule=SCHEDULE), [
        f"{A}.variants: cannot be used with serverless: provisioned variants (serverless is the alternative: drop one "
        "of them)",
        f"{A}.shadow_variants: cannot be used with serverless: shadow variants (AWS offers them for provisioned "
        "endpoints only)",
        f"{A}.async_inference: cannot be used with serverless: async inference (AWS offers it for provisioned "
        "endpoints only)",
        f"{A}.data_capture_sampling_percentage: cannot be used with serverless: data capture (AWS does not capture "
        "serverless traffic)",
        f"{A}.autoscaling: cannot be used with serverless: autoscaling (a serverless endpoint scales with requests, "
        "to zero when idle)",
        f"{A}.scale_down_schedule: cannot be used with serverless: a scale-down schedule (a serverless endpoint "
        "already scales to zero when idle)",
        f"{A}.serverless.memory_size_in_mb: 1500 is not a serverless memory size (allowed: 1024, 2048, 3072, 4096, "
        "5120, 6144)",
        f"{A}.serverless.max_concurrency: 300 must be 1 to 200",
        f"{A}.serverless.provisioned_concurrency: 400 must be 1 to max_concurrency (300)",
    ], id="serverless-combinations"),
    pytest.param(dict(shadow_variants=[{"name": "s1"}, {"name": "s2"}], variants=[{"name": "a"}, {"name": "b"}],
                      async_inference={}), [
        f"{A}.shadow_variants: 2 lists more than one shadow variant (the API takes one)",
        f"{A}.shadow_variants: need exactly one production variant (the API takes one with a shadow; variants has 2)",
        f"{A}.shadow_variants: cannot be used with async_inference (SageMaker shadow tests exclude asynchronous "
        "endpoints)",
    ], id="shadow-combinations"),
    pytest.param(dict(deployment={"canary_size_percent": 0, "wait_in_seconds": 4000, "termination_wait_in_seconds": 0,
                                  "maximum_execution_timeout_in_seconds": 700,
                                  "rollback_alarm_names": [f"a{i}" for i in range(8)] + ["a0"]}), [
        f"{A}.deployment.canary_size_percent: 0 must be 1 to 50 (the API takes a canary of at most half the capacity)",
        f"{A}.deployment.wait_in_seconds: 4000 must be 0 to 3600 seconds (the API's bounds)",
        f"{A}.deployment.maximum_execution_timeout_in_seconds: 700 must be longer than the deployment's waits "
        "(4000 s: traffic steps and termination wait)",
        f"{A}.deployment.rollback_alarm_names: 9 lists more than 8 alarms (the API takes 10, the endpoint's own 5XX "
        "and latency alarms included)",
        f"{A}.deployment.rollback_alarm_names: ('a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a0') lists an alarm "
        "twice",
    ], id="deployment-bounds"),
    pytest.param(dict(deployment={"traffic": "LINEAR", "linear_step_percent": 5, "maximum_execution_timeout_in_seconds": 30000,
                                  "rollback_5xx_errors_threshold": 0, "rollback_model_latency_p99_ms": 0}), [
        f"{A}.deployment.linear_step_percent: 5 must be 10 to 50 (the API's linear step sizes)",
        f"{A}.deployment.maximum_execution_timeout_in_seconds: 30000 must be 600 to 28800 seconds (the API's bounds)",
        f"{A}.deployment.rollback_5xx_errors_threshold: 0 must be at least 1 error per minute",
        f"{A}.deployment.rollback_model_latency_p99_ms: 0.0 must be more than 0 milliseconds",
    ], id="linear-bounds"),
    pytest.param(dict(deployment={"traffic": "BOTH"}), [
        f"{A}.deployment.traffic: 'BOTH' is not allowed (allowed: 'ALL_AT_ONCE', 'CANARY' or 'LINEAR')",
    ], id="traffic-literal"),
    pytest.param(dict(autoscaling={"min_capacity": 0, "max_capacity": 3, "target_invocations_per_instance": 0},
                      scale_down_schedule={"scale_down_cron": "0 20 * * *", "scale_up_cron": "0 20 * * *",
                                           "timezone": "Mars/Base", "capacity": 5}), [
        f"{A}.autoscaling.min_capacity: 0 must be at least 1 (a variant cannot scale to 0 instances)",
        f"{A}.autoscaling.target_invocations_per_instance: 0.0 must be more than 0",
        f"{A}.scale_down_schedule.scale_down_cron: '0 20 * * *' is not an Application Auto Scaling cron expression "
        "(cron(Minutes Hours Day-of-month Month Day-of-week Year), e.g. 'cron(0 20 ? * MON-FRI *)')",
        f"{A}.scale_down_schedule.scale_up_cron: '0 20 * * *' is not an Application Auto Scaling cron expression "
        "(cron(Minutes Hours Day-of-month Month Day-of-week Year), e.g. 'cron(0 20 ? * MON-FRI *)')",
        f"{A}.scale_down_schedule.scale_up_cron: '0 20 * * *' is the same as scale_down_cron",
        f"{A}.scale_down_schedule.timezone: 'Mars/Base' is not an IANA time zone (e.g. Europe/Paris)",
        f"{A}.scale_down_schedule.capacity: 5 is above autoscaling.max_capacity (3): that is no scale-down",
    ], id="scaling"),
    pytest.param(dict(scale_down_schedule={**SCHEDULE, "capacity": 0}), [
        f"{A}.scale_down_schedule.capacity: 0 must be at least 1 (provisioned variants cannot scale to 0; serverless "
        "endpoints scale to zero on their own)",
    ], id="no-scale-to-zero"),
    pytest.param(dict(models_bucket=_CAPTURES, alarm_actions=(), data_capture_sampling_percentage=0,
                      log_retention_days=10, name_prefix="bad_", async_inference={"max_concurrent_invocations_per_instance": 0}), [
        f"{A}.models_bucket: is the 'captures' bucket; pass the store's 'models' bucket (store.models)",
        f"{A}.alarm_actions: () is empty: give at least one action (e.g. an SNS topic ARN); a rollback nobody hears "
        "about goes unnoticed (MLP-CW-01)",
        f"{A}.data_capture_sampling_percentage: 0 must be 1 to 100",
        f"{A}.async_inference.max_concurrent_invocations_per_instance: 0 must be 1 to 1000 (the API's bounds)",
        f"{A}.log_retention_days: 10 is not a CloudWatch Logs retention period (allowed: 1, 3, 5, 7, 14, 30, 60, 90, "
        "120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)",
        f"{A}.name_prefix: 'bad_' is not an endpoint name prefix (letters, digits and '-', starting with a letter or "
        "digit, ending with '-', e.g. 'mlplat-prod-')",
    ], id="wiring-and-bounds"),
    pytest.param(dict(alarm_actions=("sns-topic",), source_revision="abc", model_family="Churn_Model"), [
        f"{A}.alarm_actions: 'sns-topic' is not an ARN (or an Output of one)",
        f"{A}.model_family: 'Churn_Model' is not a usable model family name (lowercase letters, digits and '-', "
        "starting with a letter, not ending with '-', at most 32 characters)",
    ], id="actions-and-lineage"),
    pytest.param(dict(source_revision="abc"), [
        f"{A}.source_revision: 'abc' needs model_family (lineage tags name the family first)",
    ], id="revision-without-family"),
    pytest.param(dict(variants=[{"initial_instance_count": "2"}, {"name": "b", "initial_weight": True}]), [
        f"{A}.variants.0.initial_instance_count: '2' is a string, not a whole number",
        f"{A}.variants.1.initial_weight: True is a boolean, not a number",
    ], id="strict-types"),
]


@pytest.mark.parametrize(("fields", "expected"), BAD_ARGS)
def test_bad_args_list_every_problem(fields: dict[str, Any], expected: list[str]) -> None:
    assert problems_of(**fields) == expected


@pytest.mark.parametrize(("name", "fields", "expected"), [
    ("x" * 50, {}, [
        "ServingEndpoint.name: '" + "x" * 50 + "' is longer than 49 characters: the model is auto-named "
        "`<name>-model-<7 hex>` and SageMaker model names are at most 63",
    ]),
    ("churn", dict(name_prefix="p" * 58 + "-"), [
        "ServingEndpoint.endpoint_name: '" + "p" * 58 + "-churn' is not a SageMaker endpoint name (letters, digits "
        "and '-', starting and ending with a letter or digit, at most 63 characters); it is "
        "`<ServingEndpointArgs.name_prefix><component name>`: shorten either",
    ]),
    ("churn_1", {}, [
        "ServingEndpoint.endpoint_name: 'churn_1' is not a SageMaker endpoint name (letters, digits and '-', starting "
        "and ending with a letter or digit, at most 63 characters); it is "
        "`<ServingEndpointArgs.name_prefix><component name>`: shorten either",
    ]),
    ("churn", dict(model_package=None, image_repository_arn=None, image=IMAGE, allow_raw_model_artifacts=True,
                   model_data_url="s3://models-bucket/other/model.tar.gz"), [
        f"{A}.model_data_url: 's3://models-bucket/other/model.tar.gz' is not under the model artifacts prefix "
        "'churn/' (the execution role may read only there; set model_artifacts_prefix)",
    ]),
])
def test_names_derived_from_the_component_name_are_checked(name: str, fields: dict[str, Any], expected: list[str]) -> None:
    args = ServingEndpointArgs(**{**BASE, **fields})
    assert [p.render() for p in endpoint_problems(name, args)] == expected
    with pytest.raises(ConfigError) as exc:
        run_callable(endpoint_program(name, **{"name_prefix": "", **fields}))
    assert [p.render() for p in exc.value.problems] == expected


def test_pure_helpers() -> None:
    assert image_repository_arn(IMAGE) == REPO
    assert image_repository_arn(f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/team/churn@sha256:" + "b" * 64) == (
        f"arn:aws-cn:ecr:cn-north-1:{ACCOUNT}:repository/team/churn"
    )
    assert config_name_prefix(ENDPOINT) == f"{ENDPOINT}-"
    long_name = "a" * 40 + "-" + "b" * 10
    assert config_name_prefix(long_name) == "a" * 36 + "-" and len(config_name_prefix(long_name)) == 37
    assert hosting_instance_types() == frozenset(shape_enum("sagemaker", "ProductionVariantInstanceType"))
    assert alarm_metric_args([_metric()], "SUM", "x") == {
        "namespace": "AWS/SageMaker", "metric_name": "Invocations", "dimensions": {"EndpointName": "e"},
        "period": 60, "statistic": "Sum",
    }


def _metric():
    from mlplat.components._metrics import Metric

    return Metric("AWS/SageMaker", "Invocations", {"EndpointName": "e"}, statistic="Sum")


def test_args_keep_the_old_keyword_with_a_deprecation_warning():
    fields = {k: v for k, v in BASE.items() if k != "model_package"}
    with pytest.warns(DeprecationWarning, match=r"model_package_arn=\.\.\.\) is deprecated: use model_package="):
        args = ServingEndpointArgs(**fields, model_package_arn=BASE["model_package"])
    assert args.model_package == BASE["model_package"]


def test_args_refuse_latest_approved_which_only_the_platform_resolves():
    with pytest.raises(ConfigError) as excinfo:
        ServingEndpointArgs(**{**BASE, "model_package": "latest-approved", "model_family": "churn"})
    assert excinfo.value.paths == ("ServingEndpointArgs.model_package",)
    assert "resolves from the stack config (MLPlatform)" in str(excinfo.value)
