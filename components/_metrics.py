"""CloudWatch metrics as values: components hand them out, alarms and dashboards consume them.

A component that emits metrics offers `metric_*()` methods returning `Metric`s with the official
namespace, metric name and dimensions, and a sensible default statistic (Sum for counts, Average
or p99 for latency). Alarms and dashboards take these objects, never hand-typed metric names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping, Optional

import pulumi

from mlplat.core.aws_models import shape_enum
from mlplat.core.errors import ConfigError, Problem

# CloudWatch's Statistic enum (SampleCount, Average, Sum, Minimum, Maximum), from botocore's model.
STANDARD_STATISTICS = frozenset(shape_enum("cloudwatch", "Statistic"))
STATISTIC_RULE = f"{', '.join(sorted(STANDARD_STATISTICS))}, or a percentile p0.01 to p99.99 such as p99 or p99.9"
# PutMetricAlarm: "Valid values are 10, 20, 30, and any multiple of 60" (10-30 for high-resolution metrics).
PERIOD_RULE = "10, 20, 30, or a multiple of 60 seconds"
HIGH_RESOLUTION_PERIODS = (10, 20, 30)
# A percentile as CloudWatch writes it: p, then up to two digits and two decimals (p99, p95.45).
_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?)$")


def statistic_problems(path: str, statistic: Any) -> list[Problem]:
    """Problems with a CloudWatch statistic: a standard one or a percentile (`path` names the argument)."""
    if isinstance(statistic, str) and (statistic in STANDARD_STATISTICS or _is_percentile(statistic)):
        return []
    return [Problem(path, f"is not a CloudWatch statistic (allowed: {STATISTIC_RULE})", statistic)]


def period_problems(path: str, period_seconds: Any) -> list[Problem]:
    """Problems with a CloudWatch period in seconds (`path` names the argument)."""
    valid = (
        isinstance(period_seconds, int) and not isinstance(period_seconds, bool)
        and (period_seconds in HIGH_RESOLUTION_PERIODS or (period_seconds >= 60 and period_seconds % 60 == 0))
    )
    return [] if valid else [Problem(path, f"is not a CloudWatch period (allowed: {PERIOD_RULE})", period_seconds)]


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
        problems = statistic_problems("Metric.statistic", self.statistic)
        problems += period_problems("Metric.period_seconds", self.period_seconds)
        if problems:
            raise ConfigError(problems)

    def with_(self, **changes: Any) -> "Metric":
        """A copy with other statistic, period, label...: `m.with_(statistic="p90")`."""
        known = [f.name for f in fields(self)]
        unknown = [Problem(f"Metric.with_.{key}", f"is not a field of Metric (allowed: {', '.join(known)})")
                   for key in changes if key not in known]
        if unknown:
            raise ConfigError(unknown)
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
    match = _PERCENTILE.match(statistic)
    return match is not None and 0 < float(match.group(1)) < 100
