"""The `training` section of PlatformConfig: one EKS training cluster, its GPU pools and teams."""

from __future__ import annotations

from typing import Any, Literal, Optional, Sequence

from pydantic import Field

from mlplat.core.errors import Problem
from mlplat.core.models import StrictModel
from mlplat.core.validators import check_public_access

TRAINING_DEFAULTS: dict[str, dict[str, Any]] = {
    # dev: one small spot GPU pool; a public API endpoint is allowed with a CIDR allow-list.
    "dev": {"endpoint_public_access": True, "log_retention_days": 30,
            "gpu_pools": [{"name": "g5", "instance_types": ["g5.xlarge"], "capacity_type": "SPOT", "max_size": 2}]},
    "staging": {"endpoint_public_access": False, "log_retention_days": 90,
                "gpu_pools": [{"name": "g5", "instance_types": ["g5.2xlarge"], "max_size": 4}]},
    "prod": {"endpoint_public_access": False, "log_retention_days": 365,
             "gpu_pools": [{"name": "a100", "instance_types": ["p4d.24xlarge"], "max_size": 16}]},
}


class GpuPoolConfig(StrictModel):
    name: str = Field(description="Pool name (DNS label); the Kueue ResourceFlavor has the same name.")
    instance_types: list[str] = Field(description="EC2 GPU instance types (checked against botocore's list).")
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(default="ON_DEMAND", description="Omitted: ON_DEMAND.")
    min_size: int = Field(default=0, description="Omitted: 0 (no GPU node is billed while idle).")
    max_size: int = Field(description="At most the environment's cap (dev 2, staging 4, prod 16).")


class TeamConfig(StrictModel):
    name: str = Field(description="Team name (DNS label): its namespace, queue and IAM role.")
    namespaces: list[str] = Field(default_factory=list, description="Omitted: one namespace named after the team.")
    cpu: str = Field(default="16", description="CPU quota. Omitted: 16.")
    memory: str = Field(default="64Gi", description="Memory quota. Omitted: 64Gi.")
    gpus: dict[str, int] = Field(default_factory=dict, description="Nominal GPUs per pool. Omitted: none (borrowing only).")
    gpu_borrowing_limit: Optional[int] = Field(default=None, description="Omitted: may borrow all idle GPUs of the cohort.")


class TrainingConfig(StrictModel):
    enabled: bool = Field(default=False, description="Declare the training cluster. Omitted: no cluster.")
    name: str = Field(default="training", description="The cluster is `<project>-<env>-<name>`. Omitted: training.")
    version: str = Field(default="1.34", description="Kubernetes version. Omitted: 1.34.")
    admin_role_arns: list[str] = Field(
        default_factory=list,
        description="IAM roles given cluster-admin access entries (include the deployer's role). Required when enabled.",
    )
    endpoint_public_access: bool = Field(description="Public API endpoint. Omitted: dev only; refused elsewhere.")
    public_access_cidrs: list[str] = Field(
        default_factory=list, description="Who may reach a public endpoint. Required with endpoint_public_access."
    )
    log_retention_days: int = Field(description="Control-plane log retention. Omitted: 30 dev, 90 staging, 365 prod.")
    gpu_pools: list[GpuPoolConfig] = Field(description="Omitted: one pool per environment (see TRAINING_DEFAULTS).")
    teams: list[TeamConfig] = Field(default_factory=list, description="Teams using the cluster. Omitted: none.")
    kuberay: bool = Field(default=False, description="Install the KubeRay operator. Omitted: not installed.")
    image_cache_prefix: Optional[str] = Field(
        default=None, description="ECR pull-through cache prefix for add-on images. Omitted: derived from the cluster name."
    )


def check_training(env: str, training: TrainingConfig) -> list[Problem]:
    if not training.enabled:
        return []
    where = "platform.training"
    problems: list[Problem] = []
    if not training.admin_role_arns:
        problems.append(Problem(f"{where}.admin_role_arns", "must name at least one admin role when the cluster is enabled"))
    problems += check_public_access(where, env, training.endpoint_public_access, training.public_access_cidrs)
    return problems

