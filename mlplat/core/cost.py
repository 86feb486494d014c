"""The monthly cost estimate of a stack, from its resources' planned inputs and the price table.

Pure code (no pulumi): the plan (`mlplat plan`) and the policy pack (MLP-COST-01) both estimate with it.

    estimate = estimate_cost(resources, load_price_table(), "us-east-1")
    estimate.fixed_monthly_usd, estimate.up_to_monthly_usd, estimate.to_json()

A month is 730 hours. Each resource type with a cost has a pricer registered by type token
(`@pricer("aws:eks/nodeGroup:NodeGroup")`); it reads the resource's inputs and returns items:
- fixed: billed whatever the traffic (instances x count x 730 h, a cluster's control plane, a key);
- up to: what a scalable resource costs at its maximum (a node group's max size, an endpoint's autoscaling max);
- usage: billed by use (GB stored, GB processed, job hours); listed with the rate and the assumption they need,
  never added to the fixed total.
A rate the table does not hold leaves the item unpriced (`monthly_usd` None, with the reason): never $0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Callable, Iterable, Literal, Mapping, Optional, Sequence

from mlplat.core.prices import HOURS_PER_MONTH, Price, PriceTable, SageMakerUse
from mlplat.core.paths import value_at
from mlplat.core.vocabulary import FAMILY_TAG

__all__ = [
    "CostEstimate", "CostItem", "CostResource", "PricingContext", "Pricer", "RESERVATIONS_ANNOTATION", "cost_difference",
    "estimate_cost",
    "pricer", "registered_pricers", "top_contributors",
]

ItemKind = Literal["fixed", "usage"]
# On a GPU pool's EC2NodeClass: the capacity reservations it names, as JSON (they are not resources of the plan).
RESERVATIONS_ANNOTATION = "mlplat.io/capacity-reservations"
TEAM_TAG = "owner"  # the team a resource's cost is reported under: its required `owner` tag


@dataclass(frozen=True)
class CostResource:
    """A resource as the estimate reads it: its type token, URN, name, inputs and parent URN."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    parent: Optional[str] = None

    def get(self, path: str, default: Any = None) -> Any:
        return value_at(self.props, path, default)

    @property
    def tags(self) -> Mapping[str, Any]:
        tags = self.props.get("tags")
        return tags if isinstance(tags, Mapping) else {}


@dataclass(frozen=True)
class CostItem:
    """One line of the estimate: what is billed, how much a month, and the rate it was computed from."""

    urn: str
    resource: str
    type: str
    kind: ItemKind
    description: str  # "2 x ml.m5.xlarge (hosting) x 730 h"
    quantity: float  # units of `unit` a month (fixed), or per unit of use (usage: 1)
    unit: str  # "instance-hour", "month", "GB-month", "GB", "hour"
    price_key: str  # the table's key: "sagemaker_hosting/ml.m5.xlarge", "services/eks_cluster_hour"
    rate: Optional[Price] = None
    up_to_quantity: Optional[float] = None  # at the resource's maximum (fixed items that scale)
    up_to_description: str = ""
    assumption: str = ""  # what a usage item needs to become a number
    unpriced: str = ""  # why there is no rate (empty when priced)
    component: str = ""
    family: Optional[str] = None
    team: Optional[str] = None
    detail: Mapping[str, Any] = field(default_factory=dict)  # instance type, count... (for differences)

    @property
    def monthly_usd(self) -> Optional[float]:
        if self.kind != "fixed" or self.rate is None:
            return None
        return self.quantity * self.rate.usd

    @property
    def up_to_monthly_usd(self) -> Optional[float]:
        if self.kind != "fixed" or self.rate is None:
            return None
        return (self.up_to_quantity if self.up_to_quantity is not None else self.quantity) * self.rate.usd

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "urn": self.urn, "resource": self.resource, "type": self.type, "kind": self.kind,
            "description": self.description, "quantity": self.quantity, "unit": self.unit, "priceKey": self.price_key,
            "rateUsd": self.rate.usd if self.rate else None, "rateSource": self.rate.source if self.rate else None,
            "monthlyUsd": _money(self.monthly_usd), "component": self.component,
            "family": self.family, "team": self.team,
        }
        if self.kind == "fixed":
            out["upToMonthlyUsd"] = _money(self.up_to_monthly_usd)
            if self.up_to_description:
                out["upTo"] = self.up_to_description
        if self.assumption:
            out["assumption"] = self.assumption
        if self.unpriced:
            out["unpriced"] = self.unpriced
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


@dataclass(frozen=True)
class PricingContext:
    """What a pricer sees besides its resource: the table, the region, and the other resources."""

    table: PriceTable
    region: str
    resources: Sequence[CostResource] = ()
    hours: int = HOURS_PER_MONTH

    def siblings(self, resource: CostResource) -> list[CostResource]:
        return [r for r in self.resources if r.parent == resource.parent and r.urn != resource.urn]

    def rate(self, section: str, key: str) -> tuple[Optional[Price], str]:
        """The rate and, when the table has none, why (for the item's `unpriced`)."""
        if section == "services":
            price = self.table.service(self.region, key)
        elif section == "ec2":
            price = self.table.ec2_hourly(self.region, key)
        else:
            use: SageMakerUse = section.removeprefix("sagemaker_")  # type: ignore[assignment]
            price = self.table.sagemaker_hourly(self.region, use, key)
        if price is not None:
            return price, ""
        if self.region not in self.table.regions:
            return None, f"the price table has no prices for {self.region} (`mlplat prices refresh --region {self.region}`)"
        if section != "services" and self.table.offered(self.region, key) is False:
            return None, f"{key} is not offered in {self.region}"
        return None, f"the price table has no {section} price for {key} in {self.region}"


Pricer = Callable[[CostResource, PricingContext], list[CostItem]]
_PRICERS: dict[str, Pricer] = {}


def pricer(type_token: str) -> Callable[[Pricer], Pricer]:
    """Register the pricer of a resource type (one per type token; a later registration replaces it)."""

    def register(fn: Pricer) -> Pricer:
        _PRICERS[type_token] = fn
        return fn

    return register


def registered_pricers() -> dict[str, Pricer]:
    return dict(_PRICERS)


# --- the estimate ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostEstimate:
    region: str
    currency: str
    price_date: date
    items: tuple[CostItem, ...]
    hours_per_month: int = HOURS_PER_MONTH

    @property
    def fixed(self) -> list[CostItem]:
        return [i for i in self.items if i.kind == "fixed"]

    @property
    def usage(self) -> list[CostItem]:
        return [i for i in self.items if i.kind == "usage"]

    @property
    def unpriced(self) -> list[CostItem]:
        return [i for i in self.fixed if i.rate is None]

    @property
    def fixed_monthly_usd(self) -> float:
        return sum(i.monthly_usd or 0.0 for i in self.fixed)

    @property
    def up_to_monthly_usd(self) -> float:
        return sum(i.up_to_monthly_usd or 0.0 for i in self.fixed)

    def by(self, attribute: str) -> dict[str, float]:
        """Fixed monthly totals grouped by `component`, `family` or `team` (None grouped as "-"), largest first."""
        totals: dict[str, float] = {}
        for item in self.fixed:
            key = getattr(item, attribute) or "-"
            totals[key] = totals.get(key, 0.0) + (item.monthly_usd or 0.0)
        return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))

    def by_resource(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for item in self.fixed:
            totals[item.urn] = totals.get(item.urn, 0.0) + (item.monthly_usd or 0.0)
        return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "priceDate": self.price_date.isoformat(),
            "basis": f"on-demand list prices as of {self.price_date.isoformat()}, {self.hours_per_month} hours a month",
            "region": self.region,
            "monthlyFixedUsd": _money(self.fixed_monthly_usd),
            "upToMonthlyUsd": _money(self.up_to_monthly_usd),
            "perResource": {urn: _money(v) for urn, v in self.by_resource().items()},
            "perComponent": {k: _money(v) for k, v in self.by("component").items()},
            "perFamily": {k: _money(v) for k, v in self.by("family").items()},
            "perTeam": {k: _money(v) for k, v in self.by("team").items()},
            "items": [i.to_json() for i in self.fixed],
            "usageBased": [i.to_json() for i in self.usage],
            "unpriced": [i.to_json() for i in self.unpriced],
        }


def estimate_cost(resources: Iterable[CostResource], table: PriceTable, region: str) -> CostEstimate:
    """The estimate of every resource with a registered pricer; components, families and teams attributed."""
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    context = PricingContext(table, region, resources, table.hours_per_month)
    items: list[CostItem] = []
    for resource in resources:
        price = _PRICERS.get(resource.type)
        if price is None:
            continue
        for item in price(resource, context):
            items.append(replace(item, component=_component(resource, by_urn), family=_family(resource, by_urn),
                                 team=_team(resource, by_urn)))
    return CostEstimate(region, table.currency, table.published, tuple(items), table.hours_per_month)


def top_contributors(estimate: CostEstimate, count: int = 3) -> list[CostItem]:
    """The largest priced fixed items, largest first."""
    priced = [i for i in estimate.fixed if i.monthly_usd]
    return sorted(priced, key=lambda i: (-(i.monthly_usd or 0.0), i.urn))[:count]


def _component(resource: CostResource, by_urn: Mapping[str, CostResource]) -> str:
    """`<Component> <name>` of the nearest mlplat component above the resource (the root MLPlatform excluded)."""
    current = by_urn.get(resource.parent or "")
    while current is not None:
        if current.type.startswith("mlplat:") and not current.type.endswith(":MLPlatform"):
            return f"{current.type.rsplit(':', 1)[-1]} {current.name}"
        current = by_urn.get(current.parent or "")
    return "-"


def _inherited_tag(resource: CostResource, by_urn: Mapping[str, CostResource], key: str) -> Optional[str]:
    current: Optional[CostResource] = resource
    while current is not None:
        value = current.tags.get(key)
        if isinstance(value, str) and value:
            return value
        current = by_urn.get(current.parent or "")
    return None


def _family(resource: CostResource, by_urn: Mapping[str, CostResource]) -> Optional[str]:
    return _inherited_tag(resource, by_urn, FAMILY_TAG)


def _team(resource: CostResource, by_urn: Mapping[str, CostResource]) -> Optional[str]:
    return _inherited_tag(resource, by_urn, TEAM_TAG)


def _money(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 2)


# --- differences ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostChange:
    urn: str
    resource: str
    component: str
    before_usd: float
    after_usd: float
    before: str
    after: str
    before_detail: Mapping[str, Any] = field(default_factory=dict)
    after_detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def delta_usd(self) -> float:
        return self.after_usd - self.before_usd

    def what(self) -> str:
        """"2 -> 4 x ml.g5.xlarge" when only the count changed; else "before -> after", "new: ...", "removed: ..."."""
        b, a = self.before_detail, self.after_detail
        if b.get("instanceType") and b.get("instanceType") == a.get("instanceType") and "count" in b and "count" in a:
            return f"{b['count']} -> {a['count']} x {a['instanceType']}"
        if self.before and self.after:
            return f"{self.before} -> {self.after}"
        return f"new: {self.after}" if self.after else f"removed: {self.before}"


@dataclass(frozen=True)
class CostDifference:
    before_usd: float
    after_usd: float
    changes: tuple[CostChange, ...]  # largest absolute change first

    @property
    def delta_usd(self) -> float:
        return self.after_usd - self.before_usd

    def headline(self) -> str:
        """"+$1,234/month, mostly `churn` endpoint: 2 -> 4 x ml.g5.xlarge" (or "no change in the monthly estimate")."""
        if abs(self.delta_usd) < 0.005 and not self.changes:
            return "no change in the fixed monthly estimate"
        text = f"{_signed(self.delta_usd)}/month"
        if self.changes:
            top = self.changes[0]
            where = f" ({top.component})" if top.component and top.component != "-" else ""
            text += f", mostly `{top.resource}`{where}: {top.what()}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "beforeMonthlyUsd": _money(self.before_usd), "afterMonthlyUsd": _money(self.after_usd),
            "deltaMonthlyUsd": _money(self.delta_usd), "headline": self.headline(),
            "changes": [{"urn": c.urn, "resource": c.resource, "component": c.component, "before": c.before,
                         "after": c.after, "what": c.what(), "deltaMonthlyUsd": _money(c.delta_usd)}
                        for c in self.changes],
        }


def cost_difference(before: CostEstimate, after: CostEstimate) -> CostDifference:
    """What changed between two estimates, per resource (URN), largest change first."""
    old, new = _per_urn(before), _per_urn(after)
    changes = []
    for urn in sorted(old.keys() | new.keys()):
        (b_usd, b_text, b_item), (a_usd, a_text, a_item) = old.get(urn, (0.0, "", None)), new.get(urn, (0.0, "", None))
        if abs(a_usd - b_usd) >= 0.005 or b_text != a_text:
            item = a_item or b_item
            assert item is not None
            changes.append(CostChange(urn, item.resource, item.component, b_usd, a_usd, b_text, a_text,
                                      _single_detail(before, urn), _single_detail(after, urn)))
    changes.sort(key=lambda c: (-abs(c.delta_usd), c.urn))
    return CostDifference(before.fixed_monthly_usd, after.fixed_monthly_usd, tuple(changes))


def _per_urn(estimate: CostEstimate) -> dict[str, tuple[float, str, CostItem]]:
    out: dict[str, tuple[float, str, CostItem]] = {}
    for item in estimate.fixed:
        usd, text, first = out.get(item.urn, (0.0, "", item))
        out[item.urn] = (usd + (item.monthly_usd or 0.0), "; ".join(filter(None, [text, item.description])), first)
    return out


def _single_detail(estimate: CostEstimate, urn: str) -> Mapping[str, Any]:
    """The detail of a resource with one fixed item (instance type and count); {} otherwise."""
    items = [i for i in estimate.fixed if i.urn == urn]
    return items[0].detail if len(items) == 1 else {}


def _signed(usd: float) -> str:
    sign = "+" if usd >= 0 else "-"
    return f"{sign}${abs(usd):,.0f}"


# --- pricers -----------------------------------------------------------------------------------


def _fixed(resource: CostResource, ctx: PricingContext, section: str, key: str, quantity: float, unit: str,
           description: str, up_to_quantity: Optional[float] = None, up_to_description: str = "",
           detail: Optional[Mapping[str, Any]] = None) -> CostItem:
    rate, unpriced = ctx.rate(section, key)
    return CostItem(resource.urn, resource.name, resource.type, "fixed", description, quantity, unit,
                    f"{section}/{key}", rate, up_to_quantity, up_to_description, unpriced=unpriced, detail=detail or {})


def _usage(resource: CostResource, ctx: PricingContext, section: str, key: str, unit: str, description: str,
           assumption: str) -> CostItem:
    rate, unpriced = ctx.rate(section, key)
    return CostItem(resource.urn, resource.name, resource.type, "usage", description, 1.0, unit, f"{section}/{key}",
                    rate, assumption=assumption, unpriced=unpriced)


def _int(value: Any, default: int = 0) -> int:
    """A count; the engine hands numbers to policies as floats (4.0)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return default


@pricer("aws:eks/cluster:Cluster")
def _eks_cluster(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    return [_fixed(r, ctx, "services", "eks_cluster_hour", ctx.hours, "hour",
                   f"EKS control plane x {ctx.hours} h")]


@pricer("aws:eks/nodeGroup:NodeGroup")
def _node_group(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    types = [t for t in r.get("instanceTypes") or [] if isinstance(t, str)]
    if not types:
        return []
    # Several types: the group may launch any of them; price at the dearest so the estimate is an upper bound.
    priced = [(ctx.rate("ec2", t)[0], t) for t in types]
    instance_type = max(priced, key=lambda p: p[0].usd if p[0] else -1.0)[1]
    minimum, maximum = _int(r.get("scalingConfig.minSize")), _int(r.get("scalingConfig.maxSize"))
    desired = _int(r.get("scalingConfig.desiredSize"), minimum)
    spot = " (spot: billed below this on-demand list price)" if r.get("capacityType") == "SPOT" else ""
    return [_fixed(r, ctx, "ec2", instance_type, desired * ctx.hours, "instance-hour",
                   f"{desired} x {instance_type} x {ctx.hours} h{spot}", maximum * ctx.hours,
                   f"up to {maximum} x {instance_type}", {"instanceType": instance_type, "count": desired})]


def _requirement_values(requirements: Any, key: str) -> list[str]:
    return [v for req in requirements or [] if isinstance(req, Mapping) and req.get("key") == key and req.get("operator") == "In"
            for v in req.get("values") or [] if isinstance(v, str)]


@pricer("kubernetes:karpenter.sh/v1:NodePool")
def _node_pool(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    """A Karpenter NodePool runs no node until a pod asks: $0 fixed, "up to" its node limit at the dearest type it
    may launch (of a pool naming only instance families, the dearest size of them the table prices)."""
    requirements = r.get("spec.template.spec.requirements")
    types = _requirement_values(requirements, "node.kubernetes.io/instance-type")
    if not types:
        families = set(_requirement_values(requirements, "karpenter.k8s.aws/instance-family"))
        types = sorted(t for t in ctx.table.priced(ctx.region, "ec2") if t.split(".", 1)[0] in families)
    if not types:
        return []
    priced = [(ctx.rate("ec2", t)[0], t) for t in types]
    instance_type = max(priced, key=lambda p: p[0].usd if p[0] else -1.0)[1]
    try:
        limit = int(str(r.get("spec.limits.nodes")))
    except ValueError:
        return []
    return [_fixed(r, ctx, "ec2", instance_type, 0, "instance-hour", f"0 x {instance_type} until a job asks",
                   limit * ctx.hours, f"up to {limit} x {instance_type} (limits.nodes)",
                   {"instanceType": instance_type, "count": 0})]


@pricer("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
def _node_class_reservations(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    """The capacity reservations a GPU pool names, at full price whatever the pool runs: an on-demand capacity
    reservation bills every hour it is active, used or not; a Capacity Block for ML is prepaid at purchase (its own
    price, estimated here at the on-demand list price for a month). A reservation without its size is unpriced."""
    annotations = r.get("metadata.annotations")
    raw = annotations.get(RESERVATIONS_ANNOTATION) if isinstance(annotations, Mapping) else None  # its key has dots
    try:
        reservations = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return []
    items = []
    for reservation in reservations if isinstance(reservations, list) else []:
        if not isinstance(reservation, Mapping):
            continue
        name, instance_type, count = reservation.get("reservation"), reservation.get("instanceType"), _int(reservation.get("count"))
        kind = "Capacity Block (prepaid)" if reservation.get("capacityBlock") else "reserved, billed even when idle"
        if not isinstance(instance_type, str) or count < 1:
            items.append(CostItem(r.urn, r.name, r.type, "fixed", f"capacity reservation {name} ({kind})", 0.0,
                                  "instance-hour", "ec2/?", None,
                                  unpriced="the pool does not say the reservation's instance_type and instance_count"))
            continue
        items.append(_fixed(r, ctx, "ec2", instance_type, count * ctx.hours, "instance-hour",
                            f"capacity reservation {name}: {count} x {instance_type} x {ctx.hours} h ({kind})",
                            detail={"instanceType": instance_type, "count": count}))
    return items


@pricer("aws:ec2/capacityReservation:CapacityReservation")
def _capacity_reservation(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    instance_type, count = r.get("instanceType"), _int(r.get("instanceCount"))
    if not isinstance(instance_type, str):
        return []
    return [_fixed(r, ctx, "ec2", instance_type, count * ctx.hours, "instance-hour",
                   f"{count} x {instance_type} reserved x {ctx.hours} h (billed even when idle)",
                   detail={"instanceType": instance_type, "count": count})]


@pricer("aws:sagemaker/endpointConfiguration:EndpointConfiguration")
def _endpoint_configuration(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    items = []
    scaling = _scaling_targets(r, ctx)
    variants = [*(r.get("productionVariants") or []), *(r.get("shadowProductionVariants") or [])]
    for variant in variants:
        if not isinstance(variant, Mapping):
            continue
        name = str(variant.get("variantName", "primary"))
        serverless = variant.get("serverlessConfig")
        if isinstance(serverless, Mapping):
            memory = _int(serverless.get("memorySizeInMb"))
            size = f"{memory} MB = {memory / 1024:g} GB-seconds per second of inference" if memory else "memory unknown"
            items.append(_usage(r, ctx, "services", "sagemaker_serverless_gb_second", "GB-second",
                                f"variant {name}: serverless, {size}",
                                "seconds of inference a month (invocations x duration); no charge while idle"))
            provisioned = _int(serverless.get("provisionedConcurrency"))
            if provisioned:
                items.append(_usage(r, ctx, "services", "sagemaker_serverless_provisioned_gb_second", "GB-second",
                                    f"variant {name}: provisioned concurrency {provisioned}",
                                    "billed for each second the provisioned concurrency is configured"))
            continue
        instance_type = variant.get("instanceType")
        if not isinstance(instance_type, str):
            continue
        count = _int(variant.get("initialInstanceCount"), 1)
        minimum, maximum = scaling.get(name, (count, count))
        count = max(count, minimum)
        items.append(_fixed(r, ctx, "sagemaker_hosting", instance_type, count * ctx.hours, "instance-hour",
                            f"variant {name}: {count} x {instance_type} x {ctx.hours} h", max(count, maximum) * ctx.hours,
                            f"up to {max(count, maximum)} x {instance_type} (autoscaling)" if maximum > count else "",
                            {"instanceType": instance_type, "count": count}))
    if isinstance(r.get("asyncInferenceConfig"), Mapping):
        items.append(_usage(r, ctx, "services", "s3_standard_gb_month", "GB-month", "async inference payloads in S3",
                            "request and response payloads kept in the output bucket"))
    return items


def _scaling_targets(r: CostResource, ctx: PricingContext) -> dict[str, tuple[int, int]]:
    """Variant name -> (min, max) of the Application Auto Scaling targets declared beside the configuration."""
    out = {}
    for sibling in ctx.siblings(r):
        if sibling.type != "aws:appautoscaling/target:Target" or sibling.get("serviceNamespace") != "sagemaker":
            continue
        resource_id = sibling.get("resourceId")
        if isinstance(resource_id, str) and "/variant/" in resource_id:
            out[resource_id.rsplit("/variant/", 1)[1]] = (_int(sibling.get("minCapacity")), _int(sibling.get("maxCapacity")))
    return out


@pricer("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")
def _tracking_server(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    size = str(r.get("trackingServerSize") or "Small")
    return [_fixed(r, ctx, "services", f"mlflow_tracking_server_{size.lower()}_hour", ctx.hours, "hour",
                   f"MLflow tracking server {size} x {ctx.hours} h", detail={"size": size})]


@pricer("aws:ec2/vpcEndpoint:VpcEndpoint")
def _vpc_endpoint(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    if r.get("vpcEndpointType") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) have no charge
    service_name = r.get("serviceName")
    # com.amazonaws.<region>.ecr.api -> ecr.api
    service = service_name.split(".", 3)[-1] if isinstance(service_name, str) and service_name.count(".") >= 3 else r.name
    azs = len(r.get("subnetIds") or []) or 1
    return [
        _fixed(r, ctx, "services", "interface_endpoint_az_hour", azs * ctx.hours, "AZ-hour",
               f"interface endpoint ({service}) in {azs} AZ x {ctx.hours} h", detail={"azs": azs}),
        _usage(r, ctx, "services", "interface_endpoint_gb", "GB", f"interface endpoint ({service}) data processed",
               "GB a month through the endpoint"),
    ]


@pricer("aws:ec2/natGateway:NatGateway")
def _nat_gateway(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    return [
        _fixed(r, ctx, "services", "nat_gateway_hour", ctx.hours, "hour", f"NAT gateway x {ctx.hours} h"),
        _usage(r, ctx, "services", "nat_gateway_gb", "GB", "NAT gateway data processed", "GB a month through the gateway"),
    ]


@pricer("aws:kms/key:Key")
def _kms_key(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    return [_fixed(r, ctx, "services", "kms_key_month", 1, "key-month",
                   "KMS key (each yearly rotation adds a key-month)")]


@pricer("aws:cloudwatch/metricAlarm:MetricAlarm")
def _metric_alarm(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    metrics = r.get("metricQueries")
    count = len([q for q in metrics if isinstance(q, Mapping) and q.get("metric")]) if isinstance(metrics, list) else 1
    return [_fixed(r, ctx, "services", "cloudwatch_alarm_metric_month", max(count, 1), "alarm-metric-month",
                   f"alarm on {max(count, 1)} metric(s), standard resolution")]


@pricer("aws:cloudwatch/compositeAlarm:CompositeAlarm")
def _composite_alarm(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    return [_fixed(r, ctx, "services", "cloudwatch_composite_alarm_month", 1, "alarm-month", "composite alarm")]


@pricer("aws:cloudwatch/dashboard:Dashboard")
def _dashboard(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    return [_fixed(r, ctx, "services", "cloudwatch_dashboard_month", 1, "dashboard-month", "CloudWatch dashboard")]


@pricer("aws:cloudwatch/logGroup:LogGroup")
def _log_group(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    retention = r.get("retentionInDays")
    return [
        _usage(r, ctx, "services", "cloudwatch_logs_ingestion_gb", "GB", "log ingestion", "GB ingested a month"),
        _usage(r, ctx, "services", "cloudwatch_logs_storage_gb_month", "GB-month", "log storage",
               f"GB kept (retention {retention} days)" if retention else "GB kept"),
    ]


@pricer("aws:s3/bucket:Bucket")
def _bucket(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    return [_usage(r, ctx, "services", "s3_standard_gb_month", "GB-month", "S3 Standard storage",
                   "GB stored (Standard class; lifecycle rules move or expire objects) plus requests")]


@pricer("aws:sagemaker/featureGroup:FeatureGroup")
def _feature_group(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    items = []
    online = r.get("onlineStoreConfig.enableOnlineStore")
    if online:
        items.append(_usage(r, ctx, "services", "feature_store_online_gb_month", "GB-month", "online store storage",
                            "GB of records in the online store, plus read and write units"))
    if isinstance(r.get("offlineStoreConfig"), Mapping):
        items.append(_usage(r, ctx, "services", "s3_standard_gb_month", "GB-month", "offline store (S3)",
                            "GB of records in the offline store"))
    return items


@pricer("aws:sagemaker/pipeline:Pipeline")
def _pipeline(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    definition = r.get("pipelineDefinition")
    try:
        parsed = json.loads(definition) if isinstance(definition, str) else {}
    except ValueError:
        parsed = {}
    defaults = {p.get("Name"): p.get("DefaultValue") for p in parsed.get("Parameters", []) if isinstance(p, Mapping)}
    items = []
    for use, name in (("training", "TrainingInstanceType"), ("processing", "ProcessingInstanceType")):
        instance_type = defaults.get(name)
        if isinstance(instance_type, str):
            count = defaults.get(name.replace("Type", "Count"))
            items.append(_usage(r, ctx, f"sagemaker_{use}", instance_type, "instance-hour",
                                f"{use} jobs on {count or 1} x {instance_type}", "job hours a month (each run's duration x runs)"))
    return items


@pricer("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition")
def _monitoring_job(r: CostResource, ctx: PricingContext) -> list[CostItem]:
    instance_type = r.get("jobResources.clusterConfig.instanceType")
    if not isinstance(instance_type, str):
        return []
    count = _int(r.get("jobResources.clusterConfig.instanceCount"), 1)
    return [_usage(r, ctx, "sagemaker_processing", instance_type, "instance-hour",
                   f"Model Monitor jobs on {count} x {instance_type}", "job hours a month (each run's duration x runs)")]
