"""The TrainingCluster's arguments and their validation: pure, checked before anything is declared.

`TrainingClusterArgs` and its parts (system nodes, GPU pools, teams, Helm charts, dev SSH) are
typed and frozen; `check_training_cluster` returns every problem with its field path, the value
received and what is allowed (instance types and bounds from botocore's EC2 and EKS models). The
constants here are the cluster's pinned choices (versions, caps, AMI types, policies) that the
component in training_cluster.py declares with.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Literal, Mapping, Optional, Sequence

import pulumi_aws as aws
from pydantic import Field, field_validator

from mlplat.core import aws_models
from mlplat.core.models import NestedArgs, ParentArgs, Spec, StrictBool, StrictInt
from .artifact_store import ArtifactStore
from mlplat.core.validators import check_log_retention, check_public_access
from mlplat.core.vocabulary import DEFAULT_KUBERNETES_VERSION, GPU_NODE_CAPS, MAX_GPUS_PER_NODE, SUPPORTED_KUBERNETES_VERSIONS
from mlplat.core.errors import Problem
from mlplat.core.prices import load_price_table
from .monitoring import AlarmTopic
from .network import Network
from .version_skew import version_skew

__all__ = [
    "A",
    "add_on_versions",
    "admin_suffix",
    "CapacityReservationSpec",
    "check_gpu_pool",
    "KARPENTER_CHART",
    "KARPENTER_VERSION",
    "LEGACY_CAPACITY_TYPES",
    "SUPPORTED_KARPENTER_VERSIONS",
    "check_chart",
    "check_cluster_name",
    "check_gpu_instance_types",
    "check_image_cache_prefix",
    "check_kubernetes_version",
    "check_labels",
    "check_quantity",
    "check_scaling",
    "check_system_instance_types",
    "check_teams",
    "check_training_cluster",
    "cluster_problems",
    "default_max_gpus",
    "deterministic_cluster_name",
    "DEVICE_PLUGIN_CHART",
    "DCGM_EXPORTER_CHART",
    "DCGM_EXPORTER_IMAGE_TAG",
    "DevSshArgs",
    "EFA_DEVICE_PLUGIN_CHART",
    "EFA_LABEL",
    "efa_instance_types",
    "efa_interface_count",
    "placement_group_name",
    "pool_instance_types",
    "ec2_instance_types",
    "Environment",
    "GPU_AMI_TYPE",
    "GpuPoolArgs",
    "GpuPoolSpec",
    "HelmChartArgs",
    "instance_family",
    "KUBERAY_CHART",
    "KUEUE_CHART",
    "KUEUE_VERSION",
    "MAX_DISK_SIZE_GIB",
    "MAX_IMAGE_CACHE_PREFIX",
    "MAX_POOL_NAME",
    "MAX_TEAM_NAME",
    "missing_network_endpoints",
    "NVIDIA_GPU_FAMILIES",
    "REQUIRED_INTERFACE_ENDPOINTS",
    "RESERVED_LABEL_PREFIXES",
    "RESERVED_NAMESPACES",
    "SUPPORTED_KUEUE_VERSIONS",
    "SYSTEM_AMI_TYPE",
    "SystemNodesArgs",
    "TeamArgs",
    "TeamSpec",
    "TrainingClusterArgs",
    "TrainingClusterSpec",
]


Environment = Literal["dev", "staging", "prod"]


GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA"
SYSTEM_AMI_TYPE = "AL2023_x86_64_STANDARD"
# Families of NVIDIA GPU instances the x86_64 NVIDIA AMI runs (Graviton g5g and Grace p6e-gb200
# are arm64, g4ad has AMD GPUs, p2/p3... older GPUs lack current drivers).
NVIDIA_GPU_FAMILIES: tuple[str, ...] = (
    "g4dn", "g5", "g6", "g6e", "g6f", "gr6", "gr6f", "g7", "g7e",
    "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300",
)  # fmt: skip
_ACCELERATED_FAMILY = re.compile(r"^(p|g|gr|inf|trn|dl|f|vt)\d")
_GRAVITON_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")

# Interface endpoints nodes and add-ons need in a network without internet route (besides the S3
# gateway every created network has): EC2 for the VPC CNI and Karpenter, ECR for images, STS for
# IRSA, EKS for the deployer inside the VPC, SSM (AMI parameters) and SQS (interruptions) for Karpenter.
REQUIRED_INTERFACE_ENDPOINTS: tuple[str, ...] = ("ec2", "ecr.api", "ecr.dkr", "eks", "sts", "ssm", "sqs")

KUEUE_VERSION = "0.19.2"  # the v1beta2 objects below are validated against its CRDs
SUPPORTED_KUEUE_VERSIONS: tuple[str, ...] = (KUEUE_VERSION,)
KARPENTER_VERSION = "1.14.1"  # the karpenter.sh/v1 and karpenter.k8s.aws/v1 objects are validated against its CRDs
SUPPORTED_KARPENTER_VERSIONS: tuple[str, ...] = (KARPENTER_VERSION,)
LEGACY_CAPACITY_TYPES: dict[str, str] = {"ON_DEMAND": "on-demand", "SPOT": "spot"}



EFA_LABEL = "mlplat.io/efa"  # on the nodes of EFA pools: the EFA device plugin runs there
_PLACEMENT_GROUP_ID = re.compile(r"^pg-[0-9a-z]+$")  # the EC2NodeClass CRD's pattern
_PLACEMENT_GROUP_NAME = re.compile(r"^[\x20-\x7e]{1,255}$")  # EC2: up to 255 ASCII characters
_RESERVATION_ID = re.compile(r"^cr-[0-9a-z]+$")  # the EC2NodeClass CRD's pattern
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_DURATION = re.compile(r"^([0-9]+(s|m|h))+$")  # a NodePool's consolidateAfter (Never is not offered: empty GPU nodes cost)
_AMI_VERSION = re.compile(r"^(latest|v[0-9]{8})$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_TEAM_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUANTITY = re.compile(r"^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")
_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_SG_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
_CHART_REPOSITORY = re.compile(r"^(https|oci)://[^\s]+$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
RESERVED_NAMESPACES: tuple[str, ...] = ("default", "kube-system", "kube-public", "kube-node-lease", "kueue-system", "kuberay-system")
RESERVED_LABEL_PREFIXES: tuple[str, ...] = ("mlplat.io/", "kubernetes.io/", "k8s.io/", "eks.amazonaws.com/", "nvidia.com/")
MAX_TEAM_NAME = 30
MAX_POOL_NAME = 20
MAX_IMAGE_CACHE_PREFIX = 30 - len("/quay")  # ECR's prefix limit with the longest upstream suffix
MAX_DISK_SIZE_GIB = 16_384  # a gp3 volume's maximum size


# --- Args ------------------------------------------------------------------------------------

class _Part(NestedArgs):
    """A part of TrainingClusterArgs. Inside it, its problems are reported with their position
    (`TrainingClusterArgs.teams.0.cpu`); built on its own, it raises ConfigError naming `<Part>.<field>`.
    """


class SystemNodesArgs(_Part):
    """The on-demand node group that runs add-ons (Kueue, KubeRay, CoreDNS)."""

    instance_types: tuple[str, ...] = Field(
        default=("m6i.large",), description="x86_64, non-accelerated EC2 types. Omitted: m6i.large."
    )
    min_size: StrictInt = Field(default=2, description="Omitted: 2 (add-ons keep running while a node is replaced).")
    desired_size: Optional[StrictInt] = Field(default=None, description="Omitted: min_size.")
    max_size: StrictInt = Field(default=3, description="Omitted: 3.")
    disk_size_gib: StrictInt = Field(default=50, description="Encrypted gp3 root volume size. Omitted: 50 GiB.")


class CapacityReservationSpec(Spec):
    """A capacity reservation a GPU pool launches into: by id, or by tags (Capacity Blocks for ML included)."""

    id: Optional[str] = Field(default=None, description="The reservation's id (`cr-...`). Omitted: select by `tags`.")
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Tags that select reservations ('*' matches any value). Omitted: select by `id`.",
    )
    owner_id: Optional[str] = Field(
        default=None, description="Account that owns the tagged reservations (12 digits; only with `tags`). Omitted: any.",
    )
    instance_type: Optional[str] = Field(
        default=None,
        description="The reservation's instance type, for the cost estimate (a reservation bills at the full on-demand "
        "price whether used or not). Omitted: the estimate lists the reservation as unpriced.",
    )
    instance_count: Optional[StrictInt] = Field(
        default=None, description="How many instances the reservation holds (with instance_type). Omitted: unpriced.",
    )
    capacity_block: StrictBool = Field(
        default=False,
        description="The reservation is a Capacity Block for ML (prepaid at purchase for its whole duration). "
        "Omitted: an on-demand capacity reservation (billed by the hour while active).",
    )
    placement_group: Optional[str] = Field(
        default=None,
        description="The cluster placement group the reservation was made in (its name or `pg-` id); a pool with a "
        "placement group must name the same one. Omitted: the reservation is in no placement group.",
    )


class GpuPoolSpec(Spec):
    """One GPU pool: a Karpenter NodePool and EC2NodeClass, one Kueue ResourceFlavor (each of the stack
    config's `training.gpu_pools`)."""

    name: str = Field(description=f"DNS label of at most {MAX_POOL_NAME} characters; the node label `mlplat.io/gpu-pool` "
                      "and the flavor `gpu-<name>` carry it.")
    instance_types: tuple[str, ...] = Field(
        default=(),
        description="NVIDIA GPU EC2 types Karpenter may launch (see NVIDIA_GPU_FAMILIES), e.g. ('g5.xlarge',). "
        "Omitted: only `instance_families` (one of the two is required).",
    )
    instance_families: tuple[str, ...] = Field(
        default=(),
        description="NVIDIA GPU instance families (any size), e.g. ('g6e',). Omitted: only `instance_types`.",
    )
    capacity_types: Optional[tuple[Literal["on-demand", "spot", "reserved"], ...]] = Field(
        default=None,
        description="Karpenter capacity types: on-demand, spot, reserved (the pool's `capacity_reservations`, "
        "used first when they have room). Omitted: `capacity_type` if given, else on-demand.",
    )
    capacity_type: Optional[Literal["ON_DEMAND", "SPOT"]] = Field(
        default=None,
        description="Deprecated alias of `capacity_types` (ON_DEMAND is on-demand, SPOT is spot). Omitted: not used.",
    )
    capacity_reservations: tuple[CapacityReservationSpec, ...] = Field(
        default=(),
        description="Capacity reservations (on-demand capacity reservations, Capacity Blocks for ML) the pool "
        "launches into; needs `reserved` in capacity_types. Omitted: none.",
    )
    min_size: StrictInt = Field(
        default=0, description="Deprecated (node groups): must be 0; Karpenter starts nodes for pending pods only. Omitted: 0.",
    )
    desired_size: Optional[StrictInt] = Field(
        default=None, description="Deprecated (node groups): must be omitted or 0. Omitted: not used.",
    )
    max_size: StrictInt = Field(
        default=2, description="Most nodes of the pool (the NodePool's limits), at most the environment's GPU node cap "
        "(dev 2, staging 4, prod 16). Omitted: 2.",
    )
    consolidate_after: str = Field(
        default="10m",
        description="How long a node stays empty before Karpenter removes it (e.g. 30s, 10m, 1h). Omitted: 10m.",
    )
    disk_size_gib: StrictInt = Field(default=200, description="Encrypted gp3 root volume size (images are large). Omitted: 200 GiB.")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Extra node labels. Omitted: only `mlplat.io/gpu-pool` and `nvidia.com/gpu.present`.",
    )
    efa: StrictBool = Field(
        default=False,
        description="Elastic Fabric Adapter for multi-node training: only instance types with EFA (of a family, its "
        "sizes with EFA), launched with every EFA interface the pool's smallest type has, the EFA device plugin "
        "and a security group open within itself. Omitted: no EFA.",
    )
    placement_group: Optional[str] = Field(
        default=None,
        description="An existing cluster placement group the pool launches into (its name or `pg-` id); it must be "
        "the placement group of the pool's capacity reservations. Omitted: none (or `create_placement_group`).",
    )
    create_placement_group: StrictBool = Field(
        default=False,
        description="Create a cluster-strategy placement group `<cluster>-<pool>` for the pool (nodes close together "
        "for EFA); not with capacity reservations (a reservation's group exists before it). Omitted: none.",
    )

    @property
    def effective_capacity_types(self) -> tuple[str, ...]:
        """`capacity_types`, else the deprecated `capacity_type` translated, else on-demand."""
        if self.capacity_types is not None:
            return self.capacity_types
        if self.capacity_type is not None:
            return (LEGACY_CAPACITY_TYPES[self.capacity_type],)
        return ("on-demand",)


class GpuPoolArgs(GpuPoolSpec, _Part):
    """A GpuPoolSpec built on its own (its problems are reported by TrainingClusterArgs)."""


class TeamSpec(Spec):
    """A team: its namespaces, quotas, queue and workload identity (each of the stack config's `training.teams`)."""

    name: str = Field(description=f"DNS label starting with a letter, at most {MAX_TEAM_NAME} characters.")
    namespaces: tuple[str, ...] = Field(
        default=(), description="The team's namespaces. Omitted: one namespace named after the team."
    )
    cpu: str = Field(default="16", description="CPU quota (Kubernetes quantity), requests and limits. Omitted: 16.")
    memory: str = Field(default="64Gi", description="Memory quota (quantity), requests and limits. Omitted: 64Gi.")
    gpus: dict[str, StrictInt] = Field(
        default_factory=dict,
        description="Nominal GPUs per GPU pool ({pool name: GPUs}) in the team's ClusterQueue, at most what the "
        f"pool can hold (max_size x {MAX_GPUS_PER_NODE}). Omitted: 0 in every pool (the team only borrows idle GPUs).",
    )
    gpu_borrowing_limit: Optional[StrictInt] = Field(
        default=None,
        description="GPUs per pool the team may borrow beyond its nominal quota. Omitted: no limit "
        "(every idle GPU of the cohort).",
    )
    max_gpus: Optional[StrictInt] = Field(
        default=None,
        description="`requests.nvidia.com/gpu` of each namespace's ResourceQuota (a backstop for pods that "
        "bypass Kueue). Omitted: the most the team can hold through Kueue: its nominal GPUs plus what it "
        "may borrow, at most every GPU of the cohort.",
    )
    service_account: str = Field(default="training", description="Service account bound to the team's role. Omitted: training.")
    pod_security: Literal["restricted", "baseline"] = Field(
        default="restricted",
        description="Pod Security Admission level enforced in the namespaces. Omitted: restricted.",
    )
    dataset_access: Literal["read", "read-write"] = Field(
        default="read-write", description="Access to `teams/<team>/` in the datasets bucket. Omitted: read-write."
    )
    model_access: Literal["read", "read-write"] = Field(
        default="read-write",
        description="Access to `teams/<team>/` in the models bucket (training writes checkpoints and "
        "artifacts there). Omitted: read-write.",
    )

    @field_validator("cpu", "memory", mode="before")
    @classmethod
    def _quantity_text(cls, value: Any) -> Any:
        # A stack file's `cpu: 16` is the quantity "16".
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @property
    def namespace_names(self) -> tuple[str, ...]:
        return self.namespaces or (self.name,)


class TeamArgs(TeamSpec, _Part):
    """A TeamSpec built on its own (its problems are reported by TrainingClusterArgs)."""


class HelmChartArgs(_Part):
    """A pinned Helm chart and the values merged over the platform's secure defaults."""

    chart: str = Field(description="Chart name.")
    version: str = Field(description="Exact chart version (pinned; the image tag is `v<version>`).")
    repository: str = Field(description="https:// chart repository or oci:// registry path of the chart's parent.")
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="Values deep-merged over the platform's defaults (yours win). Omitted: the defaults "
        "(images from the pull-through caches, HA where the chart supports it).",
    )


class DevSshArgs(_Part):
    """SSH to nodes, for dev clusters only: the key pair and the security groups allowed on port 22."""

    key_name: str = Field(description="EC2 key pair name.")
    source_security_group_ids: tuple[str, ...] = Field(description="Security groups admitted on TCP 22 (at least one).")


DEVICE_PLUGIN_CHART = HelmChartArgs(
    chart="nvidia-device-plugin", version="0.17.4", repository="https://nvidia.github.io/k8s-device-plugin"
)
KUEUE_CHART = HelmChartArgs(chart="kueue", version=KUEUE_VERSION, repository="oci://registry.k8s.io/kueue/charts")
KARPENTER_CHART = HelmChartArgs(chart="karpenter", version=KARPENTER_VERSION, repository="oci://public.ecr.aws/karpenter")
# The EFA device plugin's image is on ECR Public (public.ecr.aws/eks/aws-efa-k8s-device-plugin): the ECR Public
# pull-through cache serves it; the tag is the chart's own.
EFA_DEVICE_PLUGIN_CHART = HelmChartArgs(
    chart="aws-efa-k8s-device-plugin", version="0.5.20", repository="https://aws.github.io/eks-charts"
)
# nvcr.io is not an ECR pull-through upstream: the image comes from a private mirror (see DCGM_EXPORTER_IMAGE_TAG).
DCGM_EXPORTER_CHART = HelmChartArgs(
    chart="dcgm-exporter", version="4.1.3", repository="https://nvidia.github.io/dcgm-exporter/helm-charts"
)
DCGM_EXPORTER_IMAGE_TAG = "4.2.3-4.1.3-ubuntu22.04"  # DCGM 4.2.3 with exporter 4.1.3: the chart's image
KUBERAY_CHART = HelmChartArgs(
    chart="kuberay-operator", version="1.4.2", repository="https://ray-project.github.io/kuberay-helm/"
)


class TrainingClusterSpec(Spec):
    """The cluster's settings (data only; the stack config's `training`)."""

    version: str = Field(default=DEFAULT_KUBERNETES_VERSION, description="Kubernetes minor version. Omitted: 1.34.")
    admin_role_arns: tuple[str, ...] = Field(
        default=(),
        description="IAM roles given cluster admin (an access entry with AmazonEKSClusterAdminPolicy); "
        "include the deployer's role: the creator gets no implicit access. Omitted: none, which is refused."
    )
    endpoint_public_access: StrictBool = Field(
        default=False,
        description="Also expose the API endpoint publicly, to `public_access_cidrs` only; dev only. "
        "Omitted: private endpoint only.",
    )
    public_access_cidrs: tuple[str, ...] = Field(
        default=(), description="Allow-list of the public endpoint (no 0.0.0.0/0). Omitted: none."
    )
    log_retention_days: StrictInt = Field(
        default=365, description="Retention of the control-plane log group. Omitted: 365 days."
    )
    gpu_pools: tuple[GpuPoolSpec, ...] = Field(
        default_factory=lambda: (GpuPoolSpec(name="gpu", instance_types=("g5.xlarge",)),),
        description="GPU pools (Karpenter NodePools). Omitted: one on-demand pool `gpu` of g5.xlarge, 0 to 2 nodes.",
    )
    node_ami_version: str = Field(
        default="latest",
        description="Release of the AL2023 EKS AMI Karpenter launches GPU nodes from (`al2023@<version>`, e.g. "
        "v20251120; pin it in prod). Omitted: latest.",
    )
    teams: tuple[TeamSpec, ...] = Field(default=(), description="Teams using the cluster. Omitted: none.")
    image_cache_prefix: Optional[str] = Field(
        default=None,
        description="ECR repository prefix of the pull-through caches (`<prefix>/k8s`, `<prefix>/quay`) and the "
        f"device plugin mirror; at most {MAX_IMAGE_CACHE_PREFIX} characters, unique in the account and region. "
        "Omitted: the cluster name.",
    )

    container_insights: StrictBool = Field(
        default=True,
        description="CloudWatch Container Insights with enhanced observability (the amazon-cloudwatch-observability "
        "add-on, its agent's role through IRSA): node, pod and GPU metrics in CloudWatch. Omitted: on.",
    )
    idle_gpu_utilization_percent: StrictInt = Field(
        default=10,
        description="A pool's idle-GPU alarm fires when its GPUs' average utilization (Container Insights "
        "node_gpu_utilization) stays below this for idle_gpu_minutes. Omitted: 10 (%).",
    )
    idle_gpu_minutes: StrictInt = Field(
        default=60, description="How long a pool's GPUs idle before its alarm fires (a multiple of 5). Omitted: 60.",
    )

    def problems_at(self, base: str, *, environment: str = "prod", cluster_name: Optional[str] = None,
                    cluster_name_path: Optional[str] = None) -> list[Problem]:
        """The settings' problems in `environment`; with `cluster_name`, also the names derived from it."""
        return cluster_problems(self, base, environment=environment, cluster_name=cluster_name,
                                cluster_name_path=cluster_name_path)


class TrainingClusterArgs(TrainingClusterSpec, ParentArgs):
    cluster_name: str = Field(
        description="The EKS cluster's name, deterministic (see `deterministic_cluster_name`): "
        "`<project>-<env>-<name>`, checked against botocore's ClusterName pattern and length."
    )
    network: Network = Field(description="The network whose private subnets the cluster and nodes use.")
    cluster_key: aws.kms.Key = Field(
        description="KMS key for Kubernetes secrets, node volumes and the device plugin mirror: an Encryption "
        "domain (e.g. `cluster-<name>`) whose key users include 'autoscaling-volumes'."
    )
    log_key: aws.kms.Key = Field(description="The logs KMS key that encrypts the control-plane log group.")
    environment: Environment = Field(
        default="prod",
        description="dev, staging or prod: gates the public endpoint and SSH (dev only) and sets the GPU "
        "node cap. Omitted: prod.",
    )
    system_nodes: SystemNodesArgs = Field(
        default_factory=SystemNodesArgs, description="The system node group. Omitted: 2-3 m6i.large on demand."
    )
    max_gpu_nodes_cap: Optional[StrictInt] = Field(
        default=None,
        description="Most nodes any GPU pool may scale to. Omitted: the environment's cap (dev 2, staging 4, prod 16).",
    )
    metadata_hop_limit: Literal[1, 2] = Field(
        default=1,
        description="IMDSv2 response hop limit of nodes. 1 keeps pods (which use IRSA) from reaching the "
        "node's instance metadata and role; 2 lets containers reach it (needed only by pods without IRSA "
        "that call IMDS). Omitted: 1.",
    )
    dev_ssh: Optional[DevSshArgs] = Field(
        default=None, description="SSH to nodes (dev only, from the listed security groups). Omitted: no SSH."
    )
    artifact_store: Optional[ArtifactStore] = Field(
        default=None,
        description="The store whose datasets and models buckets teams use under `teams/<team>/`. "
        "Omitted: team roles get no bucket access.",
    )
    cohort_name: str = Field(default="ml-teams", description="Kueue cohort of the teams' ClusterQueues. Omitted: ml-teams.")
    container_default_request: dict[str, str] = Field(
        default_factory=lambda: {"cpu": "250m", "memory": "512Mi"},
        description="LimitRange default requests. Omitted: 250m CPU, 512Mi memory.",
    )
    container_default_limit: dict[str, str] = Field(
        default_factory=lambda: {"cpu": "1", "memory": "2Gi"},
        description="LimitRange default limits. Omitted: 1 CPU, 2Gi memory.",
    )
    device_plugin: HelmChartArgs = Field(default=DEVICE_PLUGIN_CHART, description="NVIDIA device plugin chart. Omitted: 0.17.4.")
    device_plugin_image_repository: Optional[str] = Field(
        default=None,
        description="An existing private mirror of nvcr.io/nvidia/k8s-device-plugin. Omitted: a mirror "
        "repository `<prefix>/nvcr/nvidia/k8s-device-plugin` is created (immutable tags, scan on push, "
        "the cluster key).",
    )
    kueue: HelmChartArgs = Field(default=KUEUE_CHART, description=f"Kueue chart. Omitted: {KUEUE_VERSION}.")
    efa_device_plugin: HelmChartArgs = Field(
        default=EFA_DEVICE_PLUGIN_CHART,
        description="AWS EFA device plugin chart, installed when a GPU pool has `efa` (on those pools' nodes). "
        f"Omitted: {EFA_DEVICE_PLUGIN_CHART.version}.",
    )
    karpenter: HelmChartArgs = Field(
        default=KARPENTER_CHART,
        description=f"Karpenter chart; its CRDs come from the `karpenter-crd` chart of the same repository and "
        f"version. Omitted: {KARPENTER_VERSION}.",
    )
    node_tags: dict[str, str] = Field(
        default_factory=dict,
        description="Tags of the EC2 instances, volumes and interfaces Karpenter launches (they are not Pulumi "
        "resources, so the stack's tags do not reach them). Omitted: only the pool tag `mlplat:gpu-pool`.",
    )
    tag_subnets: StrictBool = Field(
        default=True,
        description="Whether the component tags the network's subnets with Karpenter's discovery tag "
        "(`subnet_discovery_tags`). False when the stack that owns the network tags them (a foundation "
        "layer stack). Omitted: the component tags them.",
    )
    kuberay: Optional[HelmChartArgs] = Field(
        default=None, description="KubeRay operator chart (e.g. KUBERAY_CHART). Omitted: not installed."
    )
    dcgm_exporter: Optional[HelmChartArgs] = Field(
        default=DCGM_EXPORTER_CHART,
        description="NVIDIA DCGM exporter chart, on GPU nodes only (Prometheus GPU metrics with the pod of each "
        f"GPU). None: not installed. Omitted: {DCGM_EXPORTER_CHART.version}.",
    )
    dcgm_exporter_image_repository: Optional[str] = Field(
        default=None,
        description="An existing private mirror of nvcr.io/nvidia/k8s/dcgm-exporter. Omitted: a mirror repository "
        "`<prefix>/nvcr/nvidia/k8s/dcgm-exporter` is created (immutable tags, scan on push, the cluster key).",
    )
    cloudwatch_observability_version: Optional[str] = Field(
        default=None,
        description="amazon-cloudwatch-observability add-on version. Omitted: EKS's default for the cluster version.",
    )
    alarm_topic: Optional[AlarmTopic] = Field(
        default=None,
        description="The AlarmTopic the idle-GPU alarm notifies (with Container Insights). Omitted: no idle-GPU alarm.",
    )
    vpc_cni_version: Optional[str] = Field(
        default=None, description="VPC CNI add-on version. Omitted: EKS's default for the cluster version."
    )
    protect: StrictBool = Field(
        default=True, description="Protect the cluster (and EKS deletion protection) and the mirror. Omitted: protected."
    )

    @property
    def gpu_node_cap(self) -> int:
        return self.max_gpu_nodes_cap if self.max_gpu_nodes_cap is not None else GPU_NODE_CAPS[self.environment]

    @property
    def cache_prefix(self) -> str:
        return self.image_cache_prefix if self.image_cache_prefix is not None else self.cluster_name

    def problems(self) -> list[Problem]:
        return check_training_cluster(self)


# --- validation (pure) -----------------------------------------------------------------------

A = "TrainingClusterArgs"


@functools.lru_cache(maxsize=1)
def ec2_instance_types() -> frozenset[str]:
    """Every EC2 instance type botocore's ec2 model knows (its `InstanceType` enum)."""
    return frozenset(aws_models.shape_enum("ec2", "InstanceType"))


def deterministic_cluster_name(project: str, environment: str, name: str) -> str:
    """`<project>-<env>-<name>` (docs/DECISIONS.md, Naming: EKS clusters need a name before they exist)."""
    return f"{project}-{environment}-{name}"


def check_cluster_name(name: str, path: str = f"{A}.cluster_name") -> list[Problem]:
    meta = aws_models.shape("eks", "ClusterName").metadata
    low, high, pattern = meta.get("min", 1), meta.get("max", 100), meta.get("pattern", "")
    # botocore's patterns are whole-value patterns (Java `matches`), as in mlplat.contracts.
    if not low <= len(name) <= high or not re.fullmatch(pattern, name):
        return [Problem(path, f"is not an EKS cluster name (botocore ClusterName: {pattern}, {low} to {high} characters)", name)]
    return []


def check_kubernetes_version(version: str, path: str = f"{A}.version") -> list[Problem]:
    if version not in SUPPORTED_KUBERNETES_VERSIONS:
        return [Problem(path, f"is not a supported Kubernetes version (allowed: {', '.join(SUPPORTED_KUBERNETES_VERSIONS)})", version)]
    return []


def instance_family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def check_gpu_instance_types(path: str, types: Sequence[str]) -> list[Problem]:
    if not types:
        return [Problem(path, "is empty (list at least one NVIDIA GPU instance type)", tuple(types))]
    problems = []
    known = ec2_instance_types()
    for instance_type in types:
        if instance_type not in known:
            problems.append(Problem(path, "is not an EC2 instance type (botocore's ec2 InstanceType enum)", instance_type))
        elif instance_family(instance_type) not in NVIDIA_GPU_FAMILIES:
            problems.append(
                Problem(path, f"is not an NVIDIA GPU type the {GPU_AMI_TYPE} AMI runs (families: {', '.join(NVIDIA_GPU_FAMILIES)})",
                        instance_type)
            )
    return problems


def check_gpu_instance_families(path: str, families: Sequence[str]) -> list[Problem]:
    problems = []
    known = {instance_family(t) for t in ec2_instance_types()}
    for family in families:
        if family not in known:
            problems.append(Problem(path, "is not an EC2 instance family (no type of botocore's ec2 InstanceType enum has it)", family))
        elif family not in NVIDIA_GPU_FAMILIES:
            problems.append(
                Problem(path, f"is not an NVIDIA GPU family the {GPU_AMI_TYPE} AMI runs (families: {', '.join(NVIDIA_GPU_FAMILIES)})",
                        family)
            )
    return problems


def efa_instance_types(pool: GpuPoolSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(types with EFA, types without) of a pool, by the price table's instance attributes: its `instance_types`,
    and every size of its `instance_families` the table knows. A type the table does not know is without."""
    table = load_price_table()
    candidates = list(pool.instance_types)
    families = set(pool.instance_families)
    if families:
        known = sorted(t for t in ec2_instance_types() if instance_family(t) in families)
        candidates += [t for t in known if table.instance_attributes(t) is not None and t not in candidates]
    with_efa, without = [], []
    for instance_type in candidates:
        attributes = table.instance_attributes(instance_type)
        (with_efa if attributes is not None and attributes.efa_supported else without).append(instance_type)
    return tuple(with_efa), tuple(without)


def pool_instance_types(pool: GpuPoolSpec) -> tuple[str, ...]:
    """Every instance type a pool may launch: its EFA types with `efa`, else its `instance_types` and every size of
    its `instance_families` botocore knows."""
    if pool.efa:
        return efa_instance_types(pool)[0]
    families = set(pool.instance_families)
    return (*pool.instance_types,
            *sorted(t for t in ec2_instance_types() if instance_family(t) in families and t not in pool.instance_types))


def efa_interface_count(instance_types: Sequence[str]) -> int:
    """EFA interfaces a node class can give every one of `instance_types`: the fewest any of them takes."""
    table = load_price_table()
    counts = [a.maximum_efa_interfaces for a in map(table.instance_attributes, instance_types) if a is not None]
    return min(counts) if counts else 0


def placement_group_name(cluster_name: str, pool: str) -> str:
    """The name of the cluster placement group the platform creates for a pool (`create_placement_group`)."""
    return f"{cluster_name}-{pool}"


def _check_efa(path: str, pool: GpuPoolSpec) -> list[Problem]:
    if not pool.efa:
        return []
    with_efa, without = efa_instance_types(pool)
    problems: list[Problem] = []
    unknown = [t for t in pool.instance_types if t in ec2_instance_types() and load_price_table().instance_attributes(t) is None]
    if unknown:
        problems.append(Problem(f"{path}.efa", "is true but the price table has no instance attributes for "
                                f"{', '.join(unknown)} (EFA support unknown; `mlplat prices refresh` adds them)"))
    explicit_without = [t for t in pool.instance_types if t in without and t not in unknown]
    if explicit_without:
        problems.append(Problem(f"{path}.efa", f"is true but these instance types have no EFA: {', '.join(explicit_without)} "
                                "(instance attributes efa_supported; list types with EFA, or drop efa)"))
    for family in pool.instance_families:
        if not any(instance_family(t) == family for t in with_efa):
            problems.append(Problem(f"{path}.efa", f"is true but no size of family {family!r} has EFA (instance "
                                    "attributes efa_supported)"))
    return problems


def _check_placement(path: str, pool: GpuPoolSpec) -> list[Problem]:
    problems: list[Problem] = []
    group = pool.placement_group
    if group is not None and not (_PLACEMENT_GROUP_ID.match(group) or (not group.startswith("pg-") and _PLACEMENT_GROUP_NAME.match(group))):
        problems.append(Problem(f"{path}.placement_group", "is not a placement group name (1 to 255 ASCII characters) "
                                "or id (pg- and lowercase letters or digits)", group))
    if pool.create_placement_group and group is not None:
        problems.append(Problem(f"{path}.create_placement_group", f"is true with placement_group {group!r} (name an "
                                "existing group or create one, not both)"))
    elif pool.create_placement_group and pool.capacity_reservations:
        problems.append(Problem(f"{path}.create_placement_group", "is true but the pool names capacity_reservations: "
                                "a reservation's placement group exists before it (name it in placement_group)"))
    for j, reservation in enumerate(pool.capacity_reservations):
        theirs = reservation.placement_group
        if pool.create_placement_group or theirs == group:
            continue
        where = f"{path}.capacity_reservations.{j}.placement_group"
        if group is None:
            problems.append(Problem(where, "is a placement group the pool does not launch into (set the pool's "
                                    "placement_group to it: instances outside it cannot use the reservation)", theirs))
        elif theirs is None:
            problems.append(Problem(where, f"is omitted but the pool launches into placement group {group!r}: its "
                                    "instances cannot use a reservation outside that group (name the reservation's "
                                    "placement group, the same as the pool's)"))
        else:
            problems.append(Problem(where, f"does not match the pool's placement_group {group!r} (instances in one "
                                    "placement group cannot use a reservation made in another)", theirs))
    return problems


def check_gpu_pool(path: str, pool: GpuPoolSpec) -> list[Problem]:
    """A pool's instance choice, capacity types, reservations, EFA, placement and disruption setting (its sizes are
    `check_scaling`'s)."""
    problems: list[Problem] = []
    if not pool.instance_types and not pool.instance_families:
        problems.append(Problem(f"{path}.instance_types", "is empty and so is instance_families (list NVIDIA GPU instance "
                                "types or families)", ()))
    elif pool.instance_types:
        problems += check_gpu_instance_types(f"{path}.instance_types", pool.instance_types)
    problems += check_gpu_instance_families(f"{path}.instance_families", pool.instance_families)
    if pool.capacity_types is not None and pool.capacity_type is not None:
        problems.append(Problem(f"{path}.capacity_type", "is set with capacity_types (it is their deprecated alias; keep "
                                "capacity_types only)", pool.capacity_type))
    types = pool.effective_capacity_types
    if pool.capacity_types is not None and not types:
        problems.append(Problem(f"{path}.capacity_types", "is empty (allowed: on-demand, spot, reserved)", ()))
    if len(set(types)) != len(types):
        problems.append(Problem(f"{path}.capacity_types", "lists a capacity type twice", types))
    if "reserved" in types and not pool.capacity_reservations:
        problems.append(Problem(f"{path}.capacity_types", "has reserved but the pool names no capacity_reservations", types))
    if pool.capacity_reservations and "reserved" not in types:
        problems.append(Problem(f"{path}.capacity_reservations", "are named but capacity_types has no reserved (add it, "
                                "or Karpenter never launches into them)", types))
    for j, reservation in enumerate(pool.capacity_reservations):
        where = f"{path}.capacity_reservations.{j}"
        if (reservation.id is None) == (not reservation.tags):
            problems.append(Problem(where, "names neither or both of id and tags (give exactly one)"))
        if reservation.id is not None and not _RESERVATION_ID.match(reservation.id):
            problems.append(Problem(f"{where}.id", "is not a capacity reservation id (cr- and lowercase letters or digits)",
                                    reservation.id))
        if reservation.owner_id is not None and (reservation.id is not None or not _ACCOUNT_ID.match(reservation.owner_id)):
            problems.append(Problem(f"{where}.owner_id", "is not an account id (12 digits) beside tags", reservation.owner_id))
        for key, value in reservation.tags.items():
            if not key or not value:
                problems.append(Problem(f"{where}.tags", "has an empty key or value", {key: value}))
        if (reservation.instance_type is None) != (reservation.instance_count is None):
            problems.append(Problem(where, "names one of instance_type and instance_count (give both, or neither)"))
        if reservation.instance_type is not None and reservation.instance_type not in ec2_instance_types():
            problems.append(Problem(f"{where}.instance_type", "is not an EC2 instance type (botocore's ec2 InstanceType "
                                    "enum)", reservation.instance_type))
        if reservation.instance_count is not None and reservation.instance_count < 1:
            problems.append(Problem(f"{where}.instance_count", "must be at least 1", reservation.instance_count))
    if not _DURATION.match(pool.consolidate_after):
        problems.append(Problem(f"{path}.consolidate_after", "is not a duration such as 30s, 10m or 1h", pool.consolidate_after))
    if pool.min_size != 0:
        problems.append(Problem(f"{path}.min_size", "must be 0: Karpenter starts GPU nodes for pending pods only (no "
                                "node idles waiting; drop the key)", pool.min_size))
    if pool.desired_size not in (None, 0):
        problems.append(Problem(f"{path}.desired_size", "must be omitted: Karpenter starts GPU nodes for pending pods only",
                                pool.desired_size))
    if not any(p.path.startswith((f"{path}.instance_types", f"{path}.instance_families")) for p in problems):
        problems += _check_efa(path, pool)  # only once the types themselves are valid
    problems += _check_placement(path, pool)
    return problems


def check_system_instance_types(path: str, types: Sequence[str]) -> list[Problem]:
    if not types:
        return [Problem(path, "is empty (list at least one instance type)", tuple(types))]
    problems = []
    known = ec2_instance_types()
    for instance_type in types:
        family = instance_family(instance_type)
        if instance_type not in known:
            problems.append(Problem(path, "is not an EC2 instance type (botocore's ec2 InstanceType enum)", instance_type))
        elif _ACCELERATED_FAMILY.match(family):
            problems.append(Problem(path, "is an accelerated type; the system group runs add-ons (put GPUs in gpu_pools)", instance_type))
        elif _GRAVITON_FAMILY.match(family):
            problems.append(Problem(path, f"is an arm64 (Graviton) type; the system group uses the x86_64 {SYSTEM_AMI_TYPE} AMI", instance_type))
    return problems


def check_scaling(path: str, min_size: int, desired: Optional[int], max_size: int, cap: Optional[int] = None,
                  cap_source: str = "", base: str = A) -> list[Problem]:
    problems = []
    if min_size < 0:
        problems.append(Problem(f"{path}.min_size", "must be at least 0", min_size))
    if max_size < 1:
        problems.append(Problem(f"{path}.max_size", "must be at least 1", max_size))
    elif min_size > max_size:
        problems.append(Problem(f"{path}.min_size", f"is above max_size ({max_size})", min_size))
    if desired is not None and not min_size <= desired <= max_size:
        problems.append(Problem(f"{path}.desired_size", f"is not between min_size ({min_size}) and max_size ({max_size})", desired))
    if cap is not None and max_size > cap:
        problems.append(
            Problem(f"{path}.max_size", f"is above the GPU node cap ({cap}, {cap_source}); lower it"
                    + (f" or raise {base}.max_gpu_nodes_cap" if base == A else ""), max_size)
        )
    return problems


def check_quantity(path: str, value: str) -> list[Problem]:
    if not isinstance(value, str) or not _QUANTITY.match(value) or float(re.match(r"^[0-9.]*", value).group() or 0) <= 0:
        return [Problem(path, "is not a positive Kubernetes quantity (e.g. 16, 500m, 64Gi)", value)]
    return []


def check_labels(path: str, labels: Mapping[str, str]) -> list[Problem]:
    """Node labels: Kubernetes label syntax within EKS's limits (keys and values of at most 63 characters)."""
    problems = []
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or len(key) > 63:
            problems.append(Problem(path, "has a key that is not a Kubernetes label key of at most 63 characters (EKS's limit)", key))
        elif key.startswith(RESERVED_LABEL_PREFIXES):
            problems.append(Problem(path, f"has a key with a reserved prefix ({', '.join(RESERVED_LABEL_PREFIXES)})", key))
        if not _LABEL_VALUE.match(value) or len(value) > 63:
            problems.append(Problem(path, f"has a value for {key!r} that is not a Kubernetes label value (at most 63 characters)", value))
    return problems


def check_chart(path: str, chart: HelmChartArgs) -> list[Problem]:
    problems = []
    if not _CHART_REPOSITORY.match(chart.repository):
        problems.append(Problem(f"{path}.repository", "is not an https:// or oci:// chart repository", chart.repository))
    if not re.fullmatch(r"\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?", chart.version):
        problems.append(Problem(f"{path}.version", "is not an exact chart version (pin one, e.g. 1.2.3)", chart.version))
    return problems


def check_image_cache_prefix(prefix: str, explicit: bool, path: str = f"{A}.image_cache_prefix") -> list[Problem]:
    pattern = aws_models.shape("ecr", "PullThroughCacheRuleRepositoryPrefix").metadata.get("pattern", "")
    fits = len(prefix) <= MAX_IMAGE_CACHE_PREFIX and re.fullmatch(pattern, f"{prefix}/quay")
    if fits:
        return []
    if explicit:
        return [Problem(path,
                        f"is not an ECR repository prefix (lowercase letters, digits, '-', '_', '.', '/'; at most "
                        f"{MAX_IMAGE_CACHE_PREFIX} characters)", prefix)]
    return [Problem(path,
                    f"is omitted and the cluster name {prefix!r} is no ECR repository prefix (lowercase, at most "
                    f"{MAX_IMAGE_CACHE_PREFIX} characters); set image_cache_prefix")]


def check_teams(teams: Sequence[TeamSpec], pools: Mapping[str, int], base: str = A) -> list[Problem]:
    """Every team's problems; `pools` maps each GPU pool to the GPUs it can hold (max_size x MAX_GPUS_PER_NODE)."""
    problems: list[Problem] = []
    seen_teams: set[str] = set()
    owner: dict[str, str] = {}
    cohort = sum(pools.values())
    for i, team in enumerate(teams):
        path = f"{base}.teams.{i}"
        if not _TEAM_NAME.match(team.name) or len(team.name) > MAX_TEAM_NAME:
            problems.append(Problem(f"{path}.name", f"is not a team name (a DNS label starting with a letter, at most {MAX_TEAM_NAME} characters)", team.name))
        if team.name in seen_teams:
            problems.append(Problem(f"{path}.name", "is used by another team (team names are unique)", team.name))
        seen_teams.add(team.name)
        for ns in team.namespace_names:
            if not _DNS_LABEL.match(ns) or len(ns) > 63:
                problems.append(Problem(f"{path}.namespaces", "is not a namespace name (a DNS label, at most 63 characters)", ns))
            elif ns in RESERVED_NAMESPACES or ns.startswith("kube-"):
                problems.append(Problem(f"{path}.namespaces", f"is reserved (not allowed: {', '.join(RESERVED_NAMESPACES)}, kube-*)", ns))
            if ns in owner:
                other = owner[ns]
                where = "twice" if other == team.name else f"also by team {other!r}"
                problems.append(Problem(f"{path}.namespaces", f"is listed {where} (a namespace belongs to one team, once)", ns))
            else:
                owner[ns] = team.name
        problems.extend(check_quantity(f"{path}.cpu", team.cpu))
        problems.extend(check_quantity(f"{path}.memory", team.memory))
        for pool, count in team.gpus.items():
            if pool not in pools:
                problems.append(Problem(f"{path}.gpus", f"names a pool that does not exist (pools: {', '.join(pools) or 'none'})", pool))
            if count < 0:
                problems.append(Problem(f"{path}.gpus", f"gives pool {pool!r} a negative quota", count))
            elif pool in pools and count > pools[pool]:
                problems.append(Problem(f"{path}.gpus.{pool}", f"is more GPUs than pool {pool!r} can hold ({pools[pool]}: "
                                        f"its max_size x {MAX_GPUS_PER_NODE} GPUs per node)", count))
        if team.gpu_borrowing_limit is not None and team.gpu_borrowing_limit < 0:
            problems.append(Problem(f"{path}.gpu_borrowing_limit", "must be at least 0", team.gpu_borrowing_limit))
        elif team.gpu_borrowing_limit is not None and team.gpu_borrowing_limit > cohort:
            problems.append(Problem(f"{path}.gpu_borrowing_limit", f"is more GPUs than the cohort's pools can hold ({cohort})",
                                    team.gpu_borrowing_limit))
        nominal = sum(max(c, 0) for c in team.gpus.values())
        if team.max_gpus is not None and team.max_gpus < nominal:
            problems.append(Problem(f"{path}.max_gpus", f"is below the team's nominal GPUs ({nominal}); its pods could not use them", team.max_gpus))
        elif team.max_gpus is not None and team.max_gpus > cohort:
            problems.append(Problem(f"{path}.max_gpus", f"is more GPUs than the cohort's pools can hold ({cohort})", team.max_gpus))
        if not _DNS_SUBDOMAIN.match(team.service_account) or len(team.service_account) > 253 or team.service_account == "default":
            problems.append(Problem(f"{path}.service_account", "is not a service account name other than 'default' (a DNS subdomain)", team.service_account))
    return problems


def check_training_cluster(args: TrainingClusterArgs) -> list[Problem]:
    """Every problem with a TrainingClusterArgs (pure: reads only the args and botocore's models)."""
    return cluster_problems(args, A, environment=args.environment, cluster_name=args.cluster_name,
                            cluster_name_path=f"{A}.cluster_name", args=args)


def cluster_problems(
    settings: TrainingClusterSpec, base: str, *, environment: str, cluster_name: Optional[str] = None,
    cluster_name_path: Optional[str] = None, args: Optional[TrainingClusterArgs] = None,
) -> list[Problem]:
    """The cluster's problems, with paths under `base`. The Args pass themselves (`args`) for what they add;
    the stack config passes the cluster name the platform derives and where the user names it."""
    problems: list[Problem] = []
    name_problems: list[Problem] = []
    if cluster_name is not None:
        name_problems = check_cluster_name(cluster_name, cluster_name_path or f"{base}.cluster_name")
    problems += name_problems
    problems += check_kubernetes_version(settings.version, f"{base}.version")
    if not settings.admin_role_arns:
        problems.append(Problem(f"{base}.admin_role_arns", "is empty (list at least the deployer's role: the creator gets no implicit access)", ()))
    slugs: dict[str, str] = {}
    for arn in settings.admin_role_arns:
        if not _ROLE_ARN.match(arn):
            hint = " (an STS session ARN: give the role's IAM ARN)" if ":assumed-role/" in arn else ""
            problems.append(Problem(f"{base}.admin_role_arns", f"is not an IAM role ARN{hint}", arn))
            continue
        slug = admin_suffix(arn)
        if slug in slugs:
            what = "twice" if slugs[slug] == arn else f"with a role of the same name ({slugs[slug]})"
            problems.append(Problem(f"{base}.admin_role_arns", f"is listed {what} (child names use the role name)", arn))
        slugs[slug] = arn
    problems += check_public_access(base, environment, settings.endpoint_public_access, settings.public_access_cidrs)
    problems.extend(check_log_retention(f"{base}.log_retention_days", settings.log_retention_days))
    if args is not None:
        system = args.system_nodes
        problems += check_system_instance_types(f"{base}.system_nodes.instance_types", system.instance_types)
        problems += check_scaling(f"{base}.system_nodes", system.min_size, system.desired_size, system.max_size)
        if system.disk_size_gib < 20:
            problems.append(Problem(f"{base}.system_nodes.disk_size_gib", "is too small for the AL2023 EKS AMI (need >= 20)", system.disk_size_gib))
        if args.max_gpu_nodes_cap is not None and args.max_gpu_nodes_cap < 1:
            problems.append(Problem(f"{base}.max_gpu_nodes_cap", "must be at least 1", args.max_gpu_nodes_cap))
        cap = args.gpu_node_cap if args.gpu_node_cap >= 1 else None
        cap_source = "max_gpu_nodes_cap" if args.max_gpu_nodes_cap is not None else f"the {environment} default"
    else:
        cap, cap_source = GPU_NODE_CAPS.get(environment), f"the {environment} cap"
    pool_names: list[str] = []
    capacity: dict[str, int] = {}
    for i, pool in enumerate(settings.gpu_pools):
        path = f"{base}.gpu_pools.{i}"
        if not _DNS_LABEL.match(pool.name) or len(pool.name) > MAX_POOL_NAME:
            problems.append(Problem(f"{path}.name", f"is not a pool name (a DNS label, at most {MAX_POOL_NAME} characters)", pool.name))
        if pool.name in pool_names:
            problems.append(Problem(f"{path}.name", "is used by another pool (pool names are unique)", pool.name))
        pool_names.append(pool.name)
        capacity[pool.name] = max(min(pool.max_size, cap if cap is not None else pool.max_size), 0) * MAX_GPUS_PER_NODE
        problems += check_gpu_pool(path, pool)
        problems += check_scaling(path, 0, None, pool.max_size, cap, cap_source, base)
        if pool.disk_size_gib < 20:
            problems.append(Problem(f"{path}.disk_size_gib", "is too small for the AL2023 EKS AMI (need >= 20)", pool.disk_size_gib))
        elif pool.disk_size_gib > MAX_DISK_SIZE_GIB:
            problems.append(Problem(f"{path}.disk_size_gib", f"is larger than a gp3 volume ({MAX_DISK_SIZE_GIB} GiB)", pool.disk_size_gib))
        problems += check_labels(f"{path}.labels", pool.labels)

    if args is not None and args.dev_ssh is not None:
        if environment != "dev":
            problems.append(Problem(f"{base}.dev_ssh", f"is not allowed in {environment} (no SSH to nodes outside dev; use SSM)"))
        if not args.dev_ssh.source_security_group_ids:
            problems.append(Problem(f"{base}.dev_ssh.source_security_group_ids", "is empty (SSH needs the security groups it admits)", ()))
        for sg in args.dev_ssh.source_security_group_ids:
            if not _SG_ID.match(sg):
                problems.append(Problem(f"{base}.dev_ssh.source_security_group_ids", "is not a security group id (sg- and 8 or 17 hex digits)", sg))

    problems += check_teams(settings.teams, capacity, base)
    if args is not None:
        if not _DNS_SUBDOMAIN.match(args.cohort_name) or len(args.cohort_name) > 253:
            problems.append(Problem(f"{base}.cohort_name", "is not a Kueue cohort name (a DNS subdomain)", args.cohort_name))
        for field in ("container_default_request", "container_default_limit"):
            values = getattr(args, field)
            for key, value in values.items():
                if key not in ("cpu", "memory"):
                    problems.append(Problem(f"{base}.{field}", "names a resource other than cpu and memory", key))
                else:
                    problems += check_quantity(f"{base}.{field}.{key}", value)
    if not 1 <= settings.idle_gpu_utilization_percent <= 100:
        problems.append(Problem(f"{base}.idle_gpu_utilization_percent", "must be between 1 and 100",
                                settings.idle_gpu_utilization_percent))
    if settings.idle_gpu_minutes < 5 or settings.idle_gpu_minutes % 5 or settings.idle_gpu_minutes > 1440:
        problems.append(Problem(f"{base}.idle_gpu_minutes", "must be a multiple of 5 from 5 to 1440 (the alarm "
                                "evaluates 5-minute periods over at most a day)", settings.idle_gpu_minutes))
    if not _AMI_VERSION.match(settings.node_ami_version):
        problems.append(Problem(f"{base}.node_ami_version", "is not an AL2023 EKS AMI release (latest, or v and 8 digits "
                                "such as v20251120)", settings.node_ami_version))
    prefix = settings.image_cache_prefix if settings.image_cache_prefix is not None else cluster_name
    if prefix is not None and (settings.image_cache_prefix is not None or not name_problems):  # a bad name is reported once
        problems += check_image_cache_prefix(prefix, settings.image_cache_prefix is not None, f"{base}.image_cache_prefix")
    if args is not None:
        problems += check_chart(f"{base}.device_plugin", args.device_plugin)
        problems += check_chart(f"{base}.kueue", args.kueue)
        if any(pool.efa for pool in args.gpu_pools):
            problems += check_chart(f"{base}.efa_device_plugin", args.efa_device_plugin)
        if args.dcgm_exporter is not None:
            problems += check_chart(f"{base}.dcgm_exporter", args.dcgm_exporter)
        if args.kueue.version not in SUPPORTED_KUEUE_VERSIONS:
            problems.append(
                Problem(f"{base}.kueue.version",
                        f"is not a Kueue version the queue objects are written and validated for (allowed: "
                        f"{', '.join(SUPPORTED_KUEUE_VERSIONS)}; its CRDs are the test data)", args.kueue.version)
            )
        problems += check_chart(f"{base}.karpenter", args.karpenter)
        if args.karpenter.version not in SUPPORTED_KARPENTER_VERSIONS:
            problems.append(
                Problem(f"{base}.karpenter.version",
                        f"is not a Karpenter version the NodePools and EC2NodeClasses are written and validated for "
                        f"(allowed: {', '.join(SUPPORTED_KARPENTER_VERSIONS)}; its CRDs are the test data)", args.karpenter.version)
            )
        if args.kuberay is not None:
            problems += check_chart(f"{base}.kuberay", args.kuberay)
        for skew in version_skew(settings.version, add_on_versions(args)):
            if skew.severity == "problem":
                problems.append(Problem(f"{base}.version", f"is too old for a pinned add-on: {skew.message}", settings.version))
        problems += missing_network_endpoints(args.network, ("logs",) if args.container_insights else ())
    return problems


def add_on_versions(args: TrainingClusterArgs) -> dict[str, str]:
    """The add-ons the cluster runs whose Kubernetes support `version_skew` checks: name -> pinned chart version."""
    versions = {"karpenter": args.karpenter.version, "kueue": args.kueue.version,
                "nvidia-device-plugin": args.device_plugin.version}
    if args.dcgm_exporter is not None:
        versions["dcgm-exporter"] = args.dcgm_exporter.version
    if any(pool.efa for pool in args.gpu_pools):
        versions["aws-efa-k8s-device-plugin"] = args.efa_device_plugin.version
    return versions


def missing_network_endpoints(network: Network, extra: Sequence[str] = ()) -> list[Problem]:
    """A created network has no internet route: the endpoints nodes need must be in it (and `extra`: `logs` for
    the Container Insights agent, which sends its metrics as embedded-metric-format logs).

    An adopted VPC is not checked (it may route through a NAT or have endpoints of its own).
    """
    if getattr(network, "vpc", None) is None:
        return []
    missing = [s for s in (*REQUIRED_INTERFACE_ENDPOINTS, *extra) if s not in network.endpoints]
    if not missing:
        return []
    return [
        Problem(f"{A}.network",
                f"has no interface endpoint for {', '.join(missing)}, which nodes need without an internet route "
                f"(add them to NetworkArgs.extra_interface_endpoints of Network {network._name!r})")
    ]


def admin_suffix(role_arn: str) -> str:
    """Child-name suffix of an admin role: its name, lowercased, other characters as '-'."""
    name = role_arn.rsplit("/", 1)[-1]
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "role"


def default_max_gpus(team: TeamArgs, teams: Sequence[TeamArgs], pools: Sequence[str]) -> int:
    """The most GPUs a team can hold through Kueue: nominal plus borrowable, within the cohort."""
    nominal = sum(team.gpus.get(p, 0) for p in pools)
    cohort_total = sum(t.gpus.get(p, 0) for t in teams for p in pools)
    if team.gpu_borrowing_limit is None:
        return max(cohort_total, nominal)
    return min(cohort_total, nominal + team.gpu_borrowing_limit * len(pools))
