"""Rules the API server applies to Karpenter objects beyond their schemas, and what ties the
queueing objects of a plan to its node pools.

The schema validator does not evaluate CEL (`x-kubernetes-validations`). The rules of the
Karpenter 1.14.1 CRDs that concern what a platform writes are restated here in Python, each
with the CRD's own message, so a plan reports what `kubectl apply` would refuse:

- EC2NodeClass: `role` or `instanceProfile`, not both; an `alias` AMI term stands alone and
  names a known family; `amiFamily` is required without an alias; subnet, security group and
  capacity reservation terms each name something and an `id` term nothing else; tags must not
  use the keys Karpenter sets itself; at most one root volume, each EBS volume sized or from a
  snapshot; network interfaces include the primary ENA one and at most one EFA per network card; a
  placement group selector names a group by name or id, not both;
- NodePool: template labels and requirement keys outside the domains Karpenter reserves (and
  never `karpenter.sh/nodepool` or `kubernetes.io/hostname`); `In` has values, `Gt`/`Lt` one
  non-negative integer, `minValues` at most the values; a budget's `schedule` and `duration`
  come together.

Across objects (`cross_object_problems`): a NodePool's `nodeClassRef` names an EC2NodeClass of
the plan, and every Kueue ResourceFlavor's `nodeLabels` are labels some node source of the plan
sets (a NodePool's template labels or `In` requirements, a managed node group's labels): a
flavor no node can satisfy admits workloads that stay Pending forever.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Optional

__all__ = ["cross_object_problems", "object_problems"]

Obj = Mapping[str, Any]

_AMI_FAMILIES = ("al2", "al2023", "bottlerocket", "windows2019", "windows2022", "windows2025")
_RESTRICTED_TAGS = ("eks:eks-cluster-name", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim", "karpenter.k8s.aws/ec2nodeclass")
_KARPENTER_SH_ALLOWED = ("karpenter.sh/capacity-type", "karpenter.sh/nodepool")
_KARPENTER_AWS_ALLOWED = (
    "karpenter.k8s.aws/instance-tenancy", "karpenter.k8s.aws/capacity-reservation-type", "karpenter.k8s.aws/capacity-reservation-id",
    "karpenter.k8s.aws/capacity-reservation-interruptible", "karpenter.k8s.aws/ec2nodeclass",
    "karpenter.k8s.aws/instance-encryption-in-transit-supported", "karpenter.k8s.aws/instance-category",
    "karpenter.k8s.aws/instance-hypervisor", "karpenter.k8s.aws/instance-family", "karpenter.k8s.aws/instance-generation",
    "karpenter.k8s.aws/instance-local-nvme", "karpenter.k8s.aws/instance-size", "karpenter.k8s.aws/instance-cpu",
    "karpenter.k8s.aws/instance-cpu-manufacturer", "karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz",
    "karpenter.k8s.aws/instance-memory", "karpenter.k8s.aws/instance-ebs-bandwidth", "karpenter.k8s.aws/instance-network-bandwidth",
    "karpenter.k8s.aws/instance-gpu-name", "karpenter.k8s.aws/instance-gpu-manufacturer", "karpenter.k8s.aws/instance-gpu-count",
    "karpenter.k8s.aws/instance-gpu-memory", "karpenter.k8s.aws/instance-accelerator-name",
    "karpenter.k8s.aws/instance-accelerator-manufacturer", "karpenter.k8s.aws/instance-accelerator-count",
    "karpenter.k8s.aws/instance-capability-flex", "karpenter.k8s.aws/placement-group-id",
    "karpenter.k8s.aws/placement-group-partition",
)  # fmt: skip
NODE_POOL = ("karpenter.sh/v1", "NodePool")
NODE_CLASS = ("karpenter.k8s.aws/v1", "EC2NodeClass")
FLAVOR_KIND = "ResourceFlavor"


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _domain(key: str) -> str:
    return key.split("/", 1)[0] if "/" in key else ""


def _label_key_problem(key: str) -> Optional[str]:
    """The NodePool CRD's message for a label or requirement key it refuses, None when allowed."""
    domain = _domain(key)
    if key == "karpenter.sh/nodepool":
        return 'label "karpenter.sh/nodepool" is restricted'
    if key == "kubernetes.io/hostname":
        return 'label "kubernetes.io/hostname" is restricted'
    if domain.endswith("karpenter.sh") and key not in _KARPENTER_SH_ALLOWED:
        return 'label domain "karpenter.sh" is restricted'
    if domain.endswith("karpenter.k8s.aws") and key not in _KARPENTER_AWS_ALLOWED:
        return 'label domain "karpenter.k8s.aws" is restricted'
    return None


def _selector_terms(terms: Any, path: str, keys: tuple[str, ...]) -> list[tuple[str, str]]:
    problems = []
    items = _list(terms)
    if terms is not None and not items:
        problems.append((path, "expected at least one, got none"))
    for i, term in enumerate(items):
        term = _map(term)
        if not any(k in term for k in keys):
            problems.append((f"{path}[{i}]", f"expected at least one, got none, {list(keys)}"))
        if "id" in term and len(term) > 1:
            problems.append((f"{path}[{i}]", "'id' is mutually exclusive, cannot be set with a combination of other fields in a term"))
        for key, value in _map(term.get("tags")).items():
            if key == "" or value == "":
                problems.append((f"{path}[{i}].tags", "empty tag keys or values aren't supported"))
    return problems


def _node_class_problems(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if ("role" in spec) == ("instanceProfile" in spec):
        problems.append(("spec", "must specify exactly one of ['role', 'instanceProfile']"))
    amis = _list(spec.get("amiSelectorTerms"))
    aliases = [t.get("alias") for t in amis if isinstance(t, Mapping) and "alias" in t]
    if aliases and len(amis) != 1:
        problems.append(("spec.amiSelectorTerms", "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms"))
    for i, alias in enumerate(aliases):
        if not isinstance(alias, str) or not re.match(r"^[a-zA-Z0-9]+@.+$", alias):
            problems.append((f"spec.amiSelectorTerms[{i}].alias", "'alias' is improperly formatted, must match the format 'family@version'"))
        elif alias.split("@")[0] not in _AMI_FAMILIES:
            problems.append((f"spec.amiSelectorTerms[{i}].alias",
                             f"family is not supported, must be one of the following: {', '.join(_AMI_FAMILIES)}"))
    if not aliases and "amiFamily" not in spec:
        problems.append(("spec", "amiFamily must be specified if amiSelectorTerms does not contain an alias"))
    problems += _selector_terms(spec.get("subnetSelectorTerms"), "spec.subnetSelectorTerms", ("tags", "id"))
    problems += _selector_terms(spec.get("securityGroupSelectorTerms"), "spec.securityGroupSelectorTerms", ("tags", "id", "name"))
    problems += _selector_terms(spec.get("capacityReservationSelectorTerms"), "spec.capacityReservationSelectorTerms",
                                ("tags", "id", "instanceMatchCriteria"))
    for key in _map(spec.get("tags")):
        if key == "" or key in _RESTRICTED_TAGS or key.startswith("kubernetes.io/cluster"):
            problems.append(("spec.tags", f"tag contains a restricted tag matching {key!r}"))
    interfaces = [_map(i) for i in _list(spec.get("networkInterfaces"))]
    if interfaces and not any(i.get("deviceIndex") == 0 and i.get("networkCardIndex") == 0 and i.get("interfaceType") == "interface"
                              for i in interfaces):
        problems.append(("spec.networkInterfaces", "networkInterfaces must include a primary interface with interfaceType='interface'"))
    slots = [(i.get("networkCardIndex"), i.get("deviceIndex")) for i in interfaces]
    efa_cards = [i.get("networkCardIndex") for i in interfaces if i.get("interfaceType") == "efa-only"]
    if len(set(slots)) != len(slots) or len(set(efa_cards)) != len(efa_cards):
        problems.append(("spec.networkInterfaces", "networkInterfaces must not have duplicate networkCardIndex and deviceIndex "
                         "pairs, and can have at most one efa device per network card"))
    if "placementGroupSelector" in spec:
        placement = _map(spec.get("placementGroupSelector"))
        if "name" not in placement and "id" not in placement:
            problems.append(("spec.placementGroupSelector", "expected at least one, got none, ['name', 'id']"))
        elif "name" in placement and "id" in placement:
            problems.append(("spec.placementGroupSelector", "'name' and 'id' are mutually exclusive"))
    mappings = _list(spec.get("blockDeviceMappings"))
    if sum(1 for m in mappings if isinstance(m, Mapping) and m.get("rootVolume") is True) > 1:
        problems.append(("spec.blockDeviceMappings", "must have only one blockDeviceMappings with rootVolume"))
    for i, mapping in enumerate(mappings):
        ebs = _map(_map(mapping).get("ebs"))
        if ebs and "snapshotID" not in ebs and "volumeSize" not in ebs:
            problems.append((f"spec.blockDeviceMappings[{i}].ebs", "snapshotID or volumeSize must be defined"))
    return problems


def _node_pool_problems(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    template = _map(spec.get("template"))
    for key in _map(_map(template.get("metadata")).get("labels")):
        message = _label_key_problem(key)
        if message:
            problems.append(("spec.template.metadata.labels", f"{message} ({key!r})"))
    inner = _map(template.get("spec"))
    for i, requirement in enumerate(_list(inner.get("requirements"))):
        requirement = _map(requirement)
        where = f"spec.template.spec.requirements[{i}]"
        message = _label_key_problem(str(requirement.get("key", "")))
        if message:
            problems.append((f"{where}.key", message))
        operator, values = requirement.get("operator"), _list(requirement.get("values"))
        if operator == "In" and not values:
            problems.append((where, "requirements with operator 'In' must have a value defined"))
        if operator in ("Gt", "Lt", "Gte", "Lte") and (len(values) != 1 or not str(values[0]).isdigit()):
            problems.append((where, "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value"))
        minimum = requirement.get("minValues")
        if operator == "In" and isinstance(minimum, int) and len(values) < minimum:
            problems.append((where, "requirements with 'minValues' must have at least that many values specified in the 'values' field"))
    reference = _map(inner.get("nodeClassRef"))
    for field in ("group", "kind", "name"):
        if reference and reference.get(field) == "":
            problems.append((f"spec.template.spec.nodeClassRef.{field}", f"{field} may not be empty"))
    for i, budget in enumerate(_list(_map(spec.get("disruption")).get("budgets"))):
        budget = _map(budget)
        if ("schedule" in budget) != ("duration" in budget):
            problems.append((f"spec.disruption.budgets[{i}]", "'schedule' must be set with 'duration'"))
    return problems


def object_problems(obj: Obj) -> list[tuple[str, str]]:
    """(path, message) per CEL rule of its CRD the object breaks (Karpenter objects; nothing for others)."""
    key = (obj.get("apiVersion"), obj.get("kind"))
    spec = _map(obj.get("spec"))
    if key == NODE_CLASS:
        return _node_class_problems(spec)
    if key == NODE_POOL:
        return _node_pool_problems(spec)
    return []


def _name(obj: Obj) -> str:
    return str(_map(obj.get("metadata")).get("name", "?"))


def _node_label_sets(pools: Iterable[Obj], node_group_labels: Iterable[Mapping[str, Any]]) -> list[tuple[str, dict[str, set[str]]]]:
    """(source, {label: values it may carry}) per node source."""
    sources = []
    for pool in pools:
        template = _map(_map(pool.get("spec")).get("template"))
        labels: dict[str, set[str]] = {k: {str(v)} for k, v in _map(_map(template.get("metadata")).get("labels")).items()}
        for requirement in _list(_map(template.get("spec")).get("requirements")):
            requirement = _map(requirement)
            if requirement.get("operator") == "In":
                labels.setdefault(str(requirement.get("key")), set()).update(str(v) for v in _list(requirement.get("values")))
        sources.append((f"NodePool {_name(pool)!r}", labels))
    for i, group in enumerate(node_group_labels):
        sources.append((f"node group {i}", {k: {str(v)} for k, v in group.items()}))
    return sources


def cross_object_problems(objects: Iterable[tuple[str, Obj]], node_group_labels: Iterable[Mapping[str, Any]] = ()
                          ) -> list[tuple[str, str, str]]:
    """(URN, path, message) per NodePool whose node class is not in the plan and per flavor no node source satisfies.

    Flavors are checked only when the plan declares node sources (NodePools or labelled node groups).
    """
    objects = list(objects)
    groups = [dict(labels) for labels in node_group_labels]
    classes = {_name(o) for _, o in objects if (o.get("apiVersion"), o.get("kind")) == NODE_CLASS}
    pools = [(urn, o) for urn, o in objects if (o.get("apiVersion"), o.get("kind")) == NODE_POOL]
    problems: list[tuple[str, str, str]] = []
    for urn, pool in pools:
        reference = _map(_map(_map(_map(pool.get("spec")).get("template")).get("spec")).get("nodeClassRef"))
        if reference.get("kind") == "EC2NodeClass" and reference.get("name") not in classes:
            problems.append((urn, "spec.template.spec.nodeClassRef.name",
                             f"names EC2NodeClass {reference.get('name')!r}, which the plan does not declare "
                             f"(EC2NodeClasses: {', '.join(sorted(classes)) or 'none'}): the pool launches nothing"))
    sources = _node_label_sets([p for _, p in pools], groups)
    if not sources:
        return problems
    for urn, flavor in objects:
        if flavor.get("kind") != FLAVOR_KIND or not str(flavor.get("apiVersion", "")).startswith("kueue.x-k8s.io/"):
            continue
        wanted = {str(k): str(v) for k, v in _map(_map(flavor.get("spec")).get("nodeLabels")).items()}
        if not wanted:
            continue
        if any(all(value in labels.get(key, set()) for key, value in wanted.items()) for _, labels in sources):
            continue
        selector = ", ".join(f"{k}={v}" for k, v in sorted(wanted.items()))
        problems.append((urn, "spec.nodeLabels",
                         f"ResourceFlavor {_name(flavor)!r} selects {selector}, which no node of the plan carries "
                         f"(node sources: {', '.join(source for source, _ in sources)}): workloads admitted on it stay Pending"))
    return problems
