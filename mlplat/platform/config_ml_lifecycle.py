"""The feature store, model registry and experiment tracking sections of PlatformConfig."""

from __future__ import annotations

import re
from typing import Any, Literal, Optional

from pydantic import Field

from mlplat.core.models import StrictModel
from mlplat.core.errors import Problem

ML_LIFECYCLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "model_registry": {"keep_images": 10, "untagged_image_expiration_days": 1},
        "experiment_tracking": {"tracking_server_size": "Small", "weekly_maintenance_window_start": "Mon:03:00"},
    },
    "staging": {
        "model_registry": {"keep_images": 30, "untagged_image_expiration_days": 7},
        "experiment_tracking": {"tracking_server_size": "Small", "weekly_maintenance_window_start": "Sat:03:00"},
    },
    "prod": {
        "model_registry": {"keep_images": 100, "untagged_image_expiration_days": 7},
        "experiment_tracking": {"tracking_server_size": "Medium", "weekly_maintenance_window_start": "Sun:03:00"},
    },
}
_ACCOUNT = re.compile(r"^\d{12}$")


class FeatureConfig(StrictModel):
    name: str
    type: Literal["Integral", "Fractional", "String"]
    collection: Optional[Literal["List", "Set", "Vector"]] = Field(default=None, description="Omitted: a scalar feature.")
    dimension: Optional[int] = Field(default=None, description="Vector dimension (Vector collections only).")


class TtlConfig(StrictModel):
    unit: Literal["Seconds", "Minutes", "Hours", "Days", "Weeks"]
    value: int = Field(ge=1)


class FeatureGroupConfig(StrictModel):
    name: str = Field(description="Group name; the feature group is `<project>-<env>-<name>`.")
    record_identifier: str
    event_time: str
    features: list[FeatureConfig] = Field(min_length=1)
    owner: str = Field(min_length=1, description="The `owner` tag of the group.")
    data_classification: Literal["public", "internal", "confidential", "restricted"]
    pii: bool = Field(description="Personal data: requires an online store with a TTL.")
    description: Optional[str] = Field(default=None, description="Omitted: no description.")
    online: bool = Field(default=True, description="Omitted: online store enabled.")
    storage_type: Literal["Standard", "InMemory"] = Field(default="Standard", description="Omitted: Standard.")
    ttl: Optional[TtlConfig] = Field(default=None, description="Online record TTL. Omitted: records never expire.")
    offline: bool = Field(default=True, description="Omitted: offline store enabled.")
    table_format: Literal["Glue", "Iceberg"] = Field(default="Glue", description="Omitted: Glue.")


class FeatureStoreConfig(StrictModel):
    groups: list[FeatureGroupConfig] = Field(default_factory=list, description="Omitted: no feature store.")
    offline_prefix: str = Field(default="feature-store/", description="Prefix in the datasets bucket. Omitted: feature-store/.")
    athena_workgroup: str = Field(default="primary", description="Workgroup for offline reads. Omitted: primary.")


class ModelFamilyConfig(StrictModel):
    name: str
    description: Optional[str] = None
    repositories: list[str] = Field(default_factory=lambda: ["serving", "training"], description="Omitted: serving and training.")
    deployment_pipeline_arn: Optional[str] = Field(default=None, description="Started on approval. Omitted: notify only.")
    deployment_pipeline_parameters: dict[str, str] = Field(default_factory=dict)


class ModelRegistryConfig(StrictModel):
    families: list[ModelFamilyConfig] = Field(default_factory=list, description="Omitted: no registry.")
    consumer_accounts: list[str] = Field(
        default_factory=list, description="Accounts (staging, prod) allowed to read and deploy. Omitted: this account only."
    )
    notify_approvals: bool = Field(default=True, description="Approvals notify the alarm topic. Omitted: on.")
    keep_images: int = Field(ge=1, description="Images kept per repository. Omitted: 10 dev, 30 staging, 100 prod.")
    untagged_image_expiration_days: int = Field(ge=1, description="Omitted: 1 dev, 7 staging and prod.")


class ExperimentTrackingConfig(StrictModel):
    enabled: bool = Field(default=True, description="A managed MLflow tracking server. Omitted: on.")
    tracking_server_size: Literal["Small", "Medium", "Large"] = Field(description="Omitted: Small; Medium in prod.")
    weekly_maintenance_window_start: str = Field(description="ddd:hh:mm. Omitted: Mon dev, Sat staging, Sun prod, 03:00.")
    mlflow_version: Optional[str] = Field(default=None, description="Omitted: the service's default version.")


def check_ml_lifecycle(env: str, registry: ModelRegistryConfig) -> list[Problem]:
    problems = []
    for account in registry.consumer_accounts:
        if not _ACCOUNT.match(account):
            problems.append(Problem("platform.model_registry.consumer_accounts", "is not a 12-digit AWS account id", account))
    if env == "prod" and registry.consumer_accounts:
        problems.append(
            Problem("platform.model_registry.consumer_accounts", "must be empty in prod (prod consumes models, it shares none)",
                    registry.consumer_accounts)
        )
    return problems
