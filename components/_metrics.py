"""CloudWatch metrics as values: components hand them out, alarms and dashboards consume them.

A component that emits metrics offers `metric_*()` methods returning `Metric`s with the official
namespace, metric name and dimensions, and a sensible default statistic (Sum for counts, Average
or p99 for latency). Alarms and dashboards take these objects, never hand-typed metric names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

import pulumi

STANDARD_STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric and how to aggregate it.

    `statistic` is a standard statistic (Sum, Average, ...) or a percentile such as "p99", which
    CloudWatch takes as an extended statistic. `dimensions` may hold Outputs (an endpoint name that
    is known only after deployment).
    """

    namespace: str
    metric_name: str
    dimensions: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    statistic: str = "Average"
    period_seconds: int = 60
    unit: Optional[str] = None
    label: Optional[str] = None

    def __post_init__(self) -> None:
        if self.statistic not in STANDARD_STATISTICS and not _is_percentile(self.statistic):
            raise ValueError(
                f"Metric.statistic: {self.statistic!r} is not a CloudWatch statistic "
                f"(allowed: {', '.join(sorted(STANDARD_STATISTICS))} or a percentile such as p99)"
            )
        if self.period_seconds not in (10, 30) and (self.period_seconds < 60 or self.period_seconds % 60):
            raise ValueError(
                f"Metric.period_seconds: {self.period_seconds} is not a CloudWatch period (10, 30, or a multiple of 60)"
            )

    def with_(self, **changes: Any) -> "Metric":
        """A copy with other statistic, period, label...: `m.with_(statistic="p90")`."""
        return replace(self, **changes)

    @property
    def is_extended(self) -> bool:
        return _is_percentile(self.statistic)

    def alarm_args(self) -> dict[str, Any]:
        """The metric part of an `aws.cloudwatch.MetricAlarm` (statistic or extended_statistic)."""
        args: dict[str, Any] = {
            "namespace": self.namespace,
            "metric_name": self.metric_name,
            "dimensions": dict(self.dimensions),
            "period": self.period_seconds,
        }
        if self.is_extended:
            args["extended_statistic"] = self.statistic
        else:
            args["statistic"] = self.statistic
        if self.unit:
            args["unit"] = self.unit
        return args

    def dashboard_entry(self) -> pulumi.Output[list[Any]]:
        """The metric as a dashboard widget's `metrics` row."""
        def row(dimensions: Mapping[str, str]) -> list[Any]:
            entry: list[Any] = [self.namespace, self.metric_name]
            for key, value in dimensions.items():
                entry += [key, value]
            options: dict[str, Any] = {"stat": self.statistic, "period": self.period_seconds}
            if self.label:
                options["label"] = self.label
            entry.append(options)
            return entry

        return pulumi.Output.from_input(dict(self.dimensions)).apply(row)


def _is_percentile(statistic: str) -> bool:
    if not statistic.startswith("p"):
        return False
    try:
        value = float(statistic[1:])
    except ValueError:
        return False
    return 0 < value < 100
