"""Pure builders of the Kubernetes objects a training cluster declares (plain dicts).

Each function returns one object exactly as the API server receives it (camelCase keys,
`apiVersion`, `kind`, `metadata`, ...). Values may be Pulumi Inputs where they come from other
resources (a role ARN, the VPC CIDR); everything else is plain data, so the objects can be
reviewed in a plan and validated against the Kubernetes OpenAPI schema and the Kueue CRDs
(`mlplat.k8s_validation`). The component turns each object into a pulumi_kubernetes resource.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Sequence

import pulumi

from mlplat.core.cost import RESERVATIONS_ANNOTATION

Obj = dict[str, Any]

KUEUE_API = "kueue.x-k8s.io/v1beta2"
TEAM_LABEL = "mlplat.io/team"
POOL_LABEL = "mlplat.io/gpu-pool"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "mlplat"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
# Kueue puts workloads without a queue-name label into a namespace's LocalQueue named "default"
# (LocalQueueDefaulting); users may still name it in `kueue.x-k8s.io/queue-name`.
LOCAL_QUEUE_NAME = "default"
DEFAULT_FLAVOR = "default"
IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
IRSA_REGIONAL_STS_ANNOTATION = "eks.amazonaws.com/sts-regional-endpoints"


def _meta(name: str, namespace: Optional[str] = None, labels: Optional[Mapping[str, str]] = None,
          annotations: Optional[Mapping[str, Any]] = None) -> Obj:
    meta: Obj = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = {MANAGED_BY_LABEL: MANAGED_BY, **(labels or {})}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


# --- per namespace ---------------------------------------------------------------------------


def namespace(name: str, *, team: str, pod_security: str) -> Obj:
    """A team namespace: team label (ClusterQueue selector) and Pod Security Admission labels.

    `pod_security` is enforced; `restricted` is always warned about and audited.
    """
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": _meta(
            name,
            labels={
                TEAM_LABEL: team,
                "pod-security.kubernetes.io/enforce": pod_security,
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        ),
    }


def resource_quota(ns: str, *, team: str, cpu: str, memory: str, gpus: int) -> Obj:
    """Requests and limits of cpu and memory capped at the team's quota; GPUs at `gpus`.

    Extended resources take only a `requests.` quota (Kubernetes has no overcommit for them).
    """
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": _meta("team-quota", ns, {TEAM_LABEL: team}),
        "spec": {
            "hard": {
                "requests.cpu": cpu,
                "requests.memory": memory,
                "limits.cpu": cpu,
                "limits.memory": memory,
                f"requests.{GPU_RESOURCE}": str(gpus),
            }
        },
    }


def limit_range(ns: str, *, team: str, default_request: Mapping[str, str], default_limit: Mapping[str, str]) -> Obj:
    """Defaults for containers that state no requests or limits (so the quota can admit them)."""
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": _meta("container-defaults", ns, {TEAM_LABEL: team}),
        "spec": {
            "limits": [
                {"type": "Container", "defaultRequest": dict(default_request), "default": dict(default_limit)}
            ]
        },
    }


def network_policies(ns: str, *, team: str, vpc_cidr: pulumi.Input[str],
                     s3_cidrs: pulumi.Input[Sequence[str]]) -> list[Obj]:
    """Default deny, then: within the namespace; DNS to kube-dns; HTTPS to the VPC and S3.

    - `default-deny`: every pod, ingress and egress, nothing allowed;
    - `allow-same-namespace`: ingress from and egress to pods of this namespace, any port
      (distributed training talks on arbitrary ports);
    - `allow-dns`: egress to kube-system's kube-dns pods on UDP and TCP 53;
    - `allow-aws-endpoints`: egress on TCP 443 to the VPC CIDR (interface endpoints: STS for
      IRSA, ECR, logs, ...) and to the S3 CIDRs (S3 goes through the gateway endpoint, whose
      addresses are the region's S3 prefix list, outside the VPC CIDR).
    """
    labels = {TEAM_LABEL: team}
    everything: Obj = {}
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("default-deny", ns, labels),
            "spec": {"podSelector": everything, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("allow-same-namespace", ns, labels),
            "spec": {
                "podSelector": everything,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": everything}]}],
                "egress": [{"to": [{"podSelector": everything}]}],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("allow-dns", ns, labels),
            "spec": {
                "podSelector": everything,
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("allow-aws-endpoints", ns, labels),
            "spec": {
                "podSelector": everything,
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": _ip_blocks(vpc_cidr, s3_cidrs),
                        "ports": [{"protocol": "TCP", "port": 443}],
                    }
                ],
            },
        },
    ]


def _ip_blocks(vpc_cidr: pulumi.Input[str], s3_cidrs: pulumi.Input[Sequence[str]]) -> Any:
    """`ipBlock` peers: the VPC CIDR first, then the S3 CIDRs (plain data when both are known)."""

    def blocks(vpc: str, s3: Sequence[str]) -> list[Obj]:
        return [{"ipBlock": {"cidr": cidr}} for cidr in (vpc, *s3)]

    if isinstance(vpc_cidr, str) and isinstance(s3_cidrs, (list, tuple)):
        return blocks(vpc_cidr, s3_cidrs)
    return pulumi.Output.all(vpc_cidr, s3_cidrs).apply(lambda parts: blocks(parts[0], parts[1]))


def service_account(ns: str, name: str, *, team: str, role_arn: pulumi.Input[str]) -> Obj:
    """The team's workload identity in `ns`: IRSA role annotation, regional STS, no API token.

    The pod identity webhook projects the web identity token whatever `automountServiceAccountToken`
    says; training pods do not need a Kubernetes API token, so none is mounted.
    """
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(
            name, ns, {TEAM_LABEL: team},
            annotations={IRSA_ROLE_ANNOTATION: role_arn, IRSA_REGIONAL_STS_ANNOTATION: "true"},
        ),
        "automountServiceAccountToken": False,
    }


def local_queue(ns: str, *, team: str, cluster_queue: str) -> Obj:
    return {
        "apiVersion": KUEUE_API,
        "kind": "LocalQueue",
        "metadata": _meta(LOCAL_QUEUE_NAME, ns, {TEAM_LABEL: team}),
        "spec": {"clusterQueue": cluster_queue},
    }


# --- cluster-wide ----------------------------------------------------------------------------


def priority_class(name: str, *, value: int, preemption_policy: str, description: str) -> Obj:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": _meta(name),
        "value": value,
        "globalDefault": False,
        "preemptionPolicy": preemption_policy,
        "description": description,
    }


def gpu_flavor(pool: str) -> Obj:
    """One ResourceFlavor per GPU pool: its node label, and a toleration of the pool's taint that
    Kueue adds to the pods it admits on this flavor."""
    return {
        "apiVersion": KUEUE_API,
        "kind": "ResourceFlavor",
        "metadata": _meta(flavor_name(pool)),
        "spec": {
            "nodeLabels": {POOL_LABEL: pool},
            "tolerations": [{**GPU_TAINT, "operator": "Equal"}],
        },
    }


def default_flavor() -> Obj:
    """The flavor of cpu and memory quota: no node labels (those resources exist on every node)."""
    return {"apiVersion": KUEUE_API, "kind": "ResourceFlavor", "metadata": _meta(DEFAULT_FLAVOR), "spec": {}}


def cohort(name: str) -> Obj:
    """The root cohort every team's ClusterQueue belongs to (idle nominal quota can be borrowed)."""
    return {"apiVersion": KUEUE_API, "kind": "Cohort", "metadata": _meta(name), "spec": {}}


def flavor_name(pool: str) -> str:
    return f"gpu-{pool}"


def cluster_queue_name(team: str) -> str:
    return f"team-{team}"


def cluster_queue(team: str, *, cohort_name: str, cpu: str, memory: str, gpus: Mapping[str, int],
                  pools: Sequence[str], gpu_borrowing_limit: Optional[int]) -> Obj:
    """The team's ClusterQueue in the shared cohort.

    Two resource groups: cpu and memory in the `default` flavor (borrowing limit 0: they match the
    namespaces' ResourceQuota), and GPUs in one flavor per pool, in pool order, with the team's
    nominal quota per pool (0 when it has none there) and, when given, a borrowing limit (omitted:
    the team may borrow every idle GPU of the cohort). Only namespaces labelled with the team may
    use it; lent quota is reclaimed by preemption, and within the queue lower priorities yield.
    """
    gpu_flavors = []
    for pool in pools:
        resource: Obj = {"name": GPU_RESOURCE, "nominalQuota": str(gpus.get(pool, 0))}
        if gpu_borrowing_limit is not None:
            resource["borrowingLimit"] = str(gpu_borrowing_limit)
        gpu_flavors.append({"name": flavor_name(pool), "resources": [resource]})
    groups: list[Obj] = [
        {
            "coveredResources": ["cpu", "memory"],
            "flavors": [
                {
                    "name": DEFAULT_FLAVOR,
                    "resources": [
                        {"name": "cpu", "nominalQuota": cpu, "borrowingLimit": "0"},
                        {"name": "memory", "nominalQuota": memory, "borrowingLimit": "0"},
                    ],
                }
            ],
        }
    ]
    if gpu_flavors:
        groups.append({"coveredResources": [GPU_RESOURCE], "flavors": gpu_flavors})
    return {
        "apiVersion": KUEUE_API,
        "kind": "ClusterQueue",
        "metadata": _meta(cluster_queue_name(team), labels={TEAM_LABEL: team}),
        "spec": {
            "cohortName": cohort_name,
            "namespaceSelector": {"matchLabels": {TEAM_LABEL: team}},
            "queueingStrategy": "BestEffortFIFO",
            "preemption": {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"},
            "resourceGroups": groups,
        },
    }


# --- Karpenter -------------------------------------------------------------------------------

NODE_POOL_API = "karpenter.sh/v1"
NODE_CLASS_API = "karpenter.k8s.aws/v1"
NODE_CLASS_GROUP = "karpenter.k8s.aws"
CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type"
DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt"
POOL_TAG = "mlplat:gpu-pool"


def node_pool_name(pool: str) -> str:
    return f"gpu-{pool}"


def node_pool(pool: str, *, instance_types: Sequence[str], instance_families: Sequence[str], capacity_types: Sequence[str],
              labels: Mapping[str, str], max_nodes: int, max_gpus: int, consolidate_after: str,
              efa_label: Optional[str] = None) -> Obj:
    """A GPU pool's NodePool: what Karpenter may launch for it, and when it may take nodes away.

    Nodes carry the pool's labels (the Kueue flavor selects `mlplat.io/gpu-pool`) and the GPU taint;
    limits cap the pool at `max_nodes` nodes and `max_gpus` GPUs. A running training job is never
    interrupted by Karpenter's own decisions: nodes never expire (`expireAfter: Never`), are
    consolidated only when empty, and are not replaced when they drift (a new AMI or node class
    reaches a GPU node when it is next launched); `karpenter.sh/do-not-disrupt` on a pod is
    honoured as always. Spot reclaims and reservation ends still interrupt: jobs checkpoint.
    An EFA pool passes only its types with EFA and `efa_label`, which its nodes carry ("true").
    """
    requirements: list[Obj] = []
    if instance_types:
        requirements.append({"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(instance_types)})
    if instance_families:
        requirements.append({"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": list(instance_families)})
    requirements += [
        {"key": CAPACITY_TYPE_LABEL, "operator": "In", "values": list(capacity_types)},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    return {
        "apiVersion": NODE_POOL_API,
        "kind": "NodePool",
        "metadata": _meta(node_pool_name(pool), labels={POOL_LABEL: pool}),
        "spec": {
            "template": {
                "metadata": {"labels": {**labels, POOL_LABEL: pool, "nvidia.com/gpu.present": "true",
                                        **({efa_label: "true"} if efa_label else {})}},
                "spec": {
                    "nodeClassRef": {"group": NODE_CLASS_GROUP, "kind": "EC2NodeClass", "name": node_pool_name(pool)},
                    "requirements": requirements,
                    "taints": [dict(GPU_TAINT)],
                    "expireAfter": "Never",
                },
            },
            "disruption": {
                "consolidationPolicy": "WhenEmpty",
                "consolidateAfter": consolidate_after,
                "budgets": [
                    {"nodes": "0", "reasons": ["Drifted", "Underutilized"]},
                    {"nodes": "1", "reasons": ["Empty"]},
                ],
            },
            "limits": {"nodes": str(max_nodes), GPU_RESOURCE: str(max_gpus)},
        },
    }


def efa_network_interfaces(count: int) -> list[Obj]:
    """The primary ENA interface (card 0, device 0) and `count` EFA-only interfaces: card 0 device 1, then device
    0 of cards 1 to count-1 (EC2's recommended layout: at most one EFA per network card)."""
    interfaces: list[Obj] = [{"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"}]
    for card in range(count):
        interfaces.append({"networkCardIndex": card, "deviceIndex": 1 if card == 0 else 0, "interfaceType": "efa-only"})
    return interfaces


def ec2_node_class(pool: str, *, cluster_name: str, instance_profile: pulumi.Input[str], discovery_tag: str,
                   ami_alias: str, disk_gib: int, key_arn: pulumi.Input[str], hop_limit: int,
                   tags: Mapping[str, str], capacity_reservations: Sequence[Mapping[str, Any]],
                   efa_interfaces: int = 0, security_group_ids: Sequence[pulumi.Input[str]] = (),
                   placement_group: Optional[Mapping[str, Any]] = None,
                   reservation_costs: Sequence[Mapping[str, Any]] = ()) -> Obj:
    """A GPU pool's EC2NodeClass: the AL2023 EKS AMI (its NVIDIA variant on GPU types), the named
    instance profile (IAM has no private endpoint: the controller cannot create one in an isolated
    VPC), the private subnets and the cluster security group by the platform's discovery tag,
    IMDSv2 only, an encrypted gp3 root volume with the cluster key, no public IP, the platform's
    tags and the pool's, and the pool's capacity reservations.

    EFA (`efa_interfaces` > 0): the primary ENA interface on network card 0, an EFA-only interface beside it and
    one on each further card up to the count (the layout EC2 recommends for EFA instance types), and the
    `security_group_ids` (the group EFA traffic needs) beside the tagged one. `placement_group`: a
    `placementGroupSelector` ({"name": ...} or {"id": ...})."""
    selector = [{"tags": {discovery_tag: cluster_name}}]
    spec: Obj = {
        "amiSelectorTerms": [{"alias": ami_alias}],
        "instanceProfile": instance_profile,
        "subnetSelectorTerms": selector,
        "securityGroupSelectorTerms": selector + [{"id": group} for group in security_group_ids],
        "associatePublicIPAddress": False,
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": hop_limit,
            "httpTokens": "required",
        },
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "rootVolume": True,
                "ebs": {
                    "volumeSize": f"{disk_gib}Gi",
                    "volumeType": "gp3",
                    "encrypted": True,
                    "kmsKeyID": key_arn,
                    "deleteOnTermination": True,
                },
            }
        ],
        "tags": {**tags, POOL_TAG: pool},
    }
    if capacity_reservations:
        spec["capacityReservationSelectorTerms"] = [dict(term) for term in capacity_reservations]
    annotations = {}
    if reservation_costs:
        # What the pool's reservations hold, for the cost estimate (they are not resources of the plan).
        annotations[RESERVATIONS_ANNOTATION] = json.dumps(list(reservation_costs), sort_keys=True)
    if efa_interfaces > 0:
        spec["networkInterfaces"] = efa_network_interfaces(efa_interfaces)
    if placement_group:
        spec["placementGroupSelector"] = dict(placement_group)
    return {
        "apiVersion": NODE_CLASS_API,
        "kind": "EC2NodeClass",
        "metadata": _meta(node_pool_name(pool), labels={POOL_LABEL: pool}, annotations=annotations),
        "spec": spec,
    }
