"""TrainingCluster: the control plane, nodes, add-ons, team isolation, identity and bad Args.

Every program runs under the offline runner (`run_callable`) with the Encryption, Network and
ArtifactStore components it is wired to; assertions read the Plan (plain data), never apply
callbacks.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, Optional

import pytest

from mlplat.components._tags import platform_tags, register_stack_tags
from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.components.monitoring import AlarmTopic, AlarmTopicArgs
from mlplat.core.errors import ConfigError, WiringError
from mlplat.components.network import Network, NetworkArgs
from mlplat.components.training_args import (
    KUBERAY_CHART,
    DevSshArgs,
    GpuPoolArgs,
    TeamArgs,
    TrainingClusterArgs,
    default_max_gpus,
    deterministic_cluster_name,
)
from mlplat.components.training_cluster import TrainingCluster, irsa_trust_policy
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, PlannedResource, is_unknown

TC = "mlplat:training:TrainingCluster"
CLUSTER_TYPE = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ADDON = "aws:eks/addon:Addon"
ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
CACHE_RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
REPOSITORY = "aws:ecr/repository:Repository"
RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_PROVIDER = "pulumi:providers:kubernetes"
NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
CLUSTER_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue"
LOCAL_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue"
FLAVOR = "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
EC2_TAG = "aws:ec2/tag:Tag"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
POLICY = "aws:iam/policy:Policy"
INTERRUPTIONS = ("health", "spot", "rebalance", "state-change", "reservation")
CONTROLLER_POLICIES = ("node-lifecycle", "iam-integration", "eks-integration", "interruption", "resource-discovery",
                       "zonal-shift")
# Karpenter v1.14's getting-started cloudformation.yaml (aws/karpenter-provider-aws,
# website/content/en/v1.14/getting-started/getting-started-with-karpenter/cloudformation.yaml), transcribed:
# policy -> {statement Sid: actions}.
DOCUMENTED_CONTROLLER_POLICIES: dict[str, dict[str, list[str]]] = {
    "node-lifecycle": {
        "AllowScopedEC2InstanceAccessActions": ["ec2:CreateFleet", "ec2:RunInstances"],
        "AllowScopedEC2LaunchTemplateAccessActions": ["ec2:CreateFleet", "ec2:RunInstances"],
        "AllowScopedEC2InstanceActionsWithTags": ["ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:RunInstances"],
        "AllowScopedResourceCreationTagging": ["ec2:CreateTags"],
        "AllowScopedResourceTagging": ["ec2:CreateTags"],
        "AllowScopedDeletion": ["ec2:DeleteLaunchTemplate", "ec2:TerminateInstances"],
    },
    "iam-integration": {
        "AllowPassingInstanceRole": ["iam:PassRole"],
        "AllowScopedInstanceProfileCreationActions": ["iam:CreateInstanceProfile"],
        "AllowScopedInstanceProfileTagActions": ["iam:TagInstanceProfile"],
        "AllowScopedInstanceProfileActions": ["iam:AddRoleToInstanceProfile", "iam:DeleteInstanceProfile",
                                              "iam:RemoveRoleFromInstanceProfile"],
    },
    "eks-integration": {"AllowAPIServerEndpointDiscovery": ["eks:DescribeCluster"]},
    "interruption": {"AllowInterruptionQueueActions": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]},
    "zonal-shift": {"AllowZonalShiftStatusReadOnly": ["arc-zonal-shift:GetManagedResource"]},
    "resource-discovery": {
        "AllowRegionalReadActions": [
            "ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings",
            "ec2:DescribeInstanceTypes", "ec2:DescribeInstances", "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups",
            "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"],
        "AllowSSMReadActions": ["ssm:GetParameter"],
        "AllowPricingReadActions": ["pricing:GetProducts"],
        "AllowUnscopedInstanceProfileListAction": ["iam:ListInstanceProfiles"],
        "AllowInstanceProfileReadActions": ["iam:GetInstanceProfile"],
    },
}
COHORT = "kubernetes:kueue.x-k8s.io/v1beta2:Cohort"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"

ACCOUNT = "123456789012"
REGION = "us-east-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
CLUSTER = "mlplat-prod-training"
ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
VISION = TeamArgs(name="vision", gpus={"gpu": 2})
MANAGED = {"app.kubernetes.io/managed-by": "mlplat"}


# --- programs --------------------------------------------------------------------------------


def cluster_program(
    name: str = "training",
    *,
    teams: tuple[TeamArgs, ...] = (VISION,),
    store: bool = True,
    extra_endpoints: tuple[str, ...] = ("ec2", "eks", "ssm", "sqs"),
    tags: bool = False,
    alarms: bool = False,
    after: Optional[Callable[[TrainingCluster], Any]] = None,
    **overrides: Any,
) -> Callable[[], None]:
    """Encryption (with a cluster key domain), Network, ArtifactStore and a TrainingCluster."""

    def program() -> None:
        if tags:
            register_stack_tags(platform_tags(owner="ml@example.com", cost_center="cc-1", project="mlplat",
                                              environment="prod", data_classification="internal"))
        keys = Encryption(
            "enc",
            EncryptionArgs(
                domains=("data", "models", "logs", "cluster-training"),
                key_users={"logs": ("cloudwatch-logs",), "cluster-training": ("autoscaling-volumes", "eventbridge-to-sqs")},
                s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store"),
            ),
        )
        network = Network("net", NetworkArgs(log_key=keys.key("logs"), extra_interface_endpoints=extra_endpoints))
        artifacts = ArtifactStore("store", ArtifactStoreArgs(encryption=keys)) if store else None
        args: dict[str, Any] = dict(
            cluster_name=CLUSTER, network=network, cluster_key=keys.key("cluster-training"), log_key=keys.key("logs"),
            admin_role_arns=(ADMIN,), teams=teams, artifact_store=artifacts,
        )
        if alarms:
            args["alarm_topic"] = AlarmTopic("alarms", AlarmTopicArgs(key=keys.key("data")))
        args.update(overrides)
        cluster = TrainingCluster(name, TrainingClusterArgs(**args))
        if after is not None:
            after(cluster)

    return program


WIRING: dict[str, Any] = {}


def _record_wiring(cluster: TrainingCluster) -> None:
    WIRING["role"] = cluster.team_role("vision")._name
    try:
        cluster.team_role("nlp")
    except WiringError as exc:
        WIRING["error"] = str(exc)


@functools.cache
def default_plan() -> Plan:
    """Prod defaults, one team (`vision`, 2 GPUs nominal in the default pool), an artifact store."""
    return run_callable(cluster_program(after=_record_wiring))


OTHER_ADMIN = "arn:aws:iam::123456789012:role/ci/Deployer_Role"
POOLS = (
    GpuPoolArgs(name="a10g", instance_types=("g5.2xlarge", "g5.4xlarge"), capacity_type="SPOT", max_size=4,
                labels={"team.example.com/tier": "batch"}),
    GpuPoolArgs(name="h100", instance_types=("p5.48xlarge",), max_size=2, capacity_types=("reserved", "on-demand"),
                capacity_reservations=({"id": "cr-0123456789abcdef0"}, {"tags": {"purpose": "llm"}, "owner_id": ACCOUNT})),
)
TEAMS = (
    TeamArgs(name="vision", gpus={"a10g": 4, "h100": 8}, namespaces=("vision", "vision-eval")),
    TeamArgs(name="nlp", gpus={"h100": 8}, gpu_borrowing_limit=2, cpu=64, memory="256Gi", model_access="read",
             dataset_access="read"),
)


@functools.cache
def variant_plan() -> Plan:
    """Staging: two pools (one spot), two teams (one with two namespaces), two admins, KubeRay, hop limit 2."""
    return run_callable(
        cluster_program(environment="staging", teams=TEAMS, gpu_pools=POOLS, admin_role_arns=(ADMIN, OTHER_ADMIN),
                        kuberay=KUBERAY_CHART, metadata_hop_limit=2)
    )


DEV_SSH = DevSshArgs(key_name="dev-key", source_security_group_ids=("sg-0123456789abcdef0",))
KUEUE_OVERRIDE = {"chart": "kueue", "version": "0.19.2", "repository": "oci://mirror.example.com/charts",
                  "values": {"controllerManager": {"replicas": 3, "manager": {"image": {"pullPolicy": "Always"}}}}}
ADOPTED_MIRROR = "111122223333.dkr.ecr.us-east-1.amazonaws.com/nv/dp"
ADOPTED_DCGM_MIRROR = "111122223333.dkr.ecr.us-east-1.amazonaws.com/nv/dcgm"


@functools.cache
def dev_plan() -> Plan:
    """Dev: public endpoint with an allow-list, SSH opt-in, chart values, an adopted device plugin mirror."""
    return run_callable(
        cluster_program(
            teams=(), store=False, environment="dev", endpoint_public_access=True, public_access_cidrs=("203.0.113.0/24",),
            dev_ssh=DEV_SSH, kueue=KUEUE_OVERRIDE, image_cache_prefix="ml/prod", device_plugin_image_repository=ADOPTED_MIRROR,
            dcgm_exporter_image_repository=ADOPTED_DCGM_MIRROR, container_insights=False,
        )
    )


def res(plan: Plan, name: str, type_token: Optional[str] = None) -> PlannedResource:
    return plan.named(name, type_token)


def doc(resource: PlannedResource, prop: str = "policy") -> Any:
    return json.loads(resource.inputs[prop])


def key_arn(plan: Plan, domain: str) -> str:
    return res(plan, f"enc-{domain}-key", "aws:kms/key:Key").outputs["arn"]


def issuer_host(plan: Plan) -> str:
    issuer = res(plan, "training-cluster", CLUSTER_TYPE).outputs["identities"][0]["oidcs"][0]["issuer"]
    return issuer.removeprefix("https://")


# --- the resource tree (public contract: renaming a child replaces live infrastructure) ------

_C = "urn:pulumi:test::project::mlplat:training:TrainingCluster"
GOLDEN_TREE = sorted(
    [
        (f"{_C}::training", TC),
        (f"{_C}$aws:cloudwatch/logGroup:LogGroup::training-control-plane-logs", LOG_GROUP),
        (f"{_C}$aws:ec2/launchTemplate:LaunchTemplate::training-system-lt", LAUNCH_TEMPLATE),
        (f"{_C}$aws:ecr/pullThroughCacheRule:PullThroughCacheRule::training-image-cache-k8s", CACHE_RULE),
        (f"{_C}$aws:ecr/repository:Repository::training-device-plugin-mirror", REPOSITORY),
        (f"{_C}$aws:eks/accessEntry:AccessEntry::training-admin-platform-admin", ENTRY),
        (f"{_C}$aws:eks/accessPolicyAssociation:AccessPolicyAssociation::training-admin-platform-admin-policy", ASSOCIATION),
        (f"{_C}$aws:eks/addon:Addon::training-vpc-cni", ADDON),
        (f"{_C}$aws:eks/cluster:Cluster::training-cluster", CLUSTER_TYPE),
        (f"{_C}$aws:eks/nodeGroup:NodeGroup::training-system", NODE_GROUP),
        (f"{_C}$aws:iam/openIdConnectProvider:OpenIdConnectProvider::training-oidc", OIDC),
        (f"{_C}$aws:iam/role:Role::training-cluster-role", ROLE),
        (f"{_C}$aws:iam/role:Role::training-node-role", ROLE),
        (f"{_C}$aws:iam/role:Role::training-team-vision-role", ROLE),
        (f"{_C}$aws:iam/rolePolicy:RolePolicy::training-cluster-role-encryption", ROLE_POLICY),
        (f"{_C}$aws:iam/rolePolicy:RolePolicy::training-node-role-image-cache", ROLE_POLICY),
        (f"{_C}$aws:iam/rolePolicyAttachment:RolePolicyAttachment::training-cluster-role-policy", ATTACHMENT),
        (f"{_C}$aws:iam/rolePolicyAttachment:RolePolicyAttachment::training-node-role-cni", ATTACHMENT),
        (f"{_C}$aws:iam/rolePolicyAttachment:RolePolicyAttachment::training-node-role-ecr-read", ATTACHMENT),
        (f"{_C}$aws:iam/rolePolicyAttachment:RolePolicyAttachment::training-node-role-worker", ATTACHMENT),
        (f"{_C}$kubernetes:core/v1:LimitRange::training-ns-vision-limits", LIMITS),
        (f"{_C}$kubernetes:core/v1:Namespace::training-ns-vision", NAMESPACE),
        (f"{_C}$kubernetes:core/v1:ResourceQuota::training-ns-vision-quota", QUOTA),
        (f"{_C}$kubernetes:core/v1:ServiceAccount::training-ns-vision-sa", SERVICE_ACCOUNT),
        (f"{_C}$kubernetes:helm.sh/v3:Release::training-kueue", RELEASE),
        (f"{_C}$kubernetes:helm.sh/v3:Release::training-nvidia-device-plugin", RELEASE),
        (f"{_C}$kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue::training-team-vision-queue", CLUSTER_QUEUE),
        (f"{_C}$kubernetes:kueue.x-k8s.io/v1beta2:Cohort::training-cohort", COHORT),
        (f"{_C}$kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue::training-ns-vision-queue", LOCAL_QUEUE),
        (f"{_C}$kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor::training-flavor-default", FLAVOR),
        (f"{_C}$kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor::training-flavor-gpu", FLAVOR),
        (f"{_C}$kubernetes:networking.k8s.io/v1:NetworkPolicy::training-ns-vision-allow-aws-endpoints", NETWORK_POLICY),
        (f"{_C}$kubernetes:networking.k8s.io/v1:NetworkPolicy::training-ns-vision-allow-dns", NETWORK_POLICY),
        (f"{_C}$kubernetes:networking.k8s.io/v1:NetworkPolicy::training-ns-vision-allow-same-namespace", NETWORK_POLICY),
        (f"{_C}$kubernetes:networking.k8s.io/v1:NetworkPolicy::training-ns-vision-default-deny", NETWORK_POLICY),
        (f"{_C}$kubernetes:scheduling.k8s.io/v1:PriorityClass::training-priority-serving", PRIORITY_CLASS),
        (f"{_C}$kubernetes:scheduling.k8s.io/v1:PriorityClass::training-priority-training", PRIORITY_CLASS),
        (f"{_C}$pulumi:providers:kubernetes::training-k8s", K8S_PROVIDER),
        # Karpenter: the GPU nodes' identity, the interruption queue and its rules, the controller, one pool.
        (f"{_C}$aws:ecr/pullThroughCacheRule:PullThroughCacheRule::training-image-cache-ecr", CACHE_RULE),
        (f"{_C}$aws:iam/role:Role::training-gpu-node-role", ROLE),
        *[(f"{_C}$aws:iam/rolePolicyAttachment:RolePolicyAttachment::training-gpu-node-role-{s}", ATTACHMENT)
          for s in ("worker", "ecr-read", "cni", "ssm")],
        (f"{_C}$aws:iam/rolePolicy:RolePolicy::training-gpu-node-role-image-cache", ROLE_POLICY),
        (f"{_C}$aws:iam/instanceProfile:InstanceProfile::training-gpu-node-profile", INSTANCE_PROFILE),
        (f"{_C}$aws:eks/accessEntry:AccessEntry::training-gpu-node-access", ENTRY),
        (f"{_C}$aws:ec2/tag:Tag::training-discovery-sg", EC2_TAG),
        (f"{_C}$aws:ec2/tag:Tag::training-discovery-subnet-0", EC2_TAG),
        (f"{_C}$aws:ec2/tag:Tag::training-discovery-subnet-1", EC2_TAG),
        (f"{_C}$aws:sqs/queue:Queue::training-interruption-queue", QUEUE),
        (f"{_C}$aws:sqs/queuePolicy:QueuePolicy::training-interruption-queue-policy", QUEUE_POLICY),
        *[(f"{_C}$aws:cloudwatch/eventRule:EventRule::training-interruption-{e}", EVENT_RULE) for e in INTERRUPTIONS],
        *[(f"{_C}$aws:cloudwatch/eventTarget:EventTarget::training-interruption-{e}-target", EVENT_TARGET)
          for e in INTERRUPTIONS],
        (f"{_C}$aws:iam/role:Role::training-karpenter-role", ROLE),
        *[(f"{_C}$aws:iam/policy:Policy::training-karpenter-{p}", POLICY) for p in CONTROLLER_POLICIES],
        *[(f"{_C}$aws:iam/rolePolicyAttachment:RolePolicyAttachment::training-karpenter-{p}-attachment", ATTACHMENT)
          for p in CONTROLLER_POLICIES],
        (f"{_C}$aws:iam/rolePolicy:RolePolicy::training-karpenter-key", ROLE_POLICY),
        (f"{_C}$kubernetes:helm.sh/v3:Release::training-karpenter-crd", RELEASE),
        (f"{_C}$kubernetes:helm.sh/v3:Release::training-karpenter", RELEASE),
        (f"{_C}$kubernetes:karpenter.k8s.aws/v1:EC2NodeClass::training-nodeclass-gpu", NODE_CLASS),
        (f"{_C}$kubernetes:karpenter.sh/v1:NodePool::training-nodepool-gpu", NODE_POOL),
        # GPU observability: the DCGM exporter and its image mirror, Container Insights, the idle-GPU alarm.
        (f"{_C}$aws:ecr/repository:Repository::training-dcgm-exporter-mirror", REPOSITORY),
        (f"{_C}$kubernetes:helm.sh/v3:Release::training-dcgm-exporter", RELEASE),
        (f"{_C}$aws:cloudwatch/logGroup:LogGroup::training-container-insights-logs", LOG_GROUP),
        (f"{_C}$aws:iam/role:Role::training-cloudwatch-role", ROLE),
        (f"{_C}$aws:iam/rolePolicyAttachment:RolePolicyAttachment::training-cloudwatch-role-policy", ATTACHMENT),
        (f"{_C}$aws:eks/addon:Addon::training-cloudwatch-observability", ADDON),  # no topic: no idle-GPU alarm
    ]
)


def test_default_cluster_with_one_team_matches_the_golden_tree() -> None:
    plan = default_plan()
    component = res(plan, "training", TC)
    below = plan.descendants(component.urn)
    assert sorted([(component.urn, component.type)] + [(r.urn, r.type) for r in below]) == GOLDEN_TREE
    assert all(r.parent == component.urn for r in below)
    # Bucket grants are children of the store (ArtifactStore's grant contract).
    grants = sorted(r.name for r in plan.of_type(ROLE_POLICY) if r.name.startswith("store-"))
    assert grants == ["store-datasets-read-write-training-team-vision-role", "store-models-read-write-training-team-vision-role"]


def test_in_cluster_children_use_the_components_own_kubernetes_provider() -> None:
    plan = default_plan()
    provider = res(plan, "training-k8s", K8S_PROVIDER)
    in_cluster = [r for r in plan.descendants(res(plan, "training", TC).urn) if r.type.startswith("kubernetes:")]
    assert len(in_cluster) == 22
    for r in in_cluster:
        assert r.provider == f"{provider.urn}::{provider.id}", r.urn


def test_provider_kubeconfig_authenticates_with_aws_eks_get_token() -> None:
    plan = default_plan()
    provider = res(plan, "training-k8s", K8S_PROVIDER)
    cluster = res(plan, "training-cluster", CLUSTER_TYPE)
    assert provider.inputs["enableServerSideApply"] == "true"
    config = json.loads(provider.inputs["kubeconfig"])
    assert config["clusters"] == [
        {
            "name": CLUSTER,
            "cluster": {
                "server": cluster.outputs["endpoint"],
                "certificate-authority-data": cluster.outputs["certificateAuthority"]["data"],
            },
        }
    ], provider.urn
    assert config["users"][0]["user"] == {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", CLUSTER, "--region", REGION],
            "interactiveMode": "Never",
        }
    }, provider.urn
    # The deployer's access exists before anything is applied through the provider.
    assert res(plan, "training-admin-platform-admin-policy", ASSOCIATION).urn in provider.dependencies


# --- control plane ---------------------------------------------------------------------------


def test_cluster_is_private_encrypted_logged_and_api_authenticated() -> None:
    plan = default_plan()
    cluster = res(plan, "training-cluster", CLUSTER_TYPE)
    subnets = [res(plan, f"net-private-{i}", "aws:ec2/subnet:Subnet").id for i in range(2)]
    assert cluster.inputs == {
        "name": CLUSTER,
        "version": "1.34",
        "roleArn": res(plan, "training-cluster-role", ROLE).outputs["arn"],
        "vpcConfig": {"subnetIds": subnets, "endpointPrivateAccess": True, "endpointPublicAccess": False},
        "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": key_arn(plan, "cluster-training")}},
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
        "deletionProtection": True,
    }, cluster.urn
    assert cluster.protect is True, cluster.urn
    log_group = res(plan, "training-control-plane-logs", LOG_GROUP)
    assert log_group.urn in cluster.dependencies, cluster.urn


def test_control_plane_log_group_is_pre_created_with_retention_and_the_logs_key() -> None:
    plan = default_plan()
    log_group = res(plan, "training-control-plane-logs", LOG_GROUP)
    assert log_group.inputs == {
        "name": f"/aws/eks/{CLUSTER}/cluster",
        "retentionInDays": 365,
        "kmsKeyId": key_arn(plan, "logs"),
    }, log_group.urn


def test_cluster_role_trusts_eks_and_carries_only_the_cluster_policy_and_the_key() -> None:
    plan = default_plan()
    role = res(plan, "training-cluster-role", ROLE)
    assert doc(role, "assumeRolePolicy") == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowServiceAssumeRole", "Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
             "Action": "sts:AssumeRole"}
        ],
    }, role.urn
    attachments = [r for r in plan.of_type(ATTACHMENT) if r.inputs["role"] == role.id]
    assert [a.inputs["policyArn"] for a in attachments] == ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
    encryption = res(plan, "training-cluster-role-encryption", ROLE_POLICY)
    assert encryption.inputs["role"] == role.id
    assert doc(encryption) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "EncryptKubernetesSecrets", "Effect": "Allow",
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
             "Resource": key_arn(plan, "cluster-training")}
        ],
    }, encryption.urn


def test_each_admin_role_gets_an_access_entry_with_cluster_admin() -> None:
    plan = variant_plan()
    for suffix, arn in (("platform-admin", ADMIN), ("deployer-role", OTHER_ADMIN)):
        entry = res(plan, f"training-admin-{suffix}", ENTRY)
        assert entry.inputs == {"clusterName": CLUSTER, "principalArn": arn, "type": "STANDARD"}, entry.urn
        association = res(plan, f"training-admin-{suffix}-policy", ASSOCIATION)
        assert association.inputs == {
            "clusterName": CLUSTER,
            "principalArn": arn,
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "accessScope": {"type": "cluster"},
        }, association.urn
        assert entry.urn in association.dependencies, association.urn


def test_oidc_provider_and_vpc_cni_with_network_policies() -> None:
    plan = default_plan()
    oidc = res(plan, "training-oidc", OIDC)
    assert oidc.inputs == {"url": f"https://{issuer_host(plan)}", "clientIdLists": ["sts.amazonaws.com"]}, oidc.urn
    assert oidc.outputs["arn"] == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer_host(plan)}"
    cni = res(plan, "training-vpc-cni", ADDON)
    assert cni.inputs == {
        "clusterName": CLUSTER,
        "addonName": "vpc-cni",
        "configurationValues": '{"enableNetworkPolicy": "true"}',
        "resolveConflictsOnCreate": "OVERWRITE",
        "resolveConflictsOnUpdate": "OVERWRITE",
    }, cni.urn


# --- nodes -----------------------------------------------------------------------------------


def test_node_role_has_the_three_node_policies_and_scoped_cache_permissions() -> None:
    plan = default_plan()
    role = res(plan, "training-node-role", ROLE)
    assert doc(role, "assumeRolePolicy")["Statement"] == [
        {"Sid": "AllowServiceAssumeRole", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    attached = sorted(r.inputs["policyArn"] for r in plan.of_type(ATTACHMENT) if r.inputs["role"] == role.id)
    assert attached == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    ]
    cache = res(plan, "training-node-role-image-cache", ROLE_POLICY)
    assert doc(cache)["Statement"] == [
        {"Sid": "PullThroughCache", "Effect": "Allow", "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
         "Resource": [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{CLUSTER}/{short}/*" for short in ("k8s", "ecr")]}
    ], cache.urn


@pytest.mark.parametrize("group", ["system"])
def test_launch_templates_require_imdsv2_and_encrypt_volumes_with_the_cluster_key(group: str) -> None:
    plan = default_plan()
    template = res(plan, f"training-{group}-lt", LAUNCH_TEMPLATE)
    assert template.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1, "instanceMetadataTags": "disabled",
    }, template.urn
    assert template.inputs["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {
                "volumeSize": 50 if group == "system" else 200,
                "volumeType": "gp3",
                "encrypted": "true",
                "kmsKeyId": key_arn(plan, "cluster-training"),
                "deleteOnTermination": "true",
            },
        }
    ], template.urn
    for absent in ("keyName", "vpcSecurityGroupIds", "userData", "imageId"):
        assert absent not in template.inputs, template.urn
    group_resource = res(plan, f"training-{group}", NODE_GROUP)
    assert group_resource.inputs["launchTemplate"] == {"id": template.id, "version": "1"}, group_resource.urn
    assert "remoteAccess" not in group_resource.inputs, group_resource.urn


def test_gpu_pool_is_a_karpenter_node_pool_that_never_interrupts_a_running_job() -> None:
    plan = default_plan()
    pool = res(plan, "training-nodepool-gpu", NODE_POOL)
    assert pool.inputs["metadata"] == {"name": "gpu-gpu", "labels": {**MANAGED, "mlplat.io/gpu-pool": "gpu"}}, pool.urn
    assert pool.inputs["spec"] == {
        "template": {
            "metadata": {"labels": {"mlplat.io/gpu-pool": "gpu", "nvidia.com/gpu.present": "true"}},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu-gpu"},
                "requirements": [
                    {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g5.xlarge"]},
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                ],
                "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
                "expireAfter": "Never",
            },
        },
        "disruption": {
            "consolidationPolicy": "WhenEmpty",
            "consolidateAfter": "10m",
            "budgets": [{"nodes": "0", "reasons": ["Drifted", "Underutilized"]}, {"nodes": "1", "reasons": ["Empty"]}],
        },
        # prod's cap is 16 nodes; the default pool asks for 2, of at most 8 GPUs each.
        "limits": {"nodes": "2", "nvidia.com/gpu": "16"},
    }, pool.urn
    node_class = res(plan, "training-nodeclass-gpu", NODE_CLASS)
    assert node_class.urn in pool.dependencies, pool.urn
    assert res(plan, "training-karpenter", RELEASE).urn in pool.dependencies, pool.urn
    system = res(plan, "training-system", NODE_GROUP)
    assert system.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert system.inputs["capacityType"] == "ON_DEMAND"
    assert system.inputs["instanceTypes"] == ["m6i.large"]
    assert system.inputs["scalingConfig"] == {"minSize": 2, "desiredSize": 2, "maxSize": 3}
    assert "taints" not in system.inputs, system.urn
    assert [r.name for r in plan.of_type(NODE_GROUP)] == ["training-system"]


def test_node_class_names_the_profile_selects_tagged_subnets_and_requires_imdsv2_and_encryption() -> None:
    plan = default_plan()
    node_class = res(plan, "training-nodeclass-gpu", NODE_CLASS)
    profile = res(plan, "training-gpu-node-profile", INSTANCE_PROFILE)
    selector = [{"tags": {"karpenter.sh/discovery": CLUSTER}}]
    assert node_class.inputs["spec"] == {
        "amiSelectorTerms": [{"alias": "al2023@latest"}],
        "instanceProfile": profile.outputs["name"],
        "subnetSelectorTerms": selector,
        "securityGroupSelectorTerms": selector,
        "associatePublicIPAddress": False,
        "metadataOptions": {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled", "httpPutResponseHopLimit": 1,
                            "httpTokens": "required"},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "rootVolume": True, "ebs": {
            "volumeSize": "200Gi", "volumeType": "gp3", "encrypted": True, "kmsKeyID": key_arn(plan, "cluster-training"),
            "deleteOnTermination": True}}],
        "tags": {"mlplat:gpu-pool": "gpu"},
    }, node_class.urn
    # The tag the selectors look for is on both private subnets and the cluster security group.
    tagged = sorted(r.inputs["resourceId"] for r in plan.of_type(EC2_TAG)
                    if r.inputs["key"] == "karpenter.sh/discovery" and r.inputs["value"] == CLUSTER)
    subnets = [res(plan, f"net-private-{i}", "aws:ec2/subnet:Subnet").id for i in range(2)]
    cluster_sg = res(plan, "training-cluster", CLUSTER_TYPE).outputs["vpcConfig"]["clusterSecurityGroupId"]
    assert tagged == sorted([*subnets, cluster_sg])
    for tag in plan.of_type(EC2_TAG):
        assert tag.urn in node_class.dependencies, tag.urn


def test_gpu_nodes_have_their_own_role_profile_and_ec2_linux_access_entry() -> None:
    plan = default_plan()
    role = res(plan, "training-gpu-node-role", ROLE)
    attached = sorted(r.inputs["policyArn"] for r in plan.of_type(ATTACHMENT) if r.inputs["role"] == role.id)
    assert attached == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]
    assert res(plan, "training-gpu-node-profile", INSTANCE_PROFILE).inputs["role"] == role.outputs["name"]
    entry = res(plan, "training-gpu-node-access", ENTRY)
    assert entry.inputs == {"clusterName": CLUSTER, "principalArn": role.outputs["arn"], "type": "EC2_LINUX"}, entry.urn


def test_interruption_queue_is_encrypted_and_receives_every_documented_event() -> None:
    plan = default_plan()
    queue = res(plan, "training-interruption-queue", QUEUE)
    assert queue.inputs["kmsMasterKeyId"] == key_arn(plan, "cluster-training"), queue.urn
    assert queue.inputs["messageRetentionSeconds"] == 300, queue.urn
    patterns = {}
    for event in INTERRUPTIONS:
        rule = res(plan, f"training-interruption-{event}", EVENT_RULE)
        target = res(plan, f"training-interruption-{event}-target", EVENT_TARGET)
        assert (target.inputs["rule"], target.inputs["arn"]) == (rule.outputs["name"], queue.outputs["arn"]), target.urn
        pattern = json.loads(rule.inputs["eventPattern"])
        patterns[pattern["detail-type"][0]] = pattern["source"][0]
    assert patterns == {
        "AWS Health Event": "aws.health",
        "EC2 Spot Instance Interruption Warning": "aws.ec2",
        "EC2 Instance Rebalance Recommendation": "aws.ec2",
        "EC2 Instance State-change Notification": "aws.ec2",
        "EC2 Capacity Reservation Instance Interruption Warning": "aws.ec2",
    }
    statements = doc(res(plan, "training-interruption-queue-policy", QUEUE_POLICY))["Statement"]
    assert statements[0]["Principal"] == {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}
    assert (statements[0]["Action"], statements[0]["Resource"]) == ("sqs:SendMessage", queue.outputs["arn"])
    assert statements[1]["Effect"] == "Deny" and statements[1]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # The cluster key admits EventBridge (it encrypts what it delivers to the queue).
    key_policy = doc(res(plan, "enc-cluster-training-key", "aws:kms/key:Key"))
    senders = [s for s in key_policy["Statement"] if s.get("Principal") == {"Service": "events.amazonaws.com"}]
    assert senders and set(senders[0]["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}


def test_karpenter_controller_role_is_irsa_for_its_service_account_with_the_documented_policies() -> None:
    plan = default_plan()
    role = res(plan, "training-karpenter-role", ROLE)
    host = issuer_host(plan)
    condition = doc(role, "assumeRolePolicy")["Statement"][0]["Condition"]["StringEquals"]
    assert condition == {f"{host}:sub": "system:serviceaccount:kube-system:karpenter", f"{host}:aud": "sts.amazonaws.com"}
    attached = {r.inputs["policyArn"] for r in plan.of_type(ATTACHMENT) if r.inputs["role"] == role.outputs["name"]}
    policies = {p: res(plan, f"training-karpenter-{p}", POLICY) for p in CONTROLLER_POLICIES}
    assert attached == {p.outputs["arn"] for p in policies.values()}
    actions = {p: sorted(a for st in doc(r)["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"]))
               for p, r in policies.items()}
    assert actions["interruption"] == ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
    assert actions["eks-integration"] == ["eks:DescribeCluster"]
    assert "ec2:DescribeCapacityReservations" in actions["resource-discovery"]
    lifecycle = doc(policies["node-lifecycle"])["Statement"]
    tagged = [st for st in lifecycle if st["Sid"] == "AllowScopedEC2InstanceActionsWithTags"][0]
    assert tagged["Condition"]["StringEquals"][f"aws:RequestTag/kubernetes.io/cluster/{CLUSTER}"] == "owned"
    passed = [st for st in doc(policies["iam-integration"])["Statement"] if st["Action"] == "iam:PassRole"][0]
    assert passed["Resource"] == res(plan, "training-gpu-node-role", ROLE).outputs["arn"]
    queue_arn = res(plan, "training-interruption-queue", QUEUE).outputs["arn"]
    assert doc(policies["interruption"])["Statement"][0]["Resource"] == queue_arn


def test_karpenter_controller_policies_are_the_documented_statements_and_actions() -> None:
    plan = default_plan()
    declared = {}
    for policy in CONTROLLER_POLICIES:
        statements = doc(res(plan, f"training-karpenter-{policy}", POLICY))["Statement"]
        declared[policy] = {st["Sid"]: sorted([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
                            for st in statements}
    assert declared == DOCUMENTED_CONTROLLER_POLICIES
    (zonal,) = doc(res(plan, "training-karpenter-zonal-shift", POLICY))["Statement"]
    cluster_arn = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
    assert (zonal["Resource"], zonal["Condition"]) == (
        cluster_arn, {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": cluster_arn}})


def test_karpenter_charts_install_crds_separately_and_run_the_controller_on_system_nodes() -> None:
    plan = default_plan()
    crds = res(plan, "training-karpenter-crd", RELEASE)
    controller = res(plan, "training-karpenter", RELEASE)
    assert (crds.inputs["chart"], crds.inputs["version"], crds.inputs["namespace"]) == (
        "oci://public.ecr.aws/karpenter/karpenter-crd", "1.14.1", "kube-system")
    assert (controller.inputs["chart"], controller.inputs["version"]) == ("oci://public.ecr.aws/karpenter/karpenter", "1.14.1")
    assert controller.inputs["skipCrds"] is True, controller.urn
    assert crds.urn in controller.dependencies, controller.urn
    values = controller.inputs["values"]
    queue = res(plan, "training-interruption-queue", QUEUE)
    assert values["settings"] == {
        "clusterName": CLUSTER,
        "clusterEndpoint": res(plan, "training-cluster", CLUSTER_TYPE).outputs["endpoint"],
        "interruptionQueue": queue.outputs["name"],
        "isolatedVPC": True,
    }
    assert values["nodeSelector"] == {"mlplat.io/node-role": "system"}
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": res(plan, "training-karpenter-role", ROLE).outputs["arn"]}
    assert values["controller"]["image"]["repository"] == f"{REGISTRY}/{CLUSTER}/ecr/karpenter/controller"


def test_spot_pools_labels_and_hop_limit_follow_args() -> None:
    plan = variant_plan()
    pool = res(plan, "training-nodepool-a10g", NODE_POOL)
    spec = pool.inputs["spec"]
    requirements = {r["key"]: r["values"] for r in spec["template"]["spec"]["requirements"]}
    assert requirements["karpenter.sh/capacity-type"] == ["spot"]
    assert requirements["node.kubernetes.io/instance-type"] == ["g5.2xlarge", "g5.4xlarge"]
    assert spec["limits"] == {"nodes": "4", "nvidia.com/gpu": "32"}
    assert spec["template"]["metadata"]["labels"] == {
        "team.example.com/tier": "batch", "mlplat.io/gpu-pool": "a10g", "nvidia.com/gpu.present": "true"}
    for node_class in plan.of_type(NODE_CLASS):
        assert node_class.inputs["spec"]["metadataOptions"]["httpPutResponseHopLimit"] == 2, node_class.urn
    assert res(plan, "training-system-lt", LAUNCH_TEMPLATE).inputs["metadataOptions"]["httpPutResponseHopLimit"] == 2
    h100 = res(plan, "training-nodepool-h100", NODE_POOL).inputs["spec"]["template"]["spec"]["requirements"]
    assert {r["key"]: r["values"] for r in h100}["karpenter.sh/capacity-type"] == ["reserved", "on-demand"]


def test_reserved_capacity_is_selected_in_the_node_class_and_the_plan_says_which() -> None:
    plan = variant_plan()
    node_class = res(plan, "training-nodeclass-h100", NODE_CLASS)
    assert node_class.inputs["spec"]["capacityReservationSelectorTerms"] == [
        {"id": "cr-0123456789abcdef0"}, {"tags": {"purpose": "llm"}, "ownerID": ACCOUNT}]
    assert "capacityReservationSelectorTerms" not in res(plan, "training-nodeclass-a10g", NODE_CLASS).inputs["spec"]
    # The reservations' sizes, for the cost estimate (unknown here: the pool does not say them).
    assert json.loads(node_class.inputs["metadata"]["annotations"]["mlplat.io/capacity-reservations"]) == [
        {"reservation": "cr-0123456789abcdef0", "instanceType": None, "count": None, "capacityBlock": False},
        {"reservation": f"tagged purpose=llm (owner {ACCOUNT})", "instanceType": None, "count": None, "capacityBlock": False},
    ]
    assert "annotations" not in res(plan, "training-nodeclass-a10g", NODE_CLASS).inputs["metadata"]
    (note,) = [d for d in plan.diagnostics if "capacity reservations" in d.message]
    assert note.severity == "info" and note.urn == node_class.urn
    assert note.message == ("GPU pool 'h100' launches into its capacity reservations first: cr-0123456789abcdef0; "
                            f"tagged purpose=llm (owner {ACCOUNT}) (then on-demand)")


EFA_POOLS = (
    GpuPoolArgs(name="a100", instance_types=("p4d.24xlarge",), max_size=4, efa=True, create_placement_group=True),
    GpuPoolArgs(name="l40s", instance_families=("g6e",), max_size=2, efa=True, placement_group="pg-0abc123",
                capacity_types=("reserved", "on-demand"),
                capacity_reservations=({"id": "cr-0123456789abcdef0", "placement_group": "pg-0abc123",
                                        "instance_type": "g6e.48xlarge", "instance_count": 2, "capacity_block": True},)),
    GpuPoolArgs(name="a10g", instance_types=("g5.xlarge",), max_size=2),
)
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PLACEMENT_GROUP = "aws:ec2/placementGroup:PlacementGroup"


@functools.cache
def efa_plan() -> Plan:
    """Prod: an EFA pool with its own placement group, an EFA family pool in a reservation's placement group, a plain pool."""
    return run_callable(cluster_program(teams=(TeamArgs(name="vision", gpus={"a100": 8}),), gpu_pools=EFA_POOLS, alarms=True,
                                        idle_gpu_minutes=60))


def test_efa_pools_get_efa_interfaces_a_self_referencing_group_and_the_device_plugin() -> None:
    plan = efa_plan()
    a100 = res(plan, "training-nodeclass-a100", NODE_CLASS).inputs["spec"]
    # p4d.24xlarge has 4 EFA interfaces (instance attributes): ENA primary, EFA-only beside it and on cards 1-3.
    assert a100["networkInterfaces"] == [
        {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"},
        {"networkCardIndex": 0, "deviceIndex": 1, "interfaceType": "efa-only"},
        {"networkCardIndex": 1, "deviceIndex": 0, "interfaceType": "efa-only"},
        {"networkCardIndex": 2, "deviceIndex": 0, "interfaceType": "efa-only"},
        {"networkCardIndex": 3, "deviceIndex": 0, "interfaceType": "efa-only"},
    ]
    group = res(plan, "training-efa-sg", SECURITY_GROUP)
    assert a100["securityGroupSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": CLUSTER}}, {"id": group.id}]
    for token, suffix in ((INGRESS_RULE, "ingress"), (EGRESS_RULE, "egress")):
        rule = res(plan, f"training-efa-sg-{suffix}", token).inputs
        assert (rule["securityGroupId"], rule["referencedSecurityGroupId"], rule["ipProtocol"]) == (group.id, group.id, "-1")
    plain = res(plan, "training-nodeclass-a10g", NODE_CLASS).inputs["spec"]
    assert "networkInterfaces" not in plain and "placementGroupSelector" not in plain
    assert plain["securityGroupSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": CLUSTER}}]
    pool = res(plan, "training-nodepool-a100", NODE_POOL).inputs["spec"]["template"]
    assert pool["metadata"]["labels"]["mlplat.io/efa"] == "true"
    assert "mlplat.io/efa" not in res(plan, "training-nodepool-a10g", NODE_POOL).inputs["spec"]["template"]["metadata"]["labels"]
    plugin = res(plan, "training-efa-device-plugin", RELEASE).inputs
    assert (plugin["chart"], plugin["version"], plugin["namespace"]) == ("aws-efa-k8s-device-plugin", "0.5.20", "kube-system")
    assert plugin["values"]["image"]["repository"] == f"{REGISTRY}/{CLUSTER}/ecr/eks/aws-efa-k8s-device-plugin"
    assert plugin["values"]["nodeSelector"] == {"mlplat.io/efa": "true"}
    assert plugin["values"]["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    # Without an EFA pool, none of it exists.
    names = {r.name for r in default_plan().resources}
    assert not {"training-efa-sg", "training-efa-sg-ingress", "training-efa-device-plugin"} & names


def test_an_efa_family_pool_launches_only_its_sizes_with_efa_and_the_fewest_interfaces() -> None:
    plan = efa_plan()
    requirements = res(plan, "training-nodepool-l40s", NODE_POOL).inputs["spec"]["template"]["spec"]["requirements"]
    by_key = {r["key"]: r["values"] for r in requirements}
    assert by_key["karpenter.k8s.aws/instance-family"] == ["g6e"]
    # g6e.xlarge, 2xlarge and 4xlarge have no EFA; 24xlarge has 2 interfaces, 48xlarge 4, the others 1.
    assert sorted(by_key["node.kubernetes.io/instance-type"]) == [
        "g6e.12xlarge", "g6e.16xlarge", "g6e.24xlarge", "g6e.48xlarge", "g6e.8xlarge"]
    spec = res(plan, "training-nodeclass-l40s", NODE_CLASS).inputs["spec"]
    assert [i["interfaceType"] for i in spec["networkInterfaces"]] == ["interface", "efa-only"]
    (note,) = [d for d in plan.diagnostics if "'l40s' launches EFA types only" in d.message]
    assert "with 1 EFA interface(s) per node" in note.message


def test_placement_groups_are_created_or_selected() -> None:
    plan = efa_plan()
    group = res(plan, "training-placement-a100", PLACEMENT_GROUP)
    assert (group.inputs["name"], group.inputs["strategy"]) == (f"{CLUSTER}-a100", "cluster")
    assert res(plan, "training-nodeclass-a100", NODE_CLASS).inputs["spec"]["placementGroupSelector"] == {"name": f"{CLUSTER}-a100"}
    assert res(plan, "training-nodeclass-l40s", NODE_CLASS).inputs["spec"]["placementGroupSelector"] == {"id": "pg-0abc123"}
    assert [g.name for g in plan.of_type(PLACEMENT_GROUP)] == ["training-placement-a100"]
    annotation = res(plan, "training-nodeclass-l40s", NODE_CLASS).inputs["metadata"]["annotations"]
    assert json.loads(annotation["mlplat.io/capacity-reservations"]) == [
        {"reservation": "cr-0123456789abcdef0", "instanceType": "g6e.48xlarge", "count": 2, "capacityBlock": True}]


def test_dcgm_exporter_runs_on_gpu_nodes_only_with_its_image_from_the_mirror() -> None:
    plan = default_plan()
    mirror = res(plan, "training-dcgm-exporter-mirror", REPOSITORY)
    assert mirror.inputs["name"] == f"{CLUSTER}/nvcr/nvidia/k8s/dcgm-exporter"
    assert mirror.inputs["imageTagMutability"] == "IMMUTABLE"
    assert mirror.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key_arn(plan, "cluster-training")}]
    release = res(plan, "training-dcgm-exporter", RELEASE).inputs
    assert (release["chart"], release["version"], release["namespace"]) == ("dcgm-exporter", "4.1.3", "kube-system")
    values = release["values"]
    assert values["image"] == {"repository": f"{REGISTRY}/{CLUSTER}/nvcr/nvidia/k8s/dcgm-exporter",
                               "tag": "4.2.3-4.1.3-ubuntu22.04", "pullPolicy": "IfNotPresent"}
    # GPU nodes carry `nvidia.com/gpu.present` (every NodePool's template) and the GPU taint.
    node_pool_labels = res(plan, "training-nodepool-gpu", NODE_POOL).inputs["spec"]["template"]["metadata"]["labels"]
    assert all(node_pool_labels.get(k) == v for k, v in values["nodeSelector"].items())
    assert values["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert values["serviceMonitor"] == {"enabled": False}
    (note,) = [d for d in plan.diagnostics if "DCGM exporter image" in d.message]
    assert note.urn == mirror.urn and "crane copy nvcr.io/nvidia/k8s/dcgm-exporter:4.2.3-4.1.3-ubuntu22.04" in note.message


def test_container_insights_add_on_with_its_irsa_role_and_a_pre_created_log_group() -> None:
    plan = default_plan()
    role = res(plan, "training-cloudwatch-role", ROLE)
    host = issuer_host(plan)
    assert doc(role, "assumeRolePolicy")["Statement"][0]["Condition"]["StringEquals"] == {
        f"{host}:sub": "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent", f"{host}:aud": "sts.amazonaws.com"}
    attached = [r.inputs["policyArn"] for r in plan.of_type(ATTACHMENT) if r.inputs["role"] == role.outputs["name"]]
    assert attached == ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"]
    addon = res(plan, "training-cloudwatch-observability", ADDON)
    assert addon.inputs["addonName"] == "amazon-cloudwatch-observability"
    assert addon.inputs["serviceAccountRoleArn"] == role.outputs["arn"]
    assert json.loads(addon.inputs["configurationValues"]) == {"containerLogs": {"enabled": False}}
    logs = res(plan, "training-container-insights-logs", LOG_GROUP)
    assert logs.inputs["name"] == f"/aws/containerinsights/{CLUSTER}/performance"
    assert (logs.inputs["retentionInDays"], logs.inputs["kmsKeyId"]) == (365, key_arn(plan, "logs"))
    assert logs.urn in addon.dependencies


def test_an_idle_gpu_alarm_per_pool_watches_its_instance_types_gpus_and_notifies_the_topic() -> None:
    plan = efa_plan()
    topic = res(plan, "alarms-topic", "aws:sns/topic:Topic").outputs["arn"]
    schema = 'SCHEMA("ContainerInsights", ClusterName, GpuDevice, InstanceId, InstanceType, NodeName)'
    expected = {
        "a100": "InstanceType = 'p4d.24xlarge'",
        # The EFA family pool: its sizes with EFA.
        "l40s": " OR ".join(f"InstanceType = 'g6e.{size}'" for size in ("12xlarge", "16xlarge", "24xlarge", "48xlarge", "8xlarge")),
        "a10g": "InstanceType = 'g5.xlarge'",
    }
    assert sorted(a.name for a in plan.of_type(ALARM)) == sorted(f"training-idle-gpus-{p}" for p in expected)
    for pool, types in expected.items():
        alarm = res(plan, f"training-idle-gpus-{pool}", ALARM).inputs
        assert alarm["alarmActions"] == [topic] and alarm["okActions"] == [topic]
        assert (alarm["comparisonOperator"], alarm["threshold"], alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (
            "LessThanThreshold", 10, 12, 12)
        assert alarm["treatMissingData"] == "notBreaching"  # no node of the pool: no data, not idle
        (query,) = alarm["metricQueries"]
        assert query["expression"] == (
            f"SELECT AVG(node_gpu_utilization) FROM {schema} WHERE ClusterName = '{CLUSTER}' AND ({types})"), pool
        assert (query["period"], query["returnData"]) == (300, True)


def test_a_family_pools_alarm_covers_every_size_of_its_families() -> None:
    from mlplat.components.training_args import ec2_instance_types, pool_instance_types

    pool = GpuPoolArgs(name="l4", instance_families=("g6",), instance_types=("g5.xlarge",))
    types = pool_instance_types(pool)
    assert types[0] == "g5.xlarge"
    assert set(types[1:]) == {t for t in ec2_instance_types() if t.startswith("g6.")}


def test_dev_ssh_opt_in_admits_only_the_listed_security_groups() -> None:
    plan = dev_plan()
    group = res(plan, "training-ssh", "aws:ec2/securityGroup:SecurityGroup")
    rule = res(plan, "training-ssh-from-0", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs == {
        "securityGroupId": group.id, "description": "SSH (dev only)", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
        "referencedSecurityGroupId": "sg-0123456789abcdef0",
    }, rule.urn
    cluster_sg = res(plan, "training-cluster", CLUSTER_TYPE).outputs["vpcConfig"]["clusterSecurityGroupId"]
    for lt in ("training-system-lt",):  # GPU nodes take no SSH key: they are reached through SSM
        template = res(plan, lt, LAUNCH_TEMPLATE)
        assert template.inputs["keyName"] == "dev-key", template.urn
        assert template.inputs["vpcSecurityGroupIds"] == [cluster_sg, group.id], template.urn
    assert all("remoteAccess" not in r.inputs for r in plan.of_type(NODE_GROUP))


# --- images and add-ons ----------------------------------------------------------------------


def test_pull_through_caches_mirror_and_releases_point_images_at_ecr() -> None:
    plan = variant_plan()
    assert {r.name: r.inputs for r in plan.of_type(CACHE_RULE)} == {
        "training-image-cache-k8s": {"ecrRepositoryPrefix": f"{CLUSTER}/k8s", "upstreamRegistryUrl": "registry.k8s.io"},
        "training-image-cache-quay": {"ecrRepositoryPrefix": f"{CLUSTER}/quay", "upstreamRegistryUrl": "quay.io"},
        "training-image-cache-ecr": {"ecrRepositoryPrefix": f"{CLUSTER}/ecr", "upstreamRegistryUrl": "public.ecr.aws"},
    }
    mirror = res(plan, "training-device-plugin-mirror", REPOSITORY)
    assert mirror.inputs == {
        "name": f"{CLUSTER}/nvcr/nvidia/k8s-device-plugin",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": key_arn(plan, "cluster-training")}],
        "forceDelete": False,
    }, mirror.urn
    assert mirror.protect is True
    assert [d.message for d in plan.diagnostics if d.urn == mirror.urn] == [
        f"nvcr.io is not an ECR pull-through cache upstream: copy the pinned NVIDIA device plugin image into the "
        f"mirror repository {CLUSTER}/nvcr/nvidia/k8s-device-plugin once per version, from a machine with internet access: "
        f"`crane copy nvcr.io/nvidia/k8s-device-plugin:v0.17.4 <account>.dkr.ecr.<region>.amazonaws.com/{CLUSTER}/nvcr/nvidia/"
        "k8s-device-plugin:v0.17.4` (GPU nodes cannot advertise nvidia.com/gpu until it is there)"
    ]
    releases = {r.name: r for r in plan.of_type(RELEASE)}
    plugin = releases["training-nvidia-device-plugin"].inputs
    assert {k: plugin[k] for k in ("name", "chart", "version", "namespace", "createNamespace", "repositoryOpts")} == {
        "name": "nvidia-device-plugin", "chart": "nvidia-device-plugin", "version": "0.17.4", "namespace": "kube-system",
        "createNamespace": False, "repositoryOpts": {"repo": "https://nvidia.github.io/k8s-device-plugin"},
    }
    assert plugin["values"] == {
        "image": {"repository": f"{REGISTRY}/{CLUSTER}/nvcr/nvidia/k8s-device-plugin", "tag": "v0.17.4", "pullPolicy": "IfNotPresent"}
    }
    kueue = releases["training-kueue"].inputs
    assert {k: kueue[k] for k in ("name", "chart", "version", "namespace", "createNamespace")} == {
        "name": "kueue", "chart": "oci://registry.k8s.io/kueue/charts/kueue", "version": "0.19.2",
        "namespace": "kueue-system", "createNamespace": True,
    }
    assert "repositoryOpts" not in kueue
    assert kueue["values"]["controllerManager"]["manager"]["image"] == {
        "repository": f"{REGISTRY}/{CLUSTER}/k8s/kueue/kueue", "tag": "v0.19.2", "pullPolicy": "IfNotPresent",
    }
    assert kueue["values"]["controllerManager"]["replicas"] == 2
    kuberay = releases["training-kuberay"].inputs
    assert kuberay["values"] == {
        "image": {"repository": f"{REGISTRY}/{CLUSTER}/quay/kuberay/operator", "tag": "v1.4.2", "pullPolicy": "IfNotPresent"}
    }
    assert kuberay["repositoryOpts"] == {"repo": "https://ray-project.github.io/kuberay-helm/"}
    assert res(plan, "training-image-cache-quay", CACHE_RULE).urn in releases["training-kuberay"].dependencies


def test_chart_values_merge_over_defaults_and_an_adopted_mirror_creates_no_repository() -> None:
    plan = dev_plan()
    assert plan.of_type(REPOSITORY) == []
    values = res(plan, "training-kueue", RELEASE).inputs["values"]
    assert values["controllerManager"]["replicas"] == 3
    assert values["controllerManager"]["manager"]["image"] == {
        "repository": f"{REGISTRY}/ml/prod/k8s/kueue/kueue", "tag": "v0.19.2", "pullPolicy": "Always",
    }
    assert res(plan, "training-kueue", RELEASE).inputs["chart"] == "oci://mirror.example.com/charts/kueue"
    plugin = res(plan, "training-nvidia-device-plugin", RELEASE).inputs["values"]["image"]
    assert plugin["repository"] == ADOPTED_MIRROR
    assert res(plan, "training-dcgm-exporter", RELEASE).inputs["values"]["image"]["repository"] == ADOPTED_DCGM_MIRROR
    # Container Insights off: no add-on, role, log group or alarm.
    assert not [r for r in plan.resources if "cloudwatch" in r.name or "container-insights" in r.name or "idle-gpus" in r.name]
    assert sorted(r.inputs["ecrRepositoryPrefix"] for r in plan.of_type(CACHE_RULE)) == ["ml/prod/ecr", "ml/prod/k8s"]


# --- teams: namespaces, quotas, policies, queues ---------------------------------------------


def test_team_namespace_quota_and_limits() -> None:
    plan = default_plan()
    namespace = res(plan, "training-ns-vision", NAMESPACE)
    assert namespace.inputs == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "vision",
            "labels": {
                **MANAGED, "mlplat.io/team": "vision",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
    }, namespace.urn
    quota = res(plan, "training-ns-vision-quota", QUOTA)
    assert quota.inputs["metadata"] == {"name": "team-quota", "namespace": "vision", "labels": {**MANAGED, "mlplat.io/team": "vision"}}
    assert quota.inputs["spec"] == {
        "hard": {
            "requests.cpu": "16", "requests.memory": "64Gi", "limits.cpu": "16", "limits.memory": "64Gi",
            "requests.nvidia.com/gpu": "2",
        }
    }, quota.urn
    limits = res(plan, "training-ns-vision-limits", LIMITS)
    assert limits.inputs["spec"] == {
        "limits": [{"type": "Container", "defaultRequest": {"cpu": "250m", "memory": "512Mi"}, "default": {"cpu": "1", "memory": "2Gi"}}]
    }, limits.urn
    for r in (quota, limits):
        assert namespace.urn in r.dependencies, r.urn


def test_network_policies_deny_by_default_and_allow_namespace_dns_and_aws_endpoints() -> None:
    plan = default_plan()
    policies = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in plan.of_type(NETWORK_POLICY)}
    prefix_list = [args for token, args in plan.invokes if token == "aws:ec2/getPrefixList:getPrefixList"]
    assert prefix_list == [{"name": "com.amazonaws.us-east-1.s3"}]
    aws_egress = policies["allow-aws-endpoints"]["egress"][0]
    cidrs = [block["ipBlock"]["cidr"] for block in aws_egress["to"]]
    assert cidrs[0] == "10.0.0.0/16" and len(cidrs) > 1  # the VPC, then the S3 prefix list's CIDRs
    assert policies == {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-same-namespace": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {}}]}],
            "egress": [{"to": [{"podSelector": {}}]}],
        },
        "allow-dns": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
        "allow-aws-endpoints": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in cidrs], "ports": [{"protocol": "TCP", "port": 443}]}],
        },
    }
    assert all(r.inputs["metadata"]["namespace"] == "vision" for r in plan.of_type(NETWORK_POLICY))


def test_service_account_is_bound_to_the_team_role_without_an_api_token() -> None:
    plan = default_plan()
    sa = res(plan, "training-ns-vision-sa", SERVICE_ACCOUNT)
    assert sa.inputs == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": "training",
            "namespace": "vision",
            "labels": {**MANAGED, "mlplat.io/team": "vision"},
            "annotations": {
                "eks.amazonaws.com/role-arn": res(plan, "training-team-vision-role", ROLE).outputs["arn"],
                "eks.amazonaws.com/sts-regional-endpoints": "true",
            },
        },
        "automountServiceAccountToken": False,
    }, sa.urn


def test_irsa_trust_is_exactly_the_service_account_and_sts_audience() -> None:
    plan = default_plan()
    role = res(plan, "training-team-vision-role", ROLE)
    host = issuer_host(plan)
    assert doc(role, "assumeRolePolicy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowServiceAccountWebIdentity",
                "Effect": "Allow",
                "Principal": {"Federated": res(plan, "training-oidc", OIDC).outputs["arn"]},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host}:sub": "system:serviceaccount:vision:training",
                        f"{host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }, role.urn


def test_irsa_trust_lists_each_namespace_of_a_team() -> None:
    policy = irsa_trust_policy("arn:aws:iam::1:oidc-provider/x", "https://oidc.example/id/A", ("nlp", "nlp-eval"), "trainer")
    assert policy["Statement"][0]["Condition"] == {
        "StringEquals": {
            "oidc.example/id/A:sub": ["system:serviceaccount:nlp:trainer", "system:serviceaccount:nlp-eval:trainer"],
            "oidc.example/id/A:aud": "sts.amazonaws.com",
        }
    }


def test_team_role_reads_and_writes_only_its_prefix_in_datasets_and_models() -> None:
    plan = default_plan()
    role = res(plan, "training-team-vision-role", ROLE)
    for bucket in ("datasets", "models"):
        grant = res(plan, f"store-{bucket}-read-write-training-team-vision-role", ROLE_POLICY)
        arn = res(plan, f"store-{bucket}", "aws:s3/bucket:Bucket").outputs["arn"]
        assert grant.inputs["role"] == role.outputs["name"], grant.urn
        statements = doc(grant)["Statement"]
        assert statements[0]["Resource"] == f"{arn}/teams/vision/*", grant.urn
        assert statements[1] == {
            "Sid": "ListBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn,
            "Condition": {"StringLike": {"s3:prefix": "teams/vision/*"}},
        }, grant.urn
    other = [r.name for r in plan.of_type(ROLE_POLICY) if r.name.startswith("store-") and "vision" in r.name]
    assert sorted(other) == ["store-datasets-read-write-training-team-vision-role", "store-models-read-write-training-team-vision-role"]


def test_read_only_model_access_grants_read() -> None:
    plan = variant_plan()
    names = sorted(r.name for r in plan.of_type(ROLE_POLICY) if r.name.startswith("store-") and "nlp" in r.name)
    assert names == ["store-datasets-read-training-team-nlp-role", "store-models-read-training-team-nlp-role"]


def test_kueue_flavors_cohort_and_queues() -> None:
    plan = default_plan()
    flavors = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in plan.of_type(FLAVOR)}
    assert flavors == {
        "default": {},
        "gpu-gpu": {
            "nodeLabels": {"mlplat.io/gpu-pool": "gpu"},
            "tolerations": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule", "operator": "Equal"}],
        },
    }
    assert res(plan, "training-cohort", COHORT).inputs["metadata"]["name"] == "ml-teams"
    queue = res(plan, "training-team-vision-queue", CLUSTER_QUEUE)
    assert queue.inputs["apiVersion"] == "kueue.x-k8s.io/v1beta2"
    assert queue.inputs["metadata"] == {"name": "team-vision", "labels": {**MANAGED, "mlplat.io/team": "vision"}}
    assert queue.inputs["spec"] == {
        "cohortName": "ml-teams",
        "namespaceSelector": {"matchLabels": {"mlplat.io/team": "vision"}},
        "queueingStrategy": "BestEffortFIFO",
        "preemption": {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"},
        "resourceGroups": [
            {
                "coveredResources": ["cpu", "memory"],
                "flavors": [{"name": "default", "resources": [
                    {"name": "cpu", "nominalQuota": "16", "borrowingLimit": "0"},
                    {"name": "memory", "nominalQuota": "64Gi", "borrowingLimit": "0"},
                ]}],
            },
            {
                "coveredResources": ["nvidia.com/gpu"],
                "flavors": [{"name": "gpu-gpu", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "2"}]}],
            },
        ],
    }, queue.urn
    local = res(plan, "training-ns-vision-queue", LOCAL_QUEUE)
    assert local.inputs["metadata"]["name"] == "default" and local.inputs["metadata"]["namespace"] == "vision"
    assert local.inputs["spec"] == {"clusterQueue": "team-vision"}
    kueue = res(plan, "training-kueue", RELEASE).urn
    for r in (*plan.of_type(FLAVOR), queue, local, res(plan, "training-cohort", COHORT)):
        assert kueue in r.dependencies, r.urn  # the CRDs and webhooks come with the chart


def test_priority_classes_for_training_and_serving() -> None:
    plan = default_plan()
    classes = {r.inputs["metadata"]["name"]: (r.inputs["value"], r.inputs["preemptionPolicy"], r.inputs["globalDefault"])
               for r in plan.of_type(PRIORITY_CLASS)}
    assert classes == {"mlplat-training": (1000, "Never", False), "mlplat-serving": (100000, "PreemptLowerPriority", False)}


def test_two_teams_two_pools_borrowing_and_gpu_ceilings() -> None:
    plan = variant_plan()
    nlp = res(plan, "training-team-nlp-queue", CLUSTER_QUEUE).inputs["spec"]["resourceGroups"][1]
    assert nlp == {
        "coveredResources": ["nvidia.com/gpu"],
        "flavors": [
            {"name": "gpu-a10g", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "0", "borrowingLimit": "2"}]},
            {"name": "gpu-h100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "8", "borrowingLimit": "2"}]},
        ],
    }
    hard = {r.inputs["metadata"]["namespace"]: r.inputs["spec"]["hard"] for r in plan.of_type(QUOTA)}
    assert set(hard) == {"vision", "vision-eval", "nlp"}
    assert hard["vision"]["requests.nvidia.com/gpu"] == hard["vision-eval"]["requests.nvidia.com/gpu"] == "20"  # the cohort
    assert hard["nlp"] == {"requests.cpu": "64", "requests.memory": "256Gi", "limits.cpu": "64", "limits.memory": "256Gi",
                           "requests.nvidia.com/gpu": "12"}  # 8 + 2 per pool
    assert default_max_gpus(TEAMS[1], TEAMS, ["a10g", "h100"]) == 12
    trust = doc(res(plan, "training-team-vision-role", ROLE), "assumeRolePolicy")["Statement"][0]["Condition"]["StringEquals"]
    assert [v for k, v in trust.items() if k.endswith(":sub")] == [
        ["system:serviceaccount:vision:training", "system:serviceaccount:vision-eval:training"]
    ]
    assert len(plan.of_type(LOCAL_QUEUE)) == 3


# --- outputs, wiring, preview ----------------------------------------------------------------


def test_outputs_and_team_role_wiring() -> None:
    plan = default_plan()
    assert WIRING == {"role": "training-team-vision-role",
                     "error": "TrainingCluster 'training'.team_role: team 'nlp' is not a team of this cluster "
                              "(allowed: vision)"}
    outputs = res(plan, "training", TC).outputs
    assert set(outputs) == {"cluster_name", "cluster_arn", "endpoint", "oidc_provider_arn", "kubeconfig", "node_role_arn",
                            "gpu_node_role_arn", "interruption_queue_url", "team_role_arns"}
    assert outputs["cluster_name"] == CLUSTER
    assert outputs["team_role_arns"] == {"vision": res(plan, "training-team-vision-role", ROLE).outputs["arn"]}


def test_preview_plans_the_same_tree_with_unknown_computed_values() -> None:
    plan = run_callable(cluster_program(), preview=True)
    assert sorted((r.urn, r.type) for r in plan.descendants(res(plan, "training", TC).urn)) == [
        t for t in GOLDEN_TREE if not t[0].endswith("::training")
    ]
    assert is_unknown(res(plan, "training-team-vision-role", ROLE).inputs["assumeRolePolicy"])
    assert is_unknown(res(plan, "training-k8s", K8S_PROVIDER).inputs["kubeconfig"])
    assert res(plan, "training-cluster", CLUSTER_TYPE).inputs["name"] == CLUSTER


def test_default_args_pass_the_policy_pack_at_prod_level() -> None:
    from mlplat.tooling.policy_runner import evaluate

    plan = run_callable(cluster_program(tags=True))
    report = evaluate(plan, environment="prod", stack_tags={"mlplat:environment": "prod"})
    ours = [v for v in report.violations + report.unverified if TC in v.urn or "store-" in v.urn.rsplit("::", 1)[-1]]
    assert ours == []


def test_deterministic_cluster_name() -> None:
    assert deterministic_cluster_name("mlplat", "dev", "training") == "mlplat-dev-training"


# --- bad Args --------------------------------------------------------------------------------

GPU = ("g5.xlarge",)
ERROR_CASES: dict[str, dict[str, Any]] = {
    "public-in-prod": {"endpoint_public_access": True, "public_access_cidrs": ("203.0.113.0/24",)},
    "public-without-cidrs": {"environment": "dev", "endpoint_public_access": True},
    "public-open-cidr": {"environment": "dev", "endpoint_public_access": True, "public_access_cidrs": ("0.0.0.0/0", "10.0.0.1/8")},
    "stray-cidrs": {"public_access_cidrs": ("203.0.113.0/24",)},
    "names-and-types": {
        "cluster_name": "ml platform",
        "version": "1.29",
        "admin_role_arns": ("arn:aws:sts::123456789012:assumed-role/admin/me",),
        "log_retention_days": 10,
        "environment": "dev",
        "system_nodes": {"instance_types": ("m6g.large", "p4d.24xlarge"), "min_size": 4, "max_size": 3},
        "gpu_pools": (
            {"name": "GPU", "instance_types": ("g5.huge", "g4ad.xlarge", "m5.large"), "max_size": 3},
            {"name": "GPU", "instance_types": (), "min_size": 1, "desired_size": 0, "max_size": 1},
        ),
    },
    **{
        f"cap-{env}-{case}": {
            "environment": env,
            "gpu_pools": ({"name": "gpu", "instance_types": GPU, "max_size": cap + (case != "fits")},),
            **({"max_gpu_nodes_cap": cap + 1} if case == "raised" else {}),
        }
        for env, cap in (("dev", 2), ("staging", 4), ("prod", 16))
        for case in ("fits", "over", "raised")
    },
    "teams": {
        "teams": (
            {"name": "Vision", "cpu": "0", "memory": "lots", "gpus": {"h100": 1, "gpu": -1}, "max_gpus": 0,
             "namespaces": ("default", "shared"), "service_account": "default"},
            {"name": "nlp", "namespaces": ("shared", "kube-ops", "nlp", "nlp"), "gpu_borrowing_limit": -1},
        ),
    },
    "ssh-in-prod": {"dev_ssh": {"key_name": "k", "source_security_group_ids": ()}, "network": "bare"},
    "charts-and-names": {
        "kueue": {"chart": "kueue", "version": "0.20.0", "repository": "registry.k8s.io/kueue"},
        "device_plugin": {"chart": "nvidia-device-plugin", "version": "latest", "repository": "https://nvidia.github.io/k8s-device-plugin"},
        "image_cache_prefix": "Platform",
        "cohort_name": "Teams!",
        "container_default_limit": {"cpu": "1", "gpu": "1"},
    },
    "missing-endpoints": {"network": "bare"},
    "karpenter-pools": {
        "gpu_pools": (
            {"name": "a", "instance_families": ("g9", "m5", "g6e"), "capacity_types": ("reserved", "spot", "spot"),
             "capacity_reservations": ({"id": "cr-0123456789abcdef0"}, {"id": "res-1"}, {"tags": {"k": "v"}, "id": "cr-1"},
                                       {}, {"tags": {"team": "nlp"}, "owner_id": "42"}),
             "consolidate_after": "Never"},
            {"name": "b", "instance_types": ("g5.xlarge",), "capacity_type": "SPOT", "capacity_types": ("spot",),
             "capacity_reservations": ({"id": "cr-0a"},)},
            {"name": "c", "instance_types": ("g5.xlarge",), "capacity_types": ("reserved",)},
        ),
        "node_ami_version": "2025.11",
        "karpenter": {"chart": "karpenter", "version": "1.8.0", "repository": "oci://public.ecr.aws/karpenter"},
    },
    "efa-and-placement": {
        "gpu_pools": (
            {"name": "a", "instance_types": ("g5.xlarge", "g5.12xlarge", "g6.2xlarge"), "efa": True},
            {"name": "b", "instance_families": ("g5", "g4dn"), "efa": True, "placement_group": "pg-Bad",
             "create_placement_group": True},
            {"name": "c", "instance_types": ("p5.48xlarge",), "capacity_types": ("reserved",), "placement_group": "training",
             "capacity_reservations": ({"id": "cr-0a"}, {"id": "cr-0b", "placement_group": "other"},
                                       {"id": "cr-0c", "placement_group": "training"})},
            {"name": "d", "instance_types": ("p5.48xlarge",), "capacity_types": ("reserved",), "create_placement_group": True,
             "capacity_reservations": ({"id": "cr-0d", "placement_group": "pg-0123"},)},
            {"name": "e", "instance_types": ("p5.48xlarge",), "capacity_types": ("reserved",),
             "capacity_reservations": ({"tags": {"purpose": "llm"}, "placement_group": "pg-0123",
                                        "instance_type": "p5.48xlarge"},)},
        ),
    },
    "labels": {"gpu_pools": ({"name": "gpu", "instance_types": GPU,
                              "labels": {"mlplat.io/gpu-pool": "x", "bad key!": "v", "tier": "bad value!"}},)},
    "long-cluster-name": {"cluster_name": "mlplat-staging-training-gpu"},
    "no-admins": {"admin_role_arns": ()},
    "types-and-keys": {"teams": ({"name": "a", "gpus": {"gpu": "two"}, "quota": 1},), "gpu_pools": ({"instance_types": ("g5.xlarge",)},)},
}


@functools.cache
def error_messages() -> dict[str, str]:
    """str(ConfigError) (or "no error") of TrainingClusterArgs per ERROR_CASES entry, from one program.

    Networks: `net` has every endpoint a cluster needs, `bare` lacks ec2. The last entry,
    `role-name`, declares a component whose team role name cannot fit IAM's limit.
    """
    messages: dict[str, str] = {}

    def program() -> None:
        keys = Encryption("enc", EncryptionArgs(domains=("logs", "cluster")))
        networks = {
            "net": Network("net", NetworkArgs(log_key=keys.key("logs"),
                                              extra_interface_endpoints=("ec2", "eks", "ssm", "sqs"))),
            "bare": Network("bare", NetworkArgs(log_key=keys.key("logs"), extra_interface_endpoints=("eks", "ssm"))),
        }
        base = dict(cluster_name=CLUSTER, network=networks["net"], cluster_key=keys.key("cluster"), log_key=keys.key("logs"),
                    admin_role_arns=(ADMIN,))
        for case, override in ERROR_CASES.items():
            override = {**override, "network": networks[override.get("network", "net")]}
            try:
                TrainingClusterArgs(**{**base, **override})
            except ConfigError as exc:
                messages[case] = str(exc)
            else:
                messages[case] = "no error"
        try:
            TrainingCluster("a-rather-long-training-cluster-component",
                            TrainingClusterArgs(**base, teams=(TeamArgs(name="a" * 30),)))
        except ConfigError as exc:
            messages["role-name"] = str(exc)

    run_callable(program)
    return messages


def lines(case: str) -> list[str]:
    return [line.strip() for line in error_messages()[case].splitlines()[1:]]


def test_public_endpoint_rules() -> None:
    assert lines("public-in-prod") == [
        "TrainingClusterArgs.endpoint_public_access: True is not allowed in prod (only dev clusters may have a public "
        "API endpoint; manage the cluster from inside the VPC)"
    ]
    assert lines("public-without-cidrs") == [
        "TrainingClusterArgs.public_access_cidrs: () is empty; a public endpoint needs an allow-list of CIDRs "
        "(EKS would otherwise admit 0.0.0.0/0)"
    ]
    assert lines("public-open-cidr") == [
        "TrainingClusterArgs.public_access_cidrs: '0.0.0.0/0' admits the whole internet (list your own ranges)",
        "TrainingClusterArgs.public_access_cidrs: '10.0.0.1/8' is not a CIDR block such as 203.0.113.0/24",
    ]
    assert lines("stray-cidrs") == [
        "TrainingClusterArgs.public_access_cidrs: ('203.0.113.0/24',) has no effect without endpoint_public_access=True (remove it)"
    ]
    assert error_messages()["public-in-prod"].startswith("invalid configuration (1 problem):\n")


def test_dev_public_endpoint_with_allow_list() -> None:
    plan = dev_plan()
    assert res(plan, "training-cluster", CLUSTER_TYPE).inputs["vpcConfig"] == {
        "subnetIds": [res(plan, f"net-private-{i}", "aws:ec2/subnet:Subnet").id for i in range(2)],
        "endpointPrivateAccess": True,
        "endpointPublicAccess": True,
        "publicAccessCidrs": ["203.0.113.0/24"],
    }


def test_names_versions_instance_types_and_caps() -> None:
    assert lines("names-and-types") == [
        "TrainingClusterArgs.cluster_name: 'ml platform' is not an EKS cluster name (botocore ClusterName: "
        "^[0-9A-Za-z][A-Za-z0-9\\-_]*, 1 to 100 characters)",
        "TrainingClusterArgs.version: '1.29' is not a supported Kubernetes version (allowed: 1.31, 1.32, 1.33, 1.34, 1.35)",
        "TrainingClusterArgs.admin_role_arns: 'arn:aws:sts::123456789012:assumed-role/admin/me' is not an IAM role ARN "
        "(an STS session ARN: give the role's IAM ARN)",
        "TrainingClusterArgs.log_retention_days: 10 is not a CloudWatch Logs retention period (allowed: 1, 3, 5, 7, 14, "
        "30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)",
        "TrainingClusterArgs.system_nodes.instance_types: 'm6g.large' is an arm64 (Graviton) type; the system group "
        "uses the x86_64 AL2023_x86_64_STANDARD AMI",
        "TrainingClusterArgs.system_nodes.instance_types: 'p4d.24xlarge' is an accelerated type; the system group runs "
        "add-ons (put GPUs in gpu_pools)",
        "TrainingClusterArgs.system_nodes.min_size: 4 is above max_size (3)",
        "TrainingClusterArgs.gpu_pools.0.name: 'GPU' is not a pool name (a DNS label, at most 20 characters)",
        "TrainingClusterArgs.gpu_pools.0.instance_types: 'g5.huge' is not an EC2 instance type (botocore's ec2 InstanceType enum)",
        "TrainingClusterArgs.gpu_pools.0.instance_types: 'g4ad.xlarge' is not an NVIDIA GPU type the AL2023_x86_64_NVIDIA "
        "AMI runs (families: g4dn, g5, g6, g6e, g6f, gr6, gr6f, g7, g7e, p3, p3dn, p4d, p4de, p5, p5e, p5en, p6-b200, p6-b300)",
        "TrainingClusterArgs.gpu_pools.0.instance_types: 'm5.large' is not an NVIDIA GPU type the AL2023_x86_64_NVIDIA "
        "AMI runs (families: g4dn, g5, g6, g6e, g6f, gr6, gr6f, g7, g7e, p3, p3dn, p4d, p4de, p5, p5e, p5en, p6-b200, p6-b300)",
        "TrainingClusterArgs.gpu_pools.0.max_size: 3 is above the GPU node cap (2, the dev default); lower it or raise "
        "TrainingClusterArgs.max_gpu_nodes_cap",
        "TrainingClusterArgs.gpu_pools.1.name: 'GPU' is not a pool name (a DNS label, at most 20 characters)",
        "TrainingClusterArgs.gpu_pools.1.name: 'GPU' is used by another pool (pool names are unique)",
        "TrainingClusterArgs.gpu_pools.1.instance_types: () is empty and so is instance_families (list NVIDIA GPU "
        "instance types or families)",
        "TrainingClusterArgs.gpu_pools.1.min_size: 1 must be 0: Karpenter starts GPU nodes for pending pods only (no "
        "node idles waiting; drop the key)",
    ]


@pytest.mark.parametrize(("environment", "cap"), [("dev", 2), ("staging", 4), ("prod", 16)])
def test_gpu_node_cap_per_environment(environment: str, cap: int) -> None:
    messages = error_messages()
    assert messages[f"cap-{environment}-fits"] == messages[f"cap-{environment}-raised"] == "no error"
    assert lines(f"cap-{environment}-over") == [
        f"TrainingClusterArgs.gpu_pools.0.max_size: {cap + 1} is above the GPU node cap ({cap}, the {environment} default); "
        "lower it or raise TrainingClusterArgs.max_gpu_nodes_cap"
    ]


def test_team_problems_are_reported_together() -> None:
    assert lines("teams") == [
        "TrainingClusterArgs.teams.0.name: 'Vision' is not a team name (a DNS label starting with a letter, at most 30 characters)",
        "TrainingClusterArgs.teams.0.namespaces: 'default' is reserved (not allowed: default, kube-system, kube-public, "
        "kube-node-lease, kueue-system, kuberay-system, kube-*)",
        "TrainingClusterArgs.teams.0.cpu: '0' is not a positive Kubernetes quantity (e.g. 16, 500m, 64Gi)",
        "TrainingClusterArgs.teams.0.memory: 'lots' is not a positive Kubernetes quantity (e.g. 16, 500m, 64Gi)",
        "TrainingClusterArgs.teams.0.gpus: 'h100' names a pool that does not exist (pools: gpu)",
        "TrainingClusterArgs.teams.0.gpus: -1 gives pool 'gpu' a negative quota",
        "TrainingClusterArgs.teams.0.max_gpus: 0 is below the team's nominal GPUs (1); its pods could not use them",
        "TrainingClusterArgs.teams.0.service_account: 'default' is not a service account name other than 'default' (a DNS subdomain)",
        "TrainingClusterArgs.teams.1.namespaces: 'shared' is listed also by team 'Vision' (a namespace belongs to one team, once)",
        "TrainingClusterArgs.teams.1.namespaces: 'kube-ops' is reserved (not allowed: default, kube-system, kube-public, "
        "kube-node-lease, kueue-system, kuberay-system, kube-*)",
        "TrainingClusterArgs.teams.1.namespaces: 'nlp' is listed twice (a namespace belongs to one team, once)",
        "TrainingClusterArgs.teams.1.gpu_borrowing_limit: -1 must be at least 0",
    ]


def test_ssh_charts_caches_and_network_endpoints() -> None:
    assert lines("ssh-in-prod") == [
        "TrainingClusterArgs.dev_ssh: is not allowed in prod (no SSH to nodes outside dev; use SSM)",
        "TrainingClusterArgs.dev_ssh.source_security_group_ids: () is empty (SSH needs the security groups it admits)",
        "TrainingClusterArgs.network: has no interface endpoint for ec2, sqs, which nodes need without an internet route "
        "(add them to NetworkArgs.extra_interface_endpoints of Network 'bare')",
    ]
    assert lines("charts-and-names") == [
        "TrainingClusterArgs.cohort_name: 'Teams!' is not a Kueue cohort name (a DNS subdomain)",
        "TrainingClusterArgs.container_default_limit: 'gpu' names a resource other than cpu and memory",
        "TrainingClusterArgs.image_cache_prefix: 'Platform' is not an ECR repository prefix (lowercase letters, digits, "
        "'-', '_', '.', '/'; at most 25 characters)",
        "TrainingClusterArgs.device_plugin.version: 'latest' is not an exact chart version (pin one, e.g. 1.2.3)",
        "TrainingClusterArgs.kueue.repository: 'registry.k8s.io/kueue' is not an https:// or oci:// chart repository",
        "TrainingClusterArgs.kueue.version: '0.20.0' is not a Kueue version the queue objects are written and validated "
        "for (allowed: 0.19.2; its CRDs are the test data)",
    ]
    assert lines("missing-endpoints") == [
        "TrainingClusterArgs.network: has no interface endpoint for ec2, sqs, which nodes need without an internet route "
        "(add them to NetworkArgs.extra_interface_endpoints of Network 'bare')"
    ]


def test_karpenter_pool_settings_name_their_key() -> None:
    assert lines("karpenter-pools") == [
        "TrainingClusterArgs.gpu_pools.0.instance_families: 'g9' is not an EC2 instance family (no type of botocore's "
        "ec2 InstanceType enum has it)",
        "TrainingClusterArgs.gpu_pools.0.instance_families: 'm5' is not an NVIDIA GPU family the AL2023_x86_64_NVIDIA AMI "
        "runs (families: g4dn, g5, g6, g6e, g6f, gr6, gr6f, g7, g7e, p3, p3dn, p4d, p4de, p5, p5e, p5en, p6-b200, p6-b300)",
        "TrainingClusterArgs.gpu_pools.0.capacity_types: ('reserved', 'spot', 'spot') lists a capacity type twice",
        "TrainingClusterArgs.gpu_pools.0.capacity_reservations.1.id: 'res-1' is not a capacity reservation id (cr- and "
        "lowercase letters or digits)",
        "TrainingClusterArgs.gpu_pools.0.capacity_reservations.2: names neither or both of id and tags (give exactly one)",
        "TrainingClusterArgs.gpu_pools.0.capacity_reservations.3: names neither or both of id and tags (give exactly one)",
        "TrainingClusterArgs.gpu_pools.0.capacity_reservations.4.owner_id: '42' is not an account id (12 digits) beside tags",
        "TrainingClusterArgs.gpu_pools.0.consolidate_after: 'Never' is not a duration such as 30s, 10m or 1h",
        "TrainingClusterArgs.gpu_pools.1.capacity_type: 'SPOT' is set with capacity_types (it is their deprecated alias; "
        "keep capacity_types only)",
        "TrainingClusterArgs.gpu_pools.1.capacity_reservations: ('spot',) are named but capacity_types has no reserved "
        "(add it, or Karpenter never launches into them)",
        "TrainingClusterArgs.gpu_pools.2.capacity_types: ('reserved',) has reserved but the pool names no "
        "capacity_reservations",
        "TrainingClusterArgs.node_ami_version: '2025.11' is not an AL2023 EKS AMI release (latest, or v and 8 digits such "
        "as v20251120)",
        "TrainingClusterArgs.karpenter.version: '1.8.0' is not a Karpenter version the NodePools and EC2NodeClasses are "
        "written and validated for (allowed: 1.14.1; its CRDs are the test data)",
    ]


def test_efa_on_types_without_it_and_placement_groups_that_miss_the_reservations_name_their_key() -> None:
    assert lines("efa-and-placement") == [
        "TrainingClusterArgs.gpu_pools.0.efa: is true but these instance types have no EFA: g5.xlarge, g6.2xlarge "
        "(instance attributes efa_supported; list types with EFA, or drop efa)",
        "TrainingClusterArgs.gpu_pools.1.placement_group: 'pg-Bad' is not a placement group name (1 to 255 ASCII "
        "characters) or id (pg- and lowercase letters or digits)",
        "TrainingClusterArgs.gpu_pools.1.create_placement_group: is true with placement_group 'pg-Bad' (name an existing "
        "group or create one, not both)",
        "TrainingClusterArgs.gpu_pools.2.capacity_reservations.0.placement_group: is omitted but the pool launches into "
        "placement group 'training': its instances cannot use a reservation outside that group (name the reservation's "
        "placement group, the same as the pool's)",
        "TrainingClusterArgs.gpu_pools.2.capacity_reservations.1.placement_group: 'other' does not match the pool's "
        "placement_group 'training' (instances in one placement group cannot use a reservation made in another)",
        "TrainingClusterArgs.gpu_pools.3.create_placement_group: is true but the pool names capacity_reservations: a "
        "reservation's placement group exists before it (name it in placement_group)",
        "TrainingClusterArgs.gpu_pools.4.capacity_reservations.0: names one of instance_type and instance_count (give "
        "both, or neither)",
        "TrainingClusterArgs.gpu_pools.4.capacity_reservations.0.placement_group: 'pg-0123' is a placement group the pool "
        "does not launch into (set the pool's placement_group to it: instances outside it cannot use the reservation)",
    ]


def test_deprecated_capacity_type_is_an_alias_of_capacity_types() -> None:
    assert GpuPoolArgs(name="p", instance_types=("g5.xlarge",), capacity_type="SPOT").effective_capacity_types == ("spot",)
    assert GpuPoolArgs(name="p", instance_types=("g5.xlarge",), capacity_type="ON_DEMAND").effective_capacity_types == (
        "on-demand",)
    assert GpuPoolArgs(name="p", instance_types=("g5.xlarge",)).effective_capacity_types == ("on-demand",)


def test_pool_labels_are_kubernetes_labels_outside_reserved_prefixes() -> None:
    assert lines("labels") == [
        "TrainingClusterArgs.gpu_pools.0.labels: 'mlplat.io/gpu-pool' has a key with a reserved prefix (mlplat.io/, "
        "kubernetes.io/, k8s.io/, eks.amazonaws.com/, nvidia.com/)",
        "TrainingClusterArgs.gpu_pools.0.labels: 'bad key!' has a key that is not a Kubernetes label key of at most 63 "
        "characters (EKS's limit)",
        "TrainingClusterArgs.gpu_pools.0.labels: 'bad value!' has a value for 'tier' that is not a Kubernetes label value "
        "(at most 63 characters)",
    ]


def test_long_cluster_name_needs_an_image_cache_prefix_and_empty_admins_are_refused() -> None:
    assert lines("long-cluster-name") == [
        "TrainingClusterArgs.image_cache_prefix: is omitted and the cluster name 'mlplat-staging-training-gpu' is no ECR "
        "repository prefix (lowercase, at most 25 characters); set image_cache_prefix"
    ]
    assert lines("no-admins") == [
        "TrainingClusterArgs.admin_role_arns: () is empty (list at least the deployer's role: the creator gets no implicit access)"
    ]


def test_type_errors_and_unknown_keys_name_their_position() -> None:
    assert lines("types-and-keys") == [
        "TrainingClusterArgs.gpu_pools.0.name: is required",
        "TrainingClusterArgs.teams.0.gpus.gpu: 'two' is a string, not a whole number",
        "TrainingClusterArgs.teams.0.quota: is not a known key (allowed: cpu, dataset_access, gpu_borrowing_limit, gpus, "
        "max_gpus, memory, model_access, name, namespaces, pod_security, service_account)",
    ]
    with pytest.raises(ConfigError) as info:
        TeamArgs(name="a", pod_security="privileged")
    assert str(info.value).splitlines()[1:] == ["  TeamArgs.pod_security: 'privileged' is not allowed (allowed: 'restricted' or 'baseline')"]


def test_team_role_name_must_fit_iam() -> None:
    assert lines("role-name") == [
        f"TrainingClusterArgs.teams.0.name: '{'a' * 30}' makes the role name of component "
        "'a-rather-long-training-cluster-component' 89 characters (IAM allows 64); shorten the team or component name",
        # Karpenter's roles fit (62 and 63 characters), its interruption rules do not.
        *[f"TrainingCluster 'a-rather-long-training-cluster-component': makes the auto-name of its child "
          f"'a-rather-long-training-cluster-component-interruption-{event}' {length} characters (IAM and EventBridge "
          "allow 64); shorten the component name"
          for event, length in (("health", 68), ("spot", 66), ("rebalance", 71), ("state-change", 74), ("reservation", 73))],
    ]


def test_the_plan_warns_of_an_add_on_version_the_skew_table_does_not_know() -> None:
    chart = {"chart": "nvidia-device-plugin", "version": "0.18.0", "repository": "https://nvidia.github.io/k8s-device-plugin"}
    plan = run_callable(cluster_program(teams=(), store=False, device_plugin=chart))
    warnings = [d for d in plan.diagnostics if d.message.startswith("version skew:")]
    assert [(d.severity, d.urn, d.message) for d in warnings] == [(
        "warning", res(plan, "training", TC).urn,
        "version skew: nvidia-device-plugin 0.18.0 has no entry in the version-skew table: whether it supports "
        "Kubernetes 1.34 is not checked")]
    assert not [d for d in default_plan().diagnostics if d.message.startswith("version skew:")]
