"""The feature store, model registry and experiment tracking sections of PlatformConfig.

Each is its component's spec, with what the platform decides from it (whether approvals notify
the alarm topic, whether there is a tracking server); their checks are the components' own, with
the names the platform derives (`<project>-<env>-...`).
"""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import Field

from mlplat.components.experiment_tracking import ExperimentTrackingSpec
from mlplat.components.feature_store import FeatureStoreSpec
from mlplat.components.model_registry import ModelRegistrySpec
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.models import StrictBool
from mlplat.core.vocabulary import CONFIG_NAMESPACE

__all__ = ["DEPLOY_TOKEN_CONFIG", "DEPLOY_TOKEN_KEY", "ExperimentTrackingConfig", "ModelRegistryConfig",
           "check_experiment_tracking", "check_feature_store", "check_model_registry", "deploy_token",
           "deployment_notes"]

# The GitHub token of `model_registry.deployment.github`: a Pulumi config secret, never stack config.
DEPLOY_TOKEN_KEY = "github_deploy_token"
DEPLOY_TOKEN_CONFIG = f"{CONFIG_NAMESPACE}:{DEPLOY_TOKEN_KEY}"


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


def deploy_token(source: Optional[str] = None) -> pulumi.Output[str]:
    """The config secret `ml-platform:github_deploy_token`, as a secret Output.

    Missing: a ConfigError naming the key and the command that sets it. The value is never read
    here (only its presence), so no error message can show it.
    """
    token = pulumi.Config(CONFIG_NAMESPACE).get_secret(DEPLOY_TOKEN_KEY)
    if token is None:
        raise ConfigError(
            [
                Problem(
                    DEPLOY_TOKEN_CONFIG,
                    "is missing: platform.model_registry.deployment.github sends GitHub a repository_dispatch with "
                    f"this token; set it with `pulumi config set --secret {DEPLOY_TOKEN_CONFIG} <token>` (a "
                    "fine-grained token with the repository's Contents: write permission; see the README, "
                    "\"Approval starts a deployment\")",
                )
            ],
            source,
        )
    return pulumi.Output.secret(token)


def deployment_notes(env: Optional[str], registry: ModelRegistryConfig) -> list[str]:
    """Warnings about the registry's deployment: staging and prod say explicitly what an approval starts."""
    if env in ("staging", "prod") and registry.families and "deployment" not in registry.model_fields_set:
        return [
            f"platform.model_registry.deployment is omitted in {env}: an approved model package starts no "
            "deployment. Set `deployment: {github: {repository: <owner>/<name>}}` to deploy on approval, or "
            "`deployment: none` if the team deploys by hand."
        ]
    return []
