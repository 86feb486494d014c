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
- nodes: a small on-demand managed `system` node group for add-ons (a launch template that
  requires IMDSv2 and encrypts the root volume with the cluster key; no SSH, except in dev behind
  an explicit opt-in), and GPU pools that Karpenter 1.14.1 provisions: per pool a NodePool
  (instance types or families, capacity types, tainted `nvidia.com/gpu=true:NoSchedule`, limits
  from the environment's cap, never disrupted while busy) and an EC2NodeClass (the AL2023 AMI,
  the GPU nodes' instance profile, subnets and security group by discovery tag, IMDSv2 only, a
  root volume encrypted with the cluster key, capacity reservations). Karpenter itself: the
  `karpenter-crd` and `karpenter` charts (controller on the system nodes, isolated VPC), its IRSA
  role with the policies Karpenter documents, the interruption queue (encrypted with the cluster
  key) fed by five EventBridge rules, the GPU node role, instance profile and `EC2_LINUX` access
  entry (`_karpenter.py` holds the documents);
- images: the network has no internet route, so the add-ons' images come from ECR pull-through
  caches (registry.k8s.io and ECR Public always, quay.io with KubeRay). nvcr.io (the NVIDIA device plugin) is
  not a registry ECR can cache: its image comes from a private ECR mirror repository this
  component creates and the platform team fills once per version (see `DEVICE_PLUGIN_MIRROR_HELP`);
- in the cluster, through a Kubernetes provider the component owns: the NVIDIA device plugin,
  Kueue and optionally the KubeRay operator as Helm releases with pinned versions; platform
  priority classes; per team: namespaces with a ResourceQuota, a LimitRange, default-deny
  NetworkPolicies (plus same-namespace, DNS and HTTPS to AWS endpoints), a ServiceAccount bound
  through IRSA to the team's IAM role (scoped to `teams/<team>/` in the datasets and models
  buckets), and Kueue queues: one ResourceFlavor per GPU pool, one ClusterQueue per team in a
  shared cohort (idle quota can be borrowed), one LocalQueue per team namespace.

A private endpoint means the in-cluster resources are managed from inside the VPC (a runner inside
the VPC: docs/DECISIONS.md, Training cluster); the deployer's role must be among `admin_role_arns`,
since the cluster creator gets no implicit access.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from . import _iam
from . import _karpenter as karpenter
from ._security_groups import allow_within_group
from ._wiring import lookup, require_args
from .version_skew import version_skew
from . import _k8s_objects as objects
from mlplat.core.naming import child
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.vocabulary import MAX_GPUS_PER_NODE
from .training_args import (  # the arguments, their validation and the pinned choices
    A,
    SYSTEM_AMI_TYPE,
    DCGM_EXPORTER_IMAGE_TAG,
    EFA_LABEL,
    CapacityReservationSpec,
    GpuPoolSpec,
    HelmChartArgs,
    TeamArgs,
    TrainingClusterArgs,
    add_on_versions,
    admin_suffix,
    default_max_gpus,
    efa_instance_types,
    efa_interface_count,
    pool_instance_types,
    placement_group_name,
)

__all__ = [
    "CLUSTER_ADMIN_POLICY",
    "CLUSTER_KEY_ACTIONS",
    "cluster_key_policy",
    "CLUSTER_POLICY",
    "CONTROL_PLANE_LOG_TYPES",
    "deep_merge",
    "GPU_NODE_POLICIES",
    "SYSTEM_NODE_LABEL",
    "DEVICE_PLUGIN_MIRROR_HELP",
    "CLOUDWATCH_AGENT_POLICY",
    "DCGM_EXPORTER_MIRROR_HELP",
    "idle_gpu_query",
    "IMAGE_CACHE_ACTIONS",
    "image_cache_policy",
    "IRSA_AUDIENCE",
    "irsa_trust_policy",
    "kubeconfig",
    "MAX_IAM_ROLE_NAME",
    "NODE_POLICIES",
    "PRIORITY_CLASSES",
    "ROOT_DEVICE",
    "service_trust_policy",
    "subnet_discovery_tags",
    "TrainingCluster",
    "TYPE_TOKEN",
]

TYPE_TOKEN = "mlplat:training:TrainingCluster"


def subnet_discovery_tags(component_name: str, cluster_name: str, subnet_ids: Sequence[pulumi.Input[str]],
                          opts: pulumi.ResourceOptions) -> list[aws.ec2.Tag]:
    """Karpenter's discovery tag on each subnet the GPU nodes launch into, named as the children of the
    TrainingCluster `component_name` (`-discovery-subnet-<i>`): a stack that owns the network but not the
    cluster (a foundation layer) declares the same resources as the cluster component would."""
    return [
        aws.ec2.Tag(child(component_name, f"discovery-subnet-{i}"), resource_id=subnet_id,
                    key=karpenter.DISCOVERY_TAG, value=cluster_name, opts=opts)
        for i, subnet_id in enumerate(subnet_ids)
    ]

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
# Karpenter 1.14's documented node role: worker, CNI, ECR pull only (no listing or describing) and SSM (instead of SSH).
GPU_NODE_POLICIES: dict[str, str] = {
    **NODE_POLICIES,
    "ecr-read": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    "ssm": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
}
SYSTEM_NODE_LABEL = "mlplat.io/node-role"
ROOT_DEVICE = "/dev/xvda"  # the root volume of the AL2023 EKS AMIs
PRIORITY_CLASSES: dict[str, tuple[int, str, str]] = {
    # name: (value, preemption policy, description)
    "mlplat-serving": (100000, "PreemptLowerPriority", "mlplat: online inference; may preempt training pods."),
    "mlplat-training": (1000, "Never", "mlplat: training jobs; wait for capacity rather than evict others (Kueue preempts)."),
}
DCGM_EXPORTER_MIRROR_HELP = (
    "nvcr.io is not an ECR pull-through cache upstream: copy the pinned DCGM exporter image into the mirror "
    "repository {repository} once per version, from a machine with internet access: "
    "`crane copy nvcr.io/nvidia/k8s/dcgm-exporter:{tag} <account>.dkr.ecr.<region>.amazonaws.com/{repository}:{tag}`"
)
CLOUDWATCH_AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
CLOUDWATCH_NAMESPACE = "amazon-cloudwatch"  # where the amazon-cloudwatch-observability add-on runs its agent
CLOUDWATCH_SERVICE_ACCOUNT = "cloudwatch-agent"
DEVICE_PLUGIN_MIRROR_HELP = (
    "nvcr.io is not an ECR pull-through cache upstream: copy the pinned NVIDIA device plugin image into the "
    "mirror repository {repository} once per version, from a machine with internet access: "
    "`crane copy nvcr.io/nvidia/k8s-device-plugin:v{version} <account>.dkr.ecr.<region>.amazonaws.com/{repository}:v{version}` "
    "(GPU nodes cannot advertise nvidia.com/gpu until it is there)"
)
MAX_IAM_ROLE_NAME = 64

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
    `-image-cache-ecr` (`-image-cache-quay` with KubeRay), `-device-plugin-mirror` (unless adopted),
    `-system-lt`, `-system` (`-ssh` and `-ssh-from-<i>` with dev SSH), `-k8s` (the Kubernetes
    provider), `-nvidia-device-plugin`, `-kueue` (`-kuberay`); Karpenter's `-gpu-node-role`,
    `-gpu-node-role-<worker|ecr-read|cni|ssm>`, `-gpu-node-role-image-cache`, `-gpu-node-profile`,
    `-gpu-node-access`, `-discovery-sg`, `-discovery-subnet-<i>`, `-interruption-queue`,
    `-interruption-queue-policy`, `-interruption-<event>` and `-interruption-<event>-target` per
    event, `-karpenter-role`, `-karpenter-<policy>` and `-karpenter-<policy>-attachment` per
    documented policy, `-karpenter-key`, `-karpenter-crd`, `-karpenter`, and per GPU pool
    `-nodeclass-<pool>` and `-nodepool-<pool>` (the GPU node groups `-gpu-<pool>` and
    `-gpu-<pool>-lt` of earlier releases are gone), `-placement-<pool>` per pool that creates one, and
    with an EFA pool `-efa-sg`, `-efa-sg-ingress`, `-efa-sg-egress`, `-efa-device-plugin`; GPU observability:
    `-dcgm-exporter-mirror` (unless adopted) and `-dcgm-exporter`, with Container Insights
    `-container-insights-logs`, `-cloudwatch-role`, `-cloudwatch-role-policy`, `-cloudwatch-observability` and,
    given an alarm topic, `-idle-gpus-<pool>` per pool;
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
        args = require_args("TrainingCluster", name, args, TrainingClusterArgs)
        _check_role_name_room(name, args)
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._args = args
        for skew in version_skew(args.version, add_on_versions(args)):
            if skew.severity == "warning":  # problems were raised with the Args
                pulumi.log.warn(f"version skew: {skew.message}", resource=self)
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
        self._karpenter(name, args, cluster, registry, caches, system, region, account_id)
        self._observability(name, args, cluster, registry, system, vpc_cni)
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
                "gpu_node_role_arn": self.gpu_node_role.arn,
                "interruption_queue_url": self.interruption_queue.url,
                "team_role_arns": self.team_role_arns,
            }
        )

    # --- wiring --------------------------------------------------------------------------------

    def team_role(self, team: str) -> aws.iam.Role:
        """The IAM role a team's service account assumes; WiringError naming the teams otherwise."""
        return lookup(self.team_roles, team, where=f"TrainingCluster {self._name!r}.team_role", argument="team",
                      noun="a team of this cluster")

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
        upstreams = {"k8s": "registry.k8s.io", "ecr": "public.ecr.aws"}
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
        self.device_plugin_mirror = self._mirror_repository(child(name, "device-plugin-mirror"), repository_name, args)
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
        self._node_attachments.append(
            aws.iam.RolePolicy(
                child(name, "node-role-image-cache"), role=role.id,
                policy=_iam.to_json(image_cache_policy(self._cache_repositories(caches, region, account_id))), opts=here,
            )
        )
        return role

    @staticmethod
    def _cache_repositories(caches: Mapping[str, aws.ecr.PullThroughCacheRule], region: pulumi.Output[str],
                            account_id: pulumi.Output[str]) -> list[pulumi.Output[str]]:
        return [
            pulumi.Output.concat("arn:aws:ecr:", region, ":", account_id, ":repository/", rule.ecr_repository_prefix, "/*")
            for rule in caches.values()
        ]

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
            labels={SYSTEM_NODE_LABEL: "system"}, taints=(), depends_on=ready,
        )
        return self.node_groups["system"]

    # --- add-ons -------------------------------------------------------------------------------

    def _release(self, name: str, suffix: str, chart: HelmChartArgs, namespace: str, defaults: Mapping[str, Any],
                 depends_on: Sequence[pulumi.Resource], **extra: Any) -> k8s.helm.v3.Release:
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
            **extra,
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

    # --- Karpenter -----------------------------------------------------------------------------

    def _karpenter(self, name: str, args: TrainingClusterArgs, cluster: aws.eks.Cluster, registry: pulumi.Output[str],
                   caches: Mapping[str, aws.ecr.PullThroughCacheRule], system: aws.eks.NodeGroup,
                   region: pulumi.Output[str], account_id: pulumi.Output[str]) -> None:
        """Karpenter: its nodes' identity, the interruption queue, its controller (IRSA, Helm) and one
        EC2NodeClass and NodePool per GPU pool."""
        here = pulumi.ResourceOptions(parent=self)
        # GPU nodes get their own role: EKS gives a managed node group's role its access entry, this one is declared.
        role = aws.iam.Role(
            child(name, "gpu-node-role"),
            description=f"mlplat {name}: Karpenter GPU nodes of {args.cluster_name}",
            assume_role_policy=_iam.to_json(service_trust_policy("ec2.amazonaws.com")),
            opts=here,
        )
        self.gpu_node_role = role
        node_ready: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(child(name, f"gpu-node-role-{suffix}"), role=role.name, policy_arn=arn, opts=here)
            for suffix, arn in GPU_NODE_POLICIES.items()
        ]
        node_ready.append(aws.iam.RolePolicy(
            child(name, "gpu-node-role-image-cache"), role=role.id,
            policy=_iam.to_json(image_cache_policy(self._cache_repositories(caches, region, account_id))), opts=here,
        ))
        profile = aws.iam.InstanceProfile(child(name, "gpu-node-profile"), role=role.name, opts=here)
        access = aws.eks.AccessEntry(
            child(name, "gpu-node-access"), cluster_name=cluster.name, principal_arn=role.arn, type="EC2_LINUX", opts=here,
        )
        # The node classes find the private subnets and the cluster security group by this tag.
        discovery: list[pulumi.Resource] = [
            aws.ec2.Tag(child(name, "discovery-sg"), resource_id=cluster.vpc_config.cluster_security_group_id,
                        key=karpenter.DISCOVERY_TAG, value=args.cluster_name, opts=here)
        ]
        if args.tag_subnets:
            discovery += subnet_discovery_tags(name, args.cluster_name, args.network.subnet_ids, here)

        queue = aws.sqs.Queue(
            child(name, "interruption-queue"),
            message_retention_seconds=300,  # an interruption notice older than five minutes is moot
            kms_master_key_id=args.cluster_key.arn,
            opts=here,
        )
        self.interruption_queue = queue
        queue_policy = aws.sqs.QueuePolicy(
            child(name, "interruption-queue-policy"), queue_url=queue.url,
            policy=_iam.to_json(karpenter.interruption_queue_policy(queue.arn, account_id)), opts=here,
        )
        for suffix, (source, detail_type) in karpenter.INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                child(name, f"interruption-{suffix}"),
                description=f"mlplat {name}: {detail_type} to Karpenter ({args.cluster_name})",
                event_pattern=json.dumps({"source": [source], "detail-type": [detail_type]}),
                opts=here,
            )
            aws.cloudwatch.EventTarget(
                child(name, f"interruption-{suffix}-target"), rule=rule.name, arn=queue.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[queue_policy]),
            )

        trust = pulumi.Output.all(self.oidc_provider.arn, self.oidc_issuer).apply(
            lambda parts: json.dumps(irsa_trust_policy(parts[0], parts[1], [karpenter.KARPENTER_NAMESPACE],
                                                       karpenter.KARPENTER_SERVICE_ACCOUNT))
        )
        controller_role = aws.iam.Role(
            child(name, "karpenter-role"), description=f"mlplat {name}: Karpenter controller of {args.cluster_name} (IRSA)",
            assume_role_policy=trust, opts=here,
        )
        documents = karpenter.controller_policies(
            cluster_name=args.cluster_name, region=region, account_id=account_id, node_role_arn=role.arn, queue_arn=queue.arn,
        )
        permissions: list[pulumi.Resource] = []
        for policy_name, document in documents.items():
            policy = aws.iam.Policy(
                child(name, f"karpenter-{policy_name}"),
                description=f"mlplat {name}: Karpenter {policy_name} ({args.cluster_name})",
                policy=_iam.to_json(document), opts=here,
            )
            permissions.append(aws.iam.RolePolicyAttachment(
                child(name, f"karpenter-{policy_name}-attachment"), role=controller_role.name, policy_arn=policy.arn, opts=here,
            ))
        permissions.append(aws.iam.RolePolicy(
            child(name, "karpenter-key"), role=controller_role.id,
            policy=_iam.to_json(karpenter.controller_key_policy(args.cluster_key.arn)), opts=here,
        ))

        crd_chart = HelmChartArgs(chart="karpenter-crd", version=args.karpenter.version, repository=args.karpenter.repository)
        # Helm installs a chart's crds/ once and never upgrades them: the CRD chart owns them as templates.
        crds = self._release(name, "karpenter-crd", crd_chart, karpenter.KARPENTER_NAMESPACE, {}, depends_on=[system])
        values = karpenter.controller_values(
            cluster_name=args.cluster_name, cluster_endpoint=cluster.endpoint, queue_name=queue.name,
            role_arn=controller_role.arn,
            image_repository=pulumi.Output.concat(registry, "/", args.cache_prefix, "/ecr/karpenter/controller"),
            system_selector={SYSTEM_NODE_LABEL: "system"},
        )
        controller = self._release(
            name, "karpenter", args.karpenter, karpenter.KARPENTER_NAMESPACE, values,
            depends_on=[crds, system, caches["ecr"], queue, *permissions], skip_crds=True,
        )
        efa_group = self._efa(name, args, cluster, registry, caches) if any(p.efa for p in args.gpu_pools) else None
        cap = args.gpu_node_cap
        for pool in args.gpu_pools:
            efa_types: tuple[str, ...] = efa_instance_types(pool)[0] if pool.efa else ()
            efa_interfaces = efa_interface_count(efa_types) if pool.efa else 0
            placement = self._placement(name, args, pool)
            node_class = self._object(
                child(name, f"nodeclass-{pool.name}"),
                objects.ec2_node_class(
                    pool.name, cluster_name=args.cluster_name, instance_profile=profile.name,
                    discovery_tag=karpenter.DISCOVERY_TAG, ami_alias=f"al2023@{args.node_ami_version}",
                    disk_gib=pool.disk_size_gib, key_arn=args.cluster_key.arn, hop_limit=args.metadata_hop_limit,
                    tags=args.node_tags, capacity_reservations=[_reservation_term(r) for r in pool.capacity_reservations],
                    efa_interfaces=efa_interfaces,
                    security_group_ids=[efa_group.id] if pool.efa and efa_group is not None else [],
                    placement_group=placement[0] if placement else None,
                    reservation_costs=[_reservation_cost(r) for r in pool.capacity_reservations],
                ),
                [controller, crds, profile, access, *node_ready, *discovery,
                 *([efa_group] if pool.efa and efa_group is not None else []), *(placement[1] if placement else [])],
            )
            if pool.efa:
                pulumi.log.info(
                    f"GPU pool {pool.name!r} launches EFA types only ({', '.join(efa_types)}) with {efa_interfaces} EFA "
                    f"interface(s) per node (the fewest of those types); pods request vpc.amazonaws.com/efa",
                    resource=node_class,
                )
            if pool.capacity_reservations:
                others = [t for t in pool.effective_capacity_types if t != "reserved"]
                pulumi.log.info(
                    f"GPU pool {pool.name!r} launches into its capacity reservations first: "
                    f"{'; '.join(_describe_reservation(r) for r in pool.capacity_reservations)}"
                    f" (then {', '.join(others) if others else 'nothing else: without room in them, its pods wait'})",
                    resource=node_class,
                )
            max_nodes = min(pool.max_size, cap)
            self._object(
                child(name, f"nodepool-{pool.name}"),
                objects.node_pool(
                    pool.name, instance_types=efa_types if pool.efa else pool.instance_types,
                    instance_families=pool.instance_families,
                    capacity_types=pool.effective_capacity_types, labels=pool.labels, max_nodes=max_nodes,
                    max_gpus=max_nodes * MAX_GPUS_PER_NODE, consolidate_after=pool.consolidate_after,
                    efa_label=EFA_LABEL if pool.efa else None,
                ),
                [controller, crds, node_class],
            )

    def _efa(self, name: str, args: TrainingClusterArgs, cluster: aws.eks.Cluster, registry: pulumi.Output[str],
             caches: Mapping[str, aws.ecr.PullThroughCacheRule]) -> aws.ec2.SecurityGroup:
        """What EFA pools share: a security group that admits all traffic from and to itself (EFA's OS-bypass
        traffic is matched by group, not by address; EKS's cluster group has no self egress rule), and the EFA
        device plugin on the EFA pools' nodes (it advertises `vpc.amazonaws.com/efa`)."""
        here = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            child(name, "efa-sg"), vpc_id=args.network.vpc_id,
            description=f"mlplat {name}: EFA traffic between the GPU nodes of {args.cluster_name}", opts=here,
        )
        allow_within_group(group.id, ingress=(child(name, "efa-sg-ingress"), "EFA: all traffic from the group itself"),
                           egress=(child(name, "efa-sg-egress"), "EFA: all traffic to the group itself"), opts=here)
        self._release(
            name, "efa-device-plugin", args.efa_device_plugin, "kube-system",
            {
                "image": {"repository": pulumi.Output.concat(registry, "/", args.cache_prefix, "/ecr/eks/aws-efa-k8s-device-plugin")},
                "nodeSelector": {EFA_LABEL: "true"},
                "tolerations": [{"key": objects.GPU_TAINT["key"], "operator": "Exists", "effect": objects.GPU_TAINT["effect"]}],
            },
            depends_on=[caches["ecr"]],
        )
        return group

    def _placement(self, name: str, args: TrainingClusterArgs,
                   pool: GpuPoolSpec) -> Optional[tuple[dict[str, Any], list[pulumi.Resource]]]:
        """The pool's placementGroupSelector (and the group when the platform creates it), None without one."""
        if pool.create_placement_group:
            group = aws.ec2.PlacementGroup(
                child(name, f"placement-{pool.name}"), name=placement_group_name(args.cluster_name, pool.name),
                strategy="cluster", opts=pulumi.ResourceOptions(parent=self),
            )
            return {"name": group.name}, [group]
        if pool.placement_group is not None:
            key = "id" if pool.placement_group.startswith("pg-") else "name"
            return {key: pool.placement_group}, []
        return None

    # --- GPU observability ---------------------------------------------------------------------

    def _observability(self, name: str, args: TrainingClusterArgs, cluster: aws.eks.Cluster, registry: pulumi.Output[str],
                       system: aws.eks.NodeGroup, vpc_cni: aws.eks.Addon) -> None:
        """The DCGM exporter on GPU nodes, Container Insights (GPU utilisation and memory per node and pod in
        CloudWatch) and the idle-GPU alarm."""
        here = pulumi.ResourceOptions(parent=self)
        if args.dcgm_exporter is not None:
            repository = self._mirror(name, args, "dcgm-exporter-mirror", "nvcr/nvidia/k8s/dcgm-exporter",
                                      args.dcgm_exporter_image_repository, registry,
                                      DCGM_EXPORTER_MIRROR_HELP, tag=DCGM_EXPORTER_IMAGE_TAG)
            self._release(
                name, "dcgm-exporter", args.dcgm_exporter, "kube-system",
                {
                    "image": {"repository": repository, "tag": DCGM_EXPORTER_IMAGE_TAG, "pullPolicy": "IfNotPresent"},
                    # GPU nodes only: they carry the pool label and the GPU taint.
                    "nodeSelector": {"nvidia.com/gpu.present": "true"},
                    "tolerations": [{"key": objects.GPU_TAINT["key"], "operator": "Exists",
                                     "effect": objects.GPU_TAINT["effect"]}],
                    "serviceMonitor": {"enabled": False},  # no Prometheus operator CRDs in the cluster
                },
                depends_on=[vpc_cni],
            )
        if not args.container_insights:
            return
        # The agent's EMF performance log group exists first, with retention and the logs key.
        logs = aws.cloudwatch.LogGroup(
            child(name, "container-insights-logs"), name=f"/aws/containerinsights/{args.cluster_name}/performance",
            retention_in_days=args.log_retention_days, kms_key_id=args.log_key.arn, opts=here,
        )
        trust = pulumi.Output.all(self.oidc_provider.arn, self.oidc_issuer).apply(
            lambda parts: json.dumps(irsa_trust_policy(parts[0], parts[1], [CLOUDWATCH_NAMESPACE], CLOUDWATCH_SERVICE_ACCOUNT))
        )
        role = aws.iam.Role(
            child(name, "cloudwatch-role"),
            description=f"mlplat {name}: CloudWatch agent of {args.cluster_name} (Container Insights, IRSA)",
            assume_role_policy=trust, opts=here,
        )
        attachment = aws.iam.RolePolicyAttachment(
            child(name, "cloudwatch-role-policy"), role=role.name, policy_arn=CLOUDWATCH_AGENT_POLICY, opts=here,
        )
        aws.eks.Addon(
            child(name, "cloudwatch-observability"),
            cluster_name=cluster.name,
            addon_name="amazon-cloudwatch-observability",
            addon_version=args.cloudwatch_observability_version,
            service_account_role_arn=role.arn,
            # Metrics only: container logs would go to log groups the agent creates without retention or a key.
            configuration_values=json.dumps({"containerLogs": {"enabled": False}}),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system, vpc_cni, logs, attachment]),
        )
        if args.alarm_topic is None:
            return  # an alarm that notifies no one is no alarm
        minutes = args.idle_gpu_minutes
        topic = [args.alarm_topic.arn]
        for pool in args.gpu_pools:
            types = pool_instance_types(pool)
            aws.cloudwatch.MetricAlarm(
                child(name, f"idle-gpus-{pool.name}"),
                alarm_description=(
                    f"mlplat {name}: the GPUs of pool {pool.name!r} ({args.cluster_name}) have averaged under "
                    f"{args.idle_gpu_utilization_percent}% utilization for {minutes} minutes: paid GPUs doing nothing. "
                    "No data (no node of the pool) is not idle."
                ),
                comparison_operator="LessThanThreshold",
                threshold=float(args.idle_gpu_utilization_percent),
                evaluation_periods=minutes // 5,
                datapoints_to_alarm=minutes // 5,
                treat_missing_data="notBreaching",
                metric_queries=[aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="pool", expression=idle_gpu_query(args.cluster_name, types), period=300, return_data=True,
                    label=f"GPU utilization of pool {pool.name} (node_gpu_utilization, %)",
                )],
                alarm_actions=topic, ok_actions=topic,
                opts=here,
            )

    def _mirror(self, name: str, args: TrainingClusterArgs, suffix: str, path: str, adopted: Optional[str],
                registry: pulumi.Output[str], help_text: str, *, tag: str) -> pulumi.Input[str]:
        """A private ECR mirror repository for an image ECR cannot cache (nvcr.io), unless one is adopted."""
        if adopted is not None:
            return adopted
        repository_name = f"{args.cache_prefix}/{path}"
        repository = self._mirror_repository(child(name, suffix), repository_name, args)
        pulumi.log.info(help_text.format(repository=repository_name, tag=tag), resource=repository)
        return pulumi.Output.concat(registry, "/", repository_name)

    def _mirror_repository(self, resource_name: str, repository_name: str, args: TrainingClusterArgs) -> aws.ecr.Repository:
        """An immutable, scanned, KMS-encrypted ECR repository the platform team copies an nvcr.io image into."""
        return aws.ecr.Repository(
            resource_name,
            name=repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.cluster_key.arn}],
            force_delete=not args.protect,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    # --- Kubernetes objects --------------------------------------------------------------------

    def _object(self, logical: str, obj: Mapping[str, Any], depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.CustomResource:
        """Declare one object built by `_k8s_objects` with the pulumi_kubernetes class of its kind."""
        opts = self._in_cluster(depends_on=list(depends_on))
        api_version, kind = obj["apiVersion"], obj["kind"]
        if api_version.startswith(("kueue.x-k8s.io/", "karpenter.sh/", "karpenter.k8s.aws/")):
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


def idle_gpu_query(cluster_name: str, instance_types: Sequence[str]) -> str:
    """A pool's idle-GPU Metrics Insights query: the average `node_gpu_utilization` of its nodes' GPUs.

    Container Insights has no pool dimension; its per-GPU series (ClusterName, GpuDevice, InstanceId, InstanceType,
    NodeName) carry the instance type, so a pool is its instance types (pools sharing a type share its GPUs here).
    """
    types = " OR ".join(f"InstanceType = '{t}'" for t in instance_types)
    return ('SELECT AVG(node_gpu_utilization) FROM SCHEMA("ContainerInsights", ClusterName, GpuDevice, InstanceId, '
            f"InstanceType, NodeName) WHERE ClusterName = '{cluster_name}' AND ({types})")


def _reservation_term(reservation: CapacityReservationSpec) -> dict[str, Any]:
    """A pool's capacity reservation as an EC2NodeClass selector term."""
    if reservation.id is not None:
        return {"id": reservation.id}
    term: dict[str, Any] = {"tags": dict(reservation.tags)}
    if reservation.owner_id is not None:
        term["ownerID"] = reservation.owner_id
    return term


def _reservation_cost(reservation: CapacityReservationSpec) -> dict[str, Any]:
    """A reservation as the cost estimate reads it from its node class's annotation."""
    return {"reservation": _describe_reservation(reservation), "instanceType": reservation.instance_type,
            "count": reservation.instance_count, "capacityBlock": reservation.capacity_block}


def _describe_reservation(reservation: CapacityReservationSpec) -> str:
    if reservation.id is not None:
        return reservation.id
    tags = ", ".join(f"{k}={v}" for k, v in sorted(reservation.tags.items()))
    return f"tagged {tags}" + (f" (owner {reservation.owner_id})" if reservation.owner_id else "")


def _grant(bucket: Any, access: str, role: aws.iam.Role, prefix: str) -> None:
    if access == "read":
        bucket.grant_read(role, prefix=prefix)
    else:
        bucket.grant_read_write(role, prefix=prefix)


def _check_role_name_room(name: str, args: TrainingClusterArgs) -> None:
    """Team roles are auto-named `<name>-team-<team>-role-<7 hex>`, which IAM caps at 64 characters (as are
    Karpenter's roles and interruption rules, `<name>-<suffix>-<7 hex>`)."""
    problems = []
    for i, team in enumerate(args.teams):
        length = len(child(name, f"team-{team.name}-role")) + 8
        if length > MAX_IAM_ROLE_NAME:
            problems.append(
                Problem(f"{A}.teams.{i}.name",
                        f"makes the role name of component {name!r} {length} characters (IAM allows {MAX_IAM_ROLE_NAME}); "
                        "shorten the team or component name", team.name)
            )
    # Auto-named children of the component's own: IAM role names and EventBridge rule names stop at 64.
    for suffix in ("gpu-node-role", "karpenter-role", *(f"interruption-{e}" for e in karpenter.INTERRUPTION_EVENTS)):
        length = len(child(name, suffix)) + 8
        if length > MAX_IAM_ROLE_NAME:
            problems.append(
                Problem(f"TrainingCluster {name!r}",
                        f"makes the auto-name of its child {child(name, suffix)!r} {length} characters (IAM and "
                        f"EventBridge allow {MAX_IAM_ROLE_NAME}); shorten the component name")
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
