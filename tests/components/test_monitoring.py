"""Monitoring: the alarm topic, endpoint alarms, the composite alarm and the dashboard.

Endpoints here are `EndpointDouble`s: a test double of ServingEndpoint that implements the
`MonitoredEndpoint` protocol with real `Metric` objects of the official SageMaker metrics, and
declares no resources. The last tests monitor a real ServingEndpoint (alarms and drift loop).
"""

from __future__ import annotations

import functools
import json
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
import pytest

from mlplat.components._metrics import Metric
from mlplat.core.errors import ConfigError
from mlplat.components.monitoring import (
    ACCELERATOR_COUNTS,
    AlarmTopic,
    AlarmTopicArgs,
    EndpointMonitoring,
    EndpointMonitoringArgs,
    MonitoredEndpoint,
    endpoint_alarm_specs,
    instance_accelerators,
    instance_vcpus,
    is_accelerated,
    subscription_suffix,
)
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, is_unknown

ACCOUNT = "123456789012"
ENDPOINT = "mlplat-test-fraud"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"

SAGEMAKER = "AWS/SageMaker"
INSTANCES = "/aws/sagemaker/Endpoints"
# method -> (namespace, metric name, default statistic): the official SageMaker endpoint metrics.
DOUBLE_METRICS: dict[str, tuple[str, str, str]] = {
    "metric_invocations": (SAGEMAKER, "Invocations", "Sum"),
    "metric_invocation_5xx_errors": (SAGEMAKER, "Invocation5XXErrors", "Sum"),
    "metric_invocation_4xx_errors": (SAGEMAKER, "Invocation4XXErrors", "Sum"),
    "metric_model_latency": (SAGEMAKER, "ModelLatency", "p99"),
    "metric_overhead_latency": (SAGEMAKER, "OverheadLatency", "p99"),
    "metric_invocations_per_instance": (SAGEMAKER, "InvocationsPerInstance", "Sum"),
    "metric_cpu_utilization": (INSTANCES, "CPUUtilization", "Average"),
    "metric_memory_utilization": (INSTANCES, "MemoryUtilization", "Average"),
    "metric_disk_utilization": (INSTANCES, "DiskUtilization", "Average"),
    "metric_gpu_utilization": (INSTANCES, "GPUUtilization", "Average"),
    "metric_gpu_memory_utilization": (INSTANCES, "GPUMemoryUtilization", "Average"),
}


class EndpointDouble:
    """Test double of ServingEndpoint (MonitoredEndpoint + CapturingEndpoint), no resources.

    `namespace_prefix` relabels every metric's namespace, so a test can prove alarms and the
    dashboard take their metrics from the endpoint's Metric objects and nowhere else.
    """

    def __init__(self, endpoint_name: pulumi.Input[str] = ENDPOINT, variant_names: tuple[str, ...] = ("blue",), *,
                 serverless: bool = False, captures_bucket: Any = None, namespace_prefix: str = "") -> None:
        self.endpoint_name = endpoint_name
        self.variant_names = list(variant_names)
        self.serverless = serverless
        self.captures_bucket = captures_bucket
        self.captures_prefix = f"{ENDPOINT}/"
        self.waiting_for_model = False
        self.namespace_prefix = namespace_prefix

    def _metric(self, method: str, variant: Optional[str], statistic: Optional[str], period_seconds: Optional[int]) -> Metric:
        namespace, metric_name, default = DOUBLE_METRICS[method]
        dimensions: dict[str, Any] = {"EndpointName": self.endpoint_name}
        if variant is not None:
            dimensions["VariantName"] = variant
        return Metric(self.namespace_prefix + namespace, metric_name, dimensions, statistic=statistic or default,
                      period_seconds=period_seconds or 60)


def _metric_method(method: str) -> Any:
    def metric(self: EndpointDouble, *, variant: Optional[str] = None, statistic: Optional[str] = None,
               period_seconds: Optional[int] = None) -> Metric:
        return self._metric(method, variant, statistic, period_seconds)

    metric.__name__ = method
    return metric


for _method in DOUBLE_METRICS:
    setattr(EndpointDouble, _method, _metric_method(_method))


# Uninitialised resources pass the Args' isinstance checks without a running program, so the
# validation tests stay pure (no resource is registered anywhere).
KEY = aws.kms.Key.__new__(aws.kms.Key)
TOPIC = AlarmTopic.__new__(AlarmTopic)


# The default program's alarms, in declaration order.
ALARM_SUFFIXES = [
    f"{variant}-{kind}"
    for variant, instance in (("blue", "cpu-utilization"), ("green", "gpu-utilization"))
    for kind in ("5xx-errors", "4xx-error-rate", "model-latency-p99", "overhead-latency-p99", instance, "disk-utilization")
]


def monitoring_program(endpoint_kwargs: Optional[dict[str, Any]] = None, **fields: Any):
    def program() -> None:
        key = aws.kms.Key("alerts-key")
        topic = AlarmTopic("alarms", AlarmTopicArgs(
            key=key, emails=("oncall@example.com",), https=("https://hooks.example.com/mlplat",)))
        kwargs = {"variant_names": ("blue", "green"), **(endpoint_kwargs or {})}
        endpoint = EndpointDouble(pulumi.Output.from_input(ENDPOINT), **kwargs)
        if not endpoint.serverless:
            fields.setdefault("instance_types", {"blue": "ml.m5.xlarge", "green": "ml.g5.12xlarge"})
        monitoring = EndpointMonitoring("fraud", EndpointMonitoringArgs(endpoint=endpoint, alarm_topic=topic, **fields))
        program.component = monitoring  # type: ignore[attr-defined]

    return program


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run_callable(monitoring_program())


def topic_arn(plan: Plan) -> str:
    return plan.named("alarms-topic").outputs["arn"]


def alarm(plan: Plan, suffix: str):
    return plan.named(f"fraud-{suffix}", METRIC_ALARM)


def rendered(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [p.render() for p in exc.value.problems]


# --- the tree ---------------------------------------------------------------------------------


def _in(component: str, type_token: str, name: str) -> tuple[str, str]:
    return (f"urn:pulumi:test::project::mlplat:monitoring:{component}${type_token}::{name}", type_token)


def test_resource_tree_is_the_contract(plan):
    # Renaming a child replaces live infrastructure: this list changes only with an alias.
    assert plan.tree() == sorted(
        [
            ("urn:pulumi:test::project::aws:kms/key:Key::alerts-key", "aws:kms/key:Key"),
            ("urn:pulumi:test::project::mlplat:monitoring:AlarmTopic::alarms", "mlplat:monitoring:AlarmTopic"),
            _in("AlarmTopic", "aws:sns/topic:Topic", "alarms-topic"),
            _in("AlarmTopic", "aws:sns/topicPolicy:TopicPolicy", "alarms-policy"),
            _in("AlarmTopic", SUBSCRIPTION, "alarms-email-d876c66b"),
            _in("AlarmTopic", SUBSCRIPTION, "alarms-https-20ebfc15"),
            ("urn:pulumi:test::project::mlplat:monitoring:EndpointMonitoring::fraud", "mlplat:monitoring:EndpointMonitoring"),
            *(_in("EndpointMonitoring", METRIC_ALARM, f"fraud-{suffix}") for suffix in ALARM_SUFFIXES),
            _in("EndpointMonitoring", COMPOSITE, "fraud-health"),
            _in("EndpointMonitoring", DASHBOARD, "fraud-dashboard"),
        ]
    )


def test_subscription_suffixes_derive_from_the_address_not_its_position():
    assert subscription_suffix("email", "oncall@example.com") == "email-d876c66b"
    assert subscription_suffix("email", "OnCall@Example.com") == subscription_suffix("email", "oncall@example.com")
    assert subscription_suffix("email", "a@example.com") != subscription_suffix("email", "b@example.com")


# --- alarm topic ------------------------------------------------------------------------------


def test_topic_is_encrypted_with_the_given_key(plan):
    topic = plan.named("alarms-topic")
    assert topic.inputs == {
        "kmsMasterKeyId": plan.named("alerts-key").outputs["arn"],
        "signatureVersion": 2,
        "name": topic.inputs["name"],
    }
    assert topic.inputs["name"].startswith("alarms-topic-")


def test_topic_policy_admits_only_cloudwatch_and_eventbridge_of_this_account(plan):
    policy = plan.named("alarms-policy")
    assert policy.inputs["arn"] == topic_arn(plan)
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowAlarmPublishers",
                "Effect": "Allow",
                "Principal": {"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                "Action": "sns:Publish",
                "Resource": topic_arn(plan),
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
    }


def test_subscriptions_deliver_email_and_https(plan):
    subscriptions = sorted((s.inputs["protocol"], s.inputs["endpoint"], s.inputs["topic"]) for s in plan.of_type(SUBSCRIPTION))
    assert subscriptions == [
        ("email", "oncall@example.com", topic_arn(plan)),
        ("https", "https://hooks.example.com/mlplat", topic_arn(plan)),
    ]
    assert all(s.outputs["pendingConfirmation"] for s in plan.of_type(SUBSCRIPTION))


# --- alarms -----------------------------------------------------------------------------------


def _actions(plan: Plan) -> dict[str, Any]:
    return {"actionsEnabled": True, "alarmActions": [topic_arn(plan)], "okActions": [topic_arn(plan)]}


def _window() -> dict[str, Any]:
    return {"comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 5, "datapointsToAlarm": 3}


def _dims(variant: str) -> dict[str, str]:
    return {"EndpointName": ENDPOINT, "VariantName": variant}


def test_5xx_alarm_sums_errors_per_variant(plan):
    assert alarm(plan, "blue-5xx-errors").declared_inputs == {
        **_actions(plan), **_window(),
        "alarmDescription": "Variant blue returned more than 5 5XX errors per 60 s: the model container is failing; "
                            "check its logs.",
        "namespace": SAGEMAKER, "metricName": "Invocation5XXErrors", "dimensions": _dims("blue"),
        "period": 60, "statistic": "Sum", "threshold": 5, "treatMissingData": "notBreaching",
    }


def test_4xx_alarm_is_an_error_rate_in_metric_math(plan):
    def query(query_id: str, metric_name: str) -> dict[str, Any]:
        return {"id": query_id, "returnData": False, "metric": {
            "namespace": SAGEMAKER, "metricName": metric_name, "dimensions": _dims("green"), "period": 60, "stat": "Sum"}}

    assert alarm(plan, "green-4xx-error-rate").declared_inputs == {
        **_actions(plan), **_window(),
        "alarmDescription": "More than 5% of variant green's invocations end in a 4XX error: clients send requests "
                            "the model refuses.",
        "threshold": 0.05, "treatMissingData": "notBreaching",
        "metricQueries": [
            query("errors", "Invocation4XXErrors"),
            query("invocations", "Invocations"),
            {"id": "result", "expression": "FILL(errors, 0) / invocations", "label": "green-4xx-error-rate",
             "returnData": True},
        ],
    }


def test_latency_alarms_use_p99_in_microseconds(plan):
    for kind, metric_name, threshold, what in (
        ("model-latency-p99", "ModelLatency", 1_000_000, "p99 model latency is above 1000 ms."),
        ("overhead-latency-p99", "OverheadLatency", 100_000, "p99 SageMaker overhead latency is above 100 ms."),
    ):
        resource = alarm(plan, f"blue-{kind}")
        assert resource.declared_inputs == {
            **_actions(plan), **_window(),
            "alarmDescription": f"Variant blue's {what}",
            "namespace": SAGEMAKER, "metricName": metric_name, "dimensions": _dims("blue"), "period": 60,
            "extendedStatistic": "p99", "evaluateLowSampleCountPercentiles": "ignore",
            "threshold": threshold, "treatMissingData": "notBreaching",
        }, resource.urn


def test_cpu_alarm_on_a_cpu_variant_scales_with_its_vcpus(plan):
    assert alarm(plan, "blue-cpu-utilization").declared_inputs == {
        **_actions(plan), **_window(),
        "alarmDescription": "Variant blue (ml.m5.xlarge) averages above 90 % on each of its 4 vCPUs.",
        "namespace": INSTANCES, "metricName": "CPUUtilization", "dimensions": _dims("blue"), "period": 60,
        "statistic": "Average", "threshold": 360, "treatMissingData": "missing",
    }


def test_gpu_alarm_on_an_accelerated_variant_scales_with_its_gpus(plan):
    assert alarm(plan, "green-gpu-utilization").declared_inputs == {
        **_actions(plan), **_window(),
        "alarmDescription": "Variant green (ml.g5.12xlarge) averages above 90 % on each of its 4 accelerators.",
        "namespace": INSTANCES, "metricName": "GPUUtilization", "dimensions": _dims("green"), "period": 60,
        "statistic": "Average", "threshold": 360, "treatMissingData": "missing",
    }
    names = {r.name for r in plan.of_type(METRIC_ALARM)}
    assert "fraud-green-cpu-utilization" not in names and "fraud-blue-gpu-utilization" not in names


def test_disk_alarm(plan):
    assert alarm(plan, "green-disk-utilization").declared_inputs == {
        **_actions(plan), **_window(),
        "alarmDescription": "Variant green's instances have used more than 80 % of their disk.",
        "namespace": INSTANCES, "metricName": "DiskUtilization", "dimensions": _dims("green"), "period": 60,
        "statistic": "Maximum", "threshold": 80, "treatMissingData": "missing",
    }


def _alarm_dimensions(resource) -> list[dict[str, Any]]:
    if "dimensions" in resource.inputs:
        return [resource.inputs["dimensions"]]
    return [q["metric"]["dimensions"] for q in resource.inputs["metricQueries"] if "metric" in q]


def test_every_alarm_names_the_endpoint_and_notifies_the_topic(plan):
    alarms = plan.of_type(METRIC_ALARM) + plan.of_type(COMPOSITE)
    assert len(alarms) == 13
    for resource in alarms:
        assert {k: resource.inputs[k] for k in ("actionsEnabled", "alarmActions", "okActions")} == _actions(plan), resource.urn
    for resource in plan.of_type(METRIC_ALARM):
        dimensions = _alarm_dimensions(resource)
        assert dimensions and all(d["EndpointName"] == ENDPOINT for d in dimensions), resource.urn


def test_composite_alarm_ors_every_alarm(plan):
    names = [alarm(plan, suffix).outputs["name"] for suffix in ALARM_SUFFIXES]
    composite = plan.named("fraud-health", COMPOSITE)
    assert composite.inputs == {
        **_actions(plan),
        "alarmName": f"{ENDPOINT}-health",
        "alarmDescription": "The endpoint is unhealthy: at least one of its alarms is in ALARM.",
        "alarmRule": composite.inputs["alarmRule"],
    }
    assert composite.inputs["alarmRule"] == " OR ".join(f'ALARM("{n}")' for n in names)


def test_alarms_take_their_metrics_from_the_endpoint_only():
    plan = run_callable(monitoring_program({"namespace_prefix": "Double/"}))
    namespaces = set()
    for resource in plan.of_type(METRIC_ALARM):
        if "namespace" in resource.inputs:
            namespaces.add(resource.inputs["namespace"])
        namespaces.update(q["metric"]["namespace"] for q in resource.inputs.get("metricQueries", []) if "metric" in q)
    assert namespaces == {f"Double/{SAGEMAKER}", f"Double/{INSTANCES}"}
    rows = _dashboard_rows(plan)
    assert {row[0] for row in rows} == namespaces


# --- dashboard --------------------------------------------------------------------------------


def _dashboard(plan: Plan) -> dict[str, Any]:
    return json.loads(plan.named("fraud-dashboard", DASHBOARD).inputs["dashboardBody"])


def _dashboard_rows(plan: Plan) -> list[list[Any]]:
    return [row for w in _dashboard(plan)["widgets"] if w["type"] == "metric" for row in w["properties"]["metrics"]]


def test_dashboard_is_named_after_the_endpoint_and_shows_its_alarms(plan):
    dashboard = plan.named("fraud-dashboard", DASHBOARD)
    assert dashboard.inputs["dashboardName"] == ENDPOINT
    alarm_widget = _dashboard(plan)["widgets"][0]
    assert alarm_widget["type"] == "alarm"
    assert alarm_widget["properties"]["alarms"] == [plan.named("fraud-health").outputs["arn"]] + [
        alarm(plan, suffix).outputs["arn"] for suffix in ALARM_SUFFIXES
    ]


def test_dashboard_body_plots_the_endpoints_metrics_per_variant(plan):
    widgets = [w for w in _dashboard(plan)["widgets"] if w["type"] == "metric"]
    assert [w["properties"]["title"] for w in widgets] == [
        "blue: invocations and errors", "blue: latency p99 (microseconds)", "blue: instances (ml.m5.xlarge)",
        "green: invocations and errors", "green: latency p99 (microseconds)", "green: instances (ml.g5.12xlarge)",
    ]
    assert all(w["properties"]["region"] == "us-east-1" and w["properties"]["period"] == 60 for w in widgets)
    green_instances = widgets[5]["properties"]["metrics"]
    assert green_instances == [
        [namespace, metric, "EndpointName", ENDPOINT, "VariantName", "green", {"stat": stat, "period": 60}]
        for namespace, metric, stat in (
            (SAGEMAKER, "InvocationsPerInstance", "Sum"), (INSTANCES, "CPUUtilization", "Average"),
            (INSTANCES, "MemoryUtilization", "Average"), (INSTANCES, "DiskUtilization", "Maximum"),
            (INSTANCES, "GPUUtilization", "Average"), (INSTANCES, "GPUMemoryUtilization", "Average"),
        )
    ]
    plotted = {(row[1], row[5]) for row in _dashboard_rows(plan)}
    for variant in ("blue", "green"):
        for metric in ("Invocations", "Invocation5XXErrors", "Invocation4XXErrors", "ModelLatency", "OverheadLatency"):
            assert (metric, variant) in plotted
    assert ("GPUUtilization", "blue") not in plotted


# --- serverless, preview, options -------------------------------------------------------------


def test_serverless_endpoints_get_no_instance_alarms_and_the_plan_says_so():
    program = monitoring_program({"variant_names": ("only",), "serverless": True})
    plan = run_callable(program)
    assert sorted(r.name for r in plan.of_type(METRIC_ALARM)) == [
        "fraud-only-4xx-error-rate", "fraud-only-5xx-errors", "fraud-only-model-latency-p99",
        "fraud-only-overhead-latency-p99",
    ]
    assert program.component.skipped_alarms == ("only-cpu-utilization", "only-gpu-utilization", "only-disk-utilization")
    messages = [(d.severity, d.message, d.urn) for d in plan.diagnostics]
    assert messages == [(
        "info",
        "EndpointMonitoring fraud: the endpoint is serverless (no instances), so its CPU/GPU and disk utilisation "
        "alarms are skipped",
        plan.named("fraud").urn,
    )]
    assert [w["properties"]["title"] for w in _dashboard(plan)["widgets"][1:]] == [
        "only: invocations and errors", "only: latency p99 (microseconds)"]


def test_thresholds_periods_and_dashboard_name_come_from_args():
    plan = run_callable(monitoring_program(
        period_seconds=300, evaluation_periods=3, datapoints_to_alarm=2, invocation_5xx_errors=1,
        cpu_utilization_percent=50, gpu_counts={"green": 2}, dashboard_name="fraud-ops",
        instance_types={"blue": "ml.c5.9xlarge", "green": "ml.g7.2xlarge"},
    ))
    five = alarm(plan, "blue-5xx-errors").inputs
    assert (five["period"], five["evaluationPeriods"], five["datapointsToAlarm"], five["threshold"]) == (300, 3, 2, 1)
    assert alarm(plan, "blue-cpu-utilization").inputs["threshold"] == 50 * 36
    assert alarm(plan, "green-gpu-utilization").inputs["threshold"] == 90 * 2
    assert plan.named("fraud-dashboard").inputs["dashboardName"] == "fraud-ops"


def test_the_old_argument_names_still_work_and_say_they_are_deprecated():
    endpoint = EndpointDouble()
    endpoint.instance_types = {"blue": "ml.m5.xlarge"}  # type: ignore[attr-defined]
    with pytest.warns(DeprecationWarning, match=r"invocation_5xx_errors_threshold=\.\.\.\) is deprecated: use invocation_5xx_errors="):
        old = EndpointMonitoringArgs(endpoint=endpoint, alarm_topic=TOPIC, invocation_5xx_errors_threshold=2)
    assert old.invocation_5xx_errors == 2
    with pytest.warns(DeprecationWarning, match="email_subscriptions"):
        topic = AlarmTopicArgs(key=KEY, email_subscriptions=("oncall@example.com",))
    assert topic.emails == ("oncall@example.com",)
    with pytest.raises(ConfigError, match="is the old name of emails; give only emails"), pytest.warns(DeprecationWarning):
        AlarmTopicArgs(key=KEY, email_subscriptions=("a@example.com",), emails=("b@example.com",))


def test_preview_runs_with_unknown_names(plan):
    preview = run_callable(monitoring_program(), preview=True)
    assert preview.tree() == plan.tree()
    composite = preview.named("fraud-health", COMPOSITE)
    # Auto-names are generated when the provider checks inputs, so they are known in a preview too;
    # the topic's ARN is not.
    assert composite.inputs["alarmRule"].startswith('ALARM("fraud-blue-5xx-errors-')
    assert is_unknown(composite.inputs["alarmActions"][0])
    assert alarm(preview, "blue-5xx-errors").inputs["dimensions"] == _dims("blue")


# --- instance types ---------------------------------------------------------------------------


@pytest.mark.parametrize(("instance_type", "accelerated", "vcpus", "accelerators"), [
    ("ml.m5.large", False, 2, None),
    ("ml.m5.xlarge", False, 4, None),
    ("ml.c5.18xlarge", False, 72, None),
    ("ml.t2.medium", False, 2, None),
    ("ml.g5.2xlarge", True, 8, 1),
    ("ml.g5.48xlarge", True, 192, 8),
    ("ml.p4d.24xlarge", True, 96, 8),
    ("ml.inf2.xlarge", True, 4, 1),
    ("ml.trn1.32xlarge", True, 128, 16),
    ("m5.xlarge", False, None, None),
])
def test_instance_type_helpers(instance_type, accelerated, vcpus, accelerators):
    assert is_accelerated(instance_type) is accelerated
    assert instance_vcpus(instance_type) == vcpus
    assert instance_accelerators(instance_type) == accelerators


def test_accelerator_table_only_lists_accelerated_types():
    assert all(is_accelerated(t) for t in ACCELERATOR_COUNTS)


# --- validation -------------------------------------------------------------------------------


def test_double_implements_the_protocol():
    assert isinstance(EndpointDouble(), MonitoredEndpoint)


def test_bad_monitoring_args_list_every_problem():
    endpoint = EndpointDouble(variant_names=("blue", "green"))
    with pytest.raises(ConfigError) as exc:
        EndpointMonitoringArgs(
            endpoint=endpoint, alarm_topic=TOPIC,
            instance_types={"blue": "m5.xlarge", "red": "ml.m5.large"},
            period_seconds=90, evaluation_periods=2, datapoints_to_alarm=0,
            invocation_5xx_errors=0, invocation_4xx_error_rate=1.5,
            cpu_utilization_percent=120, dashboard_name="fraud ops",
        )
    assert rendered(exc) == [
        "EndpointMonitoringArgs.invocation_5xx_errors: 0.0 must be greater than 0",
        "EndpointMonitoringArgs.invocation_4xx_error_rate: 1.5 must be at most 1",
        "EndpointMonitoringArgs.cpu_utilization_percent: 120.0 must be at most 100",
        "EndpointMonitoringArgs.period_seconds: 90 is not a period for minute-resolution metrics (a multiple of 60 "
        "seconds; CloudWatch allows 10, 20 and 30 only for high-resolution metrics)",
        "EndpointMonitoringArgs.datapoints_to_alarm: 0 must be between 1 and evaluation_periods (2)",
        "EndpointMonitoringArgs.dashboard_name: 'fraud ops' is not a dashboard name (letters, digits, '-' and '_', "
        "at most 255)",
        "EndpointMonitoringArgs.instance_types: {'blue': 'm5.xlarge', 'red': 'ml.m5.large'} has no instance type for "
        "variant 'green'",
        "EndpointMonitoringArgs.instance_types: 'm5.xlarge' has no SageMaker instance type for variant 'blue' "
        "(e.g. ml.m5.xlarge)",
        "EndpointMonitoringArgs.instance_types: 'red' names a variant the endpoint does not have (variants: blue, green)",
    ]


def test_alarm_window_longer_than_a_day_is_refused():
    with pytest.raises(ConfigError) as exc:
        EndpointMonitoringArgs(endpoint=EndpointDouble(), alarm_topic=TOPIC, instance_types={"blue": "ml.m5.large"},
                               period_seconds=3600, evaluation_periods=25)
    assert rendered(exc) == [
        "EndpointMonitoringArgs.evaluation_periods: 25 times period_seconds (3600) exceeds one day (86400 s), the "
        "longest window a CloudWatch alarm evaluates",
    ]


def test_instance_types_are_required_for_provisioned_and_refused_for_serverless():
    with pytest.raises(ConfigError) as exc:
        EndpointMonitoringArgs(endpoint=EndpointDouble(variant_names=("blue", "green")), alarm_topic=TOPIC)
    assert rendered(exc) == [
        "EndpointMonitoringArgs.instance_types: is required for a provisioned endpoint (variant name -> instance type, "
        "for variants blue, green)",
    ]
    with pytest.raises(ConfigError) as exc:
        EndpointMonitoringArgs(endpoint=EndpointDouble(serverless=True), alarm_topic=TOPIC,
                               instance_types={"blue": "ml.m5.large"})
    assert rendered(exc) == [
        "EndpointMonitoringArgs.instance_types: {'blue': 'ml.m5.large'} cannot be set for a serverless endpoint "
        "(it has no instances; omit it)",
    ]


def test_unknown_accelerated_types_need_a_gpu_count():
    with pytest.raises(ConfigError) as exc:
        EndpointMonitoringArgs(endpoint=EndpointDouble(), alarm_topic=TOPIC, instance_types={"blue": "ml.g7.2xlarge"},
                               gpu_counts={"red": 0})
    assert rendered(exc) == [
        "EndpointMonitoringArgs.gpu_counts: needs the accelerator count of variant 'blue': ACCELERATOR_COUNTS does "
        "not know ml.g7.2xlarge",
        "EndpointMonitoringArgs.gpu_counts: 'red' names a variant the endpoint does not have (variants: blue)",
    ]


def test_non_endpoints_and_unknown_fields_are_refused():
    with pytest.raises(ConfigError) as exc:
        EndpointMonitoringArgs(endpoint=object(), alarm_topic=TOPIC, thresholds={})
    assert [p.path for p in exc.value.problems] == ["EndpointMonitoringArgs.endpoint", "EndpointMonitoringArgs.thresholds"]
    assert "input should be an instance of MonitoredEndpoint" in exc.value.problems[0].message


def test_bad_topic_args_list_every_problem():
    with pytest.raises(ConfigError) as exc:
        AlarmTopicArgs(
            key=KEY,
            emails=("oncall", "ops@example.com", "OPS@example.com"),
            https=("http://hooks.example.com/x", "https://user:pw@hooks.example.com/y"),
        )
    assert rendered(exc) == [
        "AlarmTopicArgs.emails: 'oncall' is not an email address (name@domain.tld)",
        "AlarmTopicArgs.emails: ('oncall', 'ops@example.com', 'OPS@example.com') lists an address twice",
        "AlarmTopicArgs.https: 'http://hooks.example.com/x' is not an https:// URL with a host (SNS "
        "delivers alarms to HTTPS endpoints only)",
        "AlarmTopicArgs.https: 'https://user:pw@hooks.example.com/y' embeds credentials (they would be "
        "stored in plain text in the state; authenticate the webhook another way)",
    ]


def test_instance_types_default_to_the_endpoints_own():
    endpoint = EndpointDouble()
    endpoint.instance_types = {"blue": "ml.g5.xlarge"}  # type: ignore[attr-defined]
    args = EndpointMonitoringArgs(endpoint=endpoint, alarm_topic=TOPIC)
    assert args.resolved_instance_types == {"blue": "ml.g5.xlarge"}
    assert [spec.suffix for spec in endpoint_alarm_specs(args)] == [
        "blue-5xx-errors", "blue-4xx-error-rate", "blue-model-latency-p99", "blue-overhead-latency-p99",
        "blue-gpu-utilization", "blue-disk-utilization",
    ]


# --- integration: a real ServingEndpoint ------------------------------------------------------


def real_endpoint_program(*, drift: bool = False):
    """Encryption (with an `alerts` key for the topic), ArtifactStore, adopted Network, a real
    ServingEndpoint, the alarm topic and its monitoring (and drift monitor when asked)."""

    from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
    from mlplat.components.drift import DriftMonitor, DriftMonitorArgs
    from mlplat.components.encryption import Encryption, EncryptionArgs
    from mlplat.components.network import ExistingVpcArgs, Network, NetworkArgs
    from mlplat.components.serving_endpoint import ServingEndpoint, ServingEndpointArgs

    def program() -> None:
        keys = Encryption("enc", EncryptionArgs(
            domains=("data", "models", "logs", "alerts"),
            key_users={"logs": ("cloudwatch-logs",), "alerts": ("sns-alarm-publishers",)},
            s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store"),
        ))
        store = ArtifactStore("store", ArtifactStoreArgs(encryption=keys))
        network = Network("net", NetworkArgs(existing=ExistingVpcArgs(
            vpc_id="vpc-0123456789abcdef0", cidr_block="10.1.0.0/16",
            private_subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"))))
        topic = AlarmTopic("alarms", AlarmTopicArgs(key=keys.key("alerts")))
        endpoint = ServingEndpoint("churn", ServingEndpointArgs(
            models_bucket=store.models, captures_bucket=store.captures, network=network, log_key=keys.key("logs"),
            alarm_actions=[topic.arn], name_prefix="mlplat-prod-",
            model_package=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/churn/3",
            image_repository_arn=f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/churn",
        ))
        # Instance types come from the endpoint itself (HasInstanceTypes).
        EndpointMonitoring("churn-monitoring", EndpointMonitoringArgs(endpoint=endpoint, alarm_topic=topic))
        if drift:
            DriftMonitor("churn-drift", DriftMonitorArgs(
                endpoint=endpoint, network=network, alarm_topic=topic, security_group_ids=("sg-0123456789abcdef0",),
                baseline_bucket=store.datasets, baseline_prefix="churn/baseline/",
                features=("tenure",),
                retraining_pipeline_arn=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/churn-retrain",
            ))

    return program


@functools.cache
def real_plan() -> Plan:
    return run_callable(real_endpoint_program(drift=True))


def test_monitors_a_real_serving_endpoint():
    from mlplat.tooling.contracts import check_plan

    plan = real_plan()
    monitoring = plan.named("churn-monitoring")
    alarms = [r for r in plan.descendants(monitoring.urn) if r.type == METRIC_ALARM]
    assert sorted(r.name for r in alarms) == sorted(
        f"churn-monitoring-primary-{kind}" for kind in
        ("5xx-errors", "4xx-error-rate", "model-latency-p99", "overhead-latency-p99", "cpu-utilization", "disk-utilization")
    )
    topic = plan.named("alarms-topic").outputs["arn"]
    for resource in alarms:
        assert all(d == {"EndpointName": "mlplat-prod-churn", "VariantName": "primary"}
                   for d in _alarm_dimensions(resource)), resource.urn
        assert resource.inputs["alarmActions"] == [topic] and resource.inputs["okActions"] == [topic], resource.urn
    latency = plan.named("churn-monitoring-primary-model-latency-p99").inputs
    assert (latency["unit"], latency["threshold"]) == ("Microseconds", 1_000_000)
    assert plan.named("churn-monitoring-primary-cpu-utilization").inputs["threshold"] == 180  # 90 % x 2 vCPUs
    assert plan.named("churn-monitoring-health").inputs["alarmName"] == "mlplat-prod-churn-health"
    assert plan.named("alarms-topic").inputs["kmsMasterKeyId"] == plan.named("enc-alerts-key").outputs["arn"]
    key_policy = json.loads(plan.named("enc-alerts-key").inputs["policy"])
    assert [s["Sid"] for s in key_policy["Statement"]] == [
        "AllowAccountAdministration", "AllowAlarmPublishersToEncryptedTopics"]
    monitored = plan.descendants(monitoring.urn) + plan.descendants(plan.named("alarms").urn)
    sub_plan = Plan(project=plan.project, stack=plan.stack, preview=False, resources=monitored)
    assert [e.render() for e in check_plan(sub_plan)] == []


def test_drift_monitors_a_real_serving_endpoint():
    plan = real_plan()
    from mlplat.tooling.contracts import check_plan

    job = plan.named("churn-drift-job-definition").inputs
    data_key = plan.named("enc-data-key").outputs["arn"]
    captures = plan.named("store-captures")
    assert job["dataQualityJobInput"]["endpointInput"]["endpointName"] == "mlplat-prod-churn"
    assert job["dataQualityJobOutputConfig"]["kmsKeyId"] == data_key
    assert job["dataQualityJobOutputConfig"]["monitoringOutputs"]["s3Output"]["s3Uri"] == (
        f"s3://{captures.outputs['bucket']}/model-monitor/churn-drift/")
    statements = {s["Sid"]: s for s in json.loads(plan.named("churn-drift-job-policy").inputs["policy"])["Statement"]}
    assert statements["ReadCapturedData"]["Resource"] == [f"{captures.outputs['arn']}/mlplat-prod-churn/*"]
    assert statements["ListCapturedData"]["Condition"] == {"StringLike": {"s3:prefix": "mlplat-prod-churn/*"}}
    datasets = plan.named("store-datasets").outputs["arn"]
    assert statements["ReadBaseline"]["Resource"] == [
        f"{datasets}/churn/baseline/constraints.json", f"{datasets}/churn/baseline/statistics.json"]
    assert statements["UseObjectKeysThroughS3"]["Resource"] == [data_key]  # datasets and captures share it
    queries = plan.named("churn-drift-drift-alarm").inputs["metricQueries"]
    assert queries[0]["metric"]["dimensions"] == {
        "Endpoint": "mlplat-prod-churn", "MonitoringSchedule": plan.named("churn-drift-schedule").outputs["name"]}
    drift = plan.descendants(plan.named("churn-drift").urn)
    assert [e.render() for e in check_plan(Plan(project=plan.project, stack=plan.stack, preview=False, resources=drift))] == []
