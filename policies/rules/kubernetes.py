"""Kubernetes workloads (MLP-K8S-01..04, 06..08): pod security, resources, images, exposure,
namespaces and RBAC, as resource rules over pulumi-kubernetes inputs.

Where the pod spec sits, per kind (`pod_specs` yields each one with its path):

    Pod                                                  spec
    Deployment, StatefulSet, DaemonSet, ReplicaSet,
    ReplicationController, Job                           spec.template.spec
    PodTemplate                                          template.spec
    CronJob                                              spec.jobTemplate.spec.template.spec
    KubeRay RayCluster                                   spec.headGroupSpec.template.spec,
                                                         spec.workerGroupSpecs[i].template.spec
    KubeRay RayJob                                       spec.rayClusterSpec.(as RayCluster),
                                                         spec.submitterPodTemplate.spec
    KubeRay RayService                                   spec.rayClusterConfig.(as RayCluster)

Init containers count as containers for every container check (K8S-01..04): they run with the
pod's privileges and node access, pull images like any other container, and their requests and
limits enter the pod's effective resources (sidecar init containers run for the pod's whole
life). Ephemeral containers cannot be declared at creation and are not read.

Not inspected: Helm releases (`kubernetes:helm.sh/v3:Release`, `kubernetes:helm.sh/v4:Chart`)
render their objects inside the provider, so their internals never reach a policy (pin and
review chart values instead); `*Patch` resources, which are partial by design; objects of other
custom resource kinds. Custom resources keep the keys their program gives them, so a KubeRay
template must use the API's camelCase field names (as the API server requires) to be read.

The default namespace (K8S-07) is checked on every namespaced kind (built-in cluster-scoped kinds
are known; custom kinds are namespaced unless listed in `cluster_scoped_kinds`) and on Helm
releases (`namespace`). It is read from `metadata.namespace` only: an absent namespace is
`default`, even where the Kubernetes provider sets its own default namespace, which a resource
rule cannot see. A namespace or service account name only known after `pulumi up` (an in-stack
Namespace's or ServiceAccount's name) is not `default` (neither can be created by a program).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from pydantic import Field

from mlplat.core.sdk_compat import UnknownValueError

from ._framework import Finding, ResourceView, RuleConfig, RuleContext, is_open_cidr, resource_rule, stack_rule, strings
from ._references import stack_index

# --- where the pods are ----------------------------------------------------------------------

_TEMPLATE = ("spec", "template", "spec")
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:core/v1:PodTemplate": ("template", "spec"),
    "kubernetes:core/v1:ReplicationController": _TEMPLATE,
    "kubernetes:apps/v1:Deployment": _TEMPLATE,
    "kubernetes:apps/v1:StatefulSet": _TEMPLATE,
    "kubernetes:apps/v1:DaemonSet": _TEMPLATE,
    "kubernetes:apps/v1:ReplicaSet": _TEMPLATE,
    "kubernetes:batch/v1:Job": _TEMPLATE,
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
RAY_CLUSTER = "kubernetes:ray.io/v1:RayCluster"
RAY_JOB = "kubernetes:ray.io/v1:RayJob"
RAY_SERVICE = "kubernetes:ray.io/v1:RayService"
RAY_TYPES = (RAY_CLUSTER, RAY_JOB, RAY_SERVICE)
WORKLOAD_TYPES: tuple[str, ...] = tuple(POD_SPEC_PATHS) + RAY_TYPES
SERVICE_TYPE = "kubernetes:core/v1:Service"
RBAC_ROLE_TYPES = (
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
)


def _dig(value: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def _ray_cluster_pods(spec: Any, prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    head = _dig(spec, "headGroupSpec", "template", "spec")
    if isinstance(head, Mapping):
        yield f"{prefix}.headGroupSpec.template.spec", head
    for index, group in enumerate(_mappings(_dig(spec, "workerGroupSpecs"))):
        pod = _dig(group, "template", "spec")
        if isinstance(pod, Mapping):
            yield f"{prefix}.workerGroupSpecs[{index}].template.spec", pod


def pod_specs(r: ResourceView) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, pod spec) for every pod template a workload declares; nothing for other types."""
    path = POD_SPEC_PATHS.get(r.type)
    if path is not None:
        pod = _dig(r.props, *path)
        if isinstance(pod, Mapping):
            yield ".".join(path), pod
    elif r.type == RAY_CLUSTER:
        yield from _ray_cluster_pods(r.get("spec"), "spec")
    elif r.type == RAY_JOB:
        yield from _ray_cluster_pods(r.get("spec.rayClusterSpec"), "spec.rayClusterSpec")
        submitter = r.get("spec.submitterPodTemplate.spec")
        if isinstance(submitter, Mapping):
            yield "spec.submitterPodTemplate.spec", submitter
    elif r.type == RAY_SERVICE:
        yield from _ray_cluster_pods(r.get("spec.rayClusterConfig"), "spec.rayClusterConfig")


@dataclass(frozen=True)
class Container:
    where: str  # the pod spec's path
    kind: str  # "container" or "init container"
    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        name = self.spec.get("name")
        return str(name) if name else "?"

    @property
    def label(self) -> str:
        return f'{self.kind} "{self.name}" ({self.where})'

    def get(self, *path: str) -> Any:
        return _dig(self.spec, *path)


def containers(where: str, pod: Mapping[str, Any]) -> Iterator[Container]:
    """The pod's init containers, then its containers."""
    for field_name, kind in (("initContainers", "init container"), ("containers", "container")):
        for spec in _mappings(pod.get(field_name)):
            yield Container(where, kind, spec)


def workload_containers(r: ResourceView) -> Iterator[tuple[str, Mapping[str, Any], Container]]:
    for where, pod in pod_specs(r):
        for container in containers(where, pod):
            yield where, pod, container


# --- MLP-K8S-01 ------------------------------------------------------------------------------

HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


@resource_rule(
    id="MLP-K8S-01", name="mlplat-k8s-workload-deny-host-access", severity="critical",
    description="Pods are not privileged and share nothing with the node: no hostNetwork/hostPID/hostIPC, hostPath volumes or hostPorts",
    remediation=(
        "Remove securityContext.privileged from every container and init container.",
        "Remove hostNetwork, hostPID and hostIPC from the pod spec; expose ports through a Service instead of hostPort.",
        "Replace hostPath volumes with emptyDir, a PersistentVolumeClaim, a ConfigMap/Secret or a CSI volume.",
    ),
    frameworks=("CKV_K8S_16", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "NIST-800-53:AC-6"),
    levels=("mandatory", "mandatory"), types=WORKLOAD_TYPES,
)
def no_host_access(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for where, pod in pod_specs(r):
        for flag in HOST_NAMESPACES:
            if pod.get(flag) is True:
                yield Finding(f"{where} sets {flag}: the pod shares the node's namespace", key=flag)
        for volume in _mappings(pod.get("volumes")):
            if volume.get("hostPath") is not None:
                path = _dig(volume, "hostPath", "path")
                yield Finding(f'{where} mounts the node path {path} as hostPath volume "{volume.get("name")}"', key=f"hostPath:{volume.get('name')}")
        for container in containers(where, pod):
            if container.get("securityContext", "privileged") is True:
                yield Finding(f"{container.label} runs privileged", key=f"privileged:{container.name}")
            for port in _mappings(container.get("ports")):
                host_port = port.get("hostPort")
                if host_port not in (None, 0):
                    yield Finding(f"{container.label} binds hostPort {int(host_port)}", key=f"hostPort:{container.name}")


# --- MLP-K8S-02 ------------------------------------------------------------------------------

ALLOWED_ADDED_CAPABILITIES = ("NET_BIND_SERVICE",)  # the only one the restricted Pod Security Standard allows


@resource_rule(
    id="MLP-K8S-02", name="mlplat-k8s-workload-restrict-security-context", severity="high",
    description=(
        "Every container runs as non-root (runAsNonRoot at pod or container level, never UID 0), "
        "sets allowPrivilegeEscalation false and drops ALL capabilities (adding back at most NET_BIND_SERVICE)"
    ),
    remediation=(
        "Set the pod's securityContext.run_as_non_root=True (and run_as_user to a non-zero UID if the image has no USER).",
        "Set each container's security_context.allow_privilege_escalation=False.",
        "Set each container's security_context.capabilities={'drop': ['ALL']}; add back only NET_BIND_SERVICE if a port below 1024 is needed.",
    ),
    frameworks=("CKV_K8S_20", "CKV_K8S_28", "NIST-800-53:AC-6"), levels=("advisory", "mandatory"), types=WORKLOAD_TYPES,
)
def restricted_security_context(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for where, pod, container in workload_containers(r):
        pod_context = pod.get("securityContext") if isinstance(pod.get("securityContext"), Mapping) else {}
        non_root = container.get("securityContext", "runAsNonRoot")
        if non_root is None:
            non_root = pod_context.get("runAsNonRoot")
        user = container.get("securityContext", "runAsUser")
        if user is None:
            user = pod_context.get("runAsUser")
        if non_root is not True:
            yield Finding(f"{container.label} does not set runAsNonRoot (pod or container securityContext)", key=f"runAsNonRoot:{container.name}")
        if user is not None and user == 0:
            yield Finding(f"{container.label} runs as UID 0 (runAsUser: 0)", key=f"runAsUser:{container.name}")
        if container.get("securityContext", "allowPrivilegeEscalation") is not False:
            yield Finding(f"{container.label} does not set allowPrivilegeEscalation: false", key=f"allowPrivilegeEscalation:{container.name}")
        capabilities = container.get("securityContext", "capabilities")
        dropped = [c.upper() for c in strings(_dig(capabilities, "drop"))]
        if "ALL" not in dropped:
            yield Finding(f"{container.label} does not drop ALL capabilities", key=f"capabilities:{container.name}")
        added = [c for c in strings(_dig(capabilities, "add")) if c.upper().removeprefix("CAP_") not in ALLOWED_ADDED_CAPABILITIES]
        if added:
            yield Finding(f"{container.label} adds capabilities {', '.join(added)}", key=f"capabilities-add:{container.name}")


# --- MLP-K8S-03 ------------------------------------------------------------------------------


class ResourcesConfig(RuleConfig):
    required_resources: list[str] = Field(
        default_factory=lambda: ["cpu", "memory"],
        description="Resources every container must request and limit.",
    )
    accelerator_resources: list[str] = Field(
        default_factory=lambda: ["nvidia.com/gpu", "aws.amazon.com/neuron", "aws.amazon.com/neuroncore", "aws.amazon.com/neurondevice"],
        description="Extended (accelerator) resources that a container requesting them must also set in limits.",
    )


def _quantity_set(value: Any) -> bool:
    return value is not None and value != ""


@resource_rule(
    id="MLP-K8S-03", name="mlplat-k8s-workload-bound-resources", severity="medium",
    description="Every container (init containers included) sets cpu and memory requests and limits; a container requesting GPUs sets them in limits",
    remediation=(
        "Set resources.requests and resources.limits for cpu and memory on every container and init container.",
        "Set nvidia.com/gpu (or the Neuron resource) in resources.limits; Kubernetes schedules extended resources from limits.",
    ),
    frameworks=("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13", "NIST-800-53:SC-6"),
    levels=("advisory", "mandatory"), types=WORKLOAD_TYPES, config=ResourcesConfig,
)
def resources_bounded(r: ResourceView, cfg: ResourcesConfig, ctx: RuleContext) -> Iterable[Finding]:
    for _where, _pod, container in workload_containers(r):
        requests = container.get("resources", "requests")
        limits = container.get("resources", "limits")
        requests = requests if isinstance(requests, Mapping) else {}
        limits = limits if isinstance(limits, Mapping) else {}
        for section, values in (("requests", requests), ("limits", limits)):
            missing = [name for name in cfg.required_resources if not _quantity_set(values.get(name))]
            if missing:
                yield Finding(f"{container.label} sets no {section} for {', '.join(missing)}", key=f"{section}:{container.name}")
        for accelerator in cfg.accelerator_resources:
            if _quantity_set(requests.get(accelerator)) and not _quantity_set(limits.get(accelerator)):
                yield Finding(f"{container.label} requests {accelerator} without setting it in limits", key=f"{accelerator}:{container.name}")


# --- MLP-K8S-04 ------------------------------------------------------------------------------


class ImageConfig(RuleConfig):
    allowed_registries: list[str] = Field(
        default_factory=lambda: ["*.dkr.ecr.*.amazonaws.com/"],
        description=(
            "Image reference prefixes images must start with; '*' matches within one path segment. The default is private ECR "
            "of any account and region, which includes the project's ECR pull-through caches (<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/...)."
        ),
    )


DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _prefix_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile("".join("[^/]*" if ch == "*" else re.escape(ch) for ch in prefix))


@dataclass(frozen=True)
class ImageRef:
    name: str
    tag: Optional[str]
    digest: Optional[str]

    @classmethod
    def parse(cls, image: str) -> "ImageRef":
        name, _, digest = image.partition("@")
        last = name.rsplit("/", 1)[-1]
        tag = None
        if ":" in last:
            name, tag = name.rsplit(":", 1)
        return cls(name, tag or None, digest or None)


@resource_rule(
    id="MLP-K8S-04", name="mlplat-k8s-workload-pin-trusted-images", severity="high",
    description=(
        "Every container image comes from an allowed registry (private ECR and its pull-through caches by default), "
        "carries a tag other than latest or a digest, and is pinned by @sha256 digest in staging and prod"
    ),
    remediation=(
        "Push the image to the platform's ECR (or pull it through an ECR pull-through cache rule) and reference it there.",
        "Reference images by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>@sha256:<digest>.",
    ),
    frameworks=("CKV_K8S_14", "CKV_K8S_43", "NIST-800-53:SI-7"), levels=("advisory", "mandatory"),
    types=WORKLOAD_TYPES, config=ImageConfig,
)
def images_trusted(r: ResourceView, cfg: ImageConfig, ctx: RuleContext) -> Iterable[Finding]:
    registries = [_prefix_pattern(p) for p in cfg.allowed_registries]
    for _where, _pod, container in workload_containers(r):
        image = container.spec.get("image")
        label = container.label
        if not isinstance(image, str) or not image:
            yield Finding(f"{label} names no image", key=f"image:{container.name}")
            continue
        if not any(p.match(image) for p in registries):
            yield Finding(
                f"{label} image {image} is not from an allowed registry ({', '.join(cfg.allowed_registries)})",
                key=f"registry:{container.name}",
            )
        ref = ImageRef.parse(image)
        if ref.digest is None:
            if ref.tag is None:
                yield Finding(f"{label} image {image} has no tag or digest (resolves to latest)", key=f"tag:{container.name}")
            elif ref.tag == "latest":
                yield Finding(f"{label} image {image} uses the mutable tag latest", key=f"tag:{container.name}")
        elif not DIGEST.fullmatch(ref.digest):
            yield Finding(f"{label} image {image} has a malformed digest (expected sha256:<64 hex>)", key=f"digest:{container.name}")
        if ctx.is_prod_like and ref.digest is None:
            yield Finding(f"{label} image {image} is not pinned by @sha256 digest ({ctx.environment})", key=f"digest:{container.name}")


# --- MLP-K8S-06 ------------------------------------------------------------------------------

SCHEME_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-scheme"
INTERNAL_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-internal"
SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


@resource_rule(
    id="MLP-K8S-06", name="mlplat-k8s-service-require-internal-lb", severity="critical",
    description=(
        "LoadBalancer Services are internal (aws-load-balancer-scheme: internal, or aws-load-balancer-internal: \"true\") "
        "and their source ranges never include 0.0.0.0/0 or ::/0"
    ),
    remediation=(
        "Annotate the Service with service.beta.kubernetes.io/aws-load-balancer-scheme: internal.",
        "Set spec.load_balancer_source_ranges to the VPC or client CIDRs, never 0.0.0.0/0; publish externally only through a reviewed ingress path.",
    ),
    frameworks=("NIST-800-53:SC-7",), levels=("advisory", "mandatory"), types=(SERVICE_TYPE,),
)
def load_balancer_internal(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    if r.get("spec.type") != "LoadBalancer":
        return
    annotations = r.get("metadata.annotations")
    annotations = annotations if isinstance(annotations, Mapping) else {}
    scheme = annotations.get(SCHEME_ANNOTATION)
    if scheme is not None:
        internal = str(scheme).strip().lower() == "internal"
        why = f"{SCHEME_ANNOTATION} is {scheme!r}"
    else:
        internal = str(annotations.get(INTERNAL_ANNOTATION, "")).strip().lower() == "true"
        why = f"neither {SCHEME_ANNOTATION}: internal nor {INTERNAL_ANNOTATION}: \"true\" is set"
    if not internal:
        yield Finding(f"the LoadBalancer Service is internet-facing: {why}", key="scheme")
    ranges = strings(r.get("spec.loadBalancerSourceRanges"))
    ranges += [c for c in str(annotations.get(SOURCE_RANGES_ANNOTATION) or "").split(",") if c.strip()]
    for cidr in ranges:
        if is_open_cidr(cidr):
            yield Finding(f"the LoadBalancer Service admits {cidr.strip()} (loadBalancerSourceRanges)", key=cidr.strip())


# --- MLP-K8S-07 ------------------------------------------------------------------------------


def _name_or_unknown(read: Any) -> Any:
    try:
        return read()
    except UnknownValueError:
        return None  # computed from another resource: not the literal "default"


# Kinds the API server keeps outside namespaces ("group/Kind"; "" is the core group).
CLUSTER_SCOPED_BUILTIN_KINDS = frozenset({
    "core/Namespace", "core/Node", "core/PersistentVolume", "core/ComponentStatus",
    "rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding",
    "storage.k8s.io/StorageClass", "storage.k8s.io/CSIDriver", "storage.k8s.io/CSINode", "storage.k8s.io/VolumeAttachment",
    "storage.k8s.io/VolumeAttributesClass", "apiextensions.k8s.io/CustomResourceDefinition", "scheduling.k8s.io/PriorityClass",
    "admissionregistration.k8s.io/ValidatingWebhookConfiguration", "admissionregistration.k8s.io/MutatingWebhookConfiguration",
    "admissionregistration.k8s.io/ValidatingAdmissionPolicy", "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
    "admissionregistration.k8s.io/MutatingAdmissionPolicy", "admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
    "apiregistration.k8s.io/APIService", "node.k8s.io/RuntimeClass", "networking.k8s.io/IngressClass",
    "networking.k8s.io/IPAddress", "networking.k8s.io/ServiceCIDR", "certificates.k8s.io/CertificateSigningRequest",
    "certificates.k8s.io/ClusterTrustBundle", "flowcontrol.apiserver.k8s.io/FlowSchema",
    "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration", "resource.k8s.io/DeviceClass", "resource.k8s.io/ResourceSlice",
    "internal.apiserver.k8s.io/StorageVersion", "storagemigration.k8s.io/StorageVersionMigration",
})
_NOT_OBJECTS = ("kubernetes:yaml", "kubernetes:kustomize", "kubernetes:helm.sh/")  # programs, not API objects


class NamespaceConfig(RuleConfig):
    cluster_scoped_kinds: list[str] = Field(
        default_factory=lambda: [
            "kueue.x-k8s.io/ClusterQueue", "kueue.x-k8s.io/ResourceFlavor", "kueue.x-k8s.io/Cohort",
            "kueue.x-k8s.io/WorkloadPriorityClass", "kueue.x-k8s.io/AdmissionCheck", "kueue.x-k8s.io/Topology",
            "kueue.x-k8s.io/MultiKueueCluster", "kueue.x-k8s.io/MultiKueueConfig", "kueue.x-k8s.io/ProvisioningRequestConfig",
            "karpenter.sh/NodePool", "karpenter.sh/NodeClaim", "karpenter.k8s.aws/EC2NodeClass",
            "cert-manager.io/ClusterIssuer", "snapshot.storage.k8s.io/VolumeSnapshotClass",
            "snapshot.storage.k8s.io/VolumeSnapshotContent", "templates.gatekeeper.sh/ConstraintTemplate",
            "kyverno.io/ClusterPolicy", "nvidia.com/ClusterPolicy",
        ],
        description="Custom resource kinds ('<group>/<Kind>') that are cluster-scoped, so have no namespace; every other "
        "custom kind is read as namespaced. Built-in cluster-scoped kinds (Namespace, ClusterRole, StorageClass, ...) are "
        "known to the rule.",
    )


def _group_kind(type_token: str) -> tuple[str, str]:
    """("apps", "Deployment") of "kubernetes:apps/v1:Deployment"."""
    _, module, kind = (type_token.split(":") + ["", ""])[:3]
    return module.split("/", 1)[0], kind


def namespace_of(r: ResourceView) -> Optional[tuple[str, Any]]:
    """(where, namespace) of a namespaced object or a Helm release ("" when absent); None for
    cluster-scoped kinds, programs (yaml, kustomize) and partial objects (List, Patch)."""
    if r.type.startswith("kubernetes:helm.sh/"):
        return "namespace", _name_or_unknown(lambda: r.get("namespace", ""))
    if r.type.startswith(_NOT_OBJECTS) or r.type.startswith("pulumi:"):
        return None
    group, kind = _group_kind(r.type)
    if not kind or kind.endswith("List") or kind.endswith("Patch"):
        return None
    if f"{group}/{kind}" in CLUSTER_SCOPED_BUILTIN_KINDS:
        return None
    return "metadata.namespace", _name_or_unknown(lambda: r.get("metadata.namespace", ""))


@resource_rule(
    id="MLP-K8S-07", name="mlplat-k8s-workload-avoid-default-namespace-account", severity="high",
    description=(
        "Namespaced objects of every kind (workloads, Services, ConfigMaps, Secrets, RBAC, queues, custom resources; "
        "Helm releases by their namespace) live in their team's namespace, not default; workloads run under their own "
        "service account, not default"
    ),
    remediation=(
        "Set metadata.namespace to the team's namespace (mlplat creates one per team, with its LocalQueue, quota and network policies); "
        "a Helm release sets namespace.",
        "Create a ServiceAccount per workload (with its IRSA role if it calls AWS) and set the pod's service_account_name.",
        "Set automount_service_account_token=False on pods that do not call the Kubernetes API.",
        "A cluster-scoped custom kind the rule reads as namespaced belongs in cluster_scoped_kinds of the pack configuration.",
    ),
    frameworks=("CKV_K8S_21", "NIST-800-53:AC-6"), levels=("advisory", "mandatory"), types=("kubernetes:*",),
    config=NamespaceConfig,
)
def dedicated_namespace_and_identity(r: ResourceView, cfg: NamespaceConfig, ctx: RuleContext) -> Iterable[Finding]:
    found = namespace_of(r)
    group, kind = _group_kind(r.type)
    if found is not None and f"{group}/{kind}" not in cfg.cluster_scoped_kinds:
        where, namespace = found
        if namespace in ("", "default"):
            why = f"{where} is not set" if namespace == "" else f"{where} is default"
            yield Finding(f"the {kind or 'object'} is in the default namespace ({why})", key="namespace")
    for where, pod in pod_specs(r):
        account = _name_or_unknown(lambda: pod.get("serviceAccountName") or pod.get("serviceAccount") or "")
        if account in ("", "default"):
            why = "serviceAccountName is not set" if account == "" else "serviceAccountName is default"
            yield Finding(f"{where} runs as the namespace's default service account ({why})", key=f"serviceAccount:{where}")


# --- MLP-K8S-08 ------------------------------------------------------------------------------

ESCALATING_VERBS = ("escalate", "bind", "impersonate")


@resource_rule(
    id="MLP-K8S-08", name="mlplat-k8s-role-deny-wildcards-escalation", severity="critical",
    description='Role and ClusterRole rules name exact verbs and resources (no "*"), and never grant escalate, bind or impersonate',
    remediation=(
        'List the exact verbs (get, list, watch, create, ...) and resources (pods, pods/log, ...) instead of "*".',
        "Remove escalate, bind and impersonate; grant existing roles through reviewed RoleBindings instead.",
    ),
    frameworks=("CKV_K8S_49", "NIST-800-53:AC-6"), levels=("mandatory", "mandatory"), types=RBAC_ROLE_TYPES,
)
def rbac_no_wildcards(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for index, rule in enumerate(_mappings(r.get("rules"))):
        verbs = strings(rule.get("verbs"))
        resources = strings(rule.get("resources"))
        where = f"rules[{index}]"
        if "*" in verbs:
            yield Finding(f'{where} allows every verb ("*") on {", ".join(resources) or "non-resource URLs"}', key="verb:*")
        for resource in resources:
            if "*" in resource:
                yield Finding(f'{where} allows wildcard resource "{resource}"', key=f"resource:{resource}")
        for verb in verbs:
            if verb.lower() in ESCALATING_VERBS:
                yield Finding(f"{where} grants the {verb} verb (privilege escalation)", key=f"verb:{verb}")


# --- joins over namespaces ---------------------------------------------------------------------

NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
PDB_TYPE = "kubernetes:policy/v1:PodDisruptionBudget"
HPA_TYPES = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler")
NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RESOURCE_QUOTA_TYPE = "kubernetes:core/v1:ResourceQuota"


def namespace_keys(r: ResourceView) -> set[str]:
    """What identifies the namespace an object is in: its known name, and the URNs of the stack's
    Namespaces its metadata was computed from (a Namespace's name is unknown in preview)."""
    keys: set[str] = set()
    namespace = _name_or_unknown(lambda: r.get("metadata.namespace", "default"))
    if isinstance(namespace, str):
        keys.add(namespace or "default")
    if r.stack is not None:
        keys.update(ns.urn for ns in r.referenced("metadata", (NAMESPACE_TYPE,)))
    return keys


def _namespace_identity(namespace: ResourceView) -> set[str]:
    name = _name_or_unknown(lambda: namespace.get("metadata.name"))
    return {namespace.urn} | ({name} if isinstance(name, str) and name else set())


def _labels(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def pod_template_labels(r: ResourceView) -> dict[str, Any]:
    """The labels of the pods a workload makes (its template's, a Pod's own)."""
    if r.type == "kubernetes:core/v1:Pod":
        return _labels(_name_or_unknown(lambda: r.get("metadata.labels")))
    for path in ("spec.template.metadata.labels", "template.metadata.labels", "spec.jobTemplate.spec.template.metadata.labels"):
        labels = _name_or_unknown(lambda: r.get(path))
        if isinstance(labels, Mapping):
            return _labels(labels)
    return {}


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A label selector's matchLabels (and In expressions) all hold for `labels`; an empty selector selects all."""
    if not isinstance(selector, Mapping):
        return False
    for key, value in _labels(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expression in _mappings(selector.get("matchExpressions")):
        key, operator, values = expression.get("key"), expression.get("operator"), strings(expression.get("values"))
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


# --- MLP-K8S-05 (P1) -------------------------------------------------------------------------

SERVING_KINDS = (
    "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", RAY_SERVICE,
)


class ServingConfig(RuleConfig):
    serving_labels: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "mlplat.io/workload": ["serving"], "app.kubernetes.io/component": ["serving", "inference", "predictor"],
        },
        description="Labels (key: allowed values) that mark a Deployment or StatefulSet as serving, on the object or its "
        "pod template. RayServices always serve.",
    )
    min_replicas: int = Field(default=2, ge=1, description="Fewest replicas (spec.replicas, or an HPA's minReplicas) a serving workload may run.")


def _is_serving(r: ResourceView, cfg: ServingConfig) -> bool:
    if r.type == RAY_SERVICE:
        return True
    labels = {**_labels(_name_or_unknown(lambda: r.get("metadata.labels"))), **pod_template_labels(r)}
    return any(labels.get(key) in values for key, values in cfg.serving_labels.items())


def _workload_name(r: ResourceView) -> Any:
    return _name_or_unknown(lambda: r.get("metadata.name"))


def _autoscaler_min(r: ResourceView) -> Optional[int]:
    """The minReplicas of an HPA of the stack scaling `r` (same namespace, target named by value or dependency)."""
    assert r.stack is not None
    kind = r.type.rsplit(":", 1)[-1]
    name = _workload_name(r)
    here = namespace_keys(r)
    for hpa in r.stack.of_type(*HPA_TYPES):
        hpa.stack = hpa.stack or r.stack
        target = _name_or_unknown(lambda: hpa.get("spec.scaleTargetRef.name"))
        by_dependency = r.urn in hpa.property_dependencies.get("spec", ())
        if (by_dependency or (target == name and _name_or_unknown(lambda: hpa.get("spec.scaleTargetRef.kind")) == kind)) \
                and namespace_keys(hpa) & here:
            value = _name_or_unknown(lambda: hpa.get("spec.minReplicas", 1))
            return int(value) if isinstance(value, (int, float)) else None
    return None


@resource_rule(
    id="MLP-K8S-05", name="mlplat-k8s-serving-workload-resilient", severity="medium",
    description=(
        "Serving workloads (RayServices, and Deployments or StatefulSets labelled as serving) give every container a "
        "readiness and a liveness probe, run at least 2 replicas (spec.replicas, or an autoscaler's minReplicas), and "
        "are covered by a PodDisruptionBudget of their namespace whose selector matches their pods"
    ),
    remediation=(
        "Add readiness_probe and liveness_probe to every serving container (an HTTP health route of the model server).",
        "Set replicas >= 2, or a HorizontalPodAutoscaler with min_replicas >= 2.",
        "Add a PodDisruptionBudget (min_available 1, or max_unavailable 1) in the same namespace selecting the pods' labels.",
    ),
    frameworks=("CKV_K8S_8", "CKV_K8S_9", "NIST-800-53:CP-10", "NIST-800-53:SC-5"), levels=("disabled", "mandatory"),
    types=SERVING_KINDS, config=ServingConfig, joins=True,
)
def serving_resilient(r: ResourceView, cfg: ServingConfig, ctx: RuleContext) -> Iterable[Finding]:
    if not _is_serving(r, cfg):
        return
    assert r.stack is not None
    for where, pod in pod_specs(r):
        for container in _mappings(pod.get("containers")):
            label = f'container "{container.get("name") or "?"}" ({where})'
            missing = [probe for probe in ("readinessProbe", "livenessProbe") if not isinstance(container.get(probe), Mapping)]
            if missing:
                yield Finding(f"{label} has no {' and no '.join(missing)}", key=f"probes:{container.get('name')}")
    if r.type != RAY_SERVICE:
        replicas = _name_or_unknown(lambda: r.get("spec.replicas", 1))
        scaled_min = _autoscaler_min(r)
        effective = scaled_min if scaled_min is not None else replicas
        if isinstance(effective, (int, float)) and effective < cfg.min_replicas:
            source = "its autoscaler's minReplicas" if scaled_min is not None else "spec.replicas"
            yield Finding(f"the serving workload runs {int(effective)} replica(s) ({source}), fewer than {cfg.min_replicas}", key="replicas")
    labels = pod_template_labels(r)
    here = namespace_keys(r)
    budgets = [pdb for pdb in r.stack.of_type(PDB_TYPE)
               if namespace_keys(pdb) & here and _selects(_name_or_unknown(lambda: pdb.get("spec.selector")), labels)]
    if not budgets and r.type != RAY_SERVICE:
        yield Finding("no PodDisruptionBudget of its namespace selects the serving pods: a node drain can stop them all", key="pdb")
    if not budgets and r.type == RAY_SERVICE:
        yield Finding("no PodDisruptionBudget of its namespace selects the RayService's pods", key="pdb")


# --- MLP-K8S-09 (P1) -------------------------------------------------------------------------


class NamespaceGuardsConfig(RuleConfig):
    exempt_namespaces: list[str] = Field(
        default_factory=lambda: ["kube-system", "kube-public", "kube-node-lease"],
        description="Namespaces that need neither a NetworkPolicy nor a ResourceQuota (the cluster's own).",
    )


@stack_rule(
    id="MLP-K8S-09", name="mlplat-k8s-namespace-require-network-policy-and-quota", severity="medium",
    description=(
        "Every workload namespace (each Namespace of the stack, and each namespace a workload of the stack runs in) has a "
        "NetworkPolicy and a ResourceQuota of the stack (joined by the namespace's name, or by property dependency on "
        "the Namespace while its name is unknown)"
    ),
    remediation=(
        "Add a default-deny NetworkPolicy (then the allow rules the workloads need) and a ResourceQuota to the namespace "
        "(mlplat: TrainingCluster declares both for every team namespace).",
    ),
    frameworks=("CKV2_K8S_6", "NIST-800-53:SC-7", "NIST-800-53:SC-6"), levels=("advisory", "mandatory"),
    config=NamespaceGuardsConfig,
)
def namespace_guards(views: list[ResourceView], cfg: NamespaceGuardsConfig, ctx: RuleContext) -> Iterable[Finding]:
    index = stack_index(views)
    for view in index.views:
        view.stack = view.stack or index
    # Each workload namespace: (identity keys, display name, URN to report on).
    namespaces: list[tuple[set[str], str, Optional[str]]] = []
    for namespace in index.of_type(NAMESPACE_TYPE):
        keys = _namespace_identity(namespace)
        name = next((k for k in keys if k != namespace.urn), namespace.name)
        namespaces.append((keys, name, namespace.urn))
    for workload in index.of_type(*WORKLOAD_TYPES):
        keys = namespace_keys(workload)
        if not any(keys & known for known, _, _ in namespaces):
            name = next(iter(sorted(k for k in keys if not k.startswith("urn:"))), "default")
            namespaces.append((keys, name, workload.urn))
    guards = {kind: [namespace_keys(v) for v in index.of_type(kind)] for kind in (NETWORK_POLICY_TYPE, RESOURCE_QUOTA_TYPE)}
    for keys, name, urn in namespaces:
        if name in cfg.exempt_namespaces:
            continue
        missing = [kind.rsplit(":", 1)[-1] for kind, found in guards.items() if not any(keys & k for k in found)]
        if missing:
            yield Finding(f"namespace {name} has no {' and no '.join(missing)}", urn, key=f"{name}:{','.join(missing)}")


__all__ = [
    "ImageRef", "NamespaceConfig", "NamespaceGuardsConfig", "POD_SPEC_PATHS", "ServingConfig", "WORKLOAD_TYPES", "containers",
    "namespace_guards", "namespace_keys", "namespace_of", "pod_specs", "pod_template_labels", "serving_resilient",
]
