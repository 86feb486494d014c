"""Training clusters on EKS (MLP-EKS-01..05): private API endpoint, secrets encryption, control
plane logging, node group remote access, GPU node groups.

All five are resource rules over the inputs of `aws:eks/cluster:Cluster` and
`aws:eks/nodeGroup:NodeGroup` (pulumi-aws 7, whose `encryptionConfig` is one object; the list
form of older versions is read too). Provider defaults that weaken a setting are read as the
weak value: an absent `endpointPublicAccess` is a public endpoint (the provider's default is
true) and absent `publicAccessCidrs` is 0.0.0.0/0 (AWS's default).

MLP-EKS-05 sees a node group's instance types in its own `instanceTypes`. A resource rule cannot
read a launch template the node group references, so a GPU-AMI node group whose instance types
come only from its launch template is reported as unverifiable (name the types in the node
group's `instanceTypes` and leave them out of the template, as EKS recommends); a node group
with neither a GPU AMI type nor GPU instance types in its own inputs is not a GPU pool to this
rule.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterable, Mapping, Sequence

from pydantic import Field

from mlplat.core.sdk_compat import UnknownValueError

from ._framework import Finding, ResourceView, RuleConfig, RuleContext, is_open_cidr, resource_rule, strings

CLUSTER_TYPE = "aws:eks/cluster:Cluster"
NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup"

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
        description="Per environment, the accelerated EC2 instance types (fnmatch patterns) GPU node groups may use; an environment not listed uses prod's.",
    )
    max_gpu_nodes: dict[str, int] = Field(
        default_factory=lambda: {"dev": 2, "staging": 4, "prod": 16},
        description="Per environment, the largest scalingConfig.maxSize of one GPU node group; an environment not listed uses prod's.",
    )


def is_accelerated_instance_type(instance_type: str) -> bool:
    """EC2 families p*, g*, inf*, trn* (docs/DECISIONS.md, Serving)."""
    family = instance_type.split(".", 1)[0].lower()
    return any(family.startswith(prefix) for prefix in ACCELERATED_FAMILY_PREFIXES)


def _for_env(values: Mapping[str, Any], environment: str) -> Any:
    return values.get(environment, values.get("prod"))


@resource_rule(
    id="MLP-EKS-05", name="mlplat-eks-nodegroup-limit-gpu-capacity", severity="medium",
    description=(
        "GPU node groups (EC2 p*, g*, inf*, trn* instance types, or a GPU/Neuron AMI type) use allow-listed "
        "instance types and a scalingConfig.maxSize within the environment's cap (dev 2, staging 4, prod 16)"
    ),
    remediation=(
        "Use an allow-listed GPU instance type in instance_types, or extend allowed_gpu_instance_types in the pack configuration (reviewed).",
        "Lower scaling_config.max_size to the environment's cap, or split the capacity into several pools with their own Kueue flavors.",
        "Name the instance types in the node group's instance_types rather than only in its launch template, so they can be checked.",
    ),
    frameworks=(), levels=("advisory", "mandatory"), types=(NODE_GROUP_TYPE,), config=GpuNodeGroupConfig,
)
def gpu_node_groups(r: ResourceView, cfg: GpuNodeGroupConfig, ctx: RuleContext) -> Iterable[Finding]:
    instance_types = strings(r.get("instanceTypes"))
    ami_type = r.get("amiType")
    gpu_ami = isinstance(ami_type, str) and any(m in ami_type.upper() for m in ACCELERATED_AMI_MARKERS)
    gpu_types = [t for t in instance_types if is_accelerated_instance_type(t)]
    if not gpu_types and not gpu_ami:
        return  # not a GPU pool
    allowed = list(_for_env(cfg.allowed_gpu_instance_types, ctx.environment) or [])
    for instance_type in gpu_types:
        if not any(fnmatch.fnmatchcase(instance_type, pattern) for pattern in allowed):
            listed = ", ".join(allowed) or "none"
            yield Finding(
                f"GPU instance type {instance_type} is not allowed in {ctx.environment} (allowed: {listed})", key=instance_type
            )
    if not instance_types:
        source = "its launch template" if _state(r, "launchTemplate") is not _MISSING else "the EKS default"
        yield Finding(
            f"GPU node group (amiType {ami_type}) takes its instance types from {source}, which this rule cannot read: "
            "name them in instanceTypes",
            key="instance-types",
        )
    cap = _for_env(cfg.max_gpu_nodes, ctx.environment)
    max_size = r.get("scalingConfig.maxSize")
    if isinstance(max_size, (int, float)) and cap is not None and max_size > cap:
        yield Finding(f"GPU node group maxSize {int(max_size)} exceeds the {ctx.environment} cap of {cap} nodes", key="max-size")


__all__ = ["is_accelerated_instance_type"]
