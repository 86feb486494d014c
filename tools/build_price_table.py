"""Build mlplat/core/data/prices.json, the vendored price table.

    .venv/bin/python tools/build_price_table.py

Two inputs, each named in the output as its source:
- instance attributes (vCPUs, memory, GPUs and their memory, EFA support and interfaces) and the instance types
  each region offers: moto's copy of EC2 DescribeInstanceTypes and DescribeInstanceTypeOfferings answers
  (moto/ec2/resources/instance_types.json.gz and instance_type_offerings/region/<region>.json.gz, the moto
  version pinned in constraints.txt);
- prices: tools/price_sources.json, curated by hand, each price with its source (a page URL or an AWS offer).

`mlplat prices refresh --region R` writes the same format from the AWS Price List API instead.
"""

from __future__ import annotations

import gzip
import json
import sys
from importlib.metadata import version
from pathlib import Path

import moto

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tools" / "price_sources.json"
OUT = ROOT / "mlplat" / "core" / "data" / "prices.json"
MOTO_EC2 = Path(moto.__file__).parent / "ec2" / "resources"


def _attributes(raw: dict) -> dict:
    gpus = sum(g.get("Count", 0) for g in raw.get("GpuInfo", {}).get("Gpus", []))
    network = raw.get("NetworkInfo", {})
    return {
        "vcpus": raw["VCpuInfo"]["DefaultVCpus"],
        "memory_gib": raw["MemoryInfo"]["SizeInMiB"] / 1024,
        "gpus": gpus,
        "gpu_memory_gib": raw.get("GpuInfo", {}).get("TotalGpuMemoryInMiB", 0) / 1024,
        "efa_supported": bool(network.get("EfaSupported", False)),
        "maximum_efa_interfaces": int(network.get("EfaInfo", {}).get("MaximumEfaInterfaces", 0)),
    }


def build() -> dict:
    curated = json.loads(SOURCES.read_text())
    with gzip.open(MOTO_EC2 / "instance_types.json.gz") as f:
        described = json.load(f)
    attributes = {name: _attributes(raw) for name, raw in sorted(described.items())}
    regions = {}
    for region, prices in curated["regions"].items():
        with gzip.open(MOTO_EC2 / "instance_type_offerings" / "region" / f"{region}.json.gz") as f:
            offered = sorted({o["InstanceType"] for o in json.load(f)} & attributes.keys())
        regions[region] = {"offered_instance_types": offered, **prices}
    moto_source = f"moto {version('moto')} (EC2 DescribeInstanceTypes / DescribeInstanceTypeOfferings data)"
    return {
        "format": 1,
        "currency": "USD",
        "published": curated["published"],
        "hours_per_month": 730,
        "attributes_source": moto_source,
        "sources": curated["sources"],
        "instance_attributes": attributes,
        "regions": regions,
    }


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=None, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
