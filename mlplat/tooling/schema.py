"""JSON Schemas generated from PlatformConfig, for editors and CI to check stack files.

`platform-config.schema.json` describes the `ml-platform:platform` value; `stack-file.schema.json`
the whole `Pulumi.<stack>.yaml` (config with that value and the provider keys it relies on).
Descriptions and defaults are the components' specs' own; where an environment overlay changes a
default, the description says what each environment uses instead (from the overlays themselves).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

from mlplat.core import aws_models
from mlplat.core.prices import PRICES_SCHEMA
from mlplat.core.vocabulary import CONFIG_KEY, CONFIG_NAMESPACE, ENVIRONMENTS
from mlplat.platform.config import PlatformConfig
from mlplat.platform.environments import ENDPOINT_OVERLAYS, ENVIRONMENT_OVERLAYS, PIPELINE_OVERLAYS

__all__ = [
    "PLATFORM_SCHEMA_FILE", "PRICES_SCHEMA_FILE", "STACK_SCHEMA_FILE", "aws_regions", "platform_config_schema", "render", "stack_file_schema",
    "write_schemas",
]

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
PRICES_SCHEMA_FILE = "prices.schema.json"
ENDPOINTS = ("serving", "endpoints", "[]")  # the overlay of each endpoint sits under this path
PIPELINES = ("pipelines", "{}")  # and each family's pipeline's under this one


def platform_config_schema() -> dict[str, Any]:
    schema = PlatformConfig.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema.get("$defs", {})
    overlays: dict[tuple[str, ...], dict[str, Any]] = {}
    for env in ENVIRONMENTS:
        for path, value in _leaves(ENVIRONMENT_OVERLAYS[env]):
            overlays.setdefault(path, {})[env] = value
        for path, value in _leaves(ENDPOINT_OVERLAYS[env]):
            overlays.setdefault(ENDPOINTS + path, {})[env] = value
        for path, value in _leaves(PIPELINE_OVERLAYS[env]):
            overlays.setdefault(PIPELINES + path, {})[env] = value
    for path, values in overlays.items():
        prop = _property(schema, defs, path)
        if prop is None:
            raise ValueError(f"an environment overlay names {'.'.join(path)}, which PlatformConfig does not have")
        _describe_by_environment(prop, values)
    return {"$schema": DRAFT, **schema}


def _leaves(overlay: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) of an overlay; a mapping is also a leaf, for the section it creates when omitted."""
    for key, value in overlay.items():
        yield prefix + (key,), value
        if isinstance(value, dict):
            yield from _leaves(value, prefix + (key,))


def _property(schema: dict[str, Any], defs: dict[str, Any], path: tuple[str, ...]) -> Optional[dict[str, Any]]:
    """The schema of the property at `path` (`[]` steps into an array's items, `{}` into a mapping's values)."""
    node: Optional[dict[str, Any]] = schema
    for step in path:
        node = _resolved(node, defs)
        if node is None:
            return None
        if step == "[]":
            node = node.get("items")
        elif step == "{}":
            node = node.get("additionalProperties")
        else:
            node = node.get("properties", {}).get(step)
    return node


def _resolved(node: Optional[dict[str, Any]], defs: dict[str, Any]) -> Optional[dict[str, Any]]:
    """Follow a `$ref`, or the `$ref` among an optional value's `anyOf`, to the model's schema."""
    if node is None:
        return None
    ref = node.get("$ref") or next((o["$ref"] for o in node.get("anyOf", []) if "$ref" in o), None)
    if ref is None and ((node.get("type") == "array" and "items" in node)
                        or (node.get("type") == "object" and "additionalProperties" in node)):
        return node
    return defs[ref.rsplit("/", 1)[-1]] if ref else node


def _describe_by_environment(prop: dict[str, Any], values: dict[str, Any]) -> None:
    default = prop.pop("default", None)
    if all(isinstance(v, dict) for v in values.values()):
        if any(option.get("type") == "null" for option in prop.get("anyOf", [])):  # a section the overlay creates
            envs = ", ".join(e for e in ENVIRONMENTS if e in values)
            prop["description"] = f"{prop['description']} In a stack file, omitted: set in {envs} from the environment's values of its fields."
        return
    shown = [f"{env} {_show(values[env] if env in values else default)}" for env in ENVIRONMENTS]
    prop["description"] = f"{prop['description']} In a stack file, omitted: {', '.join(shown)}."


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


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
                "description": "The stack's configuration: namespace:key -> value.",
                "properties": {
                    f"{CONFIG_NAMESPACE}:{CONFIG_KEY}": {
                        "$ref": "#/$defs/PlatformConfig",
                        "description": "The whole platform of the stack (PlatformConfig).",
                    },
                    "aws:region": {"type": "string", "enum": aws_regions(), "description": "The AWS region of the stack."},
                    "aws:allowedAccountIds": {
                        "type": "array", "items": {"type": "string", "pattern": r"^\d{12}$"},
                        "description": "Accounts the AWS provider may deploy to (the first one is the plan's account).",
                    },
                    "aws:profile": {"type": "string", "description": "The AWS CLI profile the provider uses."},
                },
                "required": [f"{CONFIG_NAMESPACE}:{CONFIG_KEY}", "aws:region"],
            },
            "secretsprovider": {"type": "string", "description": "Pulumi's secrets provider of the stack."},
            "encryptedkey": {"type": "string", "description": "The stack's data key, encrypted by the secrets provider."},
            "encryptionsalt": {"type": "string", "description": "Salt of the passphrase secrets provider."},
            "environment": {
                "type": "array", "items": {"type": "string"}, "description": "Pulumi ESC environments the stack imports.",
            },
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
    # The price table's schema ships with the table (mlplat.core); published here beside the stack's.
    path = directory / PRICES_SCHEMA_FILE
    path.write_text(render(json.loads(PRICES_SCHEMA.read_text())))
    written.append(path)
    return written
