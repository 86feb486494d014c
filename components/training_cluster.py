"""TrainingCluster: an EKS cluster for ML training, with GPU pools, team isolation and queueing.

What it declares (type token `mlplat:training:TrainingCluster`):

- the EKS control plane in the network's private subnets, named `cluster_name` (deterministic:
  the control-plane log group `/aws/eks/<cluster>/cluster` must exist first, pre-created with
  retention and the logs key); private API endpoint only (a public one only in dev, and only
  with a CIDR allow-list); Kubernetes secrets envelope-encrypted with the cluster key; API,
  audit, authenticator, controller manager and scheduler logs; access entries only
  (`authenticationMode=API`, the creator gets no implicit admin): each admin role gets the
  cluster admin access policy; an IAM OIDC provider for IRSA; the VPC CNI add-on with network
  policy enforcement (NetworkPolicies are inert without it);
- node groups: a small on-demand `system` group for add-ons and one group per GPU pool
  (`AL2023_x86_64_NVIDIA`, tainted `nvidia.com/gpu=true:NoSchedule`, scaling from 0 up to the
  environment's cap), all from launch templates that require IMDSv2 and encrypt the root volume
  with the cluster key. No SSH, except in dev behind an explicit opt-in;
- images: the network has no internet route, so the add-ons' images come from ECR pull-through
  caches (registry.k8s.io always, quay.io with KubeRay). nvcr.io (the NVIDIA device plugin) is
  not a registry ECR can cache: its image comes from a private ECR mirror repository this
  component creates and the platform team fills once per version (see `DEVICE_PLUGIN_MIRROR_HELP`);
- in the cluster, through a Kubernetes provider the component owns: the NVIDIA device plugin,
  Kueue and optionally the KubeRay operator as Helm releases with pinned versions; platform
  priority classes; per team: namespaces with a ResourceQuota, a LimitRange, default-deny
  NetworkPolicies (plus same-namespace, DNS and HTTPS to AWS endpoints), a ServiceAccount bound
  through IRSA to the team's IAM role (scoped to `teams/<team>/` in the datasets and models
  buckets), and Kueue queues: one ResourceFlavor per GPU pool, one ClusterQueue per team in a
  shared cohort (idle quota can be borrowed), one LocalQueue per team namespace.

A private endpoint means the in-cluster resources are managed from inside the VPC (DECISIONS:
a runner inside the VPC); the deployer's role must be among `admin_role_arns`, since the cluster
creator gets no implicit access.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from typing import Any, Literal, Mapping, Optional, Sequence

import botocore.session
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator

from . import _iam
from . import _k8s_objects as objects
from ._models import NestedArgs, ParentArgs
from ._naming import child
from .artifact_store import ArtifactStore
from .config import check_log_retention
from .errors import ConfigError, Problem, WiringError
from .network import Network

TYPE_TOKEN = "mlplat:training:TrainingCluster"

Environment = Literal["dev", "staging", "prod"]
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.31", "1.32", "1.33", "1.34", "1.35")
DEFAULT_KUBERNETES_VERSION = "1.34"
# Max nodes per GPU pool (DECISIONS: dev 2, staging 4, prod 16).
GPU_NODE_CAPS: dict[str, int] = {"dev": 2, "staging": 4, "prod": 16}

CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
CLUSTER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
NODE_POLICIES: dict[str, str] = {
    "worker": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "ecr-read": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "cni": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
}
CLUSTER_KEY_ACTIONS: tuple[str, ...] = ("kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey")
IMAGE_CACHE_ACTIONS: tuple[str, ...] = ("ecr:CreateRepository", "ecr:BatchImportUpstreamImage")
IRSA_AUDIENCE = "sts.amazonaws.com"

GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA"
SYSTEM_AMI_TYPE = "AL2023_x86_64_STANDARD"
ROOT_DEVICE = "/dev/xvda"  # the root volume of the AL2023 EKS AMIs
# Families of NVIDIA GPU instances the x86_64 NVIDIA AMI runs (Graviton g5g and Grace p6e-gb200
# are arm64, g4ad has AMD GPUs, p2/p3... older GPUs lack current drivers).
NVIDIA_GPU_FAMILIES: tuple[str, ...] = (
    "g4dn", "g5", "g6", "g6e", "g6f", "gr6", "gr6f", "g7", "g7e",
    "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300",
)  # fmt: skip
_ACCELERATED_FAMILY = re.compile(r"^(p|g|gr|inf|trn|dl|f|vt)\d")
_GRAVITON_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")

# Interface endpoints nodes and add-ons need in a network without internet route (besides the S3
# gateway every created network has): EC2 for the VPC CNI, ECR for images, STS for IRSA, EKS for
# the deployer inside the VPC.
REQUIRED_INTERFACE_ENDPOINTS: tuple[str, ...] = ("ec2", "ecr.api", "ecr.dkr", "eks", "sts")

KUEUE_VERSION = "0.19.2"  # the v1beta2 objects below are validated against its CRDs
SUPPORTED_KUEUE_VERSIONS: tuple[str, ...] = (KUEUE_VERSION,)

PRIORITY_CLASSES: dict[str, tuple[int, str, str]] = {
    # name: (value, preemption policy, description)
    "mlplat-serving": (100000, "PreemptLowerPriority", "mlplat: online inference; may preempt training pods."),
    "mlplat-training": (1000, "Never", "mlplat: training jobs; wait for capacity rather than evict others (Kueue preempts)."),
}

DEVICE_PLUGIN_MIRROR_HELP = (
    "nvcr.io is not an ECR pull-through cache upstream: copy the pinned NVIDIA device plugin image into the "
    "mirror repository {repository} once per version, from a machine with internet access: "
    "`crane copy nvcr.io/nvidia/k8s-device-plugin:v{version} <account>.dkr.ecr.<region>.amazonaws.com/{repository}:v{version}` "
    "(GPU nodes cannot advertise nvidia.com/gpu until it is there)"
)

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
MAX_IAM_ROLE_NAME = 64


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
    min_size: int = Field(default=2, description="Omitted: 2 (add-ons keep running while a node is replaced).")
    desired_size: Optional[int] = Field(default=None, description="Omitted: min_size.")
    max_size: int = Field(default=3, description="Omitted: 3.")
    disk_size_gib: int = Field(default=50, description="Encrypted gp3 root volume size. Omitted: 50 GiB.")


class GpuPoolArgs(_Part):
    """One GPU node group, one Kueue ResourceFlavor."""

    name: str = Field(description=f"DNS label of at most {MAX_POOL_NAME} characters; the node label `mlplat.io/gpu-pool` "
                      "and the flavor `gpu-<name>` carry it.")
    instance_types: tuple[str, ...] = Field(
        description="NVIDIA GPU EC2 types of one size class (see NVIDIA_GPU_FAMILIES), e.g. ('g5.xlarge',)."
    )
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(
        default="ON_DEMAND", description="ON_DEMAND or SPOT. Omitted: ON_DEMAND."
    )
    min_size: int = Field(default=0, description="Omitted: 0 (no GPU node runs, nor is billed, while idle).")
    desired_size: Optional[int] = Field(
        default=None,
        description="Initial node count; later changes (an autoscaler's, an operator's) are kept. Omitted: min_size.",
    )
    max_size: int = Field(default=2, description="At most the environment's GPU node cap. Omitted: 2.")
    disk_size_gib: int = Field(default=200, description="Encrypted gp3 root volume size (images are large). Omitted: 200 GiB.")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Extra node labels. Omitted: only `mlplat.io/gpu-pool` and `nvidia.com/gpu.present`.",
    )


class TeamArgs(_Part):
    """A team: its namespaces, quotas, queue and workload identity."""

    name: str = Field(description=f"DNS label starting with a letter, at most {MAX_TEAM_NAME} characters.")
    namespaces: tuple[str, ...] = Field(
        default=(), description="The team's namespaces. Omitted: one namespace named after the team."
    )
    cpu: str = Field(default="16", description="CPU quota (Kubernetes quantity), requests and limits. Omitted: 16.")
    memory: str = Field(default="64Gi", description="Memory quota (quantity), requests and limits. Omitted: 64Gi.")
    gpus: dict[str, int] = Field(
        default_factory=dict,
        description="Nominal GPUs per GPU pool ({pool name: GPUs}) in the team's ClusterQueue. "
        "Omitted: 0 in every pool (the team only borrows idle GPUs).",
    )
    gpu_borrowing_limit: Optional[int] = Field(
        default=None,
        description="GPUs per pool the team may borrow beyond its nominal quota. Omitted: no limit "
        "(every idle GPU of the cohort).",
    )
    max_gpus: Optional[int] = Field(
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
KUBERAY_CHART = HelmChartArgs(
    chart="kuberay-operator", version="1.4.2", repository="https://ray-project.github.io/kuberay-helm/"
)


class TrainingClusterArgs(ParentArgs):
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
    admin_role_arns: tuple[str, ...] = Field(
        description="IAM roles given cluster admin (an access entry with AmazonEKSClusterAdminPolicy); "
        "include the deployer's role: the creator gets no implicit access."
    )
    environment: Environment = Field(
        default="prod",
        description="dev, staging or prod: gates the public endpoint and SSH (dev only) and sets the GPU "
        "node cap. Omitted: prod.",
    )
    version: str = Field(default=DEFAULT_KUBERNETES_VERSION, description="Kubernetes minor version. Omitted: 1.34.")
    endpoint_public_access: bool = Field(
        default=False,
        description="Also expose the API endpoint publicly, to `public_access_cidrs` only; dev only. "
        "Omitted: private endpoint only.",
    )
    public_access_cidrs: tuple[str, ...] = Field(
        default=(), description="Allow-list of the public endpoint (no 0.0.0.0/0). Omitted: none."
    )
    log_retention_days: int = Field(
        default=365, description="Retention of the control-plane log group. Omitted: 365 days."
    )
    system_nodes: SystemNodesArgs = Field(
        default_factory=SystemNodesArgs, description="The system node group. Omitted: 2-3 m6i.large on demand."
    )
    gpu_pools: tuple[GpuPoolArgs, ...] = Field(
        default_factory=lambda: (GpuPoolArgs(name="gpu", instance_types=("g5.xlarge",)),),
        description="GPU node groups. Omitted: one on-demand pool `gpu` of g5.xlarge, 0 to 2 nodes.",
    )
    max_gpu_nodes_cap: Optional[int] = Field(
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
    teams: tuple[TeamArgs, ...] = Field(default=(), description="Teams using the cluster. Omitted: none.")
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
    image_cache_prefix: Optional[str] = Field(
        default=None,
        description="ECR repository prefix of the pull-through caches (`<prefix>/k8s`, `<prefix>/quay`) and the "
        f"device plugin mirror; at most {MAX_IMAGE_CACHE_PREFIX} characters, unique in the account and region. "
        "Omitted: the cluster name.",
    )
    device_plugin: HelmChartArgs = Field(default=DEVICE_PLUGIN_CHART, description="NVIDIA device plugin chart. Omitted: 0.17.4.")
    device_plugin_image_repository: Optional[str] = Field(
        default=None,
        description="An existing private mirror of nvcr.io/nvidia/k8s-device-plugin. Omitted: a mirror "
        "repository `<prefix>/nvcr/nvidia/k8s-device-plugin` is created (immutable tags, scan on push, "
        "the cluster key).",
    )
    kueue: HelmChartArgs = Field(default=KUEUE_CHART, description=f"Kueue chart. Omitted: {KUEUE_VERSION}.")
    kuberay: Optional[HelmChartArgs] = Field(
        default=None, description="KubeRay operator chart (e.g. KUBERAY_CHART). Omitted: not installed."
    )
    vpc_cni_version: Optional[str] = Field(
        default=None, description="VPC CNI add-on version. Omitted: EKS's default for the cluster version."
    )
    protect: bool = Field(
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


@functools.lru_cache(maxsize=None)
def _shape(service: str, name: str) -> Any:
    return botocore.session.get_session().get_service_model(service).shape_for(name)


@functools.lru_cache(maxsize=1)
def ec2_instance_types() -> frozenset[str]:
    """Every EC2 instance type botocore's ec2 model knows (its `InstanceType` enum)."""
    return frozenset(_shape("ec2", "InstanceType").enum)


def deterministic_cluster_name(project: str, environment: str, name: str) -> str:
    """`<project>-<env>-<name>` (DECISIONS: EKS clusters need a name before they exist)."""
    return f"{project}-{environment}-{name}"


def check_cluster_name(name: str, path: str = f"{A}.cluster_name") -> list[Problem]:
    meta = _shape("eks", "ClusterName").metadata
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
                  cap_source: str = "") -> list[Problem]:
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
            Problem(f"{path}.max_size", f"is above the GPU node cap ({cap}, {cap_source}); lower it or raise {A}.max_gpu_nodes_cap",
                    max_size)
        )
    return problems


def check_public_access(environment: str, enabled: bool, cidrs: Sequence[str]) -> list[Problem]:
    """A public endpoint only in dev, only with an allow-list, never the whole internet (pure)."""
    problems: list[Problem] = []
    if enabled and environment != "dev":
        problems.append(
            Problem(f"{A}.endpoint_public_access",
                    f"is not allowed in {environment} (only dev clusters may have a public API endpoint; "
                    "manage the cluster from inside the VPC)", True)
        )
    if enabled and not cidrs:
        problems.append(
            Problem(f"{A}.public_access_cidrs", "is empty; a public endpoint needs an allow-list of CIDRs "
                    "(EKS would otherwise admit 0.0.0.0/0)", tuple(cidrs))
        )
    if cidrs and not enabled:
        problems.append(
            Problem(f"{A}.public_access_cidrs", "has no effect without endpoint_public_access=True (remove it)", tuple(cidrs))
        )
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            problems.append(Problem(f"{A}.public_access_cidrs", "is not a CIDR block such as 203.0.113.0/24", cidr))
            continue
        if network.prefixlen == 0:
            problems.append(Problem(f"{A}.public_access_cidrs", "admits the whole internet (list your own ranges)", cidr))
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


def check_image_cache_prefix(prefix: str, explicit: bool) -> list[Problem]:
    pattern = _shape("ecr", "PullThroughCacheRuleRepositoryPrefix").metadata.get("pattern", "")
    fits = len(prefix) <= MAX_IMAGE_CACHE_PREFIX and re.fullmatch(pattern, f"{prefix}/quay")
    if fits:
        return []
    if explicit:
        return [Problem(f"{A}.image_cache_prefix",
                        f"is not an ECR repository prefix (lowercase letters, digits, '-', '_', '.', '/'; at most "
                        f"{MAX_IMAGE_CACHE_PREFIX} characters)", prefix)]
    return [Problem(f"{A}.image_cache_prefix",
                    f"is omitted and the cluster name {prefix!r} is no ECR repository prefix (lowercase, at most "
                    f"{MAX_IMAGE_CACHE_PREFIX} characters); set image_cache_prefix")]


def check_teams(teams: Sequence[TeamArgs], pools: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen_teams: set[str] = set()
    owner: dict[str, str] = {}
    for i, team in enumerate(teams):
        path = f"{A}.teams.{i}"
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
        if team.gpu_borrowing_limit is not None and team.gpu_borrowing_limit < 0:
            problems.append(Problem(f"{path}.gpu_borrowing_limit", "must be at least 0", team.gpu_borrowing_limit))
        nominal = sum(max(c, 0) for c in team.gpus.values())
        if team.max_gpus is not None and team.max_gpus < nominal:
            problems.append(Problem(f"{path}.max_gpus", f"is below the team's nominal GPUs ({nominal}); its pods could not use them", team.max_gpus))
        if not _DNS_SUBDOMAIN.match(team.service_account) or len(team.service_account) > 253 or team.service_account == "default":
            problems.append(Problem(f"{path}.service_account", "is not a service account name other than 'default' (a DNS subdomain)", team.service_account))
    return problems


def check_training_cluster(args: TrainingClusterArgs) -> list[Problem]:
    """Every problem with a TrainingClusterArgs (pure: reads only the args and botocore's models)."""
    problems: list[Problem] = []
    name_problems = check_cluster_name(args.cluster_name)
    problems += name_problems
    problems += check_kubernetes_version(args.version)
    if not args.admin_role_arns:
        problems.append(Problem(f"{A}.admin_role_arns", "is empty (list at least the deployer's role: the creator gets no implicit access)", ()))
    slugs: dict[str, str] = {}
    for arn in args.admin_role_arns:
        if not _ROLE_ARN.match(arn):
            hint = " (an STS session ARN: give the role's IAM ARN)" if ":assumed-role/" in arn else ""
            problems.append(Problem(f"{A}.admin_role_arns", f"is not an IAM role ARN{hint}", arn))
            continue
        slug = admin_suffix(arn)
        if slug in slugs:
            what = "twice" if slugs[slug] == arn else f"with a role of the same name ({slugs[slug]})"
            problems.append(Problem(f"{A}.admin_role_arns", f"is listed {what} (child names use the role name)", arn))
        slugs[slug] = arn
    problems += check_public_access(args.environment, args.endpoint_public_access, args.public_access_cidrs)
    problems.extend(check_log_retention(f"{A}.log_retention_days", args.log_retention_days))
    system = args.system_nodes
    problems += check_system_instance_types(f"{A}.system_nodes.instance_types", system.instance_types)
    problems += check_scaling(f"{A}.system_nodes", system.min_size, system.desired_size, system.max_size)
    if system.disk_size_gib < 20:
        problems.append(Problem(f"{A}.system_nodes.disk_size_gib", "is too small for the AL2023 EKS AMI (need >= 20)", system.disk_size_gib))

    if args.max_gpu_nodes_cap is not None and args.max_gpu_nodes_cap < 1:
        problems.append(Problem(f"{A}.max_gpu_nodes_cap", "must be at least 1", args.max_gpu_nodes_cap))
    cap = args.gpu_node_cap if args.gpu_node_cap >= 1 else None
    cap_source = "max_gpu_nodes_cap" if args.max_gpu_nodes_cap is not None else f"the {args.environment} default"
    pool_names: list[str] = []
    for i, pool in enumerate(args.gpu_pools):
        path = f"{A}.gpu_pools.{i}"
        if not _DNS_LABEL.match(pool.name) or len(pool.name) > MAX_POOL_NAME:
            problems.append(Problem(f"{path}.name", f"is not a pool name (a DNS label, at most {MAX_POOL_NAME} characters)", pool.name))
        if pool.name in pool_names:
            problems.append(Problem(f"{path}.name", "is used by another pool (pool names are unique)", pool.name))
        pool_names.append(pool.name)
        problems += check_gpu_instance_types(f"{path}.instance_types", pool.instance_types)
        problems += check_scaling(path, pool.min_size, pool.desired_size, pool.max_size, cap, cap_source)
        if pool.disk_size_gib < 20:
            problems.append(Problem(f"{path}.disk_size_gib", "is too small for the AL2023 EKS AMI (need >= 20)", pool.disk_size_gib))
        problems += check_labels(f"{path}.labels", pool.labels)

    if args.dev_ssh is not None:
        if args.environment != "dev":
            problems.append(Problem(f"{A}.dev_ssh", f"is not allowed in {args.environment} (no SSH to nodes outside dev; use SSM)"))
        if not args.dev_ssh.source_security_group_ids:
            problems.append(Problem(f"{A}.dev_ssh.source_security_group_ids", "is empty (SSH needs the security groups it admits)", ()))
        for sg in args.dev_ssh.source_security_group_ids:
            if not _SG_ID.match(sg):
                problems.append(Problem(f"{A}.dev_ssh.source_security_group_ids", "is not a security group id (sg- and 8 or 17 hex digits)", sg))

    problems += check_teams(args.teams, pool_names)
    if not _DNS_SUBDOMAIN.match(args.cohort_name) or len(args.cohort_name) > 253:
        problems.append(Problem(f"{A}.cohort_name", "is not a Kueue cohort name (a DNS subdomain)", args.cohort_name))
    for field in ("container_default_request", "container_default_limit"):
        values = getattr(args, field)
        for key, value in values.items():
            if key not in ("cpu", "memory"):
                problems.append(Problem(f"{A}.{field}", "names a resource other than cpu and memory", key))
            else:
                problems += check_quantity(f"{A}.{field}.{key}", value)
    if args.image_cache_prefix is not None or not name_problems:  # a bad cluster name is reported once
        problems += check_image_cache_prefix(args.cache_prefix, args.image_cache_prefix is not None)
    problems += check_chart(f"{A}.device_plugin", args.device_plugin)
    problems += check_chart(f"{A}.kueue", args.kueue)
    if args.kueue.version not in SUPPORTED_KUEUE_VERSIONS:
        problems.append(
            Problem(f"{A}.kueue.version",
                    f"is not a Kueue version the queue objects are written and validated for (allowed: "
                    f"{', '.join(SUPPORTED_KUEUE_VERSIONS)}; its CRDs are the test data)", args.kueue.version)
        )
    if args.kuberay is not None:
        problems += check_chart(f"{A}.kuberay", args.kuberay)
    problems += missing_network_endpoints(args.network)
    return problems


def missing_network_endpoints(network: Network) -> list[Problem]:
    """A created network has no internet route: the endpoints nodes need must be in it.

    An adopted VPC is not checked (it may route through a NAT or have endpoints of its own).
    """
    if getattr(network, "vpc", None) is None:
        return []
    missing = [s for s in REQUIRED_INTERFACE_ENDPOINTS if s not in network.endpoints]
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


# --- IAM documents (pure) --------------------------------------------------------------------


def service_trust_policy(service: str) -> _iam.Document:
    """Trust for an AWS service that assumes the role itself (EKS control plane, EC2 nodes)."""
    return _iam.document(
        [_iam.statement(sid="AllowServiceAssumeRole", actions=["sts:AssumeRole"], principals=_iam.service(service))]
    )


def irsa_trust_policy(provider_arn: str, issuer: str, namespaces: Sequence[str], service_account: str) -> _iam.Document:
    """Trust for one service account (in each of `namespaces`) through the cluster's OIDC provider.

    Exact StringEquals on `<issuer>:sub` = `system:serviceaccount:<ns>:<sa>` and on `<issuer>:aud`
    = `sts.amazonaws.com`, where `<issuer>` is the issuer URL without `https://`.
    """
    host = issuer.removeprefix("https://")
    subjects = [f"system:serviceaccount:{ns}:{service_account}" for ns in namespaces]
    return _iam.document(
        [
            _iam.statement(
                sid="AllowServiceAccountWebIdentity",
                principals={"Federated": provider_arn},
                actions=["sts:AssumeRoleWithWebIdentity"],
                conditions={
                    "StringEquals": {
                        f"{host}:sub": subjects[0] if len(subjects) == 1 else subjects,
                        f"{host}:aud": IRSA_AUDIENCE,
                    }
                },
            )
        ]
    )


def cluster_key_policy(key_arn: pulumi.Input[str]) -> _iam.Document:
    """What the cluster role may do with the cluster key: envelope-encrypt secrets, nothing else."""
    return _iam.document([_iam.statement(sid="EncryptKubernetesSecrets", actions=list(CLUSTER_KEY_ACTIONS), resources=key_arn)])


def image_cache_policy(repository_arns: Sequence[pulumi.Input[str]]) -> _iam.Document:
    """Nodes' extra ECR permissions: the first pull through a cache creates its repository."""
    return _iam.document(
        [_iam.statement(sid="PullThroughCache", actions=list(IMAGE_CACHE_ACTIONS), resources=list(repository_arns))]
    )


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig (JSON) that authenticates with `aws eks get-token` (no credential inside)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "preferences": {},
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base`, recursively for nested mappings (Outputs and lists are leaves)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- the component ---------------------------------------------------------------------------


class TrainingCluster(pulumi.ComponentResource):
    """An EKS training cluster with GPU pools, per-team namespaces, quotas, queues and identity.

    Children (suffixes are stable): `<name>-cluster-role`, `-cluster-role-policy`,
    `-cluster-role-encryption`, `-control-plane-logs`, `-cluster`, `-oidc`, `-admin-<role name>`
    and `-admin-<role name>-policy` per admin role, `-vpc-cni`, `-node-role`,
    `-node-role-<worker|ecr-read|cni>`, `-node-role-image-cache`, `-image-cache-k8s`
    (`-image-cache-quay` with KubeRay), `-device-plugin-mirror` (unless adopted), `-system-lt`,
    `-system`, `-gpu-<pool>-lt`, `-gpu-<pool>` per pool (`-ssh` and `-ssh-from-<i>` with dev SSH),
    `-k8s` (the Kubernetes provider), `-nvidia-device-plugin`, `-kueue` (`-kuberay`),
    `-priority-<class>`, `-flavor-default`, `-flavor-<pool>`, `-cohort`; per team `-team-<team>-role`
    and `-team-<team>-queue`; per team namespace `-ns-<ns>` and `-ns-<ns>-<quota|limits|sa|queue>`,
    `-ns-<ns>-<policy name>` per NetworkPolicy. Bucket grants are children of the artifact store.

    Deleting the component deletes the cluster (refused while protected / deletion-protected),
    its log group and everything in the cluster; the mirror repository is protected likewise.
    """

    cluster: aws.eks.Cluster
    oidc_provider: aws.iam.OpenIdConnectProvider
    node_role: aws.iam.Role
    provider: k8s.Provider
    node_groups: dict[str, aws.eks.NodeGroup]
    team_roles: dict[str, aws.iam.Role]
    releases: dict[str, k8s.helm.v3.Release]
    device_plugin_mirror: Optional[aws.ecr.Repository]

    def __init__(self, name: str, args: TrainingClusterArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _check_role_name_room(name, args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._args = args
        here = pulumi.ResourceOptions(parent=self)
        region = _iam.current_region()
        account_id = _iam.caller_account_id()
        self.node_groups = {}
        self.team_roles = {}
        self.releases = {}

        cluster = self._control_plane(name, args)
        self.cluster = cluster
        self.cluster_name: pulumi.Output[str] = cluster.name
        issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        self.oidc_issuer: pulumi.Output[str] = issuer
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            child(name, "oidc"), url=issuer, client_id_lists=[IRSA_AUDIENCE], opts=here,
        )
        self.oidc_provider_arn: pulumi.Output[str] = self.oidc_provider.arn
        associations = self._access(name, args, cluster)
        vpc_cni = aws.eks.Addon(
            child(name, "vpc-cni"),
            cluster_name=cluster.name,
            addon_name="vpc-cni",
            addon_version=args.vpc_cni_version,
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=here,
        )

        registry = pulumi.Output.concat(account_id, ".dkr.ecr.", region, ".amazonaws.com")
        caches = self._image_caches(name, args)
        mirror = self._device_plugin_mirror(name, args, registry)
        self.node_role = self._node_role(name, args, caches, region, account_id)
        system = self._node_groups(name, args, cluster, vpc_cni)

        self.kubeconfig: pulumi.Output[str] = pulumi.Output.all(
            cluster.name, cluster.endpoint, cluster.certificate_authority.apply(lambda ca: ca.data), region
        ).apply(lambda parts: kubeconfig(*parts))
        self.provider = k8s.Provider(
            child(name, "k8s"),
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=associations),
        )
        kueue = self._add_ons(name, args, registry, mirror, caches, system, vpc_cni)
        self._queues_and_teams(name, args, kueue, region)

        self.node_role_arn: pulumi.Output[str] = self.node_role.arn
        self.team_role_arns: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{team: role.arn for team, role in self.team_roles.items()}
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": cluster.arn,
                "endpoint": cluster.endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "kubeconfig": self.kubeconfig,
                "node_role_arn": self.node_role_arn,
                "team_role_arns": self.team_role_arns,
            }
        )

    # --- wiring --------------------------------------------------------------------------------

    def team_role(self, team: str) -> aws.iam.Role:
        """The IAM role a team's service account assumes; WiringError naming the teams otherwise."""
        try:
            return self.team_roles[team]
        except KeyError:
            raise WiringError(
                f"TrainingCluster {self._name!r} has no team {team!r} (teams: {', '.join(self.team_roles) or 'none'})"
            ) from None

    # --- control plane -------------------------------------------------------------------------

    def _in_cluster(self, **extra: Any) -> pulumi.ResourceOptions:
        """Options of an in-cluster child: this component's Kubernetes provider."""
        return pulumi.ResourceOptions(parent=self, provider=self.provider, **extra)

    def _control_plane(self, name: str, args: TrainingClusterArgs) -> aws.eks.Cluster:
        here = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            child(name, "cluster-role"),
            description=f"mlplat {name}: EKS control plane of {args.cluster_name}",
            assume_role_policy=_iam.to_json(service_trust_policy("eks.amazonaws.com")),
            opts=here,
        )
        attachment = aws.iam.RolePolicyAttachment(
            child(name, "cluster-role-policy"), role=role.name, policy_arn=CLUSTER_POLICY, opts=here
        )
        encryption = aws.iam.RolePolicy(
            child(name, "cluster-role-encryption"),
            role=role.id,
            policy=_iam.to_json(cluster_key_policy(args.cluster_key.arn)),
            opts=here,
        )
        log_group = aws.cloudwatch.LogGroup(
            child(name, "control-plane-logs"),
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=here,
        )
        vpc_config: dict[str, Any] = {
            "subnet_ids": args.network.private_subnet_ids,
            "endpoint_private_access": True,
            "endpoint_public_access": args.endpoint_public_access,
        }
        if args.endpoint_public_access:
            vpc_config["public_access_cidrs"] = list(args.public_access_cidrs)
        return aws.eks.Cluster(
            child(name, "cluster"),
            name=args.cluster_name,
            version=args.version,
            role_arn=role.arn,
            vpc_config=vpc_config,
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": args.cluster_key.arn}},
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
            deletion_protection=args.protect,
            # The log group exists (with retention and KMS) before EKS would create it without them.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[log_group, attachment, encryption]),
        )

    def _access(self, name: str, args: TrainingClusterArgs, cluster: aws.eks.Cluster) -> list[pulumi.Resource]:
        associations: list[pulumi.Resource] = []
        for arn in args.admin_role_arns:
            suffix = f"admin-{admin_suffix(arn)}"
            entry = aws.eks.AccessEntry(
                child(name, suffix), cluster_name=cluster.name, principal_arn=arn, type="STANDARD",
                opts=pulumi.ResourceOptions(parent=self),
            )
            associations.append(
                aws.eks.AccessPolicyAssociation(
                    child(name, f"{suffix}-policy"),
                    cluster_name=cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=CLUSTER_ADMIN_POLICY,
                    access_scope={"type": "cluster"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
                )
            )
        return associations

    # --- images --------------------------------------------------------------------------------

    def _image_caches(self, name: str, args: TrainingClusterArgs) -> dict[str, aws.ecr.PullThroughCacheRule]:
        upstreams = {"k8s": "registry.k8s.io"}
        if args.kuberay is not None:
            upstreams["quay"] = "quay.io"
        return {
            short: aws.ecr.PullThroughCacheRule(
                child(name, f"image-cache-{short}"),
                ecr_repository_prefix=f"{args.cache_prefix}/{short}",
                upstream_registry_url=url,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for short, url in upstreams.items()
        }

    def _device_plugin_mirror(self, name: str, args: TrainingClusterArgs, registry: pulumi.Output[str]) -> pulumi.Input[str]:
        if args.device_plugin_image_repository is not None:
            self.device_plugin_mirror = None
            return args.device_plugin_image_repository
        repository_name = f"{args.cache_prefix}/nvcr/nvidia/k8s-device-plugin"
        self.device_plugin_mirror = aws.ecr.Repository(
            child(name, "device-plugin-mirror"),
            name=repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.cluster_key.arn}],
            force_delete=not args.protect,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        pulumi.log.info(
            DEVICE_PLUGIN_MIRROR_HELP.format(repository=repository_name, version=args.device_plugin.version),
            resource=self.device_plugin_mirror,
        )
        return pulumi.Output.concat(registry, "/", repository_name)

    # --- nodes ---------------------------------------------------------------------------------

    def _node_role(self, name: str, args: TrainingClusterArgs, caches: Mapping[str, aws.ecr.PullThroughCacheRule],
                   region: pulumi.Output[str], account_id: pulumi.Output[str]) -> aws.iam.Role:
        here = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            child(name, "node-role"),
            description=f"mlplat {name}: EKS nodes of {args.cluster_name}",
            assume_role_policy=_iam.to_json(service_trust_policy("ec2.amazonaws.com")),
            opts=here,
        )
        self._node_attachments = [
            aws.iam.RolePolicyAttachment(child(name, f"node-role-{suffix}"), role=role.name, policy_arn=arn, opts=here)
            for suffix, arn in NODE_POLICIES.items()
        ]
        repositories = [
            pulumi.Output.concat("arn:aws:ecr:", region, ":", account_id, ":repository/", rule.ecr_repository_prefix, "/*")
            for rule in caches.values()
        ]
        self._node_attachments.append(
            aws.iam.RolePolicy(
                child(name, "node-role-image-cache"), role=role.id, policy=_iam.to_json(image_cache_policy(repositories)),
                opts=here,
            )
        )
        return role

    def _ssh(self, name: str, args: TrainingClusterArgs, cluster: aws.eks.Cluster) -> Optional[dict[str, Any]]:
        if args.dev_ssh is None:
            return None
        here = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            child(name, "ssh"),
            description=f"mlplat {name}: SSH to dev nodes from listed security groups",
            vpc_id=args.network.vpc_id,
            opts=here,
        )
        for i, source in enumerate(args.dev_ssh.source_security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                child(name, f"ssh-from-{i}"), security_group_id=group.id, description="SSH (dev only)",
                ip_protocol="tcp", from_port=22, to_port=22, referenced_security_group_id=source, opts=here,
            )
        # A launch template's security groups replace the cluster's: keep the cluster security group.
        return {
            "key_name": args.dev_ssh.key_name,
            "vpc_security_group_ids": [cluster.vpc_config.cluster_security_group_id, group.id],
        }

    def _launch_template(self, name: str, suffix: str, args: TrainingClusterArgs, disk_gib: int,
                         ssh: Optional[Mapping[str, Any]]) -> aws.ec2.LaunchTemplate:
        return aws.ec2.LaunchTemplate(
            child(name, f"{suffix}-lt"),
            description=f"mlplat {name}: {suffix} nodes of {args.cluster_name}",
            update_default_version=True,
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": args.metadata_hop_limit,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_size": disk_gib,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "kms_key_id": args.cluster_key.arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            **(ssh or {}),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _node_group(self, name: str, suffix: str, cluster: aws.eks.Cluster, template: aws.ec2.LaunchTemplate, *,
                    instance_types: Sequence[str], ami_type: str, capacity_type: str, min_size: int,
                    desired_size: Optional[int], max_size: int, labels: Mapping[str, str],
                    taints: Sequence[Mapping[str, str]], depends_on: Sequence[pulumi.Resource]) -> aws.eks.NodeGroup:
        return aws.eks.NodeGroup(
            child(name, suffix),
            cluster_name=cluster.name,
            node_role_arn=self.node_role.arn,
            subnet_ids=self._args.network.private_subnet_ids,
            instance_types=list(instance_types),
            ami_type=ami_type,
            capacity_type=capacity_type,
            scaling_config={"min_size": min_size, "desired_size": desired_size if desired_size is not None else min_size,
                            "max_size": max_size},
            update_config={"max_unavailable": 1},
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            labels=dict(labels),
            taints=[dict(t) for t in taints] or None,
            # An autoscaler (or an operator) owns the node count once the group exists.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on), ignore_changes=["scalingConfig.desiredSize"]),
        )

    def _node_groups(self, name: str, args: TrainingClusterArgs, cluster: aws.eks.Cluster,
                     vpc_cni: aws.eks.Addon) -> aws.eks.NodeGroup:
        ssh = self._ssh(name, args, cluster)
        # Nodes join once their role can pull images and the CNI (with network policies) is configured.
        ready = [*self._node_attachments, vpc_cni]
        system = args.system_nodes
        self.node_groups["system"] = self._node_group(
            name, "system", cluster, self._launch_template(name, "system", args, system.disk_size_gib, ssh),
            instance_types=system.instance_types, ami_type=SYSTEM_AMI_TYPE, capacity_type="ON_DEMAND",
            min_size=system.min_size, desired_size=system.desired_size, max_size=system.max_size,
            labels={"mlplat.io/node-role": "system"}, taints=(), depends_on=ready,
        )
        for pool in args.gpu_pools:
            suffix = f"gpu-{pool.name}"
            self.node_groups[pool.name] = self._node_group(
                name, suffix, cluster, self._launch_template(name, suffix, args, pool.disk_size_gib, ssh),
                instance_types=pool.instance_types, ami_type=GPU_AMI_TYPE, capacity_type=pool.capacity_type,
                min_size=pool.min_size, desired_size=pool.desired_size, max_size=pool.max_size,
                # The device plugin's DaemonSet selects nodes with nvidia.com/gpu.present=true.
                labels={**pool.labels, objects.POOL_LABEL: pool.name, "nvidia.com/gpu.present": "true"},
                taints=[{**objects.GPU_TAINT, "effect": "NO_SCHEDULE"}], depends_on=ready,
            )
        return self.node_groups["system"]

    # --- add-ons -------------------------------------------------------------------------------

    def _release(self, name: str, suffix: str, chart: HelmChartArgs, namespace: str, defaults: Mapping[str, Any],
                 depends_on: Sequence[pulumi.Resource]) -> k8s.helm.v3.Release:
        reference: dict[str, Any]
        if chart.repository.startswith("oci://"):
            reference = {"chart": f"{chart.repository.rstrip('/')}/{chart.chart}"}
        else:
            reference = {"chart": chart.chart, "repository_opts": {"repo": chart.repository}}
        release = k8s.helm.v3.Release(
            child(name, suffix),
            name=chart.chart,
            namespace=namespace,
            create_namespace=namespace != "kube-system",
            version=chart.version,
            values=deep_merge(defaults, chart.values),
            **reference,
            opts=self._in_cluster(depends_on=list(depends_on)),
        )
        self.releases[suffix] = release
        return release

    def _add_ons(self, name: str, args: TrainingClusterArgs, registry: pulumi.Output[str], mirror: pulumi.Input[str],
                 caches: Mapping[str, aws.ecr.PullThroughCacheRule], system: aws.eks.NodeGroup,
                 vpc_cni: aws.eks.Addon) -> k8s.helm.v3.Release:
        cache = lambda short: pulumi.Output.concat(registry, "/", args.cache_prefix, "/", short)  # noqa: E731
        self._release(
            name, "nvidia-device-plugin", args.device_plugin, "kube-system",
            {"image": {"repository": mirror, "tag": f"v{args.device_plugin.version}", "pullPolicy": "IfNotPresent"}},
            depends_on=[vpc_cni],
        )
        kueue = self._release(
            name, "kueue", args.kueue, "kueue-system",
            {
                "controllerManager": {
                    "manager": {
                        "image": {
                            "repository": pulumi.Output.concat(cache("k8s"), "/kueue/kueue"),
                            "tag": f"v{args.kueue.version}",
                            "pullPolicy": "IfNotPresent",
                        }
                    },
                    "replicas": 2,
                    "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                },
                "enableKueueViz": False,
            },
            depends_on=[system, vpc_cni, caches["k8s"]],
        )
        if args.kuberay is not None:
            self._release(
                name, "kuberay", args.kuberay, "kuberay-system",
                {
                    "image": {
                        "repository": pulumi.Output.concat(cache("quay"), "/kuberay/operator"),
                        "tag": f"v{args.kuberay.version}",
                        "pullPolicy": "IfNotPresent",
                    }
                },
                depends_on=[system, vpc_cni, caches["quay"]],
            )
        return kueue

    # --- Kubernetes objects --------------------------------------------------------------------

    def _object(self, logical: str, obj: Mapping[str, Any], depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.CustomResource:
        """Declare one object built by `_k8s_objects` with the pulumi_kubernetes class of its kind."""
        opts = self._in_cluster(depends_on=list(depends_on))
        api_version, kind = obj["apiVersion"], obj["kind"]
        if api_version.startswith("kueue.x-k8s.io/"):
            return k8s.apiextensions.CustomResource(
                logical, api_version=api_version, kind=kind, metadata=obj["metadata"], spec=obj.get("spec"), opts=opts,
            )
        cls = _BUILT_IN[(api_version, kind)]
        fields = {_snake(k): v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        return cls(logical, **fields, opts=opts)

    def _queues_and_teams(self, name: str, args: TrainingClusterArgs, kueue: k8s.helm.v3.Release,
                          region: pulumi.Output[str]) -> None:
        for class_name, (value, policy, description) in PRIORITY_CLASSES.items():
            self._object(child(name, f"priority-{class_name.removeprefix('mlplat-')}"),
                         objects.priority_class(class_name, value=value, preemption_policy=policy, description=description))
        pools = [pool.name for pool in args.gpu_pools]
        flavors: list[pulumi.Resource] = [self._object(child(name, "flavor-default"), objects.default_flavor(), [kueue])]
        for pool in pools:
            flavors.append(self._object(child(name, f"flavor-{pool}"), objects.gpu_flavor(pool), [kueue]))
        cohort = self._object(child(name, "cohort"), objects.cohort(args.cohort_name), [kueue])

        s3_cidrs = aws.ec2.get_prefix_list_output(name=pulumi.Output.concat("com.amazonaws.", region, ".s3")).cidr_blocks
        for team in args.teams:
            role = self._team_role(name, team)
            queue = self._object(
                child(name, f"team-{team.name}-queue"),
                objects.cluster_queue(team.name, cohort_name=args.cohort_name, cpu=team.cpu, memory=team.memory,
                                      gpus=team.gpus, pools=pools, gpu_borrowing_limit=team.gpu_borrowing_limit),
                [kueue, cohort, *flavors],
            )
            max_gpus = team.max_gpus if team.max_gpus is not None else default_max_gpus(team, args.teams, pools)
            for ns in team.namespace_names:
                prefix = f"ns-{ns}"
                namespace = self._object(child(name, prefix), objects.namespace(ns, team=team.name, pod_security=team.pod_security))
                inside = [namespace]
                self._object(child(name, f"{prefix}-quota"),
                             objects.resource_quota(ns, team=team.name, cpu=team.cpu, memory=team.memory, gpus=max_gpus), inside)
                self._object(child(name, f"{prefix}-limits"),
                             objects.limit_range(ns, team=team.name, default_request=args.container_default_request,
                                                 default_limit=args.container_default_limit), inside)
                for policy in objects.network_policies(ns, team=team.name, vpc_cidr=args.network.vpc_cidr_block, s3_cidrs=s3_cidrs):
                    self._object(child(name, f"{prefix}-{policy['metadata']['name']}"), policy, inside)
                self._object(child(name, f"{prefix}-sa"),
                             objects.service_account(ns, team.service_account, team=team.name, role_arn=role.arn), inside)
                self._object(child(name, f"{prefix}-queue"),
                             objects.local_queue(ns, team=team.name, cluster_queue=objects.cluster_queue_name(team.name)),
                             [namespace, queue, kueue])

    def _team_role(self, name: str, team: TeamArgs) -> aws.iam.Role:
        trust = pulumi.Output.all(self.oidc_provider.arn, self.oidc_issuer).apply(
            lambda parts: json.dumps(irsa_trust_policy(parts[0], parts[1], team.namespace_names, team.service_account))
        )
        role = aws.iam.Role(
            child(name, f"team-{team.name}-role"),
            description=f"mlplat {name}: workloads of team {team.name} (IRSA)",
            assume_role_policy=trust,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.team_roles[team.name] = role
        store = self._args.artifact_store
        if store is not None:
            prefix = f"teams/{team.name}/"
            _grant(store.datasets, team.dataset_access, role, prefix)
            _grant(store.models, team.model_access, role, prefix)
        return role


def _grant(bucket: Any, access: str, role: aws.iam.Role, prefix: str) -> None:
    if access == "read":
        bucket.grant_read(role, prefix=prefix)
    else:
        bucket.grant_read_write(role, prefix=prefix)


def _check_role_name_room(name: str, args: TrainingClusterArgs) -> None:
    """Team roles are auto-named `<name>-team-<team>-role-<7 hex>`, which IAM caps at 64 characters."""
    problems = []
    for i, team in enumerate(args.teams):
        length = len(child(name, f"team-{team.name}-role")) + 8
        if length > MAX_IAM_ROLE_NAME:
            problems.append(
                Problem(f"{A}.teams.{i}.name",
                        f"makes the role name of component {name!r} {length} characters (IAM allows {MAX_IAM_ROLE_NAME}); "
                        "shorten the team or component name", team.name)
            )
    if problems:
        raise ConfigError(problems)


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


_BUILT_IN: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ResourceQuota"): k8s.core.v1.ResourceQuota,
    ("v1", "LimitRange"): k8s.core.v1.LimitRange,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("scheduling.k8s.io/v1", "PriorityClass"): k8s.scheduling.v1.PriorityClass,
}
