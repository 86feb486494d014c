"""Environment overlays: what the stack config's defaults change per environment, and nothing else.

Every setting has one default, on its component's spec (or on the platform's own sections). An
overlay names only the settings whose default differs in an environment; `with_environment_defaults`
lays it under a stack file's value before validation, so an explicit value always wins and the
validated config holds concrete values. Staging carries prod's safety at smaller sizes.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from mlplat.core.vocabulary import ENVIRONMENTS

__all__ = [
    "ENDPOINT_OVERLAYS", "ENVIRONMENT_OVERLAYS", "PIPELINE_OVERLAYS", "SERVERLESS_SKIPS", "endpoint_overlay",
    "environment_overlay", "with_environment_defaults",
]

DAILY_AT_MIDNIGHT = "cron(0 0 ? * * *)"

# By section of the `ml-platform:platform` value; nested mappings merge key by key, lists replace.
ENVIRONMENT_OVERLAYS: dict[str, dict[str, Any]] = {
    # dev: small, cheap and disposable; nothing is protected.
    "dev": {
        "deletion_protection": False,
        "encryption": {"deletion_window_days": 7},
        "network": {"flow_log_retention_days": 30},
        "artifact_store": {
            "object_lock": False,
            "force_destroy": True,
            "noncurrent_version_expiration_days": 30,
            "access_log_expiration_days": 90,
        },
        # One small spot GPU pool; a public API endpoint is allowed with a CIDR allow-list.
        "training": {
            "endpoint_public_access": True,
            "log_retention_days": 30,
            "gpu_pools": [{"name": "g5", "instance_types": ["g5.xlarge"], "capacity_types": ["spot"], "max_size": 2}],
        },
        "monitoring": {
            "drift_schedule_expression": DAILY_AT_MIDNIGHT,
            "endpoint_alarms": {"invocation_5xx_errors": 10.0, "model_latency_p99_ms": 2000.0},
        },
        "model_registry": {"keep_images": 10, "untagged_image_expiration_days": 1},
        "experiment_tracking": {"weekly_maintenance_window_start": "Mon:03:00"},
    },
    "staging": {
        "network": {"flow_log_retention_days": 90},
        "artifact_store": {"object_lock": False, "noncurrent_version_expiration_days": 90, "access_log_expiration_days": 365},
        "training": {
            "log_retention_days": 90,
            "gpu_pools": [{"name": "g5", "instance_types": ["g5.2xlarge"], "max_size": 4}],
        },
        "experiment_tracking": {"weekly_maintenance_window_start": "Sat:03:00"},
    },
    "prod": {
        "network": {"availability_zones": 3},
        "training": {"gpu_pools": [{"name": "a100", "instance_types": ["p4d.24xlarge"], "max_size": 16}]},
        "model_registry": {"keep_images": 100},
        "experiment_tracking": {"tracking_server_size": "Medium"},
    },
}

# Laid under each of `serving.endpoints`: a mapping merges one level deep, a list replaces.
ENDPOINT_OVERLAYS: dict[str, dict[str, Any]] = {
    # dev: one small instance, all at once, scaled down out of hours.
    "dev": {
        "variants": [{"instance_type": "ml.t2.medium", "initial_instance_count": 1}],
        "deployment": {"traffic": "ALL_AT_ONCE", "wait_in_seconds": 0, "termination_wait_in_seconds": 0},
        "scale_down_schedule": {"scale_down_cron": "cron(0 19 ? * MON-FRI *)", "scale_up_cron": "cron(0 7 ? * MON-FRI *)"},
        "data_capture_sampling_percentage": 20,
        "log_retention_days": 30,
    },
    # staging: prod's safety at smaller sizes.
    "staging": {
        "deployment": {"canary_size_percent": 50, "wait_in_seconds": 300, "termination_wait_in_seconds": 120},
        "autoscaling": {"max_capacity": 3},
        "log_retention_days": 90,
    },
    "prod": {
        "variants": [{"instance_type": "ml.m5.xlarge"}],
        "autoscaling": {"max_capacity": 6},
    },
}

# Laid under each of `pipelines` (by family): a mapping merges one level deep, a list replaces.
PIPELINE_OVERLAYS: dict[str, dict[str, Any]] = {
    # dev: spot training (interruptions resume from checkpoints), short log retention.
    "dev": {"spot": True, "log_retention_days": 30},
    "staging": {"log_retention_days": 90},
    "prod": {},
}

# A serverless endpoint has no instances: it takes none of these overlays.
SERVERLESS_SKIPS: frozenset[str] = frozenset(
    {"variants", "autoscaling", "scale_down_schedule", "data_capture_sampling_percentage"}
)


def environment_overlay(environment: str) -> dict[str, Any]:
    """The overlay of `environment` by section (a copy; endpoints' overlay aside)."""
    return copy.deepcopy(ENVIRONMENT_OVERLAYS[environment])


def endpoint_overlay(environment: str) -> dict[str, Any]:
    return copy.deepcopy(ENDPOINT_OVERLAYS[environment])


def with_environment_defaults(data: Any) -> Any:
    """`data` with its environment's overlay laid under it (explicit values win).

    Anything malformed is left as it is, for validation to report where the user wrote it; an
    unknown environment takes prod's overlay, so the environment is the only problem reported.
    Network creation defaults are skipped when an existing VPC is adopted (adopting and creating
    never mix)."""
    if not isinstance(data, Mapping):
        return data
    env = data.get("environment")
    if not isinstance(env, str) or env not in ENVIRONMENTS:
        env = "prod"
    merged = dict(data)
    for key, overlay in environment_overlay(env).items():
        if not isinstance(overlay, dict):
            merged.setdefault(key, overlay)
            continue
        section = merged.get(key, {})
        if not isinstance(section, Mapping):
            continue
        if key == "network" and section.get("existing") is not None:
            continue
        merged[key] = _merge(section, overlay)
    serving = merged.get("serving")
    if isinstance(serving, Mapping) and isinstance(serving.get("endpoints"), list):
        overlay = endpoint_overlay(env)
        merged["serving"] = {**serving, "endpoints": [_with_endpoint_overlay(e, overlay) for e in serving["endpoints"]]}
    pipelines = merged.get("pipelines")
    if isinstance(pipelines, Mapping):
        overlay = PIPELINE_OVERLAYS[env]
        merged["pipelines"] = {family: _merge(spec, overlay) if isinstance(spec, Mapping) else spec
                               for family, spec in pipelines.items()}
    return merged


def _merge(given: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(given)
    for key, value in overlay.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(out[key], Mapping):
            out[key] = _merge(out[key], value)
    return out


def _with_endpoint_overlay(endpoint: Any, overlay: Mapping[str, Any]) -> Any:
    """One endpoint with `overlay` under it (the overlay is this call's copy: endpoints may share it,
    since nothing edits the merged value in place)."""
    if not isinstance(endpoint, Mapping):
        return endpoint
    merged = dict(endpoint)
    skip = SERVERLESS_SKIPS if merged.get("serverless") is not None else frozenset()
    for key, value in overlay.items():
        if key in skip:
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), Mapping):
            merged[key] = {**value, **merged[key]}
        else:
            merged.setdefault(key, value)
    return merged
