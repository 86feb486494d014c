"""EKS and Kubernetes rule cases: a governed cluster, node group and workload as the compliant
baselines, then one mutation per check.

Kubernetes objects go through an explicit provider (the offline runner handles it). Built-in
kinds take snake_case arguments, which the SDK turns into the API's camelCase; custom resources
(KubeRay) keep their keys as given, so their templates are written in camelCase (`_camel`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Optional

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from . import RuleCase

DELETE = object()  # in a mutation: remove the key


def _copy(value: Any) -> Any:
    """A structural copy of dicts and lists; other values (Outputs included) are shared."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _merged(base: Any, changes: Any) -> Any:
    """`base` with `changes` applied recursively (dicts merge, other values replace, DELETE removes)."""
    if not isinstance(base, dict) or not isinstance(changes, dict):
        return _copy(changes)
    out = _copy(base)
    for key, value in changes.items():
        if value is DELETE:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = _copy(value)
    return out


def _camel(value: Any) -> Any:
    """snake_case keys to camelCase (what the SDK does for built-in kinds, not for custom resources)."""
    if isinstance(value, dict):
        return {
            (re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k) if re.fullmatch(r"[a-z_]+", k) else k): _camel(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


# --- EKS -------------------------------------------------------------------------------------

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]})
NODE_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]


def eks_cluster(**changes: Any) -> aws.eks.Cluster:
    """A governed training cluster: private endpoint, secrets encrypted with its own key, logs."""
    key = aws.kms.Key("cluster-key", enable_key_rotation=True)
    role = aws.iam.Role("cluster-role", assume_role_policy=TRUST)
    args: dict[str, Any] = {
        "vpc_config": {"subnet_ids": SUBNETS, "endpoint_private_access": True, "endpoint_public_access": False},
        "encryption_config": {"resources": ["secrets"], "provider": {"key_arn": key.arn}},
        "enabled_cluster_log_types": ["api", "audit", "authenticator"],
    }
    for name, value in changes.items():
        if value is DELETE:
            args.pop(name, None)
        elif isinstance(value, dict) and isinstance(args.get(name), dict):
            args[name] = {**args[name], **value}
        else:
            args[name] = value
    args["vpc_config"] = {k: v for k, v in args.get("vpc_config", {}).items() if v is not DELETE} or None
    return aws.eks.Cluster("training", name="mlplat-test-training", role_arn=role.arn, **args)


def node_group(*, cluster: Optional[aws.eks.Cluster] = None, **changes: Any) -> None:
    """A governed GPU pool: allow-listed type, within prod's cap, no remote access."""
    cluster = cluster or eks_cluster()
    role = aws.iam.Role("node-role", assume_role_policy=NODE_TRUST)
    args: dict[str, Any] = {
        "ami_type": "AL2023_x86_64_NVIDIA",
        "instance_types": ["g5.12xlarge"],
        "scaling_config": {"min_size": 0, "desired_size": 0, "max_size": 8},
    }
    args.update(changes)
    args = {k: v for k, v in args.items() if v is not DELETE}
    aws.eks.NodeGroup("gpu", cluster_name=cluster.name, node_role_arn=role.arn, subnet_ids=SUBNETS, **args)


def cpu_node_group(**changes: Any) -> None:
    node_group(ami_type="AL2023_x86_64_STANDARD", instance_types=["m7i.2xlarge"],
               scaling_config={"min_size": 1, "desired_size": 2, "max_size": 40}, **changes)


def node_group_with_launch_template() -> None:
    template = aws.ec2.LaunchTemplate("gpu-lt", instance_type="p5.48xlarge", metadata_options={"http_tokens": "required"})
    node_group(instance_types=DELETE, launch_template={"id": template.id, "version": template.latest_version.apply(str)})


def sg_id() -> str:
    return "sg-0123456789abcdef0"


# --- Karpenter -------------------------------------------------------------------------------

NODE_POOL_SPEC: dict[str, Any] = {
    "template": {
        "metadata": {"labels": {"mlplat.io/gpu-pool": "a10g"}},
        "spec": {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu-a10g"},
            "requirements": [
                {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g5.12xlarge"]},
                {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
            ],
            "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
            "expireAfter": "Never",
        },
    },
    "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"},
    "limits": {"nodes": "8", "nvidia.com/gpu": "64"},
}
NODE_CLASS_SPEC: dict[str, Any] = {
    "amiSelectorTerms": [{"alias": "al2023@latest"}],
    "instanceProfile": "mlplat-prod-gpu-nodes",
    "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "mlplat-prod-training"}}],
    "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "mlplat-prod-training"}}],
    "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "rootVolume": True,
                             "ebs": {"volumeSize": "200Gi", "volumeType": "gp3", "encrypted": True}}],
}


def node_pool(**changes: Any) -> None:
    """A governed GPU NodePool: allow-listed type, tainted, within prod's cap."""
    k8s.apiextensions.CustomResource("gpu-pool", api_version="karpenter.sh/v1", kind="NodePool",
                                     metadata={"name": "gpu-a10g"}, spec=_merged(NODE_POOL_SPEC, changes), opts=provider())


def node_pool_requirements(*requirements: dict[str, Any]) -> Callable[[], None]:
    return lambda: node_pool(template={"spec": {"requirements": list(requirements)}})


def node_class(**changes: Any) -> None:
    """A governed EC2NodeClass: IMDSv2 only, an encrypted root volume."""
    k8s.apiextensions.CustomResource("gpu-class", api_version="karpenter.k8s.aws/v1", kind="EC2NodeClass",
                                     metadata={"name": "gpu-a10g"}, spec=_merged(NODE_CLASS_SPEC, changes), opts=provider())


def launch_template(**changes: Any) -> None:
    args: dict[str, Any] = {
        "metadata_options": {"http_endpoint": "enabled", "http_tokens": "required"},
        "block_device_mappings": [{"device_name": "/dev/xvda", "ebs": {"volume_size": 50, "encrypted": "true"}}],
    }
    args.update(changes)
    aws.ec2.LaunchTemplate("lt", **{k: v for k, v in args.items() if v is not DELETE})


# --- Kubernetes ------------------------------------------------------------------------------

DIGEST = "sha256:" + "4f" * 32
IMAGE = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/mlplat/trainer:1.4.2@{DIGEST}"
CACHED_IMAGE = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/ecr-public/docker/library/busybox:1.37@{DIGEST}"


def safe_container(name: str = "trainer", image: str = IMAGE, **changes: Any) -> dict[str, Any]:
    container = {
        "name": name,
        "image": image,
        "resources": {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}},
        "security_context": {"run_as_non_root": True, "allow_privilege_escalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    return _merged(container, changes)


def pod_spec(*, containers: Optional[list] = None, init_containers: Optional[list] = None, **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "service_account_name": "trainer",
        "security_context": {"run_as_non_root": True, "run_as_user": 1000, "seccomp_profile": {"type": "RuntimeDefault"}},
        "containers": containers if containers is not None else [safe_container()],
    }
    if init_containers is not None:
        spec["init_containers"] = init_containers
    return _merged(spec, changes)


def provider() -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(provider=k8s.Provider("k", kubeconfig="{}"))


LABELS = {"app": "trainer"}


def workload(kind: str = "Deployment", *, pod: Optional[dict[str, Any]] = None, namespace: Any = "team-vision",
             opts: Optional[pulumi.ResourceOptions] = None) -> None:
    """One workload of `kind` with `pod` as its pod spec, in `namespace` (DELETE: none)."""
    pod = pod if pod is not None else pod_spec()
    opts = opts or provider()
    metadata = {"labels": LABELS} if namespace is DELETE else {"namespace": namespace, "labels": LABELS}
    template = {"metadata": {"labels": LABELS}, "spec": pod}
    job_pod = {**pod, "restart_policy": "Never"}
    selector = {"match_labels": LABELS}
    if kind == "Pod":
        k8s.core.v1.Pod("w", metadata=metadata, spec=pod, opts=opts)
    elif kind == "Deployment":
        k8s.apps.v1.Deployment("w", metadata=metadata, spec={"replicas": 2, "selector": selector, "template": template}, opts=opts)
    elif kind == "StatefulSet":
        k8s.apps.v1.StatefulSet("w", metadata=metadata, spec={"service_name": "trainer", "selector": selector, "template": template}, opts=opts)
    elif kind == "DaemonSet":
        k8s.apps.v1.DaemonSet("w", metadata=metadata, spec={"selector": selector, "template": template}, opts=opts)
    elif kind == "ReplicaSet":
        k8s.apps.v1.ReplicaSet("w", metadata=metadata, spec={"selector": selector, "template": template}, opts=opts)
    elif kind == "Job":
        k8s.batch.v1.Job("w", metadata=metadata, spec={"template": {"spec": job_pod}}, opts=opts)
    elif kind == "CronJob":
        k8s.batch.v1.CronJob("w", metadata=metadata, spec={
            "schedule": "0 3 * * *", "job_template": {"spec": {"template": {"spec": job_pod}}}}, opts=opts)
    elif kind == "RayCluster":
        k8s.apiextensions.CustomResource("w", api_version="ray.io/v1", kind="RayCluster", metadata=metadata, spec=_camel({
            "head_group_spec": {"template": {"spec": pod_spec()}},
            "worker_group_specs": [{"group_name": "gpu", "replicas": 1, "template": {"spec": pod}}],
        }), opts=opts)
    elif kind == "RayJob":
        k8s.apiextensions.CustomResource("w", api_version="ray.io/v1", kind="RayJob", metadata=metadata, spec=_camel({
            "entrypoint": "python train.py",
            "ray_cluster_spec": {"head_group_spec": {"template": {"spec": pod_spec()}}, "worker_group_specs": []},
            "submitter_pod_template": {"spec": job_pod},
        }), opts=opts)
    else:
        raise ValueError(kind)


def workload_in_new_namespace() -> None:
    """Namespace and service account names only known after `pulumi up` in preview."""
    opts = provider()
    namespace = k8s.core.v1.Namespace("team", opts=opts)
    account = k8s.core.v1.ServiceAccount("trainer", metadata={"name": "trainer", "namespace": namespace.metadata["name"]}, opts=opts)
    pod = pod_spec(service_account_name=account.metadata["name"])
    workload("Job", pod=pod, namespace=namespace.metadata["name"], opts=opts)


def image_from_repository() -> None:
    """An image built from an in-stack ECR repository: unknown in preview."""
    repository = aws.ecr.Repository("trainer", image_tag_mutability="IMMUTABLE")
    image = pulumi.Output.concat(repository.repository_url, "@", DIGEST)
    workload("Job", pod=pod_spec(containers=[safe_container(image=image)]))


def with_container(**changes: Any) -> Callable[[], None]:
    return lambda: workload(pod=pod_spec(containers=[safe_container(**changes)]))


def with_init(**changes: Any) -> Callable[[], None]:
    return lambda: workload(pod=pod_spec(init_containers=[safe_container("fetch", **{"image": CACHED_IMAGE, **changes})]))


def with_pod(**changes: Any) -> Callable[[], None]:
    return lambda: workload(pod=pod_spec(**changes))


def service(*, annotations: Optional[dict[str, str]] = None, **spec: Any) -> Callable[[], None]:
    def program() -> None:
        k8s.core.v1.Service("svc", metadata={"namespace": "team-vision", "annotations": annotations or {}}, spec={
            "type": "LoadBalancer", "selector": LABELS, "ports": [{"port": 443, "target_port": 8443}], **spec}, opts=provider())
    return program


INTERNAL = {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}


def role(*rules: dict[str, Any], cluster: bool = False) -> Callable[[], None]:
    def program() -> None:
        if cluster:
            k8s.rbac.v1.ClusterRole("role", rules=list(rules), opts=provider())
        else:
            k8s.rbac.v1.Role("role", metadata={"namespace": "team-vision"}, rules=list(rules), opts=provider())
    return program


READ_PODS = {"api_groups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}
KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "RayCluster", "RayJob")

CASES = [
    # MLP-EKS-01 API endpoint
    RuleCase("MLP-EKS-01", "pass", eks_cluster, "private endpoint"),
    RuleCase("MLP-EKS-01", "pass", eks_cluster, "private endpoint in preview", preview=True),
    RuleCase("MLP-EKS-01", "pass", lambda: eks_cluster(vpc_config={"endpoint_public_access": True, "public_access_cidrs": ["203.0.113.0/24"]}),
             "dev public with restricted cidrs", environment="dev"),
    RuleCase("MLP-EKS-01", "fail", lambda: eks_cluster(vpc_config={"endpoint_public_access": True, "public_access_cidrs": ["203.0.113.0/24"]}),
             "prod public even with restricted cidrs", message="public in prod"),
    RuleCase("MLP-EKS-01", "fail", lambda: eks_cluster(vpc_config={"endpoint_public_access": DELETE}),
             "absent flag is public", environment="staging", message="provider's default"),
    RuleCase("MLP-EKS-01", "fail", lambda: eks_cluster(vpc_config={"endpoint_public_access": True}),
             "dev public without cidrs", environment="dev", message="open to 0.0.0.0/0"),
    RuleCase("MLP-EKS-01", "fail", lambda: eks_cluster(vpc_config={"endpoint_public_access": True, "public_access_cidrs": ["10.0.0.0/8", "0.0.0.0/0"]}),
             "dev public with open cidr", environment="dev", message="includes 0.0.0.0/0"),
    # MLP-EKS-02 secrets encryption
    RuleCase("MLP-EKS-02", "pass", eks_cluster, "secrets with cluster key"),
    RuleCase("MLP-EKS-02", "pass", eks_cluster, "key arn unknown in preview", preview=True),
    RuleCase("MLP-EKS-02", "fail", lambda: eks_cluster(encryption_config=DELETE), "no encryption config", message="no encryptionConfig"),
    RuleCase("MLP-EKS-02", "fail", lambda: eks_cluster(encryption_config={"resources": [], "provider": {"key_arn": "arn:aws:kms:us-east-1:123456789012:key/x"}}),
             "secrets not listed", environment="dev", message="'secrets'"),
    RuleCase("MLP-EKS-02", "fail", lambda: eks_cluster(encryption_config={"resources": ["secrets"], "provider": {}}),
             "no key arn", message="no provider.keyArn"),
    # MLP-EKS-03 control plane logs
    RuleCase("MLP-EKS-03", "pass", eks_cluster, "api audit authenticator"),
    RuleCase("MLP-EKS-03", "pass", lambda: eks_cluster(enabled_cluster_log_types=["api", "audit", "authenticator", "scheduler"]), "more than required"),
    RuleCase("MLP-EKS-03", "fail", lambda: eks_cluster(enabled_cluster_log_types=["api"]), "audit missing", message="misses audit, authenticator"),
    RuleCase("MLP-EKS-03", "fail", lambda: eks_cluster(enabled_cluster_log_types=DELETE), "no logs", environment="dev", message="(enabled: none)"),
    # MLP-EKS-04 remote access
    RuleCase("MLP-EKS-04", "pass", node_group, "no remote access"),
    RuleCase("MLP-EKS-04", "pass", lambda: node_group(remote_access={"ec2_ssh_key": "dev", "source_security_group_ids": [sg_id()]}),
             "dev ssh from a security group", environment="dev"),
    RuleCase("MLP-EKS-04", "fail", lambda: node_group(remote_access={"ec2_ssh_key": "ops", "source_security_group_ids": [sg_id()]}),
             "prod remote access", environment="staging", message="enables remote access"),
    RuleCase("MLP-EKS-04", "fail", lambda: node_group(remote_access={"ec2_ssh_key": "dev"}),
             "dev open ssh", environment="dev", message="0.0.0.0/0"),
    # MLP-EKS-05 GPU node groups
    RuleCase("MLP-EKS-05", "pass", node_group, "allow-listed gpu pool within cap"),
    RuleCase("MLP-EKS-05", "pass", node_group, "gpu pool in preview", preview=True),
    RuleCase("MLP-EKS-05", "pass", cpu_node_group, "cpu pools are not gpu pools", environment="dev"),
    RuleCase("MLP-EKS-05", "pass", lambda: node_group(instance_types=["g5.2xlarge"], scaling_config={"min_size": 0, "desired_size": 0, "max_size": 2}),
             "dev small gpu pool", environment="dev"),
    RuleCase("MLP-EKS-05", "fail", lambda: node_group(instance_types=["p5.48xlarge"]), "type not allow-listed", message="p5.48xlarge is not allowed in prod"),
    RuleCase("MLP-EKS-05", "fail", lambda: node_group(instance_types=["trn1.32xlarge"], ami_type="AL2023_x86_64_NEURON"),
             "trainium not allow-listed", message="trn1.32xlarge"),
    RuleCase("MLP-EKS-05", "fail", lambda: node_group(instance_types=["g5.12xlarge"]), "staging allows small g5 only",
             environment="staging", message="g5.12xlarge is not allowed in staging"),
    RuleCase("MLP-EKS-05", "fail", lambda: node_group(scaling_config={"min_size": 0, "desired_size": 0, "max_size": 17}),
             "prod cap", message="maxSize 17 exceeds the prod cap of 16"),
    RuleCase("MLP-EKS-05", "fail", lambda: node_group(instance_types=["g5.xlarge"], scaling_config={"min_size": 0, "desired_size": 0, "max_size": 3}),
             "dev cap", environment="dev", message="exceeds the dev cap of 2"),
    RuleCase("MLP-EKS-05", "fail", lambda: node_group(ami_type="AL2_x86_64", instance_types=["m7i.large", "g6.xlarge"],
                                                      scaling_config={"min_size": 0, "desired_size": 0, "max_size": 5}),
             "gpu type without gpu ami counts", environment="staging", message="exceeds the staging cap of 4"),
    RuleCase("MLP-EKS-05", "fail", node_group_with_launch_template, "types only in launch template", message="launch template"),
    # MLP-EKS-05 for Karpenter NodePools
    RuleCase("MLP-EKS-05", "pass", node_pool, "allow-listed gpu node pool within cap"),
    RuleCase("MLP-EKS-05", "pass", node_pool, "gpu node pool in preview", preview=True),
    RuleCase("MLP-EKS-05", "pass", node_pool_requirements({"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g6"]}),
             "a family every size of which is allowed"),
    RuleCase("MLP-EKS-05", "pass", lambda: node_pool(
                 template={"spec": {"taints": [], "requirements": [
                     {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m7i.2xlarge"]}]}},
                 limits={"nodes": "40", "nvidia.com/gpu": DELETE}),
             "a cpu node pool is not a gpu pool"),
    RuleCase("MLP-EKS-05", "fail", node_pool_requirements({"key": "node.kubernetes.io/instance-type", "operator": "In",
                                                           "values": ["p5.48xlarge"]}),
             "node pool type not allow-listed", message="p5.48xlarge is not allowed in prod"),
    RuleCase("MLP-EKS-05", "fail", node_pool_requirements({"key": "karpenter.k8s.aws/instance-family", "operator": "In",
                                                           "values": ["g5"]}),
             "staging allows some g5 sizes, not the family", environment="staging", message="family g5 (any size)"),
    RuleCase("MLP-EKS-05", "fail", node_pool_requirements({"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}),
             "tainted gpu pool without type restriction", message="does not restrict instance types"),
    RuleCase("MLP-EKS-05", "fail", lambda: node_pool(limits={"nodes": "17"}), "node pool over the prod cap",
             message="limits.nodes 17 exceeds the prod cap of 16"),
    RuleCase("MLP-EKS-05", "fail", lambda: node_pool(limits={"nodes": DELETE}), "node pool without a node limit",
             message="no limits.nodes"),
    # MLP-EKS-06 node templates
    RuleCase("MLP-EKS-06", "pass", node_class, "imdsv2 and an encrypted root volume"),
    RuleCase("MLP-EKS-06", "pass", node_class, "node class in preview", preview=True),
    RuleCase("MLP-EKS-06", "pass", lambda: node_class(metadataOptions={"httpTokens": DELETE}), "karpenter's default is required"),
    RuleCase("MLP-EKS-06", "pass", launch_template, "launch template with imdsv2 and encryption"),
    RuleCase("MLP-EKS-06", "fail", lambda: node_class(metadataOptions={"httpTokens": "optional"}), "imdsv1 allowed",
             message="allows IMDSv1"),
    RuleCase("MLP-EKS-06", "fail", lambda: node_class(blockDeviceMappings=[{"deviceName": "/dev/xvda", "rootVolume": True,
                                                                            "ebs": {"volumeSize": "200Gi"}}]),
             "unencrypted root volume", message="/dev/xvda is not encrypted"),
    RuleCase("MLP-EKS-06", "fail", lambda: node_class(blockDeviceMappings=DELETE), "default volume", message="no EBS volume"),
    RuleCase("MLP-EKS-06", "fail", lambda: launch_template(metadata_options=DELETE), "launch template default imds",
             message="allows IMDSv1"),
    # MLP-K8S-01 host access: the baseline in every kind, then one mutation per check
    *[RuleCase("MLP-K8S-01", "pass", (lambda k=kind: workload(k)), f"governed {kind}") for kind in KINDS],
    *[RuleCase("MLP-K8S-01", "fail", (lambda k=kind: workload(k, pod=pod_spec(containers=[safe_container(security_context={"privileged": True})]))),
               f"privileged {kind}", message="runs privileged") for kind in KINDS],
    RuleCase("MLP-K8S-01", "pass", workload_in_new_namespace, "preview with computed names", preview=True),
    RuleCase("MLP-K8S-01", "fail", with_init(security_context={"privileged": True}), "privileged init container", environment="dev",
             message='init container "fetch"'),
    RuleCase("MLP-K8S-01", "fail", with_pod(host_network=True), "host network", message="sets hostNetwork"),
    RuleCase("MLP-K8S-01", "fail", with_pod(host_pid=True), "host pid", message="sets hostPID"),
    RuleCase("MLP-K8S-01", "fail", with_pod(host_ipc=True), "host ipc", message="sets hostIPC"),
    RuleCase("MLP-K8S-01", "fail", with_pod(volumes=[{"name": "docker", "host_path": {"path": "/var/run/docker.sock"}}]), "host path",
             message="/var/run/docker.sock"),
    RuleCase("MLP-K8S-01", "fail", with_container(ports=[{"container_port": 8080, "host_port": 8080}]), "host port", message="hostPort 8080"),
    # MLP-K8S-02 security context
    RuleCase("MLP-K8S-02", "pass", workload, "restricted containers"),
    RuleCase("MLP-K8S-02", "pass", lambda: workload("RayJob"), "restricted ray job"),
    RuleCase("MLP-K8S-02", "pass", with_container(security_context={"run_as_non_root": DELETE}), "pod-level runAsNonRoot is inherited"),
    RuleCase("MLP-K8S-02", "pass", with_container(security_context={"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}),
             "net bind service may be added back"),
    RuleCase("MLP-K8S-02", "fail", lambda: workload(pod=pod_spec(security_context=DELETE, containers=[safe_container(security_context={"run_as_non_root": DELETE})])),
             "runAsNonRoot nowhere", message="does not set runAsNonRoot"),
    RuleCase("MLP-K8S-02", "fail", with_container(security_context={"run_as_non_root": False}), "container overrides pod", environment="dev",
             message="does not set runAsNonRoot"),
    RuleCase("MLP-K8S-02", "fail", with_container(security_context={"run_as_user": 0}), "uid 0", message="runs as UID 0"),
    RuleCase("MLP-K8S-02", "fail", with_container(security_context={"allow_privilege_escalation": DELETE}), "escalation allowed",
             message="allowPrivilegeEscalation"),
    RuleCase("MLP-K8S-02", "fail", with_container(security_context={"capabilities": {"drop": ["NET_RAW"]}}), "not dropping all",
             message="does not drop ALL"),
    RuleCase("MLP-K8S-02", "fail", with_container(security_context={"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}), "adds sys admin",
             message="adds capabilities SYS_ADMIN"),
    RuleCase("MLP-K8S-02", "fail", lambda: workload(pod=pod_spec(init_containers=[{"name": "fetch", "image": CACHED_IMAGE}])),
             "bare init container", message='init container "fetch"'),
    # MLP-K8S-03 requests and limits
    RuleCase("MLP-K8S-03", "pass", workload, "requests and limits"),
    RuleCase("MLP-K8S-03", "pass", with_container(resources={"limits": {"nvidia.com/gpu": 1}}), "gpu in limits"),
    RuleCase("MLP-K8S-03", "pass", with_container(resources={"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 1}}), "gpu in both"),
    RuleCase("MLP-K8S-03", "fail", with_container(resources={"limits": {"cpu": DELETE}}), "no cpu limit", message="no limits for cpu"),
    RuleCase("MLP-K8S-03", "fail", with_container(resources={"requests": {"memory": DELETE}}), "no memory request", environment="dev",
             message="no requests for memory"),
    RuleCase("MLP-K8S-03", "fail", with_container(resources=DELETE), "no resources", message="no requests for cpu, memory"),
    RuleCase("MLP-K8S-03", "fail", with_container(resources={"requests": {"nvidia.com/gpu": 1}}), "gpu requested not limited",
             message="requests nvidia.com/gpu without setting it in limits"),
    RuleCase("MLP-K8S-03", "fail", with_init(resources=DELETE), "init container unbounded", message='init container "fetch"'),
    # MLP-K8S-04 images
    RuleCase("MLP-K8S-04", "pass", workload, "ecr by digest"),
    RuleCase("MLP-K8S-04", "pass", with_init(), "pull-through cache by digest"),
    RuleCase("MLP-K8S-04", "pass", with_container(image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlplat/trainer:1.4.2"),
             "dev tag without digest", environment="dev"),
    RuleCase("MLP-K8S-04", "fail", with_container(image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlplat/trainer:1.4.2"),
             "prod tag without digest", message="not pinned by @sha256 digest (prod)"),
    RuleCase("MLP-K8S-04", "fail", with_container(image=f"docker.io/library/python:3.12@{DIGEST}"), "docker hub", message="not from an allowed registry"),
    RuleCase("MLP-K8S-04", "fail", with_container(image=f"evil.example.com/123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1@{DIGEST}"),
             "registry look-alike path", message="not from an allowed registry"),
    RuleCase("MLP-K8S-04", "fail", with_container(image="123456789012.dkr.ecr.us-east-1.amazonaws.com/mlplat/trainer:latest"),
             "latest tag", environment="dev", message="mutable tag latest"),
    RuleCase("MLP-K8S-04", "fail", with_container(image="123456789012.dkr.ecr.us-east-1.amazonaws.com/mlplat/trainer"),
             "untagged", environment="dev", message="has no tag or digest"),
    RuleCase("MLP-K8S-04", "fail", with_init(image="busybox:1.37"), "init container from docker hub", environment="dev",
             message='init container "fetch"'),
    RuleCase("MLP-K8S-04", "pass", image_from_repository, "image from in-stack repository after up"),
    RuleCase("MLP-K8S-04", "pass", image_from_repository, "image unknown in preview is unverified not violated", preview=True),
    # MLP-K8S-06 load balancers
    RuleCase("MLP-K8S-06", "pass", service(annotations=INTERNAL), "internal scheme"),
    RuleCase("MLP-K8S-06", "pass", service(annotations={"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
                                           load_balancer_source_ranges=["10.0.0.0/16"]), "legacy internal annotation"),
    RuleCase("MLP-K8S-06", "pass", service(type="ClusterIP"), "cluster ip"),
    RuleCase("MLP-K8S-06", "fail", service(), "no annotation", message="internet-facing"),
    RuleCase("MLP-K8S-06", "fail", service(annotations={"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                                                        "service.beta.kubernetes.io/aws-load-balancer-internal": "true"}),
             "scheme internet-facing wins", environment="dev", message="'internet-facing'"),
    RuleCase("MLP-K8S-06", "fail", service(annotations=INTERNAL, load_balancer_source_ranges=["0.0.0.0/0"]), "open source range",
             message="admits 0.0.0.0/0"),
    # MLP-K8S-07 namespace and service account
    RuleCase("MLP-K8S-07", "pass", workload, "team namespace and account"),
    RuleCase("MLP-K8S-07", "pass", workload_in_new_namespace, "computed names in preview", preview=True),
    RuleCase("MLP-K8S-07", "pass", workload_in_new_namespace, "computed names after up"),
    RuleCase("MLP-K8S-07", "fail", lambda: workload(namespace=DELETE), "no namespace", message="metadata.namespace is not set"),
    RuleCase("MLP-K8S-07", "fail", lambda: workload("CronJob", namespace="default"), "default namespace", environment="dev",
             message="metadata.namespace is default"),
    RuleCase("MLP-K8S-07", "fail", with_pod(service_account_name=DELETE), "no service account", message="serviceAccountName is not set"),
    RuleCase("MLP-K8S-07", "fail", lambda: workload("RayCluster", pod=pod_spec(service_account_name="default")), "default service account",
             message="spec.workerGroupSpecs[0].template.spec runs as the namespace's default service account"),
    # MLP-K8S-08 RBAC
    RuleCase("MLP-K8S-08", "pass", role(READ_PODS), "read pods"),
    RuleCase("MLP-K8S-08", "pass", role({"api_groups": ["batch"], "resources": ["jobs"], "verbs": ["create", "delete"]}, READ_PODS, cluster=True),
             "cluster role with exact grants"),
    RuleCase("MLP-K8S-08", "fail", role({**READ_PODS, "verbs": ["*"]}), "wildcard verbs", message='every verb ("*")'),
    RuleCase("MLP-K8S-08", "fail", role({**READ_PODS, "resources": ["*"]}, cluster=True), "wildcard resources", environment="dev",
             message='wildcard resource "*"'),
    RuleCase("MLP-K8S-08", "fail", role({**READ_PODS, "resources": ["pods/*"]}), "wildcard subresources", message='"pods/*"'),
    RuleCase("MLP-K8S-08", "fail", role({"api_groups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["escalate"]}, cluster=True),
             "escalate", message="escalate verb"),
    RuleCase("MLP-K8S-08", "fail", role({"api_groups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create", "bind"]}),
             "bind", message="bind verb"),
    RuleCase("MLP-K8S-08", "fail", role({"api_groups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}), "impersonate",
             message="impersonate verb"),
]


# --- MLP-K8S-07 beyond workloads: every namespaced kind ------------------------------------------


def namespaced_objects(namespace: Any = "team-vision") -> Callable[[], None]:
    """A ConfigMap, Secret, Service, RoleBinding, PodDisruptionBudget, LocalQueue and Ray job spec'd
    without pods, each in `namespace` (DELETE: none)."""

    def program() -> None:
        opts = provider()
        metadata = {"name": "x"} if namespace is DELETE else {"name": "x", "namespace": namespace}
        k8s.core.v1.ConfigMap("cm", metadata=metadata, data={"a": "b"}, opts=opts)
        k8s.core.v1.Secret("secret", metadata=metadata, string_data={"a": "b"}, opts=opts)
        k8s.core.v1.Service("svc", metadata=metadata, spec={"ports": [{"port": 80}], "selector": LABELS}, opts=opts)
        k8s.rbac.v1.RoleBinding("rb", metadata=metadata, role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
                                subjects=[{"kind": "ServiceAccount", "name": "trainer", "namespace": "team-vision"}], opts=opts)
        k8s.policy.v1.PodDisruptionBudget("pdb", metadata=metadata, spec={"min_available": 1, "selector": {"match_labels": LABELS}}, opts=opts)
        k8s.apiextensions.CustomResource("queue", api_version="kueue.x-k8s.io/v1beta2", kind="LocalQueue", metadata=metadata,
                                         spec={"clusterQueue": "team-vision"}, opts=opts)

    return program


def cluster_scoped_objects() -> None:
    opts = provider()
    k8s.core.v1.Namespace("ns", metadata={"name": "team-vision"}, opts=opts)
    k8s.rbac.v1.ClusterRole("cr", metadata={"name": "reader"}, rules=[{"api_groups": [""], "resources": ["pods"], "verbs": ["get"]}], opts=opts)
    k8s.scheduling.v1.PriorityClass("pc", metadata={"name": "training"}, value=1000, opts=opts)
    k8s.apiextensions.CustomResource("flavor", api_version="kueue.x-k8s.io/v1beta2", kind="ResourceFlavor", metadata={"name": "gpu"},
                                     spec={}, opts=opts)
    k8s.apiextensions.CustomResource("cq", api_version="kueue.x-k8s.io/v1beta2", kind="ClusterQueue", metadata={"name": "team"},
                                     spec={"namespaceSelector": {}}, opts=opts)


def helm_release(namespace: Any = "kueue-system") -> Callable[[], None]:
    def program() -> None:
        args: dict[str, Any] = {"chart": "kueue", "version": "0.14.1", "repository_opts": {"repo": "oci://registry.k8s.io/kueue/charts"}}
        if namespace is not DELETE:
            args["namespace"] = namespace
        k8s.helm.v3.Release("kueue", **args, opts=provider())

    return program


CASES += [
    RuleCase("MLP-K8S-07", "pass", namespaced_objects(), "namespaced kinds in the team namespace"),
    RuleCase("MLP-K8S-07", "pass", cluster_scoped_objects, "cluster-scoped kinds have no namespace"),
    RuleCase("MLP-K8S-07", "pass", helm_release(), "helm release in its own namespace"),
    RuleCase("MLP-K8S-07", "fail", namespaced_objects(DELETE), "configmap without namespace", message="the ConfigMap is in the default namespace"),
    RuleCase("MLP-K8S-07", "fail", namespaced_objects("default"), "secret in default", message="the Secret is in the default namespace"),
    RuleCase("MLP-K8S-07", "fail", namespaced_objects("default"), "service in default", message="the Service is in the default namespace"),
    RuleCase("MLP-K8S-07", "fail", namespaced_objects("default"), "role binding in default", message="the RoleBinding is in the default"),
    RuleCase("MLP-K8S-07", "fail", namespaced_objects(DELETE), "custom kind without namespace", message="the LocalQueue is in the default"),
    RuleCase("MLP-K8S-07", "fail", helm_release(DELETE), "helm release without namespace", message="namespace is not set"),
    RuleCase("MLP-K8S-07", "pass", namespaced_objects(DELETE), "a custom kind declared cluster-scoped",
             rule_config={"cluster_scoped_kinds": ["kueue.x-k8s.io/LocalQueue", "core/ConfigMap", "core/Secret", "core/Service",
                                                   "rbac.authorization.k8s.io/RoleBinding", "policy/PodDisruptionBudget"]}),
]


# --- MLP-K8S-05 serving workloads, MLP-K8S-09 namespace guards ---------------------------------

SERVING_LABELS = {"app": "fraud", "mlplat.io/workload": "serving"}
PROBE = {"http_get": {"path": "/ping", "port": 8080}, "period_seconds": 10}


def serving_workload(*, replicas: Any = 2, probes: bool = True, pdb: Any = "match", hpa_min: Optional[int] = None,
                     in_new_namespace: bool = False, labels: Optional[dict[str, str]] = None) -> Callable[[], None]:
    def program() -> None:
        opts = provider()
        namespace: Any = "team-vision"
        if in_new_namespace:
            namespace = k8s.core.v1.Namespace("serving", opts=opts).metadata["name"]
        pod_labels = labels or SERVING_LABELS
        container = safe_container(name="server", ports=[{"container_port": 8080}])
        if probes:
            container = {**container, "readiness_probe": PROBE, "liveness_probe": PROBE}
        spec: dict[str, Any] = {"selector": {"match_labels": pod_labels},
                                "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec(containers=[container])}}
        if replicas is not DELETE:
            spec["replicas"] = replicas
        deployment = k8s.apps.v1.Deployment("fraud", metadata={"name": "fraud", "namespace": namespace, "labels": pod_labels},
                                            spec=spec, opts=opts)
        if pdb is not None:
            selector = {"match_labels": {"app": "fraud"}} if pdb == "match" else {"match_labels": {"app": pdb}}
            k8s.policy.v1.PodDisruptionBudget("fraud-pdb", metadata={"namespace": namespace},
                                              spec={"min_available": 1, "selector": selector}, opts=opts)
        if hpa_min is not None:
            k8s.autoscaling.v2.HorizontalPodAutoscaler("fraud-hpa", metadata={"namespace": namespace}, spec={
                "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": deployment.metadata["name"]},
                "min_replicas": hpa_min, "max_replicas": 6}, opts=opts)

    return program


def guarded_namespace(*, network_policy: bool = True, quota: bool = True, by_reference: bool = False,
                      workload_namespace: Optional[str] = None) -> Callable[[], None]:
    def program() -> None:
        opts = provider()
        namespace = k8s.core.v1.Namespace("team", metadata=None if by_reference else {"name": "team-vision"}, opts=opts)
        name: Any = namespace.metadata["name"] if by_reference else "team-vision"
        if network_policy:
            k8s.networking.v1.NetworkPolicy("deny", metadata={"name": "default-deny", "namespace": name},
                                            spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"]}, opts=opts)
        if quota:
            k8s.core.v1.ResourceQuota("quota", metadata={"name": "team-quota", "namespace": name},
                                      spec={"hard": {"requests.cpu": "64"}}, opts=opts)
        if workload_namespace:
            workload("Job", namespace=workload_namespace, opts=opts)

    return program


CASES += [
    # MLP-K8S-05
    RuleCase("MLP-K8S-05", "pass", serving_workload(), "probes, replicas and a budget"),
    RuleCase("MLP-K8S-05", "pass", serving_workload(in_new_namespace=True), "namespace joined by dependency in preview", preview=True),
    RuleCase("MLP-K8S-05", "pass", serving_workload(replicas=DELETE, hpa_min=2), "autoscaler keeps two"),
    RuleCase("MLP-K8S-05", "pass", serving_workload(probes=False, pdb=None, labels={"app": "fraud"}), "not a serving workload"),
    RuleCase("MLP-K8S-05", "pass", serving_workload(probes=False), "dev is not checked", environment="dev"),
    RuleCase("MLP-K8S-05", "fail", serving_workload(probes=False), "no probes", message="has no readinessProbe and no livenessProbe"),
    RuleCase("MLP-K8S-05", "fail", serving_workload(replicas=1), "one replica", message="runs 1 replica(s) (spec.replicas), fewer than 2"),
    RuleCase("MLP-K8S-05", "fail", serving_workload(replicas=DELETE), "replicas default to one", message="runs 1 replica(s)"),
    RuleCase("MLP-K8S-05", "fail", serving_workload(replicas=4, hpa_min=1), "autoscaler down to one", environment="staging",
             message="its autoscaler's minReplicas"),
    RuleCase("MLP-K8S-05", "fail", serving_workload(pdb=None), "no budget", message="no PodDisruptionBudget"),
    RuleCase("MLP-K8S-05", "fail", serving_workload(pdb="other"), "budget selects other pods", message="no PodDisruptionBudget"),
    # MLP-K8S-09
    RuleCase("MLP-K8S-09", "pass", guarded_namespace(), "policy and quota by name"),
    RuleCase("MLP-K8S-09", "pass", guarded_namespace(by_reference=True), "joined by dependency in preview", preview=True),
    RuleCase("MLP-K8S-09", "pass", guarded_namespace(workload_namespace="team-vision"), "workload in the guarded namespace"),
    RuleCase("MLP-K8S-09", "fail", guarded_namespace(network_policy=False), "no network policy", message="has no NetworkPolicy"),
    RuleCase("MLP-K8S-09", "fail", guarded_namespace(quota=False, by_reference=True), "no quota in preview", preview=True,
             message="has no ResourceQuota"),
    RuleCase("MLP-K8S-09", "fail", guarded_namespace(workload_namespace="team-nlp"), "workload in an unguarded namespace",
             environment="dev", message="namespace team-nlp has no NetworkPolicy and no ResourceQuota"),
]
