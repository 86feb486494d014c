"""Monitoring contracts: the requests alarms, Model Monitor and EventBridge resources imply.

The monitoring components' defaults map to requests AWS accepts; one deliberately wrong value per
operation is refused with the request's field path. The endpoint is a test double (real Metric
objects of the official SageMaker metrics, no resources of its own).
"""

from __future__ import annotations

import copy
import dataclasses
from types import SimpleNamespace
from typing import Any, Callable

import pulumi
import pulumi_aws as aws
import pytest

from mlplat.components._metrics import Metric
from mlplat.components.drift import DriftMonitor, DriftMonitorArgs
from mlplat.components.monitoring import AlarmTopic, AlarmTopicArgs, EndpointMonitoring, EndpointMonitoringArgs
from mlplat.components.network import ExistingVpcArgs, Network, NetworkArgs
from mlplat.tooling.contracts import ContractError, check_plan, mapped_types
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan

ENDPOINT = "mlplat-test-fraud"
MONITORING_TYPES = {
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    "aws:cloudwatch/dashboard:Dashboard",
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
}
_METRICS = {  # method -> (namespace, metric name)
    "metric_invocations": ("AWS/SageMaker", "Invocations"),
    "metric_invocation_5xx_errors": ("AWS/SageMaker", "Invocation5XXErrors"),
    "metric_invocation_4xx_errors": ("AWS/SageMaker", "Invocation4XXErrors"),
    "metric_model_latency": ("AWS/SageMaker", "ModelLatency"),
    "metric_overhead_latency": ("AWS/SageMaker", "OverheadLatency"),
    "metric_invocations_per_instance": ("AWS/SageMaker", "InvocationsPerInstance"),
    "metric_cpu_utilization": ("/aws/sagemaker/Endpoints", "CPUUtilization"),
    "metric_memory_utilization": ("/aws/sagemaker/Endpoints", "MemoryUtilization"),
    "metric_disk_utilization": ("/aws/sagemaker/Endpoints", "DiskUtilization"),
    "metric_gpu_utilization": ("/aws/sagemaker/Endpoints", "GPUUtilization"),
    "metric_gpu_memory_utilization": ("/aws/sagemaker/Endpoints", "GPUMemoryUtilization"),
}


class EndpointDouble:
    """Test double of ServingEndpoint: the MonitoredEndpoint and CapturingEndpoint protocols."""

    def __init__(self, captures_bucket: Any) -> None:
        self.endpoint_name = pulumi.Output.from_input(ENDPOINT)
        self.variant_names = ["blue"]
        self.serverless = False
        self.captures_bucket = captures_bucket
        self.captures_prefix = f"{ENDPOINT}/"
        self.waiting_for_model = False


def _metric_method(namespace: str, name: str) -> Callable[..., Metric]:
    def metric(self: EndpointDouble, *, variant: Any = None, statistic: Any = None, period_seconds: Any = None) -> Metric:
        dimensions = {"EndpointName": self.endpoint_name, **({"VariantName": variant} if variant else {})}
        return Metric(namespace, name, dimensions, statistic=statistic or "Sum", period_seconds=period_seconds or 60)

    return metric


for _method, (_namespace, _name) in _METRICS.items():
    setattr(EndpointDouble, _method, _metric_method(_namespace, _name))


def program() -> None:
    topic = AlarmTopic("alarms", AlarmTopicArgs(key=aws.kms.Key("alerts-key")))
    bucket = aws.s3.Bucket("captures")
    endpoint = EndpointDouble(SimpleNamespace(arn=bucket.arn, name=bucket.bucket, key=aws.kms.Key("data-key")))
    EndpointMonitoring("fraud", EndpointMonitoringArgs(endpoint=endpoint, alarm_topic=topic,
                                                       instance_types={"blue": "ml.m5.xlarge"}))
    network = Network("net", NetworkArgs(existing=ExistingVpcArgs(
        vpc_id="vpc-0123456789abcdef0", cidr_block="10.1.0.0/16",
        private_subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"))))
    DriftMonitor("fraud-drift", DriftMonitorArgs(
        endpoint=endpoint, network=network, alarm_topic=topic, security_group_ids=("sg-0123456789abcdef0",),
        baseline_constraints_uri="s3://datasets/fraud/constraints.json",
        baseline_statistics_uri="s3://datasets/fraud/statistics.json",
        features=("amount", "country"),
        retraining_pipeline_arn="arn:aws:sagemaker:us-east-1:123456789012:pipeline/fraud-retrain",
        retraining_pipeline_parameters={"TriggeredBy": "drift-alarm"},
    ))


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run_callable(program)


def test_every_monitoring_type_has_a_mapper():
    assert MONITORING_TYPES <= mapped_types()


def test_defaults_map_to_valid_requests(plan):
    assert MONITORING_TYPES <= {r.type for r in plan.custom_resources}
    assert check_plan(plan) == []


def test_preview_requests_skip_only_unknown_values():
    assert check_plan(run_callable(program, preview=True)) == []


def _errors_with(plan: Plan, name: str, mutate: Callable[[dict[str, Any]], None]) -> list[ContractError]:
    resource = plan.named(name)
    inputs = copy.deepcopy(resource.inputs)
    mutate(inputs)
    wrong = dataclasses.replace(resource, inputs=inputs)
    return check_plan(Plan(project=plan.project, stack=plan.stack, preview=False, resources=[wrong]))


def _only(errors: list[ContractError]) -> tuple[str, str, str]:
    assert len(errors) == 1, [e.render() for e in errors]
    return errors[0].operation, errors[0].path, errors[0].message


def test_put_metric_alarm_refuses_a_comparison_operator(plan):
    operation, path, message = _only(_errors_with(plan, "fraud-blue-5xx-errors",
                                                  lambda p: p.update(comparisonOperator="GreaterThan")))
    assert (operation, path) == ("cloudwatch:PutMetricAlarm", "ComparisonOperator")
    assert message.startswith("'GreaterThan' is not one of the API's values (GreaterThanOrEqualToThreshold, ")


def test_put_metric_alarm_checks_metric_math_periods(plan):
    def mutate(props: dict[str, Any]) -> None:
        props["metricQueries"][0]["metric"]["period"] = 0

    assert _only(_errors_with(plan, "fraud-blue-4xx-error-rate", mutate)) == (
        "cloudwatch:PutMetricAlarm", "Metrics[0].MetricStat.Period", "0 is below the API minimum 1")


def test_put_composite_alarm_refuses_an_empty_rule(plan):
    assert _only(_errors_with(plan, "fraud-health", lambda p: p.update(alarmRule=""))) == (
        "cloudwatch:PutCompositeAlarm", "AlarmRule", "0 characters is below the API minimum 1")


def test_create_data_quality_job_definition_refuses_an_instance_type(plan):
    def mutate(props: dict[str, Any]) -> None:
        props["jobResources"]["clusterConfig"]["instanceType"] = "ml.m5.huge"

    operation, path, message = _only(_errors_with(plan, "fraud-drift-job-definition", mutate))
    assert (operation, path) == ("sagemaker:CreateDataQualityJobDefinition", "JobResources.ClusterConfig.InstanceType")
    assert message.startswith("'ml.m5.huge' is not one of the API's values")


def test_create_monitoring_schedule_refuses_a_monitoring_type(plan):
    def mutate(props: dict[str, Any]) -> None:
        props["monitoringScheduleConfig"]["monitoringType"] = "Drift"

    assert _only(_errors_with(plan, "fraud-drift-schedule", mutate)) == (
        "sagemaker:CreateMonitoringSchedule", "MonitoringScheduleConfig.MonitoringType",
        "'Drift' is not one of the API's values (DataQuality, ModelQuality, ModelBias, ModelExplainability)")


def test_put_rule_refuses_a_state(plan):
    operation, path, message = _only(_errors_with(plan, "fraud-drift-retrain-rule", lambda p: p.update(state="ON")))
    assert (operation, path) == ("events:PutRule", "State")
    assert message.startswith("'ON' is not one of the API's values (ENABLED, DISABLED")


def test_put_targets_checks_pipeline_parameter_names(plan):
    def mutate(props: dict[str, Any]) -> None:
        props["sagemakerPipelineTarget"]["pipelineParameterLists"][0]["name"] = "triggered by"

    operation, path, message = _only(_errors_with(plan, "fraud-drift-retrain-target", mutate))
    assert (operation, path) == ("events:PutTargets", "Targets[0].SageMakerPipelineParameters.PipelineParameterList[0].Name")
    assert message == "'triggered by' does not match the API pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"


def test_a_new_provider_field_is_a_mapping_gap(plan):
    def mutate(props: dict[str, Any]) -> None:
        props["metricQueries"][0]["metric"]["storageResolution"] = 1

    assert _only(_errors_with(plan, "fraud-blue-4xx-error-rate", mutate)) == (
        "(mapping)", "", "property metricQueries[0].metric.'storageResolution' has no member in MetricStat")
