"""JSON Schemas generated from PlatformConfig, for editors and CI to check stack files.

`platform-config.schema.json` describes the `ml-platform:platform` value; `stack-file.schema.json`
the whole `Pulumi.<stack>.yaml` (config with that value and the provider keys it relies on).
Fields whose defaults come from the environment are optional in the schema, as in the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlplat.core import aws_models
from mlplat.core.vocabulary import CONFIG_KEY, CONFIG_NAMESPACE, ENVIRONMENTS
from mlplat.platform.config import PlatformConfig, environment_defaults

__all__ = [
    "aws_regions",
    "DRAFT",
    "platform_config_schema",
    "PLATFORM_SCHEMA_FILE",
    "render",
    "stack_file_schema",
    "STACK_SCHEMA_FILE",
    "write_schemas",
]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
PLATFORM_SCHEMA_FILE = "platform-config.schema.json"
STACK_SCHEMA_FILE = "stack-file.schema.json"


def platform_config_schema() -> dict[str, Any]:
    schema = PlatformConfig.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema.get("$defs", {})
    for env in ENVIRONMENTS:
        _optional_where_defaulted(schema, environment_defaults(env), defs)
    return {"$schema": DRAFT, **schema}


def _optional_where_defaulted(model: dict[str, Any], defaults: dict[str, Any], defs: dict[str, Any]) -> None:
    """Drop from `required` what the environment fills in, section by section, as in the files."""
    if "required" in model:
        model["required"] = [f for f in model["required"] if f not in defaults]
        if not model["required"]:
            del model["required"]
    for key, value in defaults.items():
        if not isinstance(value, dict):
            continue
        prop = model.get("properties", {}).get(key, {})
        ref = prop.get("$ref") or next((o.get("$ref") for o in prop.get("anyOf", []) if "$ref" in o), None)
        if ref:
            _optional_where_defaulted(defs[ref.rsplit("/", 1)[-1]], value, defs)


def aws_regions() -> list[str]:
    return list(aws_models.regions("ec2"))


def stack_file_schema() -> dict[str, Any]:
    platform = platform_config_schema()
    defs = platform.pop("$defs", {})
    platform.pop("$schema", None)
    defs["PlatformConfig"] = platform
    return {
        "$schema": DRAFT,
        "title": "Pulumi stack file of the ml-platform project",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": {
                    f"{CONFIG_NAMESPACE}:{CONFIG_KEY}": {"$ref": "#/$defs/PlatformConfig"},
                    "aws:region": {"type": "string", "enum": aws_regions()},
                    "aws:allowedAccountIds": {"type": "array", "items": {"type": "string", "pattern": r"^\d{12}$"}},
                    "aws:profile": {"type": "string"},
                },
                "required": [f"{CONFIG_NAMESPACE}:{CONFIG_KEY}", "aws:region"],
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["config"],
        "$defs": defs,
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: str | Path) -> list[Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, schema in ((PLATFORM_SCHEMA_FILE, platform_config_schema()), (STACK_SCHEMA_FILE, stack_file_schema())):
        path = directory / filename
        path.write_text(render(schema))
        written.append(path)
    return written
