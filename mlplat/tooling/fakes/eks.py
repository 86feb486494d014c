"""Fakes for training clusters: EKS, the IAM OIDC provider, launch templates, ECR pull-through
cache rules, Kubernetes objects (built-in kinds, Kueue, Karpenter and KubeRay custom resources, Helm
releases) and the S3 prefix-list invoke (ECR repositories are faked in `ml_lifecycle`).

Kubernetes objects come back as the API server returns them: the inputs, with the metadata the
server fills in (uid, resourceVersion, generation, creationTimestamp), the namespace
`default` for a namespaced object that names none, and the status of kinds whose status callers
read: a Namespace's phase, the replica counts of a workload (Deployment, StatefulSet, ReplicaSet,
DaemonSet), a Service's cluster IP, node ports and, for type LoadBalancer, the load balancer's
hostname, an Ingress's hostname, a Pod's phase and IP, a claim's binding, a Job's completion, an
autoscaler's replica count. Ids are `<namespace>/<name>` for namespaced objects and `<name>`
otherwise, as the Kubernetes provider's are; an object without a name is auto-named
`<logical name>-<8 hex>`, as the provider does.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any, Mapping, Optional

import pulumi_kubernetes  # noqa: F401  (registers the Kubernetes resource modules enumerated below)

from mlplat.core.sdk_compat import module_classes, registered_modules
from mlplat.core.vocabulary import DEFAULT_KUBERNETES_VERSION

from ._core import HELM_V4_CHART, FakeContext, Outputs, RealisticMocks, fallback, fake, fake_uuid, invoke, stable_hex

__all__ = ["CREATED_AT", "CUSTOM_RESOURCE_SCOPES", "HELM_RELEASE", "S3_PREFIX_LIST_CIDRS"]

CREATED_AT = "2026-01-01T00:00:00Z"

# --- EKS -------------------------------------------------------------------------------------


def _fake_certificate(ctx: FakeContext) -> str:
    body = base64.b64encode(bytes.fromhex(stable_hex(ctx.seed + "ca", 96))).decode()
    pem = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    return base64.b64encode(pem.encode()).decode()


@fake("aws:eks/cluster:Cluster")
def _eks_cluster(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    endpoint_id = stable_hex(ctx.seed + "endpoint", 32).upper()
    oidc_id = stable_hex(ctx.seed + "oidc", 32).upper()
    vpc_config = dict(props.get("vpcConfig") or {})
    vpc_config.update(
        {
            "clusterSecurityGroupId": f"sg-{stable_hex(ctx.seed + 'cluster-sg', 17)}",
            "vpcId": f"vpc-{stable_hex(ctx.seed + 'vpc', 17)}",
        }
    )
    vpc_config.setdefault("endpointPrivateAccess", False)
    vpc_config.setdefault("endpointPublicAccess", True)
    if vpc_config["endpointPublicAccess"]:
        vpc_config.setdefault("publicAccessCidrs", ["0.0.0.0/0"])
    network = dict(props.get("kubernetesNetworkConfig") or {})
    network.setdefault("serviceIpv4Cidr", "172.20.0.0/16")
    network.setdefault("ipFamily", "ipv4")
    return name, {
        "name": name,
        "arn": ctx.arn("eks", f"cluster/{name}"),
        "clusterId": fake_uuid(ctx.seed + "cluster-id"),
        "endpoint": f"https://{endpoint_id}.gr7.{ctx.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": _fake_certificate(ctx)},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{oidc_id}"}]}],
        "status": "ACTIVE",
        "version": props.get("version") or DEFAULT_KUBERNETES_VERSION,
        "platformVersion": "eks.8",
        "createdAt": CREATED_AT,
        "vpcConfig": vpc_config,
        "kubernetesNetworkConfig": network,
    }


@fake("aws:eks/nodeGroup:NodeGroup")
def _eks_node_group(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    cluster = props.get("clusterName") or "cluster"
    name = props.get("nodeGroupName") or f"{ctx.name}-{ctx.hex(8)}"
    version = props.get("version") or DEFAULT_KUBERNETES_VERSION
    group_id = fake_uuid(ctx.seed + "nodegroup")
    return f"{cluster}:{name}", {
        "nodeGroupName": name,
        "arn": ctx.arn("eks", f"nodegroup/{cluster}/{name}/{group_id}"),
        "status": "ACTIVE",
        "capacityType": props.get("capacityType") or "ON_DEMAND",
        "amiType": props.get("amiType") or "AL2023_x86_64_STANDARD",
        "version": version,
        "releaseVersion": f"{version}.2-20260101",
        "resources": [
            {"autoscalingGroups": [{"name": f"eks-{name}-{group_id}"}], "remoteAccessSecurityGroupId": ""}
        ],
    }


@fake("aws:eks/addon:Addon")
def _eks_addon(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    cluster = props.get("clusterName") or "cluster"
    addon = props.get("addonName") or ctx.name
    versions = {"vpc-cni": "v1.20.4-eksbuild.1", "coredns": "v1.12.4-eksbuild.1", "kube-proxy": "v1.34.1-eksbuild.2"}
    return f"{cluster}:{addon}", {
        "arn": ctx.arn("eks", f"addon/{cluster}/{addon}/{fake_uuid(ctx.seed + 'addon')}"),
        "addonVersion": props.get("addonVersion") or versions.get(addon, "v1.0.0-eksbuild.1"),
        "createdAt": CREATED_AT,
        "modifiedAt": CREATED_AT,
    }


def _principal_path(principal: str) -> str:
    # arn:aws:iam::123456789012:role/path/name -> role/123456789012/name
    try:
        _, _, _, _, account, resource = principal.split(":", 5)
    except ValueError:
        return f"unknown/{principal}"
    kind, _, rest = resource.partition("/")
    return f"{kind}/{account}/{rest.rsplit('/', 1)[-1]}"


@fake("aws:eks/accessEntry:AccessEntry")
def _eks_access_entry(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    cluster = props.get("clusterName") or "cluster"
    principal = str(props.get("principalArn") or "")
    return f"{cluster}:{principal}", {
        "accessEntryArn": ctx.arn("eks", f"access-entry/{cluster}/{_principal_path(principal)}/{fake_uuid(ctx.seed)}"),
        "type": props.get("type") or "STANDARD",
        "userName": principal,
        "kubernetesGroups": list(props.get("kubernetesGroups") or []),
        "createdAt": CREATED_AT,
        "modifiedAt": CREATED_AT,
    }


@fake("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
def _eks_access_policy_association(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    cluster = props.get("clusterName") or "cluster"
    return f"{cluster}#{props.get('principalArn')}#{props.get('policyArn')}", {
        "associatedAt": CREATED_AT,
        "modifiedAt": CREATED_AT,
    }


# --- IAM, EC2, ECR ---------------------------------------------------------------------------


@fake("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc_provider(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    url = str(props.get("url") or f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{ctx.hex(32).upper()}")
    host_path = url.removeprefix("https://")
    arn = ctx.arn("iam", f"oidc-provider/{host_path}", region=False)
    return arn, {"arn": arn, "url": url, "thumbprintLists": list(props.get("thumbprintLists") or [])}


@fake("aws:ec2/launchTemplate:LaunchTemplate")
def _launch_template(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    lt = f"lt-{ctx.hex(17)}"
    return lt, {
        "arn": ctx.arn("ec2", f"launch-template/{lt}"),
        "name": ctx.name_from(props, "name"),
        "latestVersion": 1,
        "defaultVersion": 1,
    }


@fake("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
def _pull_through_cache_rule(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    prefix = props.get("ecrRepositoryPrefix") or ctx.name
    return str(prefix), {
        "registryId": ctx.account,
        "upstreamRepositoryPrefix": props.get("upstreamRepositoryPrefix") or "ROOT",
    }


# --- Kubernetes ------------------------------------------------------------------------------

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HELM_TEMPLATE = "kubernetes:helm:template"  # the provider's rendering of a v3 Chart

# Custom resources the platform declares (`kubernetes:<group>/<version>:<Kind>`), by scope.
CUSTOM_RESOURCE_SCOPES: dict[str, bool] = {
    "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue": False,
    "kubernetes:kueue.x-k8s.io/v1beta2:Cohort": False,
    "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor": False,
    "kubernetes:kueue.x-k8s.io/v1beta2:WorkloadPriorityClass": False,
    "kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue": True,
    "kubernetes:karpenter.sh/v1:NodePool": False,
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": False,
    "kubernetes:ray.io/v1:RayCluster": True,
    "kubernetes:ray.io/v1:RayJob": True,
    "kubernetes:ray.io/v1:RayService": True,
}

# Built-in kinds that are cluster-scoped (everything else the SDK knows is namespaced).
_CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "PriorityClass",
        "StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "RuntimeClass", "IngressClass",
        "CustomResourceDefinition", "APIService", "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "PriorityLevelConfiguration",
        "FlowSchema", "CertificateSigningRequest", "ClusterTrustBundle", "DeviceClass", "ResourceSlice",
        "IPAddress", "ServiceCIDR", "StorageVersion", "StorageVersionMigration", "VolumeAttributesClass",
        "TokenReview", "SelfSubjectReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview",
        "SubjectAccessReview", "ComponentStatus",
    }
)  # fmt: skip

_NOT_OBJECTS = ("List", "Patch")  # list kinds and server-side-apply patch resources


def _kubernetes_object_tokens() -> dict[str, bool]:
    """Every built-in Kubernetes object type token the SDK registers, with whether it is namespaced."""
    tokens: dict[str, bool] = {}
    for module_name in registered_modules("kubernetes"):
        for token in module_classes("kubernetes", module_name):
            kind = token.rsplit(":", 1)[-1]
            if module_name.startswith(("helm.sh", "yaml", "kustomize")) or kind.endswith(_NOT_OBJECTS):
                continue
            tokens[token] = kind not in _CLUSTER_SCOPED_KINDS
    return tokens


def _kubernetes_object(namespaced: bool):
    def make(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
        metadata = copy.deepcopy(dict(props.get("metadata") or {}))
        metadata.setdefault("name", f"{ctx.name}-{ctx.hex(8)}")
        if namespaced:
            metadata.setdefault("namespace", "default")
        metadata.update(
            {
                "uid": fake_uuid(ctx.seed + "uid"),
                "resourceVersion": str(int(ctx.hex(6), 16)),
                "generation": 1,
                "creationTimestamp": CREATED_AT,
            }
        )
        out: Outputs = {"metadata": metadata}
        by_kind = _SERVER_FILLED.get(str(props.get("kind")))
        if by_kind is not None:
            out.update(by_kind(ctx, props, metadata))
        object_id = f"{metadata['namespace']}/{metadata['name']}" if namespaced else metadata["name"]
        return object_id, out

    return make


# --- what the API server and the controllers fill in, by kind --------------------------------


def _replicas(props: Mapping[str, Any]) -> int:
    spec = props.get("spec") or {}
    replicas = spec.get("replicas") if isinstance(spec, Mapping) else None
    return replicas if isinstance(replicas, int) else 1


def _workload(ctx: FakeContext, props: Mapping[str, Any], metadata: Mapping[str, Any]) -> Outputs:
    n = _replicas(props)
    status: Outputs = {"observedGeneration": 1, "replicas": n, "readyReplicas": n, "availableReplicas": n,
                       "updatedReplicas": n}  # fmt: skip
    kind = props.get("kind")
    if kind == "Deployment":
        status["conditions"] = [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "lastTransitionTime": CREATED_AT},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "lastTransitionTime": CREATED_AT},
        ]
    elif kind == "StatefulSet":
        revision = f"{metadata['name']}-{ctx.hex(10)}"
        status.update({"currentReplicas": n, "currentRevision": revision, "updateRevision": revision})
    return {"status": status}


def _daemon_set(ctx: FakeContext, props: Mapping[str, Any], metadata: Mapping[str, Any]) -> Outputs:
    return {"status": {"observedGeneration": 1, "desiredNumberScheduled": 1, "currentNumberScheduled": 1,
                       "numberReady": 1, "numberAvailable": 1, "updatedNumberScheduled": 1, "numberMisscheduled": 0}}  # fmt: skip


def _elb_hostname(ctx: FakeContext, metadata: Mapping[str, Any]) -> str:
    return f"a{stable_hex(ctx.seed + 'elb', 32)}-{int(ctx.hex(9), 16) % 10**10}.{ctx.region}.elb.amazonaws.com"


def _cluster_ip(ctx: FakeContext) -> str:
    digits = stable_hex(ctx.seed + "cluster-ip", 4)
    return f"172.20.{int(digits[:2], 16)}.{1 + int(digits[2:], 16) % 254}"


def _service(ctx: FakeContext, props: Mapping[str, Any], metadata: Mapping[str, Any]) -> Outputs:
    spec = copy.deepcopy(dict(props.get("spec") or {}))
    service_type = spec.setdefault("type", "ClusterIP")
    if service_type != "ExternalName":
        if spec.get("clusterIP") in (None, ""):
            spec["clusterIP"] = _cluster_ip(ctx)
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if service_type in ("NodePort", "LoadBalancer"):
        ports = []
        for index, port in enumerate(spec.get("ports") or []):
            port = dict(port) if isinstance(port, Mapping) else port
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
                port.setdefault("nodePort", 30000 + (int(stable_hex(ctx.seed + str(index), 4), 16) % 2768))
            ports.append(port)
        spec["ports"] = ports
        spec.setdefault("externalTrafficPolicy", "Cluster")
    status: Outputs = {"loadBalancer": {}}
    if service_type == "LoadBalancer":
        status = {"loadBalancer": {"ingress": [{"hostname": _elb_hostname(ctx, metadata)}]}}
    return {"spec": spec, "status": status}


def _ingress(ctx: FakeContext, props: Mapping[str, Any], metadata: Mapping[str, Any]) -> Outputs:
    name = f"k8s-{str(metadata.get('namespace', 'default'))[:8]}-{str(metadata['name'])[:8]}-{ctx.hex(10)}"
    hostname = f"{name}-{int(ctx.hex(9), 16) % 10**10}.{ctx.region}.elb.amazonaws.com"
    return {"status": {"loadBalancer": {"ingress": [{"hostname": hostname}]}}}


def _pod(ctx: FakeContext, props: Mapping[str, Any], metadata: Mapping[str, Any]) -> Outputs:
    digits = stable_hex(ctx.seed + "pod-ip", 4)
    return {"status": {"phase": "Running", "podIP": f"10.0.{int(digits[:2], 16)}.{1 + int(digits[2:], 16) % 254}",
                       "hostIP": "10.0.0.10", "startTime": CREATED_AT, "qosClass": "BestEffort",
                       "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": CREATED_AT}]}}  # fmt: skip


def _claim(ctx: FakeContext, props: Mapping[str, Any], metadata: Mapping[str, Any]) -> Outputs:
    spec = props.get("spec") or {}
    requests = ((spec.get("resources") or {}).get("requests") or {}) if isinstance(spec, Mapping) else {}
    return {"status": {"phase": "Bound", "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                       "capacity": {"storage": requests.get("storage", "1Gi")}}}  # fmt: skip


def _job(ctx: FakeContext, props: Mapping[str, Any], metadata: Mapping[str, Any]) -> Outputs:
    # The provider waits for a Job to complete before it reports it created.
    return {"status": {"succeeded": 1, "startTime": CREATED_AT, "completionTime": CREATED_AT,
                       "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": CREATED_AT}]}}  # fmt: skip


def _autoscaler(ctx: FakeContext, props: Mapping[str, Any], metadata: Mapping[str, Any]) -> Outputs:
    spec = props.get("spec") or {}
    low = spec.get("minReplicas") if isinstance(spec, Mapping) else None
    replicas = low if isinstance(low, int) else 1
    return {"status": {"currentReplicas": replicas, "desiredReplicas": replicas}}


_SERVER_FILLED = {
    "Namespace": lambda ctx, props, metadata: {"status": {"phase": "Active"}},
    "Deployment": _workload, "StatefulSet": _workload, "ReplicaSet": _workload, "DaemonSet": _daemon_set,
    "Service": _service, "Ingress": _ingress, "Pod": _pod, "PersistentVolumeClaim": _claim, "Job": _job,
    "HorizontalPodAutoscaler": _autoscaler,
}  # fmt: skip


_namespaced = _kubernetes_object(True)
_cluster_scoped = _kubernetes_object(False)
for _token, _is_namespaced in {**_kubernetes_object_tokens(), **CUSTOM_RESOURCE_SCOPES}.items():
    fake(_token)(_namespaced if _is_namespaced else _cluster_scoped)


@fallback("kubernetes:")
def _custom_resource(ctx: FakeContext, type_token: str, props: Mapping[str, Any]) -> Optional[tuple[str, Outputs]]:
    """A custom resource of a CRD the SDK has no class for: namespaced when the program gave a namespace."""
    if "/" not in type_token.split(":")[1]:  # `kubernetes:<group>/<version>:<Kind>` only
        return None
    metadata = props.get("metadata")
    namespaced = isinstance(metadata, Mapping) and bool(metadata.get("namespace"))
    return (_namespaced if namespaced else _cluster_scoped)(ctx, props)


@fake(HELM_RELEASE)
def _helm_release(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = props.get("name") or f"{ctx.name}-{ctx.hex(8)}"
    namespace = props.get("namespace") or "default"
    chart = str(props.get("chart") or "")
    version = props.get("version") or "0.0.0"
    return f"{namespace}/{name}", {
        "name": name,
        "namespace": namespace,
        "status": {
            "name": name,
            "namespace": namespace,
            "chart": chart.rsplit("/", 1)[-1],
            "version": version,
            "appVersion": f"v{version}",
            "revision": 1,
            "status": "deployed",
        },
    }


@fake(HELM_V4_CHART)
def _helm_chart_v4(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    """The provider renders the chart with Helm and registers its objects: offline there are none."""
    return f"{props.get('namespace') or 'default'}/{props.get('name') or ctx.name}", {"resources": []}


# --- invokes ---------------------------------------------------------------------------------


@invoke("kubernetes:yaml:decode")
def _yaml_decode(m: "RealisticMocks", args: Mapping[str, Any]) -> dict[str, Any]:
    """The provider's YAML decoding (`yaml.ConfigFile`, `yaml.ConfigGroup`): the same documents, parsed here."""
    import yaml

    return {"result": [doc for doc in yaml.safe_load_all(str(args.get("text") or "")) if doc]}


@invoke(HELM_TEMPLATE)
def _helm_template(m: "RealisticMocks", args: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's v3 Chart asks the provider to render the chart (`helm template`): offline no object comes back,
    and the plan says so (pin the rendered objects with `--invoke-results` to plan them)."""
    try:
        options = json.loads(args.get("jsonOpts") or "{}")
    except (TypeError, ValueError):
        options = {}
    fetch = options.get("fetch_opts") or {}
    chart = options.get("path") or options.get("chart") or "?"
    version = options.get("version") or fetch.get("version")
    release = options.get("release_name") or "?"
    m.generic.unrendered_chart(
        f"kubernetes:helm.sh/v3:Chart {release!r} (chart {chart!r}{f', version {version}' if version else ''}): "
        "no object of the chart is in the plan and `get_resource` finds none; to plan them, render the chart "
        "(`helm template`) and pin its objects: --invoke-results FILE with "
        "`kubernetes:helm:template: {result: [<object>, ...]}`"
    )
    return {"result": []}

# The S3 prefix list (us-east-1's ranges; every region's list has this shape). `sagemaker.py`
# answers the same invoke for adopted VPCs; whichever module imports last answers.
S3_PREFIX_LIST_CIDRS: tuple[str, ...] = (
    "16.15.176.0/20", "16.182.0.0/16", "18.34.0.0/19", "18.34.232.0/21", "3.5.0.0/19",
    "44.192.134.240/28", "44.192.140.64/28", "52.216.0.0/15", "54.231.0.0/16",
)  # fmt: skip


@invoke("aws:ec2/getPrefixList:getPrefixList")
def _prefix_list(m: "RealisticMocks", args: Mapping[str, Any]) -> dict[str, Any]:
    name = args.get("name") or f"com.amazonaws.{m.region}.s3"
    service = str(name).rsplit(".", 1)[-1]
    list_id = args.get("prefixListId") or f"pl-{stable_hex(str(name), 8)}"
    cidrs = list(S3_PREFIX_LIST_CIDRS) if service == "s3" else ["52.94.0.0/22"]
    return {"id": list_id, "prefixListId": list_id, "name": name, "cidrBlocks": cidrs, "filters": []}
