"""The published JSON Schemas are generated from PlatformConfig and accept the reference stacks."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from mlplat.tooling.schema import PLATFORM_SCHEMA_FILE, STACK_SCHEMA_FILE, platform_config_schema, render, stack_file_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("filename", "build"), [(PLATFORM_SCHEMA_FILE, platform_config_schema), (STACK_SCHEMA_FILE, stack_file_schema)])
def test_committed_schema_is_the_generated_one(filename, build):
    committed = (ROOT / "schemas" / filename).read_text()
    assert committed == render(build()), f"schemas/{filename} is stale: run `make schema`"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_reference_stack_files_validate(stack):
    schema = json.loads((ROOT / "schemas" / STACK_SCHEMA_FILE).read_text())
    jsonschema.validate(yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()), schema)


def test_schema_rejects_a_typo_and_a_bad_enum():
    schema = json.loads((ROOT / "schemas" / STACK_SCHEMA_FILE).read_text())
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    typo = copy.deepcopy(document)
    typo["config"]["ml-platform:platform"]["netwrk"] = {}
    with pytest.raises(jsonschema.ValidationError, match="netwrk"):
        jsonschema.validate(typo, schema)
    bad_env = copy.deepcopy(document)
    bad_env["config"]["ml-platform:platform"]["environment"] = "qa"
    with pytest.raises(jsonschema.ValidationError, match="qa"):
        jsonschema.validate(bad_env, schema)


def test_environment_defaulted_fields_are_optional_in_the_schema():
    schema = platform_config_schema()
    assert schema["required"] == ["environment", "tags"]
    assert "required" not in schema["$defs"]["ArtifactStoreSpec"]


def _properties(node, where="#"):
    """(path, schema) of every property declared anywhere in a schema (root, $defs, nested)."""
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            yield f"{where}.{name}", prop
        for key, child in node.items():
            yield from _properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _properties(child, f"{where}/{index}")


@pytest.mark.parametrize("build", [platform_config_schema, stack_file_schema])
def test_every_property_of_the_stack_config_is_described(build):
    properties = list(_properties(build()))
    assert len(properties) > 150  # the walk reaches the nested sections
    undescribed = [path for path, prop in properties if not str(prop.get("description", "")).strip()]
    assert undescribed == []


def test_environment_dependent_defaults_are_described_per_environment():
    # The overlays say what differs; the schema shows each environment's value instead of one default.
    wait = platform_config_schema()["$defs"]["BlueGreenDeploymentSpec"]["properties"]["wait_in_seconds"]
    assert "default" not in wait
    assert wait["description"].endswith("In a stack file, omitted: dev 0, staging 300, prod 600.")
    zones = platform_config_schema()["$defs"]["NetworkSpec"]["properties"]["availability_zones"]
    assert zones["description"].endswith("In a stack file, omitted: dev 2, staging 2, prod 3.")
