"""Training clusters on EKS (MLP-EKS-01..06): private API endpoint, secrets encryption, control
plane logging, node group remote access, GPU node groups and Karpenter NodePools, node templates.

All five are resource rules over the inputs of `aws:eks/cluster:Cluster` and
`aws:eks/nodeGroup:NodeGroup` (pulumi-aws 7, whose `encryptionConfig` is one object; the list
form of older versions is read too). Provider defaults that weaken a setting are read as the
weak value: an absent `endpointPublicAccess` is a public endpoint (the provider's default is
true) and absent `publicAccessCidrs` is 0.0.0.0/0 (AWS's default).

MLP-EKS-05 reads GPU capacity in whatever form the cluster declares it: each form registers a
`capacity_reader` (a managed node group here) returning a `GpuCapacity` (instance types, image,
node limit). The rule joins other resources (`joins=True`: a stack policy in CrossGuard), so a
node group that names no `instanceTypes` is read through the launch template it references (by
property dependency, known even in preview, else by the template's known id or name). A GPU-AMI
node group whose instance type cannot be read (a template outside the stack, a type unknown until
apply) is reported; a node group with neither a GPU AMI type nor GPU instance types is not GPU
capacity.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from pydantic import Field

from mlplat.core.sdk_compat import UnknownValueError

from ._framework import Finding, ResourceView, RuleConfig, RuleContext, is_open_cidr, resource_rule, strings
from ._references import referenced_one

CLUSTER_TYPE = "aws:eks/cluster:Cluster"
NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"

# EC2 instance families counted as accelerated (docs/DECISIONS.md, Serving).
ACCELERATED_FAMILY_PREFIXES = ("p", "g", "inf", "trn")
# EKS AMI types that only make sense on accelerated instances (botocore's eks AMITypes).
ACCELERATED_AMI_MARKERS = ("NVIDIA", "GPU", "NEURON")

_MISSING = object()
_UNKNOWN = object()


def _state(r: ResourceView, path: str) -> Any:
    """The value at `path`, `_MISSING` when absent, `_UNKNOWN` when only known after `pulumi up`."""
    try:
        return r.get(path, _MISSING)
    except UnknownValueError:
        return _UNKNOWN


# --- MLP-EKS-01 ------------------------------------------------------------------------------


@resource_rule(
    id="MLP-EKS-01", name="mlplat-eks-cluster-restrict-public-endpoint", severity="critical",
    description=(
        "The cluster API endpoint is private in staging and prod; in dev a public endpoint is allowed only "
        "with restricted publicAccessCidrs (an absent endpointPublicAccess is public: the provider's default is true)"
    ),
    remediation=(
        "Set vpc_config.endpoint_public_access=False and endpoint_private_access=True; run previews of in-cluster resources from a runner inside the VPC.",
        "In dev, if a public endpoint is needed, set vpc_config.public_access_cidrs to the office/VPN ranges (never 0.0.0.0/0).",
    ),
    frameworks=("AwsSolutions-EKS1", "CKV_AWS_39", "CKV_AWS_38", "NIST-800-53:SC-7"),
    levels=("advisory", "mandatory"), types=(CLUSTER_TYPE,),
)
def endpoint_private(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    public = r.get("vpcConfig.endpointPublicAccess")
    if public is False:
        return
    why = "endpointPublicAccess is true" if public is True else "endpointPublicAccess is not set (the provider's default makes it public)"
    if ctx.is_prod_like:
        yield Finding(f"the API endpoint is public in {ctx.environment}: {why}", key="public-endpoint")
        return
    cidrs = r.get("vpcConfig.publicAccessCidrs")
    if not strings(cidrs):
        yield Finding(f"the API endpoint is public and open to 0.0.0.0/0 ({why}; publicAccessCidrs is empty, AWS's default is 0.0.0.0/0)", key="open-cidr")
        return
    for cidr in strings(cidrs):
        if is_open_cidr(cidr):
            yield Finding(f"the API endpoint is public and publicAccessCidrs includes {cidr}", key=cidr)


# --- MLP-EKS-02 ------------------------------------------------------------------------------


def _encryption_configs(r: ResourceView) -> list[Mapping[str, Any]]:
    value = r.get("encryptionConfig")
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [v for v in value if isinstance(v, Mapping)]
    return []


@resource_rule(
    id="MLP-EKS-02", name="mlplat-eks-cluster-encrypt-secrets", severity="high",
    description="Kubernetes secrets are envelope-encrypted with a KMS key: encryptionConfig names the 'secrets' resource and a provider keyArn",
    remediation=(
        "Set encryption_config={'resources': ['secrets'], 'provider': {'key_arn': <the cluster's customer-managed KMS key ARN>}} (mlplat: one key per training cluster).",
        "Adding encryption to an existing cluster is one-way (it cannot be removed); plan the change.",
    ),
    frameworks=("CKV_AWS_58", "NIST-800-53:SC-28"), levels=("mandatory", "mandatory"), types=(CLUSTER_TYPE,),
)
def secrets_encrypted(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    configs = _encryption_configs(r)
    if not configs:
        yield Finding("the cluster has no encryptionConfig: Kubernetes secrets are not envelope-encrypted with a KMS key")
        return
    covering = [c for c in configs if "secrets" in strings(c.get("resources"))]
    if not covering:
        yield Finding("encryptionConfig does not list the 'secrets' resource")
        return
    for config in covering:
        provider = config.get("provider")
        try:
            key = provider.get("keyArn") if isinstance(provider, Mapping) else None
        except UnknownValueError:
            return  # a key ARN computed from another resource (usually the cluster's key): it is set
        if isinstance(key, str) and key:
            return
    yield Finding("encryptionConfig lists 'secrets' but names no provider.keyArn")


# --- MLP-EKS-03 ------------------------------------------------------------------------------


class ClusterLoggingConfig(RuleConfig):
    required_log_types: list[str] = Field(
        default_factory=lambda: ["api", "audit", "authenticator"],
        description="Control plane log types every cluster must enable (api, audit, authenticator, controllerManager, scheduler).",
    )


@resource_rule(
    id="MLP-EKS-03", name="mlplat-eks-cluster-enable-control-plane-logs", severity="medium",
    description="Control plane logging enables at least the api, audit and authenticator log types",
    remediation=(
        "Set enabled_cluster_log_types to include 'api', 'audit' and 'authenticator'.",
        "Create the log group /aws/eks/<cluster>/cluster first, with retention and the logs KMS key (mlplat names the cluster for this).",
    ),
    frameworks=("AwsSolutions-EKS2", "CKV_AWS_37", "NIST-800-53:AU-2"), levels=("advisory", "mandatory"),
    types=(CLUSTER_TYPE,), config=ClusterLoggingConfig,
)
def control_plane_logging(r: ResourceView, cfg: ClusterLoggingConfig, ctx: RuleContext) -> Iterable[Finding]:
    enabled = set(strings(r.get("enabledClusterLogTypes")))
    missing = [t for t in cfg.required_log_types if t not in enabled]
    if missing:
        have = ", ".join(sorted(enabled)) or "none"
        yield Finding(f"control plane logging misses {', '.join(missing)} (enabled: {have})")


# --- MLP-EKS-04 ------------------------------------------------------------------------------


@resource_rule(
    id="MLP-EKS-04", name="mlplat-eks-nodegroup-disallow-open-ssh", severity="critical",
    description=(
        "Managed node groups have no remote access in staging and prod; in dev, remote access names "
        "sourceSecurityGroupIds (without them EKS opens SSH to 0.0.0.0/0)"
    ),
    remediation=(
        "Remove remote_access from the node group; reach nodes through SSM Session Manager instead.",
        "In dev, if SSH is needed, set remote_access.source_security_group_ids to a security group that admits only your bastion or VPN.",
    ),
    frameworks=("CKV_AWS_100", "NIST-800-53:SC-7"), levels=("advisory", "mandatory"), types=(NODE_GROUP_TYPE,),
)
def nodegroup_remote_access(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    remote = r.get("remoteAccess")
    if not isinstance(remote, Mapping) or not remote:
        return
    if ctx.is_prod_like:
        yield Finding(f"the node group enables remote access (SSH) in {ctx.environment}", key="remote-access")
        return
    if not strings(remote.get("sourceSecurityGroupIds")):
        yield Finding("remote access names no sourceSecurityGroupIds: EKS opens SSH (port 22) to 0.0.0.0/0", key="open-ssh")


# --- MLP-EKS-05 ------------------------------------------------------------------------------


class GpuNodeGroupConfig(RuleConfig):
    allowed_gpu_instance_types: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "dev": ["g5.xlarge", "g5.2xlarge"],
            "staging": ["g5.xlarge", "g5.2xlarge"],
            "prod": ["g5.*", "g6.*", "p4d.*"],
        },
        description="Per environment, the accelerated EC2 instance types (fnmatch patterns) GPU capacity may use; an environment not listed uses prod's.",
    )
    max_gpu_nodes: dict[str, int] = Field(
        default_factory=lambda: {"dev": 2, "staging": 4, "prod": 16},
        description="Per environment, the most nodes one GPU capacity declaration may scale to (a node group's scalingConfig.maxSize); an environment not listed uses prod's.",
    )


def is_accelerated_instance_type(instance_type: str) -> bool:
    """EC2 families p*, g*, inf*, trn* (docs/DECISIONS.md, Serving)."""
    family = instance_type.split(".", 1)[0].lower()
    return any(family.startswith(prefix) for prefix in ACCELERATED_FAMILY_PREFIXES)


def is_accelerated_image_type(ami_type: Any) -> bool:
    """An EKS AMI type made for accelerated instances (NVIDIA, GPU, Neuron)."""
    return isinstance(ami_type, str) and any(m in ami_type.upper() for m in ACCELERATED_AMI_MARKERS)


def _for_env(values: Mapping[str, Any], environment: str) -> Any:
    return values.get(environment, values.get("prod"))


@dataclass(frozen=True)
class GpuCapacity:
    """What one declaration of node capacity says about GPUs, however the cluster declares it.

    `instance_types` are the EC2 types it may launch (GPU and others; the rule picks the
    accelerated ones), `where` says where they were read; `accelerated_image` is True when its
    image only makes sense on accelerated instances; `max_nodes` is the most nodes it may scale to
    (None: no node limit of its own); `unreadable` explains why the instance types could not be
    read (the rule reports it for GPU capacity)."""

    kind: str
    instance_types: tuple[str, ...] = ()
    where: str = ""
    accelerated_image: bool = False
    image: str = ""
    max_nodes: Optional[int] = None
    max_nodes_where: str = "maxSize"
    unreadable: Optional[str] = None
    node_limit_required: bool = False  # no bound without max_nodes (a NodePool; a node group always has maxSize)

    @property
    def gpu_types(self) -> list[str]:
        return [t for t in self.instance_types if is_accelerated_instance_type(t)]

    @property
    def is_gpu(self) -> bool:
        return bool(self.gpu_types) or self.accelerated_image


CapacityReader = Callable[[ResourceView], Optional[GpuCapacity]]
CAPACITY_READERS: dict[str, CapacityReader] = {}


def capacity_reader(*types: str) -> Callable[[CapacityReader], CapacityReader]:
    """Register how MLP-EKS-05 reads GPU capacity from resources of `types` (node groups here;
    other forms of node capacity register their own reader). A reader returns None for a
    resource that declares no node capacity, and may follow references (`r.referenced`)."""

    def register(fn: CapacityReader) -> CapacityReader:
        for type_token in types:
            if type_token in CAPACITY_READERS:
                raise ValueError(f"a GPU capacity reader for {type_token} is registered twice")
            CAPACITY_READERS[type_token] = fn
        return fn

    return register


@capacity_reader(NODE_GROUP_TYPE)
def node_group_capacity(r: ResourceView) -> GpuCapacity:
    """A managed node group: instance types from its own instanceTypes, else from the launch
    template it references (EKS takes them from the template then); the GPU AMI from amiType."""
    ami_type = r.get("amiType")
    max_size = r.get("scalingConfig.maxSize")
    common = dict(
        kind="node group", accelerated_image=is_accelerated_image_type(ami_type), image=str(ami_type or ""),
        max_nodes=int(max_size) if isinstance(max_size, (int, float)) else None, max_nodes_where="scalingConfig.maxSize",
    )
    own = strings(r.get("instanceTypes"))
    if own:
        return GpuCapacity(instance_types=tuple(own), where="instanceTypes", **common)
    if _state(r, "launchTemplate") is _MISSING:
        return GpuCapacity(unreadable="it names no instanceTypes and no launch template (EKS defaults to t3.medium)", **common)
    template = referenced_one(r, "launchTemplate", (LAUNCH_TEMPLATE_TYPE,),
                              (("launchTemplate.id", ("id",)), ("launchTemplate.name", ("name",))))
    if template is None:
        return GpuCapacity(unreadable="its launch template is not declared in this stack, so its instance type cannot be read", **common)
    instance_type = _state(template, "instanceType")
    if instance_type is _UNKNOWN:
        return GpuCapacity(unreadable=f"the instance type of launch template {template.name} is unknown until apply", **common)
    if not isinstance(instance_type, str) or not instance_type:
        return GpuCapacity(unreadable=f"neither it nor its launch template {template.name} names an instance type", **common)
    return GpuCapacity(instance_types=(instance_type,), where=f"launch template {template.name} (instanceType)", **common)


@resource_rule(
    id="MLP-EKS-05", name="mlplat-eks-nodegroup-limit-gpu-capacity", severity="medium",
    description=(
        "GPU capacity (EC2 p*, g*, inf*, trn* instance types, or a GPU/Neuron AMI type), in whatever form the cluster "
        "declares it (managed node groups, with the instance type read from their launch template when they name none; "
        "Karpenter NodePools, whose instance families count as every size of the family), uses allow-listed instance "
        "types and scales to at most the environment's node cap (dev 2, staging 4, prod 16)"
    ),
    remediation=(
        "Use an allow-listed GPU instance type (in the node group's instance_types or its launch template's instance_type), "
        "or extend allowed_gpu_instance_types in the pack configuration (reviewed).",
        "Lower scaling_config.max_size to the environment's cap, or split the capacity into several pools with their own Kueue flavors.",
        "Declare the launch template in the same stack as the node group, so its instance type can be checked.",
        "For a NodePool: restrict node.kubernetes.io/instance-type (or karpenter.k8s.aws/instance-family) with In, and set limits.nodes.",
    ),
    frameworks=("NIST-800-53:CM-7",), levels=("advisory", "mandatory"), config=GpuNodeGroupConfig, joins=True,
)
def gpu_node_groups(r: ResourceView, cfg: GpuNodeGroupConfig, ctx: RuleContext) -> Iterable[Finding]:
    reader = CAPACITY_READERS.get(r.type)
    capacity = reader(r) if reader is not None else None
    if capacity is None or not capacity.is_gpu:
        return  # not node capacity, or not GPU capacity (types unreadable and no GPU image: not known to be GPU)
    allowed = list(_for_env(cfg.allowed_gpu_instance_types, ctx.environment) or [])
    for instance_type in capacity.gpu_types:
        if not any(fnmatch.fnmatchcase(instance_type, pattern) for pattern in allowed):
            listed = ", ".join(allowed) or "none"
            # A NodePool's family reads as `<family>.*`: allowed only when the list admits every size of it.
            what = (f"instance family {instance_type[:-2]} (any size)" if instance_type.endswith(".*")
                    else f"instance type {instance_type}")
            yield Finding(
                f"GPU {what} is not allowed in {ctx.environment} (allowed: {listed}; read from {capacity.where})",
                key=instance_type,
            )
    if capacity.unreadable is not None:
        yield Finding(f"GPU {capacity.kind} {r.name} (image {capacity.image or 'unknown'}): {capacity.unreadable}", key="instance-types")
    cap = _for_env(cfg.max_gpu_nodes, ctx.environment)
    if capacity.max_nodes is not None and cap is not None and capacity.max_nodes > cap:
        yield Finding(
            f"GPU {capacity.kind} {capacity.max_nodes_where} {capacity.max_nodes} exceeds the {ctx.environment} cap of {cap} nodes",
            key="max-size",
        )
    elif capacity.max_nodes is None and capacity.node_limit_required and cap is not None:
        yield Finding(f"GPU {capacity.kind} has no {capacity.max_nodes_where}: it may launch GPU nodes without bound "
                      f"(the {ctx.environment} cap is {cap} nodes)", key="max-size")




# --- Karpenter (MLP-EKS-05 for NodePools, MLP-EKS-06) ------------------------------------------

NODE_POOL_TYPE = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS_TYPE = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
GPU_RESOURCE = "nvidia.com/gpu"


def _requirement_values(requirements: Any, key: str) -> list[str]:
    values: list[str] = []
    for requirement in requirements if isinstance(requirements, Sequence) and not isinstance(requirements, str) else []:
        if isinstance(requirement, Mapping) and requirement.get("key") == key and requirement.get("operator") == "In":
            values += strings(requirement.get("values"))
    return values


@capacity_reader(NODE_POOL_TYPE)
def node_pool_capacity(r: ResourceView) -> Optional[GpuCapacity]:
    """A Karpenter NodePool: the instance types and families its requirements allow (a family as
    `<family>.*`, so the allow-list must admit every size of it), GPU by its taint or its GPU limit
    too, and `limits.nodes` as its node cap."""
    template = r.get("spec.template.spec") or {}
    requirements = template.get("requirements") if isinstance(template, Mapping) else None
    taints = template.get("taints") if isinstance(template, Mapping) else None
    limits = r.get("spec.limits") or {}
    types = _requirement_values(requirements, "node.kubernetes.io/instance-type")
    families = _requirement_values(requirements, "karpenter.k8s.aws/instance-family")
    gpu_marked = any(isinstance(t, Mapping) and t.get("key") == GPU_RESOURCE for t in (taints or [])) or (
        isinstance(limits, Mapping) and GPU_RESOURCE in limits)
    nodes = limits.get("nodes") if isinstance(limits, Mapping) else None
    try:
        count = int(str(nodes)) if nodes is not None else None
    except ValueError:
        count = None
    unreadable = None
    if not types and not families:
        unreadable = ("does not restrict instance types (no node.kubernetes.io/instance-type or "
                      "karpenter.k8s.aws/instance-family requirement with In): Karpenter may launch any type")
    return GpuCapacity(
        kind="NodePool", instance_types=(*types, *(f"{f}.*" for f in families)), where="its requirements",
        accelerated_image=gpu_marked, image="nvidia.com/gpu" if gpu_marked else "", max_nodes=count,
        max_nodes_where="limits.nodes", unreadable=unreadable, node_limit_required=True,
    )


@resource_rule(
    id="MLP-EKS-06", name="mlplat-eks-node-template-require-imdsv2-and-encryption", severity="high",
    description=(
        "Node templates (Karpenter EC2NodeClasses, EC2 launch templates) require IMDSv2 (httpTokens required) and "
        "encrypt every EBS volume they define; an EC2NodeClass that defines no volume gets Karpenter's unencrypted default"
    ),
    remediation=(
        "Set metadataOptions.httpTokens to 'required' (EC2NodeClass) or metadata_options.http_tokens='required' (launch template).",
        "Define the root volume in blockDeviceMappings with encrypted: true and the cluster's KMS key (kmsKeyID / kms_key_id).",
    ),
    frameworks=("CKV_AWS_79", "CKV_AWS_8", "NIST-800-53:SC-28"), levels=("advisory", "mandatory"),
    types=(NODE_CLASS_TYPE, LAUNCH_TEMPLATE_TYPE),
)
def node_template_imds_and_encryption(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    karpenter = r.type == NODE_CLASS_TYPE
    tokens = r.get("spec.metadataOptions.httpTokens" if karpenter else "metadataOptions.httpTokens")
    # Karpenter's own default is required; EC2's default for a launch template is optional.
    if (tokens is None and not karpenter) or (tokens is not None and tokens != "required"):
        yield Finding(f"instance metadata allows IMDSv1 (httpTokens is {tokens or 'not set'}; require IMDSv2)", key="imdsv2")
    mappings = r.get("spec.blockDeviceMappings" if karpenter else "blockDeviceMappings")
    volumes = [m for m in (mappings or []) if isinstance(m, Mapping) and isinstance(m.get("ebs"), Mapping)]
    if not volumes:
        yield Finding("no EBS volume is defined: the root volume takes the default, which is not encrypted with the "
                      "platform's key", key="no-volumes")
    for mapping in volumes:
        encrypted = mapping["ebs"].get("encrypted")
        if encrypted not in (True, "true"):
            yield Finding(f"EBS volume {mapping.get('deviceName', '?')} is not encrypted", key=str(mapping.get("deviceName")))


__all__ = [
    "CAPACITY_READERS", "GpuCapacity", "capacity_reader", "is_accelerated_image_type", "is_accelerated_instance_type",
    "node_group_capacity", "node_pool_capacity",
]
