"""The stack config's instance types against the price table: a fixed cost the estimate cannot price is refused.

The fixed monthly estimate (what MLP-COST-01 compares with the budget) counts endpoint instances, node groups and
GPU pools ("up to"). A type the vendored table does not price in the stack's region would leave that item out of
the total, so the config refuses it, naming the key, the value and the types the table prices there, unless the
stack opts in with `allow_unpriced_instance_types: true` (the plan then says so in its cost warnings).

Job instance types (training, processing, Model Monitor) are billed per job-hour: the estimate lists them as usage,
never in the fixed total, with their rate or "rate not in the table"; they are not narrowed. A region the table has
no prices for is not narrowed either: the whole estimate is marked unpriced there.

    unpriced_instance_type_problems(sections, "eu-west-1")  # sections: PlatformConfig's, by field name
    fixed_instance_type_keys(sections) -> [InstanceTypeKey("platform.serving.endpoints.0.variants.0.instance_type",
                                                           "sagemaker_hosting", "ml.c5.2xlarge"), ...]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Literal, Mapping, Optional

from mlplat.core.errors import Problem
from mlplat.core.prices import PriceTable, load_price_table

__all__ = ["ALLOW_UNPRICED_KEY", "FixedSection", "InstanceTypeKey", "fixed_instance_type_keys",
           "unpriced_instance_type_problems"]

ALLOW_UNPRICED_KEY = "allow_unpriced_instance_types"
FixedSection = Literal["ec2", "sagemaker_hosting"]
_SHOWN = 12  # priced types listed in a message


@dataclass(frozen=True)
class InstanceTypeKey:
    """One instance type the config sets: where (the key), which price section, which type."""

    path: str
    section: FixedSection
    instance_type: str


def fixed_instance_type_keys(sections: Mapping[str, Any]) -> Iterator[InstanceTypeKey]:
    """Every instance type the (validated) sections set whose cost is fixed: GPU pools and endpoint variants (the system
    node group's type is not a stack-config key: its default, m6i.large, is priced in every vendored region)."""
    training = sections.get("training")
    if training is not None and training.enabled:
        for j, pool in enumerate(training.gpu_pools):
            for i, instance_type in enumerate(pool.instance_types):
                yield InstanceTypeKey(f"platform.training.gpu_pools.{j}.instance_types.{i}", "ec2", instance_type)
    for e, endpoint in enumerate(sections.get("endpoints") or ()):
        if endpoint is None or endpoint.serverless is not None:
            continue
        for kind in ("variants", "shadow_variants"):
            for j, variant in enumerate(getattr(endpoint, kind, ())):
                yield InstanceTypeKey(f"platform.serving.endpoints.{e}.{kind}.{j}.instance_type", "sagemaker_hosting",
                                      variant.instance_type)


def unpriced_instance_type_problems(sections: Mapping[str, Any], region: Optional[str],
                                    table: Optional[PriceTable] = None) -> list[Problem]:
    """A problem for each fixed-cost instance type the table does not price in `region` (none when the stack opts in,
    when the region is unknown, or when the table has no prices for it)."""
    if sections.get(ALLOW_UNPRICED_KEY) or not region:
        return []
    table = table or load_price_table()
    if region not in table.regions:
        return []
    problems = []
    for key in fixed_instance_type_keys(sections):
        price = (table.ec2_hourly(region, key.instance_type) if key.section == "ec2"
                 else table.sagemaker_hourly(region, "hosting", key.instance_type))
        if price is not None:
            continue
        if table.offered(region, key.instance_type) is False:
            problems.append(Problem(key.path, f"is not offered in {region} (EC2 DescribeInstanceTypeOfferings data of "
                                    f"the price table); choose a type offered there, or set "
                                    f"platform.{ALLOW_UNPRICED_KEY}: true if you know better", key.instance_type))
            continue
        priced = sorted(table.priced(region, key.section))
        shown = ", ".join(priced[:_SHOWN]) + (f" and {len(priced) - _SHOWN} more" if len(priced) > _SHOWN else "")
        what = "EC2" if key.section == "ec2" else "SageMaker hosting"
        problems.append(Problem(
            key.path,
            f"has no {what} price in {region} in the price table, so the fixed monthly estimate (and MLP-COST-01) "
            f"would leave it out (priced there: {shown or 'none'}); choose a priced type, or set "
            f"platform.{ALLOW_UNPRICED_KEY}: true to accept an estimate that lists it as unpriced",
            key.instance_type,
        ))
    return problems
