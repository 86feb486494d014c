"""The `serving` section of PlatformConfig: SageMaker endpoints, with the environment's rules.

Each endpoint is a ServingEndpointSpec (the component's settings) with a name; its omitted keys
take the environment's endpoint overlay (`environments.ENDPOINT_OVERLAYS`). The checks here are the
component's own, at the keys the user wrote, plus what each environment requires.
"""

from __future__ import annotations

from typing import Optional, Sequence

from pydantic import Field

from mlplat.components.monitoring import monitored_instance_type_problems
from mlplat.components.model_registry import ModelFamilySpec
from mlplat.components.serving_args import (
    LATEST_APPROVED,
    SERVING_REPOSITORY,
    ServingEndpointSpec,
    hosting_instance_types,
    name_problems,
    settings_problems,
)
from mlplat.core.errors import Problem
from mlplat.core.models import StrictBool, StrictModel
from mlplat.core.vocabulary import ENDPOINT_INSTANCE_CAPS

__all__ = ["ServingConfig", "ServingEndpointConfig", "check_endpoint", "check_serving", "deprecation_notices"]

WHERE = "platform.serving"
FAMILIES = "platform.model_registry.families"


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
                  allow_serverless: Optional[bool],
                  families: Optional[Sequence[ModelFamilySpec]] = ()) -> list[Problem]:
    """Every endpoint's problems (None stands for one that failed validation) and their names' uniqueness.

    `families` are the model registry's (None: that section did not validate, so the checks that
    need it are left out)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, endpoint in enumerate(endpoints):
        if endpoint is None:
            continue
        where = f"{WHERE}.endpoints.{index}"
        if endpoint.name in seen:
            problems.append(Problem(f"{where}.name", "is used by another endpoint", endpoint.name))
        seen.add(endpoint.name)
        problems += check_endpoint(env, project, endpoint, where, allow_serverless, families)
    return problems


def deprecation_notices(endpoints: Sequence[ServingEndpointConfig]) -> list[str]:
    """One line per deprecated key the stack config uses, naming the key and its replacement."""
    return [
        f"{WHERE}.endpoints.{index}.{key} is deprecated: rename the key model_package (same value; it also takes "
        f"{LATEST_APPROVED!r})"
        for index, endpoint in enumerate(endpoints)
        for key in endpoint.deprecated_keys
    ]


def check_endpoint(env: Optional[str], project: Optional[str], endpoint: ServingEndpointConfig, where: str,
                   allow_serverless: Optional[bool],
                   families: Optional[Sequence[ModelFamilySpec]] = ()) -> list[Problem]:
    """What ServingEndpointArgs and EndpointMonitoringArgs would refuse, and the environment's rules.

    `families` are the model registry's (None: unknown, the checks that need it are left out)."""
    wired = families is None or _declared(endpoint, families) is not None
    problems = settings_problems(endpoint, where, repository_wired=wired)
    if families is not None:
        problems += _registry_problems(endpoint, where, families)
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
                                "model package: model_package)", getattr(endpoint, field)))
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


def _declared(endpoint: ServingEndpointConfig, families: Sequence[ModelFamilySpec]) -> Optional[tuple[int, ModelFamilySpec]]:
    """The registry's family this endpoint serves (its index and spec), if the registry declares it."""
    return next(((i, f) for i, f in enumerate(families) if f.name == endpoint.model_family), None)


def _registry_problems(endpoint: ServingEndpointConfig, where: str, families: Sequence[ModelFamilySpec]) -> list[Problem]:
    """A family the registry declares gives the endpoint its image repository (by wiring); serving the
    latest approved package needs the family's group."""
    problems: list[Problem] = []
    declared = _declared(endpoint, families)
    raw = endpoint.image is not None or endpoint.model_data_url is not None
    if declared is None:
        if endpoint.latest_approved and endpoint.model_family is not None:
            known = ", ".join(f.name for f in families) or "none"
            problems.append(Problem(f"{where}.model_family", f"is not a family of {FAMILIES} (declared: {known}), "
                                    f"whose model package group model_package: {LATEST_APPROVED} reads: declare it "
                                    "there or deploy a package ARN", endpoint.model_family))
        return problems
    index, family = declared
    if raw:
        return problems  # a raw image names its own repository
    if endpoint.image_repository_arn is not None:
        problems.append(Problem(f"{where}.image_repository_arn", f"cannot be set for family {family.name!r}, which "
                                f"{FAMILIES}.{index} declares: the endpoint pulls from the family's "
                                f"{SERVING_REPOSITORY!r} repository (remove the key)", endpoint.image_repository_arn))
    if SERVING_REPOSITORY not in family.repositories:
        problems.append(Problem(f"{FAMILIES}.{index}.repositories", f"has no {SERVING_REPOSITORY!r} repository, "
                                f"which {where} (model_family {family.name!r}) pulls its inference image from: add it",
                                family.repositories))
    return problems
