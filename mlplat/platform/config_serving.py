"""The `serving` section of PlatformConfig: SageMaker endpoints and their per-environment defaults.

Each endpoint's omitted keys come from SERVING_DEFAULTS for the environment (dev: one small
instance, all at once, scaled down out of hours; staging: prod's safety at smaller sizes; prod:
two instances or more, canary with auto-rollback, autoscaling, full data capture).
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field

from mlplat.core.models import StrictModel
from mlplat.core.errors import Problem

SERVING_DEFAULTS: dict[str, dict[str, Any]] = {
    # dev: one small instance, all at once, scaled down out of hours; raw artifacts allowed.
    "dev": {
        "variants": [{"name": "primary", "instance_type": "ml.t2.medium", "initial_instance_count": 1}],
        "deployment": {"traffic": "ALL_AT_ONCE", "wait_in_seconds": 0, "termination_wait_in_seconds": 0},
        "scale_down_schedule": {"scale_down_cron": "cron(0 19 ? * MON-FRI *)",
                                "scale_up_cron": "cron(0 7 ? * MON-FRI *)", "capacity": 1},
        "data_capture_sampling_percentage": 20,
        "log_retention_days": 30,
    },
    # staging: prod's safety at smaller sizes.
    "staging": {
        "variants": [{"name": "primary", "instance_type": "ml.m5.large", "initial_instance_count": 2}],
        "deployment": {"traffic": "CANARY", "canary_size_percent": 50, "wait_in_seconds": 300,
                       "termination_wait_in_seconds": 120},
        "autoscaling": {"min_capacity": 2, "max_capacity": 3},
        "data_capture_sampling_percentage": 100,
        "log_retention_days": 90,
    },
    "prod": {
        "variants": [{"name": "primary", "instance_type": "ml.m5.xlarge", "initial_instance_count": 2}],
        "deployment": {"traffic": "CANARY", "canary_size_percent": 10, "wait_in_seconds": 600,
                       "termination_wait_in_seconds": 300},
        "autoscaling": {"min_capacity": 2, "max_capacity": 6},
        "data_capture_sampling_percentage": 100,
        "log_retention_days": 365,
    },
}


class ServingVariantConfig(StrictModel):
    name: str = Field(default="primary", description="Stable variant name.")
    instance_type: str = Field(description="Omitted: ml.t2.medium dev, ml.m5.large staging, ml.m5.xlarge prod.")
    initial_instance_count: int = Field(description="Omitted: 1 dev, 2 staging and prod.")
    initial_weight: float = 1.0


class ServingServerlessConfig(StrictModel):
    memory_size_in_mb: int = 2048
    max_concurrency: int = 5
    provisioned_concurrency: Optional[int] = None


class ServingDeploymentConfig(StrictModel):
    traffic: Literal["ALL_AT_ONCE", "CANARY", "LINEAR"]
    canary_size_percent: int = 10
    linear_step_percent: int = 20
    wait_in_seconds: int
    termination_wait_in_seconds: int
    maximum_execution_timeout_in_seconds: Optional[int] = None
    rollback_alarm_names: tuple[str, ...] = ()
    rollback_5xx_errors_threshold: int = 1
    rollback_model_latency_p99_ms: float = 1000.0


class ServingAutoscalingConfig(StrictModel):
    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: Optional[float] = Field(
        default=None, description="Required wherever autoscaling applies (staging, prod): from a load test.")
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 60


class ServingScheduleConfig(StrictModel):
    scale_down_cron: str
    scale_up_cron: str
    timezone: str = "UTC"
    capacity: int = 1


class ServingEndpointConfig(StrictModel):
    """One endpoint; omitted fields take the environment's serving defaults."""

    name: str = Field(description="Endpoint key: the component name; the endpoint is `<project>-<env>-<name>`.")
    model_package_arn: Optional[str] = Field(default=None, description="Omitted: waits for an approved package.")
    image_repository_arn: Optional[str] = None
    image: Optional[str] = Field(default=None, description="dev only, with model_data_url.")
    model_data_url: Optional[str] = None
    model_artifacts_prefix: Optional[str] = None
    model_family: Optional[str] = None
    source_revision: Optional[str] = None
    serverless: Optional[ServingServerlessConfig] = Field(default=None, description="dev only unless allowed.")
    variants: Optional[list[ServingVariantConfig]] = None
    data_capture_sampling_percentage: Optional[int] = None
    deployment: Optional[ServingDeploymentConfig] = None
    autoscaling: Optional[ServingAutoscalingConfig] = None
    scale_down_schedule: Optional[ServingScheduleConfig] = None
    log_retention_days: Optional[int] = None


class ServingConfig(StrictModel):
    endpoints: list[ServingEndpointConfig] = Field(default_factory=list)
    allow_serverless_outside_dev: bool = Field(
        default=False, description="Serverless variants run outside the VPC without data capture: they are for dev "
        "(docs/DECISIONS.md, Serving). true allows them in staging and prod.")


def with_serving_defaults(env: str, serving: Any) -> Any:
    """Fill each endpoint's omitted keys from SERVING_DEFAULTS[env] (before validation).

    A serverless endpoint takes no variants, autoscaling or schedule defaults; an endpoint given
    `variants` keeps them as given."""
    if not isinstance(serving, dict):
        return serving
    defaults = SERVING_DEFAULTS[env]
    endpoints = []
    for endpoint in serving.get("endpoints", []):
        if not isinstance(endpoint, dict):
            endpoints.append(endpoint)
            continue
        merged = dict(endpoint)
        skip = {"variants", "autoscaling", "scale_down_schedule", "data_capture_sampling_percentage"} \
            if merged.get("serverless") is not None else set()
        for key, value in defaults.items():
            if key in skip:
                continue
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**value, **merged[key]}
            else:
                merged.setdefault(key, value)
        endpoints.append(merged)
    return {**serving, "endpoints": endpoints}


def check_serving(env: str, project: str, serving: "ServingConfig") -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, ep in enumerate(serving.endpoints):
        where = f"platform.serving.endpoints.{i}"
        if ep.name in seen:
            problems.append(Problem(f"{where}.name", "is used by another endpoint", ep.name))
        seen.add(ep.name)
        if len(f"{project}-{env}-{ep.name}") > 63:
            problems.append(Problem(f"{where}.name", f"makes the endpoint name `{project}-{env}-<name>` longer "
                                    "than SageMaker's 63 characters", ep.name))
        if env == "dev":
            continue
        if ep.image is not None or ep.model_data_url is not None:
            problems.append(Problem(f"{where}.image", f"is not allowed in {env} (deploy a registered, approved "
                                    "model package: model_package_arn)", ep.image))
        if ep.serverless is not None and not serving.allow_serverless_outside_dev:
            problems.append(Problem(f"{where}.serverless", f"is not allowed in {env} (no VPC, no data capture; set "
                                    "platform.serving.allow_serverless_outside_dev to choose it)"))
        if ep.scale_down_schedule is not None:
            problems.append(Problem(f"{where}.scale_down_schedule", f"is not allowed in {env} (out-of-hours "
                                    "scale-down is for dev only)"))
        if ep.serverless is None:
            for j, v in enumerate(ep.variants or []):
                if v.initial_instance_count < 2:
                    problems.append(Problem(f"{where}.variants.{j}.initial_instance_count",
                                            f"is too few for {env} (need >= 2, one per AZ)", v.initial_instance_count))
            if ep.autoscaling is None or ep.autoscaling.target_invocations_per_instance is None:
                problems.append(Problem(f"{where}.autoscaling.target_invocations_per_instance",
                                        f"is required in {env} (invocations per instance per minute, from a load test)"))
            elif ep.autoscaling.min_capacity < 2:
                problems.append(Problem(f"{where}.autoscaling.min_capacity", f"is too few for {env} (need >= 2)",
                                        ep.autoscaling.min_capacity))
            if ep.deployment is not None and ep.deployment.traffic == "ALL_AT_ONCE":
                problems.append(Problem(f"{where}.deployment.traffic", f"must shift traffic gradually in {env} "
                                        "(CANARY or LINEAR, with auto-rollback)", "ALL_AT_ONCE"))
    return problems
