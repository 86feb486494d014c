"""What the installed provider SDKs say about a resource type token (cached; cheap per call)."""

from __future__ import annotations

import functools
import importlib
import inspect
from typing import Optional

from .sdk_compat import module_classes, resource_input_signature

__all__ = ["autoname_property", "input_parameters", "resource_class", "takes_tag_map"]


@functools.lru_cache(maxsize=None)
def resource_class(type_token: str) -> Optional[type]:
    """The SDK class registered for a type token, through the SDK's own resource-module registry."""
    try:
        pkg, mod, _ = type_token.split(":")
    except ValueError:
        return None
    where = module_classes(pkg, mod).get(type_token)
    if where is None:
        return None
    module_name, class_name = where
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        return None


@functools.lru_cache(maxsize=None)
def _input_signature(type_token: str) -> Optional[inspect.Signature]:
    cls = resource_class(type_token)
    return None if cls is None else resource_input_signature(cls)


@functools.lru_cache(maxsize=None)
def input_parameters(type_token: str) -> frozenset[str]:
    """Python names of the inputs a resource type accepts (empty when the type is unknown)."""
    signature = _input_signature(type_token)
    return frozenset(signature.parameters) if signature else frozenset()


@functools.lru_cache(maxsize=None)
def takes_tag_map(type_token: str) -> bool:
    """True when the type accepts `tags` as a string map (ASG-style tag lists do not count)."""
    signature = _input_signature(type_token)
    if signature is None or "tags" not in signature.parameters:
        return False
    return "Mapping[str" in str(signature.parameters["tags"].annotation)


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
