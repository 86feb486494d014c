"""`mlplat preflight`: does the account's Service Quotas cover what the stack's plan will run?

What a plan needs (`needs_of`, pure, from the offline plan):

- SageMaker endpoint usage per instance type: each variant (and shadow variant) at its autoscaling
  maximum, else its initial count; twice that when the endpoint deploys blue/green, since an update
  runs the new fleet beside the old one until traffic has shifted;
- SageMaker training, spot training and processing job usage per instance type: the steps of the
  training pipelines (instance counts from the step or the pipeline parameter's default) and the
  Model Monitor job definitions;
- EC2 vCPUs per instance class (P, G and VT, Standard, ...) for the EKS node groups and Karpenter
  NodePools at their maximum
  size, on-demand and spot counted apart (EC2's quotas are vCPUs per class, not instances).

Quotas are looked up by name in `service-quotas` ListServiceQuotas (the account's applied values),
falling back to ListAWSDefaultServiceQuotas; the report names each shortfall's quota code to raise.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from .plan import Plan

__all__ = ["EC2_CLASSES", "ec2_class", "instance_vcpus", "Need", "PreflightResult", "check", "needs_of", "node_instance_types", "render_text"]

SAGEMAKER = "sagemaker"
EC2 = "ec2"
# Instance family letters -> the class EC2's vCPU quotas are named after ("Running On-Demand P instances").
EC2_CLASSES: dict[str, str] = {"p": "P", "g": "G and VT", "vt": "G and VT", "inf": "Inf", "trn": "Trn", "dl": "DL",
                               "f": "F", "x": "X"}
STANDARD_CLASS = "Standard (A, C, D, H, I, M, R, T, Z)"


@dataclass
class Need:
    service_code: str  # "sagemaker" | "ec2"
    quota_name: str  # "ml.m5.xlarge for endpoint usage", "Running On-Demand P instances"
    amount: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PreflightResult:
    need: Need
    quota_code: Optional[str]
    available: Optional[float]  # None: no such quota found

    @property
    def short(self) -> bool:
        return self.available is None or self.available < self.need.amount


def _add(needs: dict[tuple[str, str], Need], service: str, quota: str, amount: int, reason: str) -> None:
    need = needs.setdefault((service, quota), Need(service, quota))
    need.amount += amount
    need.reasons.append(reason)


def ec2_class(instance_type: str) -> str:
    """`p4d.24xlarge` -> "P", `g5.xlarge` -> "G and VT", `m6i.large` -> the standard class."""
    letters = re.match(r"[a-z]+", instance_type)
    return EC2_CLASSES.get(letters.group(0) if letters else "", STANDARD_CLASS)


def needs_of(plan: Plan, *, vcpus: Optional[dict[str, int]] = None) -> list[Need]:
    """What the plan runs at its maximum, per quota. `vcpus` maps EC2 instance types to their vCPUs
    (node groups are left out of the EC2 needs for types it does not list)."""
    needs: dict[tuple[str, str], Need] = {}
    maxima = _autoscaling_maxima(plan)
    for config in plan.of_type("aws:sagemaker/endpointConfiguration:EndpointConfiguration"):
        endpoint = _endpoint_of(plan, config)
        blue_green = bool(endpoint is not None and endpoint.get("deploymentConfig.blueGreenUpdatePolicy"))
        name = endpoint.inputs.get("name") if endpoint is not None else config.name
        for key in ("productionVariants", "shadowProductionVariants"):
            for variant in config.inputs.get(key) or []:
                instance_type = variant.get("instanceType")
                if not isinstance(instance_type, str):
                    continue  # serverless
                count = maxima.get(f"endpoint/{name}/variant/{variant.get('variantName')}", variant.get("initialInstanceCount", 1))
                amount = count * (2 if blue_green else 1)
                why = f"endpoint {name} variant {variant.get('variantName')}: {count}" + (" x 2 (blue/green)" if blue_green else "")
                _add(needs, SAGEMAKER, f"{instance_type} for endpoint usage", amount, why)
    for job in plan.of_type("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"):
        cluster = (job.inputs.get("jobResources") or {}).get("clusterConfig") or {}
        if isinstance(cluster.get("instanceType"), str):
            _add(needs, SAGEMAKER, f"{cluster['instanceType']} for processing job usage", cluster.get("instanceCount", 1),
                 f"Model Monitor job {job.name}")
    for pipeline in plan.of_type("aws:sagemaker/pipeline:Pipeline"):
        for quota, amount, why in _pipeline_needs(pipeline.inputs.get("pipelineDefinition"), pipeline.name):
            _add(needs, SAGEMAKER, quota, amount, why)
    for group in plan.of_type("aws:eks/nodeGroup:NodeGroup"):
        types = group.inputs.get("instanceTypes") or []
        size = (group.inputs.get("scalingConfig") or {}).get("maxSize", 0)
        if not types or not vcpus or types[0] not in vcpus:
            continue
        spot = group.inputs.get("capacityType") == "SPOT"
        klass = ec2_class(types[0])
        quota = f"All {klass} Spot Instance Requests" if spot else f"Running On-Demand {klass} instances"
        # A node group may use any of its types: the largest one bounds the vCPUs.
        per_node = max(vcpus.get(t, 0) for t in types)
        _add(needs, EC2, quota, size * per_node, f"node group {group.name}: {size} x {types[0]} ({per_node} vCPUs)")
    for pool in plan.of_type("kubernetes:karpenter.sh/v1:NodePool"):
        for quota, amount, why in _node_pool_needs(pool, vcpus or {}):
            _add(needs, EC2, quota, amount, why)
    return sorted(needs.values(), key=lambda n: (n.service_code, n.quota_name))


def _node_pool_needs(pool: Any, vcpus: dict[str, int]) -> list[tuple[str, int, str]]:
    """A Karpenter NodePool at its `limits.nodes`, of its largest listed instance type, in each quota its
    capacity types may draw on (all its nodes could be spot, or all on demand; reservations count as on demand).
    Pools that name only instance families are left out (their sizes are not listed)."""
    spec = pool.inputs.get("spec") or {}
    requirements = ((spec.get("template") or {}).get("spec") or {}).get("requirements") or []
    by_key = {r.get("key"): r.get("values") or [] for r in requirements if isinstance(r, dict) and r.get("operator") == "In"}
    types = [t for t in by_key.get("node.kubernetes.io/instance-type", []) if t in vcpus]
    try:
        nodes = int(str((spec.get("limits") or {}).get("nodes")))
    except ValueError:
        return []
    if not types:
        return []
    largest = max(types, key=lambda t: vcpus[t])
    klass = ec2_class(largest)
    capacity = by_key.get("karpenter.sh/capacity-type", ["on-demand"])
    quotas = ([f"All {klass} Spot Instance Requests"] if "spot" in capacity else []) + (
        [f"Running On-Demand {klass} instances"] if {"on-demand", "reserved"} & set(capacity) else [])
    why = f"NodePool {pool.name}: {nodes} x {largest} ({vcpus[largest]} vCPUs)"
    return [(quota, nodes * vcpus[largest], why) for quota in quotas]


def _autoscaling_maxima(plan: Plan) -> dict[str, int]:
    return {
        t.inputs["resourceId"]: t.inputs["maxCapacity"]
        for t in plan.of_type("aws:appautoscaling/target:Target")
        if t.inputs.get("scalableDimension") == "sagemaker:variant:DesiredInstanceCount"
        and isinstance(t.inputs.get("resourceId"), str) and isinstance(t.inputs.get("maxCapacity"), int)
    }


def _endpoint_of(plan: Plan, config: Any) -> Optional[Any]:
    name = config.inputs.get("name")
    return next((e for e in plan.of_type("aws:sagemaker/endpoint:Endpoint") if e.inputs.get("endpointConfigName") == name), None)


def _pipeline_needs(definition: Any, name: str) -> Iterable[tuple[str, int, str]]:
    try:
        document = json.loads(definition) if isinstance(definition, str) else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return
    defaults = {p.get("Name"): p.get("DefaultValue") for p in document.get("Parameters") or [] if isinstance(p, dict)}

    def value(v: Any) -> Any:
        if isinstance(v, dict) and isinstance(v.get("Get"), str) and v["Get"].startswith("Parameters."):
            return defaults.get(v["Get"].split(".", 1)[1])
        return v

    for step in document.get("Steps") or []:
        arguments = step.get("Arguments") or {}
        if step.get("Type") == "Training":
            resources = arguments.get("ResourceConfig") or {}
            spot = bool(arguments.get("EnableManagedSpotTraining"))
            usage = "spot training job usage" if spot else "training job usage"
        elif step.get("Type") == "Processing":
            resources = (arguments.get("ProcessingResources") or {}).get("ClusterConfig") or {}
            usage = "processing job usage"
        else:
            continue
        instance_type, count = value(resources.get("InstanceType")), value(resources.get("InstanceCount", 1))
        if isinstance(instance_type, str) and isinstance(count, int):
            yield f"{instance_type} for {usage}", count, f"pipeline {name} step {step.get('Name')}"


def check(needs: list[Need], clients: Any) -> list[PreflightResult]:
    """Each need against the account's quota of that name (`clients.client("service-quotas")`)."""
    quotas = clients.client("service-quotas")
    by_service: dict[str, dict[str, dict[str, Any]]] = {}
    results = []
    for need in needs:
        if need.service_code not in by_service:
            by_service[need.service_code] = _quotas(quotas, need.service_code)
        quota = by_service[need.service_code].get(need.quota_name)
        results.append(PreflightResult(need, quota.get("QuotaCode") if quota else None, quota.get("Value") if quota else None))
    return results


def _quotas(client: Any, service_code: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for operation in ("list_aws_default_service_quotas", "list_service_quotas"):  # applied values win
        paginator = client.get_paginator(operation)
        for page in paginator.paginate(ServiceCode=service_code):
            for quota in page.get("Quotas", []):
                found[quota["QuotaName"]] = quota
    return found


def node_instance_types(plan: Plan) -> list[str]:
    """The EC2 types the plan's node groups and Karpenter NodePools (their instance-type requirements) may launch."""
    types = [t for g in plan.of_type("aws:eks/nodeGroup:NodeGroup") for t in g.inputs.get("instanceTypes") or []]
    for pool in plan.of_type("kubernetes:karpenter.sh/v1:NodePool"):
        requirements = (((pool.inputs.get("spec") or {}).get("template") or {}).get("spec") or {}).get("requirements") or []
        types += [t for r in requirements if isinstance(r, dict) and r.get("key") == "node.kubernetes.io/instance-type"
                  and r.get("operator") == "In" for t in r.get("values") or []]
    return list(dict.fromkeys(types))


def instance_vcpus(needs_types: Iterable[str], clients: Any) -> dict[str, int]:
    """vCPUs of EC2 instance types (DescribeInstanceTypes)."""
    types = sorted(set(needs_types))
    if not types:
        return {}
    answer = clients.client("ec2").describe_instance_types(InstanceTypes=types)
    return {t["InstanceType"]: t["VCpuInfo"]["DefaultVCpus"] for t in answer.get("InstanceTypes", [])}


def render_text(stack: str, results: list[PreflightResult]) -> str:
    short = [r for r in results if r.short]
    lines = [f"preflight of stack {stack!r}: {len(results)} quotas checked, {len(short)} short"]
    for r in results:
        need = r.need
        if r.available is None:
            state = f"SHORT: no quota named {need.quota_name!r} in {need.service_code} (is the instance type offered here?)"
        elif r.short:
            state = (f"SHORT by {need.amount - r.available:g}: raise {r.quota_code} ({need.service_code}) to at least "
                     f"{need.amount} (aws service-quotas request-service-quota-increase --service-code {need.service_code} "
                     f"--quota-code {r.quota_code} --desired-value {need.amount})")
        else:
            state = f"ok ({r.available:g} available, {r.quota_code})"
        lines.append(f"  {need.quota_name}: needs {need.amount}: {state}")
        lines += [f"      {why}" for why in need.reasons]
    return "\n".join(lines) + "\n"
