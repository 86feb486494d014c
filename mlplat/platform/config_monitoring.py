"""The `monitoring` section of PlatformConfig: who gets alarms, thresholds, and drift loops."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from mlplat.core.models import StrictModel
from mlplat.core.schedules import HOURLY, check_schedule_expression
from mlplat.core.errors import Problem


class AlarmSubscriptionsConfig(StrictModel):
    emails: tuple[str, ...] = Field(default=(), description="Addresses subscribed to the alarm topic (each confirms). Omitted: none.")
    https: tuple[str, ...] = Field(default=(), description="HTTPS webhooks (e.g. the incident tool) subscribed to the alarm topic. Omitted: none.")


class EndpointAlarmsConfig(StrictModel):
    """Thresholds of every endpoint's alarms (EndpointMonitoringArgs)."""
    period_seconds: int = Field(default=60, description="Alarm period, a multiple of 60. Omitted: 60.")
    evaluation_periods: int = Field(default=5, description="Omitted: 5.")
    datapoints_to_alarm: int = Field(default=3, description="Omitted: 3 of 5.")
    invocation_5xx_errors: float = Field(description="5XX errors per period per variant. Omitted: 10 in dev, 5 in staging and prod.")
    invocation_4xx_error_rate: float = Field(default=0.05, description="Omitted: 0.05.")
    model_latency_p99_ms: float = Field(description="Omitted: 2000 in dev, 1000 in staging and prod.")
    overhead_latency_p99_ms: float = Field(default=100.0, description="Omitted: 100.")
    cpu_utilization_percent: float = Field(default=90.0, description="Per vCPU. Omitted: 90.")
    gpu_utilization_percent: float = Field(default=90.0, description="Per accelerator. Omitted: 90.")
    disk_utilization_percent: float = Field(default=80.0, description="Omitted: 80.")


class DriftLoopConfig(StrictModel):
    """The drift-to-retraining loop of one endpoint (DriftMonitorArgs)."""
    baseline_prefix: str = Field(description="Prefix of constraints.json / statistics.json in the datasets bucket, e.g. churn/baseline/.")
    features: tuple[str, ...] = Field(description="Baseline features whose drift triggers retraining (1-10).")
    retraining_pipeline_arn: str = Field(description="arn:aws:sagemaker:<region>:<account>:pipeline/<name>.")
    retraining_pipeline_parameters: dict[str, str] = Field(default_factory=dict, description="Omitted: the pipeline's defaults.")
    threshold: float = Field(default=0.1, description="Omitted: 0.1.")
    schedule_expression: Optional[str] = Field(default=None, description="Omitted: monitoring.drift_schedule_expression.")


class MonitoringConfig(StrictModel):
    subscriptions: AlarmSubscriptionsConfig = Field(default_factory=AlarmSubscriptionsConfig,
        description="Who gets alarms. Omitted: nobody (refused in staging and prod by check_platform).")
    endpoint_alarms: EndpointAlarmsConfig
    drift_schedule_expression: str = Field(description="Model Monitor schedule. Omitted: daily cron(0 0 ? * * *) in dev, hourly in staging and prod.")
    drift: dict[str, DriftLoopConfig] = Field(default_factory=dict,
        description="Endpoint name (a key of serving.endpoints) -> its drift loop. Omitted: no drift monitoring.")


# ENVIRONMENT_DEFAULTS additions (nested one level deeper than today's merge: with_environment_defaults
# must merge `endpoint_alarms` too, or the defaults live on the fields per environment instead):
MONITORING_DEFAULTS = {
    "dev": {"drift_schedule_expression": "cron(0 0 ? * * *)",
            "endpoint_alarms": {"invocation_5xx_errors": 10.0, "model_latency_p99_ms": 2000.0}},
    "staging": {"drift_schedule_expression": HOURLY,
                "endpoint_alarms": {"invocation_5xx_errors": 5.0, "model_latency_p99_ms": 1000.0}},
    "prod": {"drift_schedule_expression": HOURLY,
             "endpoint_alarms": {"invocation_5xx_errors": 5.0, "model_latency_p99_ms": 1000.0}},
}


def check_monitoring(env: str, monitoring: MonitoringConfig, endpoints: dict[str, bool]) -> list[Problem]:
    """`endpoints` maps each serving endpoint's name to whether it is serverless."""
    where = "platform.monitoring"
    problems: list[Problem] = []
    subs = monitoring.subscriptions
    if env != "dev" and not (subs.emails or subs.https):
        problems.append(Problem(f"{where}.subscriptions", f"must name at least one email or https subscriber in {env} (alarms need a reader)"))
    problems.extend(check_schedule_expression(f"{where}.drift_schedule_expression", monitoring.drift_schedule_expression))
    for name, loop in monitoring.drift.items():
        if name not in endpoints:
            problems.append(Problem(f"{where}.drift", f"names no endpoint of platform.serving.endpoints ({', '.join(endpoints) or 'none'})", name))
        elif endpoints[name]:
            problems.append(Problem(f"{where}.drift", "names a serverless endpoint (no data capture, so no Model Monitor)", name))
        if loop.schedule_expression is not None:
            problems.extend(check_schedule_expression(f"{where}.drift.{name}.schedule_expression", loop.schedule_expression))
    return problems
