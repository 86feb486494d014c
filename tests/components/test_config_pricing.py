"""The stack config against the price table: a fixed-cost instance type the table does not price is refused.

The walk tests go through what the config accepts (the real parser, type by type) in every region the vendored
table prices: an accepted type that is offered there but unpriced fails them.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlplat.components.serving_args import hosting_instance_types
from mlplat.components.training_args import NVIDIA_GPU_FAMILIES, ec2_instance_types, instance_family
from mlplat.core.errors import ConfigError
from mlplat.core.prices import load_price_table
from mlplat.platform.config import parse_platform_config
from mlplat.platform.config_pricing import ALLOW_UNPRICED_KEY
from mlplat.tooling.cost_report import plan_cost

TAGS = {"owner": "ml@example.com", "cost_center": "cc-1", "project": "mlplat", "data_classification": "internal"}
REGIONS = load_price_table().regions


def _endpoint(instance_type: str, **extra: Any) -> dict:
    return {"environment": "dev", "tags": dict(TAGS), "monitoring": {"subscriptions": {"emails": ["a@example.com"]}},
            "serving": {"endpoints": [{"name": "churn", "variants": [{"instance_type": instance_type}]}]}, **extra}


def _gpu_pool(instance_type: str, **extra: Any) -> dict:
    return {"environment": "dev", "tags": dict(TAGS), "monitoring": {"subscriptions": {"emails": ["a@example.com"]}},
            "training": {"enabled": True, "admin_role_arns": ["arn:aws:iam::123456789012:role/admin"],
                         "public_access_cidrs": ["203.0.113.0/24"],
                         "gpu_pools": [{"name": "gpu", "instance_types": [instance_type], "max_size": 1}]}, **extra}


def _accepted(raw: dict, region: str) -> bool:
    try:
        parse_platform_config(raw, aws_region=region)
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize("region", REGIONS)
def test_every_endpoint_type_the_config_accepts_is_priced_where_offered(region):
    table = load_price_table()
    accepted = [t for t in sorted(hosting_instance_types()) if _accepted(_endpoint(t), region)]
    unpriced = [t for t in accepted
                if table.offered(region, t) and table.sagemaker_hourly(region, "hosting", t) is None]
    assert unpriced == []
    # The narrowing keeps every priced type the other checks accept (us-west-2 prices none: nothing is accepted).
    opted_in = {t for t in table.priced(region, "sagemaker_hosting")
                if _accepted(_endpoint(t, **{ALLOW_UNPRICED_KEY: True}), region)}
    assert set(accepted) == opted_in


@pytest.mark.parametrize("region", REGIONS)
def test_every_gpu_pool_type_the_config_accepts_is_priced_where_offered(region):
    table = load_price_table()
    gpu_types = sorted(t for t in ec2_instance_types() if instance_family(t) in NVIDIA_GPU_FAMILIES)
    accepted = [t for t in gpu_types if _accepted(_gpu_pool(t), region)]
    assert set(accepted) >= {"g5.xlarge", "g5.2xlarge", "p4d.24xlarge"}  # the environments' GPU pools
    unpriced = [t for t in accepted if table.offered(region, t) and table.ec2_hourly(region, t) is None]
    assert unpriced == []


def test_an_unpriced_type_is_refused_naming_the_key_the_value_and_the_priced_types():
    with pytest.raises(ConfigError) as exc:
        parse_platform_config(_endpoint("ml.c5.2xlarge"), aws_region="eu-west-1")
    [problem] = [p for p in exc.value.problems if p.path == "platform.serving.endpoints.0.variants.0.instance_type"]
    assert problem.value == "ml.c5.2xlarge"
    assert "eu-west-1" in problem.message and "ml.g5.12xlarge, ml.m5.xlarge" in problem.message
    assert ALLOW_UNPRICED_KEY in problem.message


def test_the_same_type_is_accepted_where_it_is_priced():
    config = parse_platform_config(_endpoint("ml.m5.xlarge"), aws_region="eu-west-1")
    assert config.serving.endpoints[0].variants[0].instance_type == "ml.m5.xlarge"
    with pytest.raises(ConfigError, match="has no SageMaker hosting price in us-west-2"):
        parse_platform_config(_endpoint("ml.m5.xlarge"), aws_region="us-west-2")


def test_a_gpu_pool_type_not_offered_in_the_region_is_refused():
    table = load_price_table()
    not_offered = next(t for t in sorted(ec2_instance_types()) if instance_family(t) in NVIDIA_GPU_FAMILIES
                       and table.offered("eu-west-1", t) is False)
    with pytest.raises(ConfigError, match="is not offered in eu-west-1"):
        parse_platform_config(_gpu_pool(not_offered), aws_region="eu-west-1")


def test_the_opt_in_accepts_an_unpriced_type():
    config = parse_platform_config(_endpoint("ml.c5.2xlarge", **{ALLOW_UNPRICED_KEY: True}), aws_region="eu-west-1")
    assert config.allow_unpriced_instance_types is True


def test_a_region_the_table_does_not_price_is_not_narrowed():
    assert "ap-southeast-2" not in REGIONS
    assert _accepted(_endpoint("ml.c5.2xlarge"), "ap-southeast-2")



def test_the_plan_says_when_the_stack_accepts_unpriced_types():
    import json
    from datetime import date

    from mlplat.tooling import cost_report
    from mlplat.tooling.plan import Plan, PlannedResource

    assert cost_report.ALLOW_UNPRICED_KEY == ALLOW_UNPRICED_KEY  # the tooling layer restates the platform's key
    variant = {"variantName": "primary", "instanceType": "ml.c5.2xlarge", "initialInstanceCount": 1}
    resource = PlannedResource(urn="urn:pulumi:dev::p::aws:sagemaker/endpointConfiguration:EndpointConfiguration::c",
                               type="aws:sagemaker/endpointConfiguration:EndpointConfiguration", name="c",
                               custom=True, parent=None,
                               inputs={"productionVariants": [variant]})
    table = load_price_table()

    def warnings(platform: dict) -> list[str]:
        plan = Plan(project="p", stack="dev", preview=True, resources=[resource],
                    config={"aws:region": "eu-west-1", "ml-platform:platform": json.dumps(platform)})
        cost = plan_cost(plan, table, date(2026, 12, 3))
        assert cost is not None and len(cost.estimate.unpriced) == 1
        return cost.warnings()

    opted_in = warnings({ALLOW_UNPRICED_KEY: True})
    assert any(ALLOW_UNPRICED_KEY in w and "1 fixed items unpriced" in w for w in opted_in)
    assert not any(ALLOW_UNPRICED_KEY in w for w in warnings({}))
