"""The `serving` section of PlatformConfig: SageMaker endpoints, with the environment's rules.

Each endpoint is a ServingEndpointSpec (the component's settings) with a name; its omitted keys
take the environment's endpoint overlay (`environments.ENDPOINT_OVERLAYS`). The checks here are the
component's own, at the keys the user wrote, plus what each environment requires.
"""

from __future__ import annotations

from typing import Optional, Sequence

from pydantic import Field

from mlplat.components.monitoring import monitored_instance_type_problems
from mlplat.components.serving_args import ServingEndpointSpec, hosting_instance_types, name_problems
from mlplat.core.errors import Problem
from mlplat.core.models import StrictBool, StrictModel
from mlplat.core.vocabulary import ENDPOINT_INSTANCE_CAPS

__all__ = ["ServingConfig", "ServingEndpointConfig", "check_endpoint", "check_serving"]

WHERE = "platform.serving"


class ServingEndpointConfig(ServingEndpointSpec):
    """One endpoint: the component's settings and its name; omitted keys take the environment's overlay."""

    name: str = Field(description="Endpoint key: the component name; the endpoint is `<project>-<env>-<name>`.")


class ServingConfig(StrictModel):
    """The platform's SageMaker endpoints."""

    endpoints: tuple[ServingEndpointConfig, ...] = Field(
        default=(), description="The endpoints, each with its model source and sizes. Omitted: none."
    )
    allow_serverless_outside_dev: StrictBool = Field(
        default=False,
        description="Serverless endpoints are for dev: no VPC, no data capture (docs/DECISIONS.md, Serving); set "
        "this to allow them in staging and prod. Omitted: refused there.",
    )


def check_serving(env: Optional[str], project: Optional[str], endpoints: Sequence[Optional[ServingEndpointConfig]],
                  allow_serverless: Optional[bool]) -> list[Problem]:
    """Every endpoint's problems (None stands for one that failed validation) and their names' uniqueness."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, endpoint in enumerate(endpoints):
        if endpoint is None:
            continue
        where = f"{WHERE}.endpoints.{index}"
        if endpoint.name in seen:
            problems.append(Problem(f"{where}.name", "is used by another endpoint", endpoint.name))
        seen.add(endpoint.name)
        problems += check_endpoint(env, project, endpoint, where, allow_serverless)
    return problems


def check_endpoint(env: Optional[str], project: Optional[str], endpoint: ServingEndpointConfig, where: str,
                   allow_serverless: Optional[bool]) -> list[Problem]:
    """What ServingEndpointArgs and EndpointMonitoringArgs would refuse, and the environment's rules."""
    problems = endpoint.problems_at(where)
    if env is not None and project is not None:
        problems += name_problems(endpoint.name, f"{project}-{env}-", endpoint, where, name_path=f"{where}.name",
                                  endpoint_path=f"{where}.name", naming="`<tags.project>-<environment>-<name>`: "
                                  "shorten the name")
    if endpoint.serverless is None:
        hosting = hosting_instance_types()
        for j, variant in enumerate(endpoint.variants):
            if variant.instance_type in hosting:  # else the spec's check has reported it
                problems += monitored_instance_type_problems(f"{where}.variants.{j}.instance_type", variant.instance_type)
    if env is None:
        return problems
    problems += _instance_caps(env, endpoint, where)
    if env == "dev":
        return problems
    if endpoint.image is not None or endpoint.model_data_url is not None:
        field = "image" if endpoint.image is not None else "model_data_url"
        problems.append(Problem(f"{where}.{field}", f"is not allowed in {env} (deploy a registered, approved "
                                "model package: model_package_arn)", getattr(endpoint, field)))
    if endpoint.serverless is not None and allow_serverless is False:
        problems.append(Problem(f"{where}.serverless", f"is not allowed in {env} (no VPC, no data capture; set "
                                f"{WHERE}.allow_serverless_outside_dev to choose it)"))
    if endpoint.scale_down_schedule is not None:
        problems.append(Problem(f"{where}.scale_down_schedule", f"is not allowed in {env} (out-of-hours "
                                "scale-down is for dev only)"))
    if endpoint.serverless is None:
        for j, variant in enumerate(endpoint.variants):
            if variant.initial_instance_count < 2:
                problems.append(Problem(f"{where}.variants.{j}.initial_instance_count",
                                        f"is too few for {env} (need >= 2, one per AZ)", variant.initial_instance_count))
        if endpoint.autoscaling is None:
            problems.append(Problem(f"{where}.autoscaling.target_invocations_per_instance",
                                    f"is required in {env} (invocations per instance per minute, from a load test)"))
        elif endpoint.autoscaling.min_capacity < 2:
            problems.append(Problem(f"{where}.autoscaling.min_capacity", f"is too few for {env} (need >= 2)",
                                    endpoint.autoscaling.min_capacity))
        if endpoint.deployment.traffic == "ALL_AT_ONCE":
            problems.append(Problem(f"{where}.deployment.traffic", f"must shift traffic gradually in {env} "
                                    "(CANARY or LINEAR, with auto-rollback)", "ALL_AT_ONCE"))
    return problems


def _instance_caps(env: str, endpoint: ServingEndpointConfig, where: str) -> list[Problem]:
    """Instance counts within the environment's cap (a typo such as an extra zero is refused)."""
    if endpoint.serverless is not None:
        return []
    cap = ENDPOINT_INSTANCE_CAPS[env]
    counts = [(f"variants.{j}.initial_instance_count", v.initial_instance_count) for j, v in enumerate(endpoint.variants)]
    if endpoint.autoscaling is not None:
        counts.append(("autoscaling.max_capacity", endpoint.autoscaling.max_capacity))
    if endpoint.scale_down_schedule is not None:
        counts.append(("scale_down_schedule.capacity", endpoint.scale_down_schedule.capacity))
    return [
        Problem(f"{where}.{path}", f"is more instances than {env} allows (at most {cap} per variant)", count)
        for path, count in counts
        if count > cap
    ]
