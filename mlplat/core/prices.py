"""The dated price table: on-demand list prices (USD) and the instance attributes other code needs.

The vendored table is package data (`mlplat/core/data/prices.json`; its schema `PRICES_SCHEMA` is published as
`schemas/prices.schema.json` by `make schema`), built by `tools/build_price_table.py`: instance attributes and the
types each region offers come from EC2 DescribeInstanceTypes / DescribeInstanceTypeOfferings data (moto's copy),
prices from cited sources, each price naming its source. `mlplat prices refresh --region R` writes the same format from the AWS Price List API.

A price the table does not hold is `None`, never 0: the estimate lists such an item as unpriced. Pure code (no
pulumi), so the policy pack and the plan share it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Mapping

from mlplat.core.errors import ConfigError, Problem

__all__ = [
    "HOURS_PER_MONTH", "InstanceAttributes", "Price", "PRICES_SCHEMA", "PriceSource", "PriceTable", "SageMakerUse",
    "STALE_AFTER_DAYS",
    "VENDORED_TABLE", "load_price_table", "parse_price_table",
]

VENDORED_TABLE = Path(__file__).parent / "data" / "prices.json"
PRICES_SCHEMA = Path(__file__).parent / "data" / "prices.schema.json"
HOURS_PER_MONTH = 730
STALE_AFTER_DAYS = 120
SageMakerUse = Literal["hosting", "training", "processing"]
_SECTIONS = ("ec2", "sagemaker_hosting", "sagemaker_training", "sagemaker_processing", "services")


@dataclass(frozen=True)
class InstanceAttributes:
    """What DescribeInstanceTypes says of an EC2 type (a SageMaker `ml.` type runs on the same hardware)."""

    vcpus: int
    memory_gib: float
    gpus: int
    gpu_memory_gib: float
    efa_supported: bool
    maximum_efa_interfaces: int


@dataclass(frozen=True)
class PriceSource:
    url: str
    read: str
    note: str = ""


@dataclass(frozen=True)
class Price:
    """One rate in USD (per hour, per month or per GB, as the key says) and the id of its source."""

    usd: float
    source: str


@dataclass(frozen=True)
class _Region:
    offered: frozenset[str]
    sections: Mapping[str, Mapping[str, Price]]


@dataclass(frozen=True)
class PriceTable:
    currency: str
    published: date
    hours_per_month: int
    sources: Mapping[str, PriceSource]
    attributes_source: str
    _attributes: Mapping[str, InstanceAttributes]
    _regions: Mapping[str, _Region]

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted(self._regions))

    def instance_attributes(self, instance_type: str) -> InstanceAttributes | None:
        """Attributes of an EC2 type (an `ml.` prefix is stripped); None for a type the table does not know."""
        return self._attributes.get(_ec2_name(instance_type))

    def offered(self, region: str, instance_type: str) -> bool | None:
        """Whether the region offers the type (an `ml.` type: its EC2 hardware); None: the region is not in the table."""
        known = self._regions.get(region)
        return None if known is None else _ec2_name(instance_type) in known.offered

    def ec2_hourly(self, region: str, instance_type: str) -> Price | None:
        return self._price(region, "ec2", instance_type)

    def sagemaker_hourly(self, region: str, use: SageMakerUse, instance_type: str) -> Price | None:
        return self._price(region, f"sagemaker_{use}", instance_type)

    def service(self, region: str, key: str) -> Price | None:
        """A service rate by key (`eks_cluster_hour`, `kms_key_month`, `interface_endpoint_az_hour`, ...)."""
        return self._price(region, "services", key)

    def priced(self, region: str, section: str) -> frozenset[str]:
        """The keys a section prices in a region (`ec2`, `sagemaker_hosting`, ..., `services`)."""
        known = self._regions.get(region)
        return frozenset(known.sections.get(section, {})) if known else frozenset()

    def age_days(self, today: date) -> int:
        return (today - self.published).days

    def is_stale(self, today: date) -> bool:
        return self.age_days(today) > STALE_AFTER_DAYS

    def _price(self, region: str, section: str, key: str) -> Price | None:
        known = self._regions.get(region)
        return None if known is None else known.sections.get(section, {}).get(key)


def _ec2_name(instance_type: str) -> str:
    return instance_type[3:] if instance_type.startswith("ml.") else instance_type


@functools.lru_cache(maxsize=8)
def load_price_table(path: Path | None = None) -> PriceTable:
    """The vendored table, or the one at `path` (a `mlplat prices refresh` output); read once per path."""
    where = path or VENDORED_TABLE
    try:
        raw = json.loads(Path(where).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError([Problem("prices", f"cannot be read as a price table ({exc})", str(where))]) from None
    return parse_price_table(raw, source=str(where))


def parse_price_table(raw: Any, source: str = "prices") -> PriceTable:
    """A PriceTable from its JSON form; a malformed table raises ConfigError naming the key."""
    try:
        return _parse(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError([Problem("prices", f"is not a price table of format 1 ({type(exc).__name__}: {exc})",
                                   source)]) from None


def _parse(raw: Mapping[str, Any]) -> PriceTable:
    if raw["format"] != 1:
        raise ValueError(f"format {raw['format']!r}")
    sources = {key: PriceSource(str(s["url"]), str(s["read"]), str(s.get("note", ""))) for key, s in raw["sources"].items()}
    regions = {}
    for name, region in raw["regions"].items():
        sections: dict[str, dict[str, Price]] = {}
        for section in _SECTIONS:
            entries = {}
            for key, (usd, source_id) in region.get(section, {}).items():
                if source_id not in sources or not float(usd) >= 0:
                    raise ValueError(f"regions.{name}.{section}.{key}: price {usd!r} or source {source_id!r}")
                entries[key] = Price(float(usd), source_id)
            sections[section] = entries
        regions[name] = _Region(frozenset(region["offered_instance_types"]), sections)
    attributes = {name: InstanceAttributes(**fields) for name, fields in raw["instance_attributes"].items()}
    return PriceTable(
        currency=str(raw["currency"]), published=date.fromisoformat(raw["published"]),
        hours_per_month=int(raw["hours_per_month"]), sources=sources,
        attributes_source=str(raw.get("attributes_source", "")), _attributes=attributes, _regions=regions,
    )
