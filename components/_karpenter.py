"""What Karpenter needs in AWS, as pure data: its controller's IAM policies, the interruption
events, the interruption queue's policy and the controller's Helm values.

The controller policies are the six Karpenter 1.14 documents for its controller role (node
lifecycle, IAM integration, EKS integration, interruption, resource discovery, zonal shift; the
getting-started cloudformation.yaml of v1.14), scoped to one cluster, its region and account, and
its node role. Deliberate narrowings: `iam:ListInstanceProfiles` names the account's instance profiles
and `arc-zonal-shift:GetManagedResource` the cluster instead of "*", and the queue policy admits EventBridge
from this account only. The platform encrypts the interruption queue
and the nodes' volumes with the cluster's KMS key, which Karpenter's documents do not cover:
`controller_key_policy` is that addition, kept apart so the documented set stays as documented.
"""

from __future__ import annotations

from typing import Any, Mapping

import pulumi

from . import _iam

__all__ = [
    "CONTROLLER_KEY_ACTIONS",
    "CONTROLLER_POLICIES",
    "DISCOVERY_TAG",
    "INTERRUPTION_EVENTS",
    "KARPENTER_NAMESPACE",
    "KARPENTER_SERVICE_ACCOUNT",
    "controller_key_policy",
    "controller_policies",
    "controller_values",
    "interruption_queue_policy",
]

KARPENTER_NAMESPACE = "kube-system"
KARPENTER_SERVICE_ACCOUNT = "karpenter"
# The tag the platform puts on the cluster's private subnets and node security group; each
# EC2NodeClass selects them by it.
DISCOVERY_TAG = "karpenter.sh/discovery"

# Every EventBridge rule Karpenter 1.14 documents for its interruption queue: child suffix ->
# (source, detail-type).
INTERRUPTION_EVENTS: dict[str, tuple[str, str]] = {
    "health": ("aws.health", "AWS Health Event"),  # scheduled changes
    "spot": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    "reservation": ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}

CONTROLLER_POLICIES: tuple[str, ...] = (
    "node-lifecycle", "iam-integration", "eks-integration", "interruption", "resource-discovery", "zonal-shift",
)  # fmt: skip

# The cluster key encrypts the queue (receiving needs Decrypt) and the nodes' root volumes (EC2
# launches them for the caller of CreateFleet: data keys and a grant for the volume).
CONTROLLER_KEY_ACTIONS: tuple[str, ...] = (
    "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo",
)  # fmt: skip


def _ec2(region: pulumi.Input[str], resource: str, *, account: bool = True) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:ec2:", region, ":", "*" if account else "", ":", resource)


def controller_policies(
    *, cluster_name: str, region: pulumi.Input[str], account_id: pulumi.Input[str], node_role_arn: pulumi.Input[str],
    queue_arn: pulumi.Input[str],
) -> dict[str, _iam.Document]:
    """The controller's documented policies, by `CONTROLLER_POLICIES` name."""
    owned = f"kubernetes.io/cluster/{cluster_name}"
    created = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"]
    profiles = pulumi.Output.concat("arn:aws:iam::", account_id, ":instance-profile/*")
    node_lifecycle = _iam.document([
        _iam.statement(
            sid="AllowScopedEC2InstanceAccessActions", actions=["ec2:RunInstances", "ec2:CreateFleet"],
            resources=[_ec2(region, "image/*", account=False), _ec2(region, "snapshot/*", account=False),
                       _ec2(region, "security-group/*"), _ec2(region, "subnet/*"), _ec2(region, "capacity-reservation/*"),
                       _ec2(region, "placement-group/*")],
        ),
        _iam.statement(
            sid="AllowScopedEC2LaunchTemplateAccessActions", actions=["ec2:RunInstances", "ec2:CreateFleet"],
            resources=_ec2(region, "launch-template/*"),
            conditions={"StringEquals": {f"aws:ResourceTag/{owned}": "owned"},
                        "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        ),
        _iam.statement(
            sid="AllowScopedEC2InstanceActionsWithTags", actions=["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            resources=[_ec2(region, r) for r in created],
            conditions={"StringEquals": {f"aws:RequestTag/{owned}": "owned", "aws:RequestTag/eks:eks-cluster-name": cluster_name},
                        "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
        ),
        _iam.statement(
            sid="AllowScopedResourceCreationTagging", actions=["ec2:CreateTags"],
            resources=[_ec2(region, r) for r in created],
            conditions={
                "StringEquals": {f"aws:RequestTag/{owned}": "owned", "aws:RequestTag/eks:eks-cluster-name": cluster_name,
                                 "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        ),
        _iam.statement(
            sid="AllowScopedResourceTagging", actions=["ec2:CreateTags"], resources=_ec2(region, "instance/*"),
            conditions={
                "StringEquals": {f"aws:ResourceTag/{owned}": "owned"},
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]},
            },
        ),
        _iam.statement(
            sid="AllowScopedDeletion", actions=["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            resources=[_ec2(region, "instance/*"), _ec2(region, "launch-template/*")],
            conditions={"StringEquals": {f"aws:ResourceTag/{owned}": "owned"},
                        "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        ),
    ])
    profile_tags = {f"aws:ResourceTag/{owned}": "owned", "aws:ResourceTag/topology.kubernetes.io/region": region}
    iam_integration = _iam.document([
        _iam.statement(
            sid="AllowPassingInstanceRole", actions=["iam:PassRole"], resources=node_role_arn,
            conditions={"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
        ),
        _iam.statement(
            sid="AllowScopedInstanceProfileCreationActions", actions=["iam:CreateInstanceProfile"], resources=profiles,
            conditions={
                "StringEquals": {f"aws:RequestTag/{owned}": "owned", "aws:RequestTag/eks:eks-cluster-name": cluster_name,
                                 "aws:RequestTag/topology.kubernetes.io/region": region},
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        ),
        _iam.statement(
            sid="AllowScopedInstanceProfileTagActions", actions=["iam:TagInstanceProfile"], resources=profiles,
            conditions={
                "StringEquals": {**profile_tags, f"aws:RequestTag/{owned}": "owned",
                                 "aws:RequestTag/eks:eks-cluster-name": cluster_name,
                                 "aws:RequestTag/topology.kubernetes.io/region": region},
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                               "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        ),
        _iam.statement(
            sid="AllowScopedInstanceProfileActions",
            actions=["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
            resources=profiles,
            conditions={"StringEquals": profile_tags, "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}},
        ),
    ])
    cluster_arn = pulumi.Output.concat("arn:aws:eks:", region, ":", account_id, ":cluster/", cluster_name)
    eks_integration = _iam.document([
        _iam.statement(sid="AllowAPIServerEndpointDiscovery", actions=["eks:DescribeCluster"], resources=cluster_arn),
    ])
    interruption = _iam.document([
        _iam.statement(
            sid="AllowInterruptionQueueActions", actions=["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            resources=queue_arn,
        ),
    ])
    resource_discovery = _iam.document([
        _iam.statement(
            sid="AllowRegionalReadActions",
            actions=["ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
                     "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes",
                     "ec2:DescribeLaunchTemplates",
                     "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory",
                     "ec2:DescribeSubnets"],
            resources="*", conditions={"StringEquals": {"aws:RequestedRegion": region}},
        ),
        _iam.statement(
            sid="AllowSSMReadActions", actions=["ssm:GetParameter"],
            resources=pulumi.Output.concat("arn:aws:ssm:", region, "::parameter/aws/service/*"),
        ),
        _iam.statement(sid="AllowPricingReadActions", actions=["pricing:GetProducts"], resources="*"),
        # Documented on "*"; the account's instance profiles are all it can list.
        _iam.statement(sid="AllowUnscopedInstanceProfileListAction", actions=["iam:ListInstanceProfiles"], resources=profiles),
        _iam.statement(sid="AllowInstanceProfileReadActions", actions=["iam:GetInstanceProfile"], resources=profiles),
    ])
    # The controller reads whether ARC zonal shift has moved traffic away from a zone of the cluster. Documented on
    # "*" with the cluster as the condition; the action takes the managed resource's ARN, so it names the cluster.
    zonal_shift = _iam.document([
        _iam.statement(
            sid="AllowZonalShiftStatusReadOnly", actions=["arc-zonal-shift:GetManagedResource"], resources=cluster_arn,
            conditions={"StringEquals": {"arc-zonal-shift:ResourceIdentifier": cluster_arn}},
        ),
    ])
    return {
        "node-lifecycle": node_lifecycle,
        "iam-integration": iam_integration,
        "eks-integration": eks_integration,
        "interruption": interruption,
        "resource-discovery": resource_discovery,
        "zonal-shift": zonal_shift,
    }


def controller_key_policy(key_arn: pulumi.Input[str]) -> _iam.Document:
    """The controller's use of the cluster key: read the encrypted queue, launch encrypted volumes."""
    return _iam.document([
        _iam.statement(sid="UseClusterKey", actions=list(CONTROLLER_KEY_ACTIONS), resources=key_arn),
        _iam.statement(sid="GrantClusterKeyToVolumes", actions=["kms:CreateGrant"], resources=key_arn,
                       conditions={"Bool": {"kms:GrantIsForAWSResource": True}}),
    ])


def interruption_queue_policy(queue_arn: pulumi.Input[str], account_id: pulumi.Input[str]) -> _iam.Document:
    """EventBridge (and SQS) may send to the queue, from this account only; nothing over plain HTTP."""
    return _iam.document([
        _iam.statement(
            sid="AllowEventBridgeToSend", actions=["sqs:SendMessage"], resources=queue_arn,
            principals={"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
            conditions={"StringEquals": {"aws:SourceAccount": account_id}},
        ),
        _iam.statement(
            sid="DenyInsecureTransport", effect="Deny", actions=["sqs:*"], resources=queue_arn, principals={"AWS": "*"},
            conditions={"Bool": {"aws:SecureTransport": "false"}},
        ),
    ])


def controller_values(
    *, cluster_name: str, cluster_endpoint: pulumi.Input[str], queue_name: pulumi.Input[str], role_arn: pulumi.Input[str],
    image_repository: pulumi.Input[str], system_selector: Mapping[str, str],
) -> dict[str, Any]:
    """The Karpenter chart's values: the cluster, its interruption queue, IRSA, an isolated VPC (no
    pricing API: on-demand prices from the controller's built-in list), the controller on the system
    nodes (never on nodes it manages), its image through the ECR Public pull-through cache."""
    return {
        "settings": {
            "clusterName": cluster_name,
            # Given, so neither the controller nor the nodes need eks:DescribeCluster to find it.
            "clusterEndpoint": cluster_endpoint,
            "interruptionQueue": queue_name,
            "isolatedVPC": True,
        },
        "serviceAccount": {"name": KARPENTER_SERVICE_ACCOUNT, "annotations": {"eks.amazonaws.com/role-arn": role_arn}},
        "controller": {"image": {"repository": image_repository}},
        "nodeSelector": dict(system_selector),
        "replicas": 2,
        "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
    }
