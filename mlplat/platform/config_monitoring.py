"""The `monitoring` section of PlatformConfig: who gets alarms, thresholds, and drift loops.

Subscribers are the AlarmTopic's spec, thresholds the EndpointMonitoring's (one set for every
endpoint), and each drift loop a DriftMonitor's spec reading its baseline from the datasets bucket.
"""

from __future__ import annotations

from typing import Mapping, Optional

from pydantic import Field

from mlplat.components.drift import DriftMonitorSpec, baseline_problems
from mlplat.components.monitoring import AlarmTopicSpec, EndpointAlarmsSpec
from mlplat.core.errors import Problem
from mlplat.core.models import StrictModel
from mlplat.core.schedules import HOURLY, SCHEDULES_ALLOWED, check_schedule_expression

__all__ = ["MonitoringConfig", "check_monitoring"]

WHERE = "platform.monitoring"


class MonitoringConfig(StrictModel):
    """Alarm subscribers, the endpoints' alarm thresholds and the drift loops."""

    subscriptions: AlarmTopicSpec = Field(
        default_factory=AlarmTopicSpec,
        description="Who gets alarms. Omitted: nobody (refused in staging and prod).",
    )
    endpoint_alarms: EndpointAlarmsSpec = Field(
        default_factory=EndpointAlarmsSpec, description="Thresholds of every endpoint's alarms. Omitted: the defaults below."
    )
    drift_schedule_expression: str = Field(
        default=HOURLY,
        description=f"Model Monitor schedule of the drift loops that set none: {SCHEDULES_ALLOWED}. Omitted: hourly.",
    )
    drift: dict[str, DriftMonitorSpec] = Field(
        default_factory=dict,
        description="Endpoint name (a name in serving.endpoints) -> its drift loop, whose baseline is under "
        "baseline_prefix in the datasets bucket. Omitted: no drift monitoring.",
    )


def check_monitoring(env: Optional[str], monitoring: MonitoringConfig, endpoints: Optional[Mapping[str, bool]],
                     adopted_vpc: Optional[bool]) -> list[Problem]:
    """`endpoints` maps each serving endpoint's name to whether it is serverless (None: not known, the
    serving section is invalid); `adopted_vpc` says whether network.existing is set (None: not known)."""
    problems = monitoring.subscriptions.problems_at(f"{WHERE}.subscriptions")
    subs = monitoring.subscriptions
    if env is not None and env != "dev" and not (subs.emails or subs.https):
        problems.append(Problem(f"{WHERE}.subscriptions", f"must name at least one email or https subscriber in {env} (alarms need a reader)"))
    problems += monitoring.endpoint_alarms.problems_at(f"{WHERE}.endpoint_alarms")
    problems += check_schedule_expression(f"{WHERE}.drift_schedule_expression", monitoring.drift_schedule_expression)
    for name, loop in monitoring.drift.items():
        where = f"{WHERE}.drift.{name}"
        if endpoints is not None and name not in endpoints:
            problems.append(Problem(f"{WHERE}.drift", f"names no endpoint of platform.serving.endpoints ({', '.join(endpoints) or 'none'})", name))
        elif endpoints is not None and endpoints[name]:
            problems.append(Problem(f"{WHERE}.drift", "names a serverless endpoint (no data capture, so no Model Monitor)", name))
        if adopted_vpc:
            problems.append(Problem(where, "cannot run in an adopted VPC (platform.network.existing): the monitoring job "
                                    "needs a security group the platform creates only in its own network"))
        problems += baseline_problems(where, in_bucket=True, prefix=loop.baseline_prefix, bucket="the datasets bucket")
        problems += loop.problems_at(where)
    return problems
