"""Metric values: statistics and periods CloudWatch accepts, alarm arguments."""

from __future__ import annotations

import pytest

from mlplat.components._metrics import Metric
from mlplat.core.errors import ConfigError

STATISTICS = "Average, Maximum, Minimum, SampleCount, Sum, or a percentile p0.01 to p99.99 such as p99 or p99.9"
PERIODS = "10, 20, 30, or a multiple of 60 seconds"


def test_standard_and_percentile_statistics_map_to_the_right_alarm_field():
    count = Metric("AWS/SageMaker", "Invocations", {"EndpointName": "e", "VariantName": "v"}, statistic="Sum")
    assert count.alarm_args() == {
        "namespace": "AWS/SageMaker", "metric_name": "Invocations",
        "dimensions": {"EndpointName": "e", "VariantName": "v"}, "period": 60, "statistic": "Sum",
    }
    latency = Metric("AWS/SageMaker", "ModelLatency", {"EndpointName": "e"}, statistic="p99", unit="Microseconds")
    args = latency.alarm_args()
    assert args["extended_statistic"] == "p99" and "statistic" not in args and args["unit"] == "Microseconds"
    assert latency.with_(statistic="Average").alarm_args()["statistic"] == "Average"


@pytest.mark.parametrize("statistic", ["p50", "p99", "p99.9", "p95.45", "p0.5", "SampleCount", "Maximum"])
def test_cloudwatch_statistics_are_accepted(statistic):
    assert Metric("AWS/SageMaker", "Invocations", statistic=statistic).statistic == statistic


@pytest.mark.parametrize("period", [10, 20, 30, 60, 300, 86_400])
def test_cloudwatch_periods_are_accepted(period):
    assert Metric("AWS/SageMaker", "Invocations", period_seconds=period).alarm_args()["period"] == period


@pytest.mark.parametrize(("kwargs", "line"), [
    ({"statistic": "Median"}, f"Metric.statistic: 'Median' is not a CloudWatch statistic (allowed: {STATISTICS})"),
    ({"statistic": "sum"}, f"Metric.statistic: 'sum' is not a CloudWatch statistic (allowed: {STATISTICS})"),
    ({"statistic": "p100"}, f"Metric.statistic: 'p100' is not a CloudWatch statistic (allowed: {STATISTICS})"),
    ({"statistic": "p0"}, f"Metric.statistic: 'p0' is not a CloudWatch statistic (allowed: {STATISTICS})"),
    # float() would take these; CloudWatch does not.
    ({"statistic": "p 99"}, f"Metric.statistic: 'p 99' is not a CloudWatch statistic (allowed: {STATISTICS})"),
    ({"statistic": "p9_9"}, f"Metric.statistic: 'p9_9' is not a CloudWatch statistic (allowed: {STATISTICS})"),
    ({"statistic": "p99.999"}, f"Metric.statistic: 'p99.999' is not a CloudWatch statistic (allowed: {STATISTICS})"),
    ({"statistic": None}, f"Metric.statistic: None is not a CloudWatch statistic (allowed: {STATISTICS})"),
    ({"period_seconds": 45}, f"Metric.period_seconds: 45 is not a CloudWatch period (allowed: {PERIODS})"),
    ({"period_seconds": 0}, f"Metric.period_seconds: 0 is not a CloudWatch period (allowed: {PERIODS})"),
    ({"period_seconds": True}, f"Metric.period_seconds: True is not a CloudWatch period (allowed: {PERIODS})"),
    ({"period_seconds": 60.0}, f"Metric.period_seconds: 60.0 is not a CloudWatch period (allowed: {PERIODS})"),
])
def test_invalid_statistics_and_periods_are_config_errors(kwargs, line):
    with pytest.raises(ConfigError) as info:
        Metric("AWS/SageMaker", "Invocations", **kwargs)
    assert str(info.value) == f"invalid configuration (1 problem):\n  {line}"


def test_with_checks_the_new_values_and_names_unknown_fields():
    metric = Metric("AWS/SageMaker", "Invocations")
    with pytest.raises(ConfigError) as info:
        metric.with_(statistic="p101", period_seconds=90)
    assert info.value.paths == ("Metric.statistic", "Metric.period_seconds")
    with pytest.raises(ConfigError) as info:
        metric.with_(stat="p90")
    assert str(info.value) == (
        "invalid configuration (1 problem):\n  Metric.with_.stat: is not a field of Metric (allowed: namespace, "
        "metric_name, dimensions, statistic, period_seconds, unit, label)"
    )
