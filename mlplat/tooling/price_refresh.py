"""`mlplat prices refresh`: rebuild a region's prices from the AWS Price List API (boto3 GetProducts).

The Price List API answers from its own few regions (us-east-1 here) whatever region is priced. Each refreshed
price names its offer and version (`AmazonEC2 <version>`) as its source; rates the API query here does not cover
keep the vendored table's value and source. Instance attributes are the vendored table's.

    refresh_prices(boto3.client("pricing", region_name="us-east-1"), "eu-west-1", load_price_table(), today)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Iterator, Mapping, Optional

from mlplat.core.prices import VENDORED_TABLE

__all__ = ["PRICING_API_REGION", "RefreshResult", "refresh_prices", "vendored_document"]

PRICING_API_REGION = "us-east-1"
_SAGEMAKER_COMPONENTS = {"hosting": "Hosting", "training": "Training", "processing": "Processing"}


@dataclass(frozen=True)
class _ServiceRate:
    """Where a service rate is in the Price List: the query (service code, product family) and, among the products it
    answers, the one whose usage type ends with `usage_type` in `unit`.

    Usage types carry a region prefix that is not regular (`USE1-`, `USW2-`, `EU-` for eu-west-1, and KMS's full
    region name: `us-east-1-KMS-Keys`), so they are matched by suffix on the answers, never sent as a filter (an exact
    `usagetype` filter matches no region). The suffix also keeps EKS extended support
    (`AmazonEKS-Hours:extendedSupport`), EKS on Outposts (`AmazonEKS-Local-Outposts-Hours:perCluster`) and Gateway
    Load Balancer endpoints (`VpcEndpoint-GWLBE-Hours`) out."""

    service: str
    product_family: str
    usage_type: str
    unit: str


# Service rates refreshed from the API (table key -> where it is). Attribute names and values as the AmazonEKS,
# awskms and AmazonVPC offers record them (productFamily Compute / Encryption Key / VpcEndpoint).
_SERVICE_RATES: dict[str, _ServiceRate] = {
    "eks_cluster_hour": _ServiceRate("AmazonEKS", "Compute", "AmazonEKS-Hours:perCluster", "Hrs"),
    "kms_key_month": _ServiceRate("awskms", "Encryption Key", "KMS-Keys", "Keys"),
    "interface_endpoint_az_hour": _ServiceRate("AmazonVPC", "VpcEndpoint", "VpcEndpoint-Hours", "Hrs"),
    "interface_endpoint_gb": _ServiceRate("AmazonVPC", "VpcEndpoint", "VpcEndpoint-Bytes", "GB"),
}


@dataclass(frozen=True)
class RefreshResult:
    table: dict[str, Any]  # the price table document (schemas/prices.schema.json)
    refreshed: int  # prices the API answered
    kept: list[str]  # `section/key` the API did not answer: the vendored value stays


def refresh_prices(client: Any, region: str, vendored: Mapping[str, Any], today: date,
                   instance_types: Optional[Iterable[str]] = None) -> RefreshResult:
    """The vendored table with `region`'s prices from GetProducts. `client`: a boto3 pricing client."""
    document = json.loads(json.dumps(vendored))  # a deep copy
    base = document["regions"].get(region) or {"ec2": {}, "sagemaker_hosting": {}, "sagemaker_training": {},
                                               "sagemaker_processing": {}, "services": {}}
    wanted = _wanted(document, instance_types)
    sources: dict[str, dict[str, str]] = {}
    fresh: dict[str, dict[str, list[Any]]] = {section: {} for section in
                                              ("ec2", "sagemaker_hosting", "sagemaker_training", "sagemaker_processing",
                                               "services")}
    for instance_type in sorted(wanted["ec2"]):
        filters = {"regionCode": region, "instanceType": instance_type, "operatingSystem": "Linux", "tenancy": "Shared",
                   "preInstalledSw": "NA", "capacitystatus": "Used"}
        _store(fresh["ec2"], sources, instance_type, _first_rate(client, "AmazonEC2", filters, "Hrs"), today)
    for use, component in _SAGEMAKER_COMPONENTS.items():
        for instance_type in sorted(wanted[f"sagemaker_{use}"]):
            filters = {"regionCode": region, "instanceName": instance_type, "component": component}
            _store(fresh[f"sagemaker_{use}"], sources, instance_type,
                   _first_rate(client, "AmazonSageMaker", filters, "Hrs"), today)
    answers: dict[tuple[str, str], list[dict[str, Any]]] = {}  # one query per service and product family
    for key, where in _SERVICE_RATES.items():
        query = (where.service, where.product_family)
        if query not in answers:
            filters = {"regionCode": region, "productFamily": where.product_family}
            answers[query] = list(_products(client, where.service, filters))
        matching = [item for item in answers[query] if _usage_type_matches(item, where.usage_type)]
        _store(fresh["services"], sources, key, _rate_of(matching, where.service, where.unit), today)
    kept = []
    for section, prices in fresh.items():
        for key, value in base.get(section, {}).items():
            if key not in prices:
                prices[key] = value
                kept.append(f"{section}/{key}")
    offered = base.get("offered_instance_types") or sorted(document["instance_attributes"])
    document["regions"][region] = {"offered_instance_types": offered, **fresh}
    document["sources"].update(sources)
    document["published"] = today.isoformat()
    refreshed = sum(1 for prices in fresh.values() for value in prices.values() if value[1] in sources)
    return RefreshResult(document, refreshed, sorted(kept))


def _wanted(document: Mapping[str, Any], extra: Optional[Iterable[str]]) -> dict[str, set[str]]:
    """The instance types to ask for: those the table prices in any region, plus `extra`."""
    wanted: dict[str, set[str]] = {s: set() for s in ("ec2", "sagemaker_hosting", "sagemaker_training", "sagemaker_processing")}
    for region in document["regions"].values():
        for section in wanted:
            wanted[section].update(region.get(section, {}))
    for instance_type in extra or ():
        if instance_type.startswith("ml."):
            for section in ("sagemaker_hosting", "sagemaker_training", "sagemaker_processing"):
                wanted[section].add(instance_type)
        else:
            wanted["ec2"].add(instance_type)
    return wanted


@dataclass(frozen=True)
class _Rate:
    usd: float
    offer: str
    version: str
    publication: str


def _store(into: dict[str, list[Any]], sources: dict[str, dict[str, str]], key: str, rate: Optional[_Rate],
           today: date) -> None:
    if rate is None:
        return
    source_id = f"price-list:{rate.offer}:{rate.version}"
    sources[source_id] = {
        "url": f"https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{rate.offer}/{rate.version}/index.json",
        "read": today.isoformat(),
        "note": f"AWS Price List API GetProducts, offer {rate.offer} version {rate.version}"
                + (f" published {rate.publication}" if rate.publication else ""),
    }
    into[key] = [rate.usd, source_id]


def _first_rate(client: Any, service: str, filters: Mapping[str, str], unit: str) -> Optional[_Rate]:
    """The on-demand rate in USD per `unit` of the first product matching every filter."""
    return _rate_of(_products(client, service, filters), service, unit)


def _rate_of(items: Iterable[Mapping[str, Any]], service: str, unit: str) -> Optional[_Rate]:
    """The first product's on-demand rate in USD per `unit`: its first tier (a tiered rate, such as endpoint GB, is
    quoted from 0; later tiers are cheaper and need the usage)."""
    for item in items:
        for term in (item.get("terms", {}).get("OnDemand") or {}).values():
            for dimension in (term.get("priceDimensions") or {}).values():
                usd = (dimension.get("pricePerUnit") or {}).get("USD")
                first_tier = str(dimension.get("beginRange", "0")) in ("0", "0.0")
                if dimension.get("unit") == unit and first_tier and usd is not None and float(usd) > 0:
                    return _Rate(float(usd), service, str(item.get("version", "")),
                                 str(item.get("publicationDate", "")))
    return None


def _usage_type_matches(item: Mapping[str, Any], suffix: str) -> bool:
    """`USE1-AmazonEKS-Hours:perCluster`, `EU-...`, `us-east-1-KMS-Keys` or the bare `suffix` (no region prefix)."""
    usage_type = str(((item.get("product") or {}).get("attributes") or {}).get("usagetype", ""))
    return usage_type == suffix or usage_type.endswith(f"-{suffix}")


def _products(client: Any, service: str, filters: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {
        "ServiceCode": service, "FormatVersion": "aws_v1", "MaxResults": 100,
        "Filters": [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in filters.items()],
    }
    while True:
        response = client.get_products(**request)
        for entry in response.get("PriceList", []):
            yield json.loads(entry) if isinstance(entry, str) else entry
        token = response.get("NextToken")
        if not token:
            return
        request["NextToken"] = token


def vendored_document() -> dict[str, Any]:
    return json.loads(VENDORED_TABLE.read_text())
