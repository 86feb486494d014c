"""The shapes of a provider's outputs, read from its Python SDK's own type information.

A generated resource class declares every property of the resource's state as a
`@property @pulumi.getter(name=...)` returning `pulumi.Output[T]`; `T` is `str`, a number, a
`Sequence`, a `Mapping`, an `Enum` or a nested `@pulumi.output_type` class, wrapped in `Optional`
when the provider may leave it out. A data source's function returns an `@pulumi.output_type`
result class declared the same way. `resource_shape` and `invoke_shape` turn those declarations into
`Prop` trees (engine names, kinds, which properties are always present), once per type token.

The SDK does not mark which fields of a nested type the provider computes; what its documentation
of a field says is read instead: the default the provider reports when the field is left out
("Defaults to `false`", "Default: `10`", "Defaults to the position in the list") and whether the
service itself assigns the value ("created by Amazon EKS").
"""

from __future__ import annotations

import enum
import functools
import importlib
import re
import sys
import threading
import typing
from dataclasses import dataclass, replace
from typing import Any, Optional

from mlplat.core.sdk_compat import module_classes, registered_modules
from mlplat.core.sdk_types import resource_class

from ..pulumi_compat import is_output_type, output_type_properties, output_type_property_docs

__all__ = ["POSITION", "Prop", "invoke_function", "invoke_shape", "resource_shape", "snake_case"]

# Kinds of value a property holds.
STR, INT, FLOAT, BOOL, LIST, MAP, OBJECT, ANY, ASSET = "str", "int", "float", "bool", "list", "map", "object", "any", "asset"


@dataclass(frozen=True)
class Prop:
    """One property: its engine name, kind, whether the provider always sets it, and what it holds."""

    name: str
    kind: str
    required: bool
    item: Optional["Prop"] = None  # the element of a list or map
    fields: tuple["Prop", ...] = ()  # the properties of an object
    enum: tuple[str, ...] = ()  # the values of an enum-typed string
    type_name: str = ""  # the output type's class name (objects)
    default: Any = None  # the value the provider reports when the field is left out, as documented
    assigned: bool = False  # documented as set by the service, never by the program


class _Position:
    def __repr__(self) -> str:
        return "POSITION"


POSITION = _Position()  # a documented default of "the position in the list" (a listener action's `order`)


@functools.lru_cache(maxsize=None)
def resource_shape(type_token: str) -> Optional[tuple[Prop, ...]]:
    """The state properties of a resource type, from its SDK class; None when no SDK class is registered."""
    cls = resource_class(type_token)
    if cls is None:
        return None
    return _properties(cls, depth=0)


@functools.lru_cache(maxsize=None)
def invoke_shape(token: str) -> Optional[tuple[Prop, ...]]:
    """The result properties of a data source (`aws:ec2/getAmi:getAmi`); None when the SDK has no such function."""
    function = invoke_function(token)
    if function is None:
        return None
    result = _resolve(_return_annotation(function), sys.modules[function.__module__])
    if not is_output_type(result):
        return None
    return _properties(result, depth=0)


@functools.lru_cache(maxsize=None)
def invoke_function(token: str) -> Optional[Any]:
    """The SDK function calling an invoke token (`aws:ec2/getAmi:getAmi` -> `pulumi_aws.ec2.get_ami`)."""
    try:
        package, module, function = token.split(":")
    except ValueError:
        return None
    python_package = _python_package(package, module.split("/", 1)[0])
    if python_package is None:
        return None
    name = snake_case(function)
    for candidate in (f"{python_package}.{name}", python_package):
        try:
            found = getattr(importlib.import_module(candidate), name, None)
        except ImportError:
            continue
        if callable(found):
            return found
    return None


def snake_case(camel: str) -> str:
    """`getCallerIdentity` -> `get_caller_identity`, as the SDK generator names functions."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", camel).lower()


@functools.lru_cache(maxsize=None)
def _python_package(package: str, service: str) -> Optional[str]:
    """The Python package of a provider module: what the SDK registered for it, else the convention."""
    for module in registered_modules(package):
        if module.split("/", 1)[0] == service:
            for fqn, _ in module_classes(package, module).values():
                return fqn
    top = f"pulumi_{package.replace('-', '_')}"
    if service in ("index", ""):
        return top
    for name in (service, f"{service}_"):  # `lambda` is `lambda_`
        candidate = f"{top}.{snake_case(name).replace('-', '_').replace('.', '_')}"
        try:
            importlib.import_module(candidate)
        except ImportError:
            continue
        return candidate
    return None


def _return_annotation(function: Any) -> Any:
    return getattr(function, "__annotations__", {}).get("return")


_OBJECTS: dict[type, tuple[Prop, ...]] = {}
_BUILDING: set[type] = set()  # output types being read: a type that contains itself ends there
_LOCK = threading.RLock()  # registrations arrive from the SDK's thread pool


def _properties(cls: type, depth: int) -> tuple[Prop, ...]:
    with _LOCK:
        if cls in _OBJECTS:
            return _OBJECTS[cls]
        if cls in _BUILDING:
            return ()
        _BUILDING.add(cls)
        try:
            module = sys.modules.get(cls.__module__)
            docs = output_type_property_docs(cls) if depth else {}  # only nested fields use them
            props = tuple(
                _documented(_prop(name, annotation, module, depth), docs.get(name, ""))
                for name, annotation in output_type_properties(cls)
            )
        finally:
            _BUILDING.discard(cls)
        if not _BUILDING:  # a type read inside a cycle may be cut short: cache the outermost only
            _OBJECTS[cls] = props
        return props


def _prop(name: str, annotation: Any, module: Any, depth: int) -> Prop:
    hint = _resolve(annotation, module)
    hint = _unwrap_output(hint)
    required = True
    if _is_optional(hint):
        required = False
        hint = _unwrap_output(next(a for a in typing.get_args(hint) if a is not type(None)))
    return _typed(name, hint, required, module, depth)


def _typed(name: str, hint: Any, required: bool, module: Any, depth: int) -> Prop:
    hint = _unwrap_output(_resolve(hint, module))
    if _is_optional(hint):
        hint = _unwrap_output(next(a for a in typing.get_args(hint) if a is not type(None)))
    origin = typing.get_origin(hint)
    if hint is str:
        return Prop(name, STR, required)
    if hint is bool:
        return Prop(name, BOOL, required)
    if hint is int:
        return Prop(name, INT, required)
    if hint is float:
        return Prop(name, FLOAT, required)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return Prop(name, STR, required, enum=tuple(str(m.value) for m in hint))
    if origin in (list, tuple, typing.Sequence, _abc_sequence()):
        args = typing.get_args(hint)
        item = _typed(name, args[0], True, module, depth + 1) if args else Prop(name, ANY, True)
        return Prop(name, LIST, required, item=item)
    if origin in (dict, typing.Mapping, _abc_mapping()):
        args = typing.get_args(hint)
        item = _typed(name, args[1], True, module, depth + 1) if len(args) == 2 else Prop(name, ANY, True)
        return Prop(name, MAP, required, item=item)
    if is_output_type(hint):
        return Prop(name, OBJECT, required, fields=_properties(hint, depth + 1), type_name=hint.__name__)
    if isinstance(hint, type) and hint.__module__.startswith("pulumi.asset"):
        return Prop(name, ASSET, required)
    return Prop(name, ANY, required)


_DEFAULT = re.compile(r"\b[Dd]efaults? (?:to|is|value is)\s+(`[^`]*`|[^\s,;)]+)|\b[Dd]efault:\s+(`[^`]*`|[^\s,;)]+)")
_POSITION = re.compile(r"[Dd]efaults? to the position in the list")
_ASSIGNED = re.compile(r"\b(?:created|assigned|generated|allocated) (?:by|for you by) (?:AWS|Amazon|the service|the provider)\b")


def _documented(prop: Prop, doc: str) -> Prop:
    """The default the field's documentation names, when it is a literal of the field's kind."""
    if not doc or prop.required:
        return prop
    if prop.kind == STR and _ASSIGNED.search(doc):
        return replace(prop, assigned=True)
    if _POSITION.search(doc):
        return replace(prop, default=POSITION) if prop.kind == INT else prop
    found = _DEFAULT.search(doc)
    if found is None:
        return prop
    default = _literal(found.group(1) or found.group(2), prop)
    return prop if default is None else replace(prop, default=default)


def _literal(text: str, prop: Prop) -> Any:
    quoted = text.startswith("`")
    text = text.strip("`").rstrip(".").strip('"')
    if prop.kind == BOOL and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if prop.kind == INT and re.fullmatch(r"-?\d+", text):
        return int(text)
    if prop.kind == FLOAT and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    if prop.kind == STR and text and (text in prop.enum or (quoted and not prop.enum)):
        return text
    return None


def _abc_sequence() -> Any:
    import collections.abc

    return collections.abc.Sequence


def _abc_mapping() -> Any:
    import collections.abc

    return collections.abc.Mapping


def _unwrap_output(hint: Any) -> Any:
    """`pulumi.Output[T]` and `Awaitable...` wrappers -> T."""
    origin = typing.get_origin(hint)
    if origin is not None and getattr(origin, "__name__", "") in ("Output", "Input"):
        args = typing.get_args(hint)
        return args[0] if args else Any
    return hint


def _is_optional(hint: Any) -> bool:
    return typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint)


def _resolve(hint: Any, module: Any) -> Any:
    """Forward references (`'outputs.FunctionVpcConfig'`) evaluated in the SDK module that wrote them."""
    if isinstance(hint, typing.ForwardRef):
        hint = hint.__forward_arg__
    if isinstance(hint, str):
        try:
            return eval(hint, vars(module) if module is not None else {})  # noqa: S307 (the SDK's own annotation)
        except Exception:
            return Any
    origin = typing.get_origin(hint)
    if origin is not None:
        args = tuple(_resolve(a, module) for a in typing.get_args(hint))
        if any(a is not b for a, b in zip(args, typing.get_args(hint))):
            try:
                return _rebuild(hint, origin, args)
            except TypeError:
                return hint
    return hint


def _rebuild(hint: Any, origin: Any, args: tuple[Any, ...]) -> Any:
    if origin is typing.Union:
        return typing.Union[args]  # type: ignore[return-value]
    generic = getattr(hint, "copy_with", None)
    if generic is not None:
        return generic(args)
    return origin[args]
