"""PlatformConfig: the typed form of a stack file's `ml-platform:platform` value.

Loading is strict: unknown keys are errors (a typo must fail, not vanish), every problem is
collected and raised once as a ConfigError naming the stack file, the key path, the value
received and what is allowed. Defaults that differ by environment are filled in from
`ENVIRONMENT_DEFAULTS` before validation, so the validated model always holds concrete values
and components never consult the environment themselves.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any, Literal, Mapping, Optional

from pydantic import Field, ValidationError, model_validator

from mlplat.core.naming import MAX_BUCKET_PREFIX
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.models import StrictModel, problems_from_validation
from mlplat.core.validators import check_log_retention, check_vpc_cidr
from mlplat.core.vocabulary import (
    CONFIG_KEY,
    CONFIG_NAMESPACE,
    ENVIRONMENTS,
    MAX_AVAILABILITY_ZONES,
    MIN_AVAILABILITY_ZONES,
    DataClassification,
    Environment,
)
from .config_ml_lifecycle import (
    ML_LIFECYCLE_DEFAULTS,
    ExperimentTrackingConfig,
    FeatureStoreConfig,
    ModelRegistryConfig,
    check_ml_lifecycle,
)
from .config_monitoring import MONITORING_DEFAULTS, MonitoringConfig, check_monitoring
from .config_serving import ServingConfig, check_serving, with_serving_defaults
from .config_training import TRAINING_DEFAULTS, TrainingConfig, check_training

__all__ = [
    "CONFIG_KEY", "CONFIG_NAMESPACE", "ENVIRONMENTS", "ENVIRONMENT_DEFAULTS", "PlatformConfig", "check_platform",
    "environment_defaults", "parse_platform_config", "stack_file_label", "with_environment_defaults",
]


# Values a platform engineer expects to differ by environment. Staging carries prod's safety.
ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "deletion_protection": False,
        "encryption": {"deletion_window_days": 7},
        "network": {"availability_zones": 2, "flow_log_retention_days": 30},
        "artifact_store": {
            "object_lock": False,
            "force_destroy": True,
            "noncurrent_version_expiration_days": 30,
            "access_log_expiration_days": 90,
        },
    },
    "staging": {
        "deletion_protection": True,
        "encryption": {"deletion_window_days": 30},
        "network": {"availability_zones": 2, "flow_log_retention_days": 90},
        "artifact_store": {
            "object_lock": False,
            "force_destroy": False,
            "noncurrent_version_expiration_days": 90,
            "access_log_expiration_days": 365,
        },
    },
    "prod": {
        "deletion_protection": True,
        "encryption": {"deletion_window_days": 30},
        "network": {"availability_zones": 3, "flow_log_retention_days": 365},
        "artifact_store": {
            "object_lock": True,
            "force_destroy": False,
            "noncurrent_version_expiration_days": 365,
            "access_log_expiration_days": 731,
        },
    },
}


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
        description="Additional tags. Omitted: only the required tags are applied.",
    )


class EncryptionConfig(StrictModel):
    deletion_window_days: int = Field(
        ge=7,
        le=30,
        description="Days a deleted KMS key waits before it is destroyed. "
        "Omitted: 7 in dev, 30 in staging and prod.",
    )


class ExistingVpc(StrictModel):
    """A VPC the platform adopts instead of creating one."""

    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]{8,17}$", description="The VPC to adopt.")
    cidr_block: str = Field(description="The VPC's primary CIDR (the endpoint security group admits 443 from it).")
    private_subnet_ids: list[str] = Field(
        min_length=MIN_AVAILABILITY_ZONES, description="Private subnets, one per availability zone."
    )
    endpoint_security_group_id: Optional[str] = Field(
        default=None,
        description="Security group of the VPC's interface endpoints. Omitted: none is reported.",
    )


class NetworkConfig(StrictModel):
    existing: Optional[ExistingVpc] = Field(
        default=None,
        description="Adopt this VPC instead of creating one; no creation field may be set with it. "
        "Omitted: a new VPC is created.",
    )
    cidr_block: Optional[str] = Field(
        default=None, description="CIDR of a created VPC. Omitted: 10.0.0.0/16 (only when creating)."
    )
    availability_zones: Optional[int] = Field(
        default=None,
        description="Private subnets are spread over this many AZs. Omitted: 2 in dev and staging, 3 in prod.",
    )
    flow_log_retention_days: Optional[int] = Field(
        default=None,
        description="Retention of the VPC flow log group. Omitted: 30 dev, 90 staging, 365 prod.",
    )


class ArtifactStoreConfig(StrictModel):
    object_lock: bool = Field(
        description="Object lock (governance mode) on the models bucket. Omitted: on in prod only."
    )
    object_lock_retention_days: int = Field(
        default=30, ge=1, le=36500, description="Default object lock retention. Omitted: 30 days."
    )
    force_destroy: bool = Field(
        description="Let `pulumi destroy` delete non-empty buckets. Omitted: on in dev only; refused elsewhere."
    )
    noncurrent_version_transition_days: int = Field(
        default=30, ge=30, description="Non-current versions move to STANDARD_IA after this many days."
    )
    noncurrent_version_expiration_days: int = Field(
        ge=1,
        description="Non-current versions expire after this many days. Omitted: 30 dev, 90 staging, 365 prod.",
    )
    abort_incomplete_multipart_upload_days: int = Field(
        default=7, ge=1, description="Incomplete multipart uploads are aborted after this many days."
    )
    access_log_expiration_days: int = Field(
        ge=1, description="Access-log objects expire after this many days. Omitted: 90 dev, 365 staging, 731 prod."
    )


class PlatformConfig(StrictModel):
    """The whole platform of one stack (the `ml-platform:platform` value)."""

    environment: Environment = Field(description="dev, staging or prod; drives the defaults below.")
    region: Optional[str] = Field(
        default=None,
        description="Restates `aws:region`; a mismatch is an error. Omitted: `aws:region` alone decides.",
    )
    tags: OrganisationTags
    deletion_protection: bool = Field(
        description="Protect stateful resources (keys, buckets) from deletion. Omitted: on in staging and prod."
    )
    encryption: EncryptionConfig
    network: NetworkConfig
    artifact_store: ArtifactStoreConfig
    training: TrainingConfig = Field(description="The EKS training cluster. Omitted: none.")
    serving: ServingConfig = Field(default_factory=ServingConfig, description="SageMaker endpoints. Omitted: none.")
    monitoring: MonitoringConfig = Field(description="Alarm topic subscribers, alarm thresholds, drift loops.")
    feature_store: FeatureStoreConfig = Field(default_factory=FeatureStoreConfig, description="Feature groups. Omitted: none.")
    model_registry: ModelRegistryConfig = Field(description="Model families: package groups and ECR repositories.")
    experiment_tracking: ExperimentTrackingConfig = Field(description="The MLflow tracking server.")

    @model_validator(mode="before")
    @classmethod
    def _fill_environment_defaults(cls, data: Any) -> Any:
        return with_environment_defaults(data)


def with_environment_defaults(data: Any) -> Any:
    """Return `data` with the environment's defaults filled in where keys are absent.

    Nested sections merge key by key (an explicit value always wins); serving endpoints each take
    the environment's endpoint defaults. Leaves anything malformed untouched so validation reports
    it. Network creation defaults are skipped when an existing VPC is adopted (adopting and
    creating never mix).
    """
    if not isinstance(data, Mapping):
        return data
    env = data.get("environment")
    if not isinstance(env, str) or env not in ENVIRONMENT_DEFAULTS:
        # The environment error is reported on its own; prod's defaults keep it the only one.
        env = "prod"
    merged = dict(data)
    for key, default in environment_defaults(env).items():
        if not isinstance(default, dict):
            merged.setdefault(key, default)
            continue
        section = merged.get(key, {})
        if not isinstance(section, Mapping):
            continue
        if key == "network" and section.get("existing") is not None:
            continue
        section = _merge_defaults(section, default)
        if key == "network":
            section.setdefault("cidr_block", "10.0.0.0/16")
        merged[key] = section
    if "serving" in merged:
        merged["serving"] = with_serving_defaults(env, merged["serving"])
    return merged


def environment_defaults(env: str) -> dict[str, Any]:
    """Every default that depends on the environment, by section (serving endpoints aside)."""
    return {
        **ENVIRONMENT_DEFAULTS[env], **ML_LIFECYCLE_DEFAULTS[env],
        "training": TRAINING_DEFAULTS[env], "monitoring": MONITORING_DEFAULTS[env],
    }


def _merge_defaults(given: Mapping[str, Any], default: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(given)
    for key, value in default.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(out[key], Mapping):
            out[key] = _merge_defaults(out[key], value)
    return out


def check_platform(config: PlatformConfig, aws_region: str | None = None) -> list[Problem]:
    """Cross-field rules over a parsed PlatformConfig; returns every problem found."""
    problems: list[Problem] = []
    env = config.environment
    if config.region and aws_region and config.region != aws_region:
        problems.append(
            Problem("platform.region", f"does not match aws:region {aws_region!r} (set both to the same region)", config.region)
        )
    if not config.region and not aws_region:
        problems.append(Problem("aws:region", "is required (set it in the stack file's config)"))

    net = config.network
    if net.existing is not None:
        mixed = sorted(f for f in ("cidr_block", "availability_zones", "flow_log_retention_days") if f in net.model_fields_set)
        for field in mixed:
            problems.append(
                Problem(
                    f"platform.network.{field}",
                    "cannot be set with platform.network.existing (adopting a VPC creates no network; drop one of them)",
                    getattr(net, field),
                )
            )
    else:
        azs = net.availability_zones
        if azs is not None and azs < MIN_AVAILABILITY_ZONES:
            problems.append(
                Problem("platform.network.availability_zones", f"is too few for {env} (need >= {MIN_AVAILABILITY_ZONES})", azs)
            )
        elif azs is not None and azs > MAX_AVAILABILITY_ZONES:
            problems.append(
                Problem("platform.network.availability_zones", f"is more than any region offers (need <= {MAX_AVAILABILITY_ZONES})", azs)
            )
        if net.cidr_block is not None:
            problems.extend(check_vpc_cidr("platform.network.cidr_block", net.cidr_block))
        retention = net.flow_log_retention_days
        if retention is not None:
            problems.extend(check_log_retention("platform.network.flow_log_retention_days", retention))

    # Buckets are named `<project>-<env>-<role>-...`; the longest role is access-logs.
    room = MAX_BUCKET_PREFIX - len("access-logs-") - len(f"-{env}-")
    project = config.tags.project
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", project) or len(project) > room:
        problems.append(
            Problem(
                "platform.tags.project",
                f"cannot start bucket names (lowercase letters, digits and '-', at most {room} characters in {env})",
                project,
            )
        )
    store = config.artifact_store
    if store.force_destroy and env != "dev":
        problems.append(
            Problem(
                "platform.artifact_store.force_destroy",
                f"is not allowed in {env} (only dev buckets may be destroyed with their contents)",
                True,
            )
        )
    problems.extend(check_training(env, config.training))
    problems.extend(check_serving(env, config.tags.project, config.serving))
    problems.extend(
        check_monitoring(env, config.monitoring, {e.name: e.serverless is not None for e in config.serving.endpoints})
    )
    problems.extend(check_ml_lifecycle(env, config.model_registry))
    if env != "dev" and not config.deletion_protection:
        problems.append(
            Problem(
                "platform.deletion_protection",
                f"must be true in {env} (stateful resources are protected outside dev)",
                False,
            )
        )
    return problems



def parse_platform_config(
    raw: Any, *, source: str | None = None, aws_region: str | None = None
) -> PlatformConfig:
    """Validate a raw `ml-platform:platform` value; raise one ConfigError listing every problem."""
    if raw is None:
        raise ConfigError(
            [Problem(f"{CONFIG_NAMESPACE}:{CONFIG_KEY}", "is missing (the stack file must define it under config)")],
            source,
        )
    try:
        config = PlatformConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, PlatformConfig, "platform"), source) from None
    problems = check_platform(config, aws_region)
    if problems:
        raise ConfigError(problems, source)
    return config


def stack_file_label(stack: str, stack_config_dir: str = "stacks") -> str:
    """The stack file a ConfigError names, relative to the project (`stacks/Pulumi.dev.yaml`)."""
    prefix = f"{stack_config_dir.rstrip('/')}/" if stack_config_dir else ""
    return f"{prefix}Pulumi.{stack}.yaml"
