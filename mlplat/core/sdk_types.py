"""What the installed provider SDKs say about a resource type token (cached; cheap per call)."""

from __future__ import annotations

import functools
import importlib
import inspect
from typing import Optional

from pulumi.runtime import rpc


@functools.lru_cache(maxsize=None)
def resource_class(type_token: str) -> Optional[type]:
    """The SDK class registered for a type token, through the SDK's own resource-module registry."""
    try:
        pkg, mod, _ = type_token.split(":")
    except ValueError:
        return None
    module = rpc.get_resource_module(pkg, mod, "")
    info = getattr(module, "mod_info", None)
    if not info:
        return None
    class_name = info.get("classes", {}).get(type_token)
    if not class_name:
        return None
    try:
        return getattr(importlib.import_module(info["fqn"]), class_name)
    except (ImportError, AttributeError):
        return None


@functools.lru_cache(maxsize=None)
def input_parameters(type_token: str) -> frozenset[str]:
    """Python names of the inputs a resource type accepts (empty when the type is unknown)."""
    cls = resource_class(type_token)
    init = getattr(cls, "_internal_init", None)
    if init is None:
        return frozenset()
    return frozenset(inspect.signature(init).parameters)


@functools.lru_cache(maxsize=None)
def takes_tag_map(type_token: str) -> bool:
    """True when the type accepts `tags` as a string map (ASG-style tag lists do not count)."""
    cls = resource_class(type_token)
    if cls is None or "tags" not in input_parameters(type_token):
        return False
    annotation = str(inspect.signature(cls._internal_init).parameters["tags"].annotation)
    return "Mapping[str" in annotation


@functools.lru_cache(maxsize=None)
def autoname_property(type_token: str) -> Optional[str]:
    """The input a provider fills with `<name>-<random>` when omitted, if the type has one.

    pulumi-aws auto-names every resource's `name` input (the bridge makes it optional for that),
    and fields that come with an X_prefix twin (bucket/bucket_prefix, node_group_name/...prefix).
    """
    if not type_token.startswith("aws:"):
        return None
    params = input_parameters(type_token)
    paired = sorted(p for p in params if f"{p}_prefix" in params)
    if paired:
        return _camel(paired[0])
    return "name" if "name" in params else None


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
