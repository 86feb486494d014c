"""The feature store, model registry and experiment tracking sections of PlatformConfig.

Each is its component's spec, with what the platform decides from it (whether approvals notify
the alarm topic, whether there is a tracking server); their checks are the components' own, with
the names the platform derives (`<project>-<env>-...`).
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from mlplat.components.experiment_tracking import ExperimentTrackingSpec
from mlplat.components.feature_store import FeatureStoreSpec
from mlplat.components.model_registry import ModelRegistrySpec
from mlplat.core.errors import Problem
from mlplat.core.models import StrictBool

__all__ = ["ExperimentTrackingConfig", "ModelRegistryConfig", "check_experiment_tracking", "check_feature_store",
           "check_model_registry"]


class ModelRegistryConfig(ModelRegistrySpec):
    """Model families: package groups and ECR repositories; omitted keys take the environment's overlay."""

    notify_approvals: StrictBool = Field(default=True, description="Approvals notify the alarm topic. Omitted: on.")


class ExperimentTrackingConfig(ExperimentTrackingSpec):
    """The MLflow tracking server; omitted keys take the environment's overlay."""

    enabled: StrictBool = Field(default=True, description="A managed MLflow tracking server. Omitted: on.")


def name_prefix(project: Optional[str], env: Optional[str]) -> Optional[str]:
    """`<project>-<env>-`, the physical names' prefix (None while either is unknown)."""
    return f"{project}-{env}-" if project is not None and env is not None else None


def check_feature_store(env: Optional[str], project: Optional[str], store: FeatureStoreSpec) -> list[Problem]:
    return store.problems_at("platform.feature_store", name_prefix=name_prefix(project, env))


def check_model_registry(env: Optional[str], project: Optional[str], registry: ModelRegistryConfig) -> list[Problem]:
    where = "platform.model_registry"
    problems = registry.problems_at(where, name_prefix=name_prefix(project, env))
    if env == "prod" and registry.consumer_accounts:
        problems.append(
            Problem(f"{where}.consumer_accounts", "must be empty in prod (prod consumes models, it shares none)",
                    registry.consumer_accounts)
        )
    return problems


def check_experiment_tracking(tracking: ExperimentTrackingConfig) -> list[Problem]:
    return tracking.problems_at("platform.experiment_tracking") if tracking.enabled else []
