"""Contract checks of training clusters: the EKS, EC2, ECR and IAM requests their resources imply."""

from __future__ import annotations

import functools
from typing import Any

import pulumi_aws as aws
import pytest

from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.components.network import Network, NetworkArgs
from mlplat.components.training_args import KUBERAY_CHART, TeamArgs, TrainingClusterArgs
from mlplat.components.training_cluster import TrainingCluster
from mlplat.tooling.contracts import MappingGap, check_plan
from mlplat.tooling.contracts import eks as eks_contracts
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, PlannedResource

CLUSTER = "mlplat-prod-training"
ACCOUNT = "123456789012"
EKS_TYPES = (
    "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon", "aws:eks/accessEntry:AccessEntry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule", "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/instanceProfile:InstanceProfile", "aws:ec2/tag:Tag",
)  # fmt: skip


def cluster_program() -> None:
    keys = Encryption("enc", EncryptionArgs(domains=("logs", "cluster"), key_users={"logs": ("cloudwatch-logs",), "cluster": ("autoscaling-volumes",)}))
    network = Network("net", NetworkArgs(log_key=keys.key("logs"), extra_interface_endpoints=("ec2", "eks", "ssm", "sqs")))
    TrainingCluster(
        "training",
        TrainingClusterArgs(
            cluster_name=CLUSTER, network=network, cluster_key=keys.key("cluster"), log_key=keys.key("logs"),
            admin_role_arns=(f"arn:aws:iam::{ACCOUNT}:role/platform-admin",), teams=(TeamArgs(name="vision"),),
            kuberay=KUBERAY_CHART,
        ),
    )


@functools.cache
def plan(preview: bool = False) -> Plan:
    return run_callable(cluster_program, preview=preview)


def requests_of(resource: PlannedResource, p: Plan) -> list[Any]:
    mapper = {
        "aws:eks/cluster:Cluster": eks_contracts.cluster,
        "aws:eks/nodeGroup:NodeGroup": eks_contracts.node_group,
        "aws:ec2/launchTemplate:LaunchTemplate": eks_contracts.launch_template,
        "aws:eks/addon:Addon": eks_contracts.addon,
    }[resource.type]
    return list(mapper(resource, p))


@pytest.mark.parametrize("preview", [False, True])
def test_the_default_cluster_makes_only_valid_requests(preview: bool) -> None:
    p = plan(preview)
    checked = [r for r in p.custom_resources if r.type in EKS_TYPES]
    assert sorted({r.type for r in checked}) == sorted(EKS_TYPES)
    assert [e.render() for e in check_plan(p) if any(t in e.urn for t in EKS_TYPES)] == []


def test_create_cluster_request_shape() -> None:
    p = plan()
    cluster = p.named("training-cluster", "aws:eks/cluster:Cluster")
    (request,) = requests_of(cluster, p)
    assert (request.service, request.operation) == ("eks", "CreateCluster")
    key = p.named("enc-cluster-key", "aws:kms/key:Key").outputs["arn"]
    assert request.params == {
        "name": CLUSTER,
        "version": "1.34",
        "roleArn": p.named("training-cluster-role", "aws:iam/role:Role").outputs["arn"],
        "resourcesVpcConfig": {
            "subnetIds": cluster.inputs["vpcConfig"]["subnetIds"],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
        },
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
        "deletionProtection": True,
        "logging": {"clusterLogging": [{"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": True}]},
        "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": key}}],
    }


def test_create_nodegroup_request_shape_and_instance_types() -> None:
    p = plan()
    group = p.named("training-system", "aws:eks/nodeGroup:NodeGroup")
    create, describe = requests_of(group, p)
    assert (create.service, create.operation) == ("eks", "CreateNodegroup")
    assert create.params == {
        "clusterName": CLUSTER,
        "nodegroupName": group.outputs["nodeGroupName"],
        "nodeRole": p.named("training-node-role", "aws:iam/role:Role").outputs["arn"],
        "subnets": group.inputs["subnetIds"],
        "instanceTypes": ["m6i.large"],
        "amiType": "AL2023_x86_64_STANDARD",
        "capacityType": "ON_DEMAND",
        "scalingConfig": {"minSize": 2, "desiredSize": 2, "maxSize": 3},
        "updateConfig": {"maxUnavailable": 1},
        "launchTemplate": {"id": group.inputs["launchTemplate"]["id"], "version": "1"},
        "labels": {"mlplat.io/node-role": "system"},
    }
    assert (describe.service, describe.operation, describe.params) == (
        "ec2", "DescribeInstanceTypes", {"InstanceTypes": ["m6i.large"]},
    )


def test_launch_template_request_turns_string_booleans_into_booleans() -> None:
    p = plan()
    template = p.named("training-system-lt", "aws:ec2/launchTemplate:LaunchTemplate")
    (request,) = requests_of(template, p)
    assert request.params["LaunchTemplateName"] == template.inputs["name"]
    assert request.params["LaunchTemplateData"] == {
        "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1, "InstanceMetadataTags": "disabled"},
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {"VolumeSize": 50, "VolumeType": "gp3", "Encrypted": True, "DeleteOnTermination": True,
                        "KmsKeyId": p.named("enc-cluster-key", "aws:kms/key:Key").outputs["arn"]},
            }
        ],
    }


def test_addon_maps_resolve_conflicts_on_create() -> None:
    p = plan()
    (request,) = requests_of(p.named("training-vpc-cni", "aws:eks/addon:Addon"), p)
    assert request.params == {
        "clusterName": CLUSTER, "addonName": "vpc-cni", "configurationValues": '{"enableNetworkPolicy": "true"}',
        "resolveConflicts": "OVERWRITE",
    }


def test_bad_values_are_named_with_the_api_field() -> None:
    def program() -> None:
        aws.eks.Cluster("bad", name="bad name!", role_arn="arn:aws:iam::123456789012:role/r",
                        vpc_config={"subnet_ids": ["subnet-1"]}, enabled_cluster_log_types=["api", "everything"],
                        access_config={"authentication_mode": "TOKEN"})
        aws.eks.NodeGroup("pool", cluster_name="c", node_group_name="pool", node_role_arn="arn:aws:iam::1:role/n",
                          subnet_ids=["subnet-1"], instance_types=["g5.xlarge", "g9.mega"], capacity_type="CHEAP",
                          scaling_config={"min_size": -1, "max_size": 0, "desired_size": 0},
                          taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}])
        aws.ecr.PullThroughCacheRule("cache", ecr_repository_prefix="Platform/K8s", upstream_registry_url="registry.k8s.io")

    errors = {(e.urn.rsplit("::", 1)[-1], e.operation, e.path): e.message for e in check_plan(run_callable(program))}
    assert set(errors) == {
        ("bad", "eks:CreateCluster", "name"),
        ("bad", "eks:CreateCluster", "logging.clusterLogging[0].types[1]"),
        ("bad", "eks:CreateCluster", "accessConfig.authenticationMode"),
        ("pool", "eks:CreateNodegroup", "capacityType"),
        ("pool", "eks:CreateNodegroup", "scalingConfig.minSize"),
        ("pool", "eks:CreateNodegroup", "scalingConfig.maxSize"),
        ("pool", "eks:CreateNodegroup", "taints[0].effect"),
        ("pool", "ec2:DescribeInstanceTypes", "InstanceTypes[1]"),
        ("cache", "ecr:CreatePullThroughCacheRule", "ecrRepositoryPrefix"),
    }
    assert errors[("pool", "ec2:DescribeInstanceTypes", "InstanceTypes[1]")].startswith("'g9.mega' is not one of the API's values")
    assert errors[("bad", "eks:CreateCluster", "name")].startswith("'bad name!' does not match the API pattern")
    assert errors[("pool", "eks:CreateNodegroup", "taints[0].effect")].startswith("'NoSchedule' is not one of the API's values")


def test_karpenter_instance_profile_and_discovery_tag_requests() -> None:
    p = plan()
    profile = p.named("training-gpu-node-profile", "aws:iam/instanceProfile:InstanceProfile")
    requests = [(r.operation, r.params) for r in eks_contracts.instance_profile(profile, p)]
    role = p.named("training-gpu-node-role", "aws:iam/role:Role").outputs["name"]
    assert requests == [("CreateInstanceProfile", {"InstanceProfileName": profile.outputs["name"]}),
                        ("AddRoleToInstanceProfile", {"InstanceProfileName": profile.outputs["name"], "RoleName": role})]

    def program() -> None:
        aws.iam.InstanceProfile("profile", name="gpu nodes!", role="r")
        aws.ec2.Tag("tag", resource_id="subnet-0123456789abcdef0", key="karpenter.sh/discovery", value="c")

    errors = {(e.urn.rsplit("::", 1)[-1], e.operation, e.path) for e in check_plan(run_callable(program))}
    assert errors == {("profile", "iam:CreateInstanceProfile", "InstanceProfileName"),
                      ("profile", "iam:AddRoleToInstanceProfile", "InstanceProfileName")}


def test_an_unmapped_property_is_a_mapping_gap() -> None:
    p = plan()
    cluster = p.named("training-cluster", "aws:eks/cluster:Cluster")
    odd = PlannedResource(urn=cluster.urn, type=cluster.type, name=cluster.name, custom=True, parent=None,
                          inputs={**cluster.inputs, "surpriseSetting": 1})
    with pytest.raises(MappingGap, match="'surpriseSetting' has no member in CreateClusterRequest"):
        list(eks_contracts.cluster(odd, p))
