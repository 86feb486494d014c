"""Metric values: statistics and periods CloudWatch accepts, alarm arguments."""

from __future__ import annotations

import pytest

from mlplat.components._metrics import Metric


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


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"statistic": "Median"}, "Metric.statistic: 'Median' is not a CloudWatch statistic"),
    ({"statistic": "p100"}, "Metric.statistic: 'p100' is not a CloudWatch statistic"),
    ({"period_seconds": 45}, "Metric.period_seconds: 45 is not a CloudWatch period"),
])
def test_invalid_statistics_and_periods_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Metric("AWS/SageMaker", "Invocations", **kwargs)
