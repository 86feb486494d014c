"""The `training` section of PlatformConfig: one EKS training cluster, its GPU pools and teams.

The section is the cluster's spec (TrainingClusterSpec) with what the platform decides from it:
whether there is a cluster, its name, and whether KubeRay is installed. Its checks are the
cluster's own, in the stack's environment, at the keys the user wrote.
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from mlplat.components.training_args import TrainingClusterSpec, deterministic_cluster_name
from mlplat.core.errors import Problem
from mlplat.core.models import StrictBool

__all__ = ["TrainingConfig", "check_training"]

WHERE = "platform.training"


class TrainingConfig(TrainingClusterSpec):
    """The training cluster; omitted keys take the environment's overlay (`environments.ENVIRONMENT_OVERLAYS`)."""

    enabled: StrictBool = Field(default=False, description="Declare the training cluster. Omitted: no cluster.")
    name: str = Field(default="training", description="The cluster is `<project>-<env>-<name>`. Omitted: training.")
    kuberay: StrictBool = Field(default=False, description="Install the KubeRay operator. Omitted: not installed.")


def check_training(env: str, project: Optional[str], training: TrainingConfig) -> list[Problem]:
    """What TrainingClusterArgs would refuse in `env` (nothing when the cluster is not enabled)."""
    if not training.enabled:
        return []
    cluster_name = deterministic_cluster_name(project, env, training.name) if project is not None else None
    return training.problems_at(WHERE, environment=env, cluster_name=cluster_name, cluster_name_path=f"{WHERE}.name")
