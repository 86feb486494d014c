"""PlatformConfig: the typed form of a stack file's `ml-platform:platform` value.

Each section is its component's spec (one description and one default per setting, defined by the
component); the environment's overlay (`environments.py`) is laid under the value before
validation, so the validated model always holds concrete values and components never consult the
environment themselves.

Loading is strict: unknown keys are errors (a typo must fail, not vanish), scalars are not coerced
(`true` is no number of days, "5" no count), and every problem is collected and raised once as a
ConfigError naming the stack file, the key path the user wrote, the value received and what is
allowed: the types, the components' own checks over their specs, and the environment's rules and
caps. A section that fails validation is left out of the checks that need it; the others still run.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Annotated, Any, Mapping, Optional

from pydantic import Field, TypeAdapter, ValidationError, model_validator

from mlplat.components.artifact_store import ArtifactStoreSpec
from mlplat.components.encryption import EncryptionSpec
from mlplat.components.feature_store import FeatureStoreSpec
from mlplat.components.network import NetworkSpec
from mlplat.components.training_pipeline import TrainingPipelineSpec
from mlplat.core import aws_models
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.models import StrictBool, StrictModel, problems_from_validation
from mlplat.core.naming import MAX_BUCKET_PREFIX
from mlplat.core.validators import check_tag_value, check_tags
from mlplat.core.vocabulary import (
    CONFIG_KEY,
    CONFIG_NAMESPACE,
    ENVIRONMENTS,
    REQUIRED_TAG_KEYS,
    DataClassification,
    Environment,
)
from .accounts import AccountMap
from .config_ml_lifecycle import (
    ExperimentTrackingConfig,
    ModelRegistryConfig,
    check_experiment_tracking,
    check_feature_store,
    check_model_registry,
)
from .config_layers import LayersConfig, check_layer, layer_sections, registry_layer
from .config_monitoring import MonitoringConfig, check_monitoring
from .config_pipelines import check_drift_targets, check_pipelines
from .config_pricing import ALLOW_UNPRICED_KEY, unpriced_instance_type_problems
from .config_serving import ServingConfig, ServingEndpointConfig, check_serving
from .config_training import TrainingConfig, check_training
from .environments import with_environment_defaults

__all__ = [
    "CONFIG_KEY", "CONFIG_NAMESPACE", "ENVIRONMENTS", "OrganisationTags", "PlatformConfig", "check_platform",
    "foundation_bound_sections", "parse_platform_config", "stack_file_label", "with_environment_defaults",
]

_PROJECT = re.compile(r"[a-z0-9][a-z0-9-]*")


class OrganisationTags(StrictModel):
    """Tags every taggable AWS resource of the stack carries (with `env` and `managed-by`)."""

    owner: str = Field(min_length=1, description="Team or person accountable, e.g. ml-platform@example.com.")
    cost_center: str = Field(min_length=1, description="Cost centre billed for the platform.")
    project: str = Field(min_length=1, description="Project name used in tags and deterministic names.")
    data_classification: DataClassification = Field(
        description="Highest classification of data the platform holds."
    )
    extra: dict[str, str] = Field(
        default_factory=dict,
        description="Additional tags (AWS tag keys and values; the required tags' keys are the platform's). "
        "Omitted: only the required tags are applied.",
    )


class PlatformConfig(StrictModel):
    """The whole platform of one stack (the `ml-platform:platform` value)."""

    environment: Environment = Field(description="dev, staging or prod; drives the defaults below.")
    region: Optional[str] = Field(
        default=None,
        description="Restates `aws:region`; a mismatch is an error. Omitted: `aws:region` alone decides.",
    )
    tags: OrganisationTags = Field(description="The organisation's tags, on every taggable resource.")
    deletion_protection: StrictBool = Field(
        default=True,
        description="Protect stateful resources (keys, buckets, groups, repositories, the cluster) from deletion. "
        "Omitted: on (required outside dev).",
    )
    encryption: EncryptionSpec = Field(default_factory=EncryptionSpec, description="The platform's KMS keys.")
    network: NetworkSpec = Field(default_factory=NetworkSpec, description="The private network, created or adopted.")
    artifact_store: ArtifactStoreSpec = Field(
        default_factory=ArtifactStoreSpec, description="The governed buckets (datasets, models, captures, access logs)."
    )
    training: TrainingConfig = Field(default_factory=TrainingConfig, description="The EKS training cluster. Omitted: none.")
    serving: ServingConfig = Field(default_factory=ServingConfig, description="SageMaker endpoints. Omitted: none.")
    monitoring: MonitoringConfig = Field(
        default_factory=MonitoringConfig, description="Alarm topic subscribers, alarm thresholds, drift loops."
    )
    feature_store: FeatureStoreSpec = Field(default_factory=FeatureStoreSpec, description="Feature groups. Omitted: none.")
    model_registry: ModelRegistryConfig = Field(
        default_factory=ModelRegistryConfig, description="Model families: package groups and ECR repositories."
    )
    experiment_tracking: ExperimentTrackingConfig = Field(
        default_factory=ExperimentTrackingConfig, description="The MLflow tracking server."
    )
    pipelines: dict[str, TrainingPipelineSpec] = Field(
        default_factory=dict,
        description="Model family (one of model_registry.families) -> its training pipeline (prepare, train, "
        "evaluate, register when the metric holds), which the family's drift loops retrain. Omitted: none.",
    )
    budget_usd_per_month: Optional[float] = Field(
        default=None,
        description="The environment's monthly budget in USD: an AWS Budget (costs tagged with this project) that "
        "alerts the alarm topic at 80% actual and 100% forecast, and the limit MLP-COST-01 compares the plan's fixed "
        "monthly estimate with (mandatory in staging and prod). Omitted: no budget (MLP-COST-01 reports it).",
    )
    allow_unpriced_instance_types: StrictBool = Field(
        default=False,
        description="Accept node-group, GPU-pool and endpoint instance types the price table does not price (or "
        "does not list as offered) in the stack's region: the plan lists them as unpriced, the fixed monthly "
        "estimate and MLP-COST-01 leave them out, and the plan's cost warnings say this is set. Omitted: refused, "
        "naming the key, the type and the types the table prices there.",
    )
    team_budgets_usd_per_month: dict[str, float] = Field(
        default_factory=dict,
        description="Team (the `owner` tag value its resources carry) -> its monthly budget in USD: an AWS Budget on "
        "that tag, and a limit MLP-COST-01 compares the team's share of the estimate with. Omitted: none.",
    )
    layer: str = Field(
        default="all",
        description="What this stack declares: all (the whole environment in one stack), or one layer of it: "
        "foundation, ml-services, ml-services-<team>, training or serving-<team>, in a stack named "
        "<environment>-<layer> that reads the layers below through stack references. Omitted: all.",
    )
    layers: LayersConfig = Field(default_factory=LayersConfig, description="Settings of layer stacks.")

    @model_validator(mode="before")
    @classmethod
    def _fill_environment_defaults(cls, data: Any) -> Any:
        return with_environment_defaults(data)


# --- checks ---------------------------------------------------------------------------------------


def check_platform(config: PlatformConfig, aws_region: str | None = None) -> list[Problem]:
    """Every problem of a parsed PlatformConfig: the components' checks and the environment's rules."""
    sections = {name: getattr(config, name) for name in PlatformConfig.model_fields}
    sections["endpoints"] = list(config.serving.endpoints)
    sections["allow_serverless_outside_dev"] = config.serving.allow_serverless_outside_dev
    return _unique(_problems(sections, aws_region))


def _of_layer(sections: dict[str, Any], layer: Any) -> dict[str, Any]:
    """The sections a layer stack declares: another layer's settings are checked in that layer's stack
    (and against its contract when referenced), not here."""
    if not isinstance(layer, str) or layer == "all":
        return sections
    own = layer_sections(layer)
    kept = {k: v for k, v in sections.items() if k in own}
    if "serving" in own:
        kept.update({k: sections[k] for k in ("endpoints", "allow_serverless_outside_dev") if k in sections})
    return kept


def _problems(sections: Mapping[str, Any], aws_region: Optional[str]) -> list[Problem]:
    """The checks over the sections that validated (a missing key: that section did not)."""
    sections = _of_layer(dict(sections), sections.get("layer"))
    env: Optional[str] = sections.get("environment")
    tags: Optional[OrganisationTags] = sections.get("tags")
    problems = _region_problems(sections, aws_region)
    project = None
    if tags is not None:
        tag_problems = _tag_problems(tags, env)
        problems += tag_problems
        if not any(p.path == "platform.tags.project" for p in tag_problems):
            project = tags.project  # names derive from it only when it is usable
    if "encryption" in sections:
        problems += sections["encryption"].problems_at("platform.encryption")
    if "network" in sections:
        problems += sections["network"].problems_at("platform.network")
    if "artifact_store" in sections:
        store: ArtifactStoreSpec = sections["artifact_store"]
        problems += store.problems_at("platform.artifact_store")
        if env is not None and store.force_destroy and env != "dev":
            problems.append(Problem("platform.artifact_store.force_destroy",
                                    f"is not allowed in {env} (only dev buckets may be destroyed with their contents)", True))
    if "training" in sections and env is not None:
        problems += check_training(env, project, sections["training"])
    endpoints: list[Optional[ServingEndpointConfig]] = sections.get("endpoints", [])
    serving: Optional[ServingConfig] = sections.get("serving")
    registry: Optional[ModelRegistryConfig] = sections.get("model_registry")
    problems += check_serving(env, project, endpoints, sections.get("allow_serverless_outside_dev"),
                              registry.families if registry is not None else None)
    if "monitoring" in sections:
        known = {e.name: e.serverless is not None for e in serving.endpoints} if serving is not None else None
        network: Optional[NetworkSpec] = sections.get("network")
        adopted = network.existing is not None if network is not None else None
        found = check_monitoring(env, sections["monitoring"], known, adopted)
        if str(sections.get("layer", "all")).startswith("serving"):  # the subscribers are the foundation's
            found = [p for p in found if not p.path.startswith("platform.monitoring.subscriptions")]
        problems += found
    if "feature_store" in sections:
        problems += check_feature_store(env, project, sections["feature_store"])
    if "model_registry" in sections:
        problems += check_model_registry(env, project, sections["model_registry"])
    if "experiment_tracking" in sections:
        problems += check_experiment_tracking(sections["experiment_tracking"])
    registry: Optional[ModelRegistryConfig] = sections.get("model_registry")
    pipelines: Optional[dict[str, TrainingPipelineSpec]] = sections.get("pipelines")
    if pipelines is not None:
        network_spec: Optional[NetworkSpec] = sections.get("network")
        layers: Optional[LayersConfig] = sections.get("layers")
        layer = sections.get("layer")
        # A pipelines stack over another stack's registry: its contract check finds the families.
        foreign = isinstance(layer, str) and layers is not None and registry_layer(layer, layers) is not None
        families = [f.name for f in registry.families] if registry is not None and not foreign else None
        problems += check_pipelines(env, pipelines, families,
                                    network_spec.existing is not None if network_spec is not None else None)
    monitoring: Optional[MonitoringConfig] = sections.get("monitoring")
    if monitoring is not None:
        families = ({e.name: (i, e.model_family) for i, e in enumerate(serving.endpoints)}
                    if serving is not None else None)
        problems += check_drift_targets(monitoring.drift, families, pipelines)
    problems += _budget_problems(sections.get("budget_usd_per_month"), sections.get("team_budgets_usd_per_month") or {})
    if ALLOW_UNPRICED_KEY in sections:
        problems += unpriced_instance_type_problems(sections, sections.get("region") or aws_region)
    if env is not None and env != "dev" and sections.get("deletion_protection") is False:
        problems.append(Problem("platform.deletion_protection",
                                f"must be true in {env} (stateful resources are protected outside dev)", False))
    return problems


def _budget_problems(budget: Optional[float], teams: Mapping[str, float]) -> list[Problem]:
    problems = []
    if budget is not None and not (math.isfinite(budget) and budget > 0):
        problems.append(Problem("platform.budget_usd_per_month", "must be a positive amount of USD", budget))
    for team, amount in teams.items():
        if not team.strip():
            problems.append(Problem("platform.team_budgets_usd_per_month", "has an empty team name", team))
        if not (math.isfinite(amount) and amount > 0):
            problems.append(Problem(f"platform.team_budgets_usd_per_month.{team}", "must be a positive amount of USD", amount))
    return problems


def _region_problems(sections: Mapping[str, Any], aws_region: Optional[str]) -> list[Problem]:
    problems: list[Problem] = []
    region = sections.get("region")
    known = aws_models.regions("ec2")
    if region is not None and region not in known:
        problems.append(Problem("platform.region", "is not an AWS region botocore knows (e.g. us-east-1)", region))
    elif region and aws_region and region != aws_region:
        problems.append(Problem("platform.region", f"does not match aws:region {aws_region!r} (set both to the same region)", region))
    if aws_region is not None and aws_region not in known:
        problems.append(Problem("aws:region", "is not an AWS region botocore knows (e.g. us-east-1)", aws_region))
    if not region and not aws_region and "region" in sections:
        problems.append(Problem("aws:region", "is required (set it in the stack file's config)"))
    return problems


def _tag_problems(tags: OrganisationTags, env: Optional[str]) -> list[Problem]:
    where = "platform.tags"
    problems: list[Problem] = []
    # Buckets are named `<project>-<env>-<role>-...`; the longest role is access-logs.
    room = MAX_BUCKET_PREFIX - len("access-logs-") - len(f"-{env or 'staging'}-")
    if not _PROJECT.fullmatch(tags.project) or len(tags.project) > room:
        problems.append(Problem(f"{where}.project", f"cannot start bucket names (lowercase letters, digits and '-', "
                                f"at most {room} characters{f' in {env}' if env else ''})", tags.project))
    for field in ("owner", "cost_center"):
        problems += check_tag_value(f"{where}.{field}", getattr(tags, field), required=True)
    problems += check_tags(f"{where}.extra", tags.extra)
    for key in tags.extra:
        if key in REQUIRED_TAG_KEYS:
            problems.append(Problem(f"{where}.extra", "is a key the platform sets (the required tags win; remove it)", key))
    return problems


def _unique(problems: list[Problem]) -> list[Problem]:
    """The problems without repeats (two checks may find the same thing), in order."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for problem in problems:
        key = (problem.path, problem.message, repr(problem.value))
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


# --- parsing ----------------------------------------------------------------------------------------


def parse_platform_config(
    raw: Any, *, source: str | None = None, aws_region: str | None = None,
    accounts: Optional[AccountMap] = None, stack: Optional[str] = None,
) -> PlatformConfig:
    """Validate a raw `ml-platform:platform` value; raise one ConfigError listing every problem.
    With the project's account map and the stack's name, a registry stack in shared services
    (`AccountMap.registry_apart`) may hold `monitoring.subscriptions` and may not declare a feature store,
    a tracking server or pipelines."""
    if raw is None:
        raise ConfigError(
            [Problem(f"{CONFIG_NAMESPACE}:{CONFIG_KEY}", "is missing (the stack file must define it under config)")],
            source,
        )
    try:
        config = PlatformConfig.model_validate(raw)  # lays the environment's overlay under it
    except ValidationError as exc:
        problems = problems_from_validation(exc, PlatformConfig, "platform")
        merged = with_environment_defaults(raw)
        if isinstance(merged, Mapping):
            valid = _valid_sections(merged)
            problems += _problems(valid, aws_region)
            problems += check_layer(raw, merged.get("layer", "all"), valid.get("layers"))
        raise ConfigError(_unique(problems), source) from None
    apart = accounts is not None and stack is not None and accounts.registry_apart(stack, config.environment, config.layer)
    problems = check_platform(config, aws_region) + check_layer(raw if isinstance(raw, Mapping) else {}, config.layer,
                                                                config.layers, registry_apart=apart)
    if apart:
        assert accounts is not None and stack is not None
        problems += accounts.registry_apart_problems(stack, config.environment, config.layer,
                                                     foundation_bound_sections(config))
    if problems:
        raise ConfigError(problems, source)
    return config


def foundation_bound_sections(config: PlatformConfig) -> dict[str, bool]:
    """Whether the stack declares each ml-services section that needs the foundation's account (its network,
    buckets and keys): what a registry stack in shared services may not declare (`AccountMap.registry_apart`)."""
    return {
        "feature_store": bool(config.feature_store.groups),
        # a team's ml-services stack never declares the environment's tracking server
        "experiment_tracking": config.experiment_tracking.enabled and config.layer == "ml-services",
        "pipelines": bool(config.pipelines),
    }


def _valid_sections(merged: Mapping[str, Any]) -> dict[str, Any]:
    """The sections of an invalid value that validate on their own (and each endpoint that does)."""
    sections: dict[str, Any] = {}
    for name, field in PlatformConfig.model_fields.items():
        if name in merged:
            value = merged[name]
        elif not field.is_required():
            value = field.get_default(call_default_factory=True)
        else:
            continue
        try:
            sections[name] = _adapter(name).validate_python(value)
        except ValidationError:
            continue
    serving = merged.get("serving", {})
    if "serving" in sections:
        sections["endpoints"] = list(sections["serving"].endpoints)
        sections["allow_serverless_outside_dev"] = sections["serving"].allow_serverless_outside_dev
    elif isinstance(serving, Mapping):
        endpoints = serving.get("endpoints", [])
        if isinstance(endpoints, list):
            sections["endpoints"] = [_valid_or_none(ServingEndpointConfig, e) for e in endpoints]
        allow = serving.get("allow_serverless_outside_dev", False)
        if isinstance(allow, bool):
            sections["allow_serverless_outside_dev"] = allow
    return sections


@functools.lru_cache(maxsize=None)
def _adapter(section: str) -> TypeAdapter[Any]:
    field = PlatformConfig.model_fields[section]
    # The field's metadata (StrictBool's strictness, constraints) belongs to its type here.
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation)


def _valid_or_none(model: type[StrictModel], value: Any) -> Optional[StrictModel]:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def stack_file_label(stack: str, stack_config_dir: str = "stacks") -> str:
    """The stack file a ConfigError names, relative to the project (`stacks/Pulumi.dev.yaml`)."""
    prefix = f"{stack_config_dir.rstrip('/')}/" if stack_config_dir else ""
    return f"{prefix}Pulumi.{stack}.yaml"
