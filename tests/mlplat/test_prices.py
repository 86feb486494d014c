"""The vendored price table: its schema, its build, its attributes and its sources."""

from __future__ import annotations

import gzip
import importlib.util
import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import moto
import pytest

from mlplat.core.errors import ConfigError
from mlplat.core.prices import STALE_AFTER_DAYS, VENDORED_TABLE, load_price_table, parse_price_table

ROOT = Path(__file__).resolve().parents[2]
MOTO_TYPES = Path(moto.__file__).parent / "ec2" / "resources" / "instance_types.json.gz"


def _raw() -> dict:
    return json.loads(VENDORED_TABLE.read_text())


def test_the_vendored_table_follows_its_schema():
    schema = json.loads((ROOT / "schemas" / "prices.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(_raw(), schema)


def test_the_vendored_table_is_what_the_build_script_writes():
    spec = importlib.util.spec_from_file_location("build_price_table", ROOT / "tools" / "build_price_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert _raw() == json.loads(json.dumps(module.build())), "run .venv/bin/python tools/build_price_table.py"


@pytest.mark.parametrize("instance_type", ["p4d.24xlarge", "ml.p4d.24xlarge", "g5.xlarge", "m6i.large", "trn1.32xlarge"])
def test_instance_attributes_are_describe_instance_types_data(instance_type):
    with gzip.open(MOTO_TYPES) as f:
        raw = json.load(f)[instance_type.removeprefix("ml.")]
    attributes = load_price_table().instance_attributes(instance_type)
    assert attributes is not None
    assert attributes.vcpus == raw["VCpuInfo"]["DefaultVCpus"]
    assert attributes.memory_gib * 1024 == pytest.approx(raw["MemoryInfo"]["SizeInMiB"])
    assert attributes.gpus == sum(g["Count"] for g in raw.get("GpuInfo", {}).get("Gpus", []))
    assert attributes.gpu_memory_gib * 1024 == pytest.approx(raw.get("GpuInfo", {}).get("TotalGpuMemoryInMiB", 0))
    assert attributes.efa_supported is raw["NetworkInfo"]["EfaSupported"]
    assert attributes.maximum_efa_interfaces == raw["NetworkInfo"].get("EfaInfo", {}).get("MaximumEfaInterfaces", 0)


def test_an_unknown_type_has_no_attributes():
    assert load_price_table().instance_attributes("ml.x9.huge") is None


def test_every_price_names_a_source_with_an_address():
    table = load_price_table()
    for region in table.regions:
        for section in ("ec2", "sagemaker_hosting", "sagemaker_training", "sagemaker_processing", "services"):
            for key in table.priced(region, section):
                price = table._price(region, section, key)
                assert price.source in table.sources
                assert table.sources[price.source].url and table.sources[price.source].read


def test_a_priced_instance_type_is_offered_in_its_region():
    table = load_price_table()
    for region in table.regions:
        for section in ("ec2", "sagemaker_hosting", "sagemaker_training", "sagemaker_processing"):
            for instance_type in table.priced(region, section):
                assert table.offered(region, instance_type), (region, section, instance_type)


def test_the_table_is_stale_after_120_days():
    table = load_price_table()
    assert not table.is_stale(table.published + timedelta(days=STALE_AFTER_DAYS))
    assert table.is_stale(table.published + timedelta(days=STALE_AFTER_DAYS + 1))


def test_a_region_outside_the_table_answers_none_not_zero():
    table = load_price_table()
    assert table.offered("ap-east-1", "m5.large") is None
    assert table.ec2_hourly("ap-east-1", "m5.large") is None


def test_a_malformed_table_is_a_config_error_naming_it(tmp_path):
    broken = _raw()
    broken["regions"]["us-east-1"]["ec2"]["m5.large"] = [0.096, "no-such-source"]
    with pytest.raises(ConfigError, match="no-such-source"):
        parse_price_table(broken, source="broken.json")
    missing = tmp_path / "missing.json"
    with pytest.raises(ConfigError, match="cannot be read as a price table"):
        load_price_table(missing)


def test_the_published_date_is_a_date():
    assert isinstance(load_price_table().published, date)


def test_every_vendored_price_is_quoted_by_its_source():
    """A hand-curated price is the number its source states (no typo, no rounding, no invented rate)."""
    table = load_price_table()
    for region in table.regions:
        for section in ("ec2", "sagemaker_hosting", "sagemaker_training", "sagemaker_processing", "services"):
            for key in table.priced(region, section):
                price = table._price(region, section, key)
                quoted = f"{price.usd:.10f}".rstrip("0").rstrip(".")
                assert quoted in table.sources[price.source].note, (region, section, key, quoted, price.source)


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2", "eu-west-1"])
@pytest.mark.parametrize("instance_type", ["m6i.large", "m5.large", "g5.xlarge", "g5.2xlarge", "p4d.24xlarge"])
def test_the_node_group_and_gpu_pool_types_are_priced_in_every_vendored_region(region, instance_type):
    """The EC2 types of the config defaults and environment overlays (system nodes, dev/staging/prod GPU pools)."""
    price = load_price_table().ec2_hourly(region, instance_type)
    assert price is not None and price.usd > 0
