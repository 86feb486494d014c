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
    assert "required" not in schema["$defs"]["ArtifactStoreConfig"]
