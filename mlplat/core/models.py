"""Base models of every config section and component Args, and how validation errors read.

Models are frozen and reject unknown keys (a typo must fail, not vanish). A pydantic error becomes
a Problem naming the key path, the value received and what is allowed; an unknown key lists the
keys there are.
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from typing import Annotated, Any, ClassVar, Iterator, Mapping

from pydantic import AllowInfNan, BaseModel, ConfigDict, Strict, StrictBool, StrictInt, ValidationError

from .errors import ConfigError, Problem

__all__ = [
    "ArgsModel", "NestedArgs", "Number", "ParentArgs", "Spec", "StrictBool", "StrictInt", "StrictModel", "allowed_keys",
    "model_of", "nested_args_scope", "problems_from_validation",
]

# Scalars are strict: lax coercion hides mistakes (`true` where a number of days belongs, "5" for 5).
# A number accepts an int or a float, never a bool, a string, NaN or infinity.
Number = Annotated[float, Strict(), AllowInfNan(False)]


class StrictModel(BaseModel):
    """Base for every config model: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Spec(StrictModel):
    """A component's settings as data: one description and one default per field.

    The stack config reuses a spec as it is; the component's Args extend it with what a composition
    decides (resource references such as keys, networks, buckets and roles; names; protection).
    `problems_at(base)` returns the problems of the settings with paths under `base`, so the stack
    config reports them at the keys the user wrote and the Args at `<Args>.<field>`.
    """

    def problems_at(self, base: str) -> list[Problem]:
        """Problems of these settings alone (pure); override in subclasses."""
        return []

    def given(self, spec: type[Spec] | None = None) -> dict[str, Any]:
        """The settings set in the data (not defaulted), limited to `spec`'s fields: what a composition
        passes on to the component's Args, whose defaults are the spec's own."""
        fields = (spec or type(self)).model_fields
        return {name: getattr(self, name) for name in self.model_fields_set if name in fields}


class ArgsModel(StrictModel):
    """Base of component Args: may hold resources and components; bad values raise ConfigError.

    Subclasses list cross-field rules in `problems()`; construction raises one ConfigError naming
    `<ArgsClass>.<field>`, the value received and what is allowed, before any resource exists.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    # Keyword names a release renamed (old -> new field): still accepted, with a DeprecationWarning.
    renamed_fields: ClassVar[Mapping[str, str]] = {}

    def __init__(self, **data: Any) -> None:
        data = _renamed(type(self), data)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(problems_from_validation(exc, type(self), type(self).__name__)) from None
        problems = self.problems()
        if problems:
            raise ConfigError(problems)

    def problems(self) -> list[Problem]:
        """Cross-field rules; override to add them (return every problem, do not raise)."""
        return []


def _renamed(model: type[ArgsModel], data: dict[str, Any]) -> dict[str, Any]:
    renames = model.renamed_fields
    if not renames or not renames.keys() & data.keys():
        return data
    out = dict(data)
    for old, new in renames.items():
        if old not in out:
            continue
        warnings.warn(f"{model.__name__}({old}=...) is deprecated: use {new}=", DeprecationWarning, stacklevel=4)
        if new in out:
            raise ConfigError([Problem(f"{model.__name__}.{old}", f"is the old name of {new}; give only {new}")])
        out[new] = out.pop(old)
    return out


# Pydantic error types whose input is of the wrong type, and what a valid one is.
_EXPECTED_TYPE = {
    "int_type": "a whole number", "int_parsing": "a whole number", "float_type": "a number",
    "finite_number": "a finite number", "bool_type": "true or false", "string_type": "a string",
    "dict_type": "a mapping", "model_type": "a mapping", "list_type": "a list", "tuple_type": "a list",
}


def problems_from_validation(exc: ValidationError, model: type[BaseModel], root: str) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        value = err.get("input")
        # A mapping key of the wrong type: name the mapping (an unknown key spelt "[key]" is not one).
        if len(loc) >= 2 and loc[-1] == "[key]" and kind != "extra_forbidden":
            path = ".".join([root, *(str(part) for part in loc[:-2])])
            problems.append(Problem(path, f"has a key that is not {_EXPECTED_TYPE.get(kind, 'valid')}", loc[-2]))
            continue
        path = ".".join([root, *(str(part) for part in loc)])
        if kind in _EXPECTED_TYPE:
            problems.append(Problem(path, _wrong_type(value, _EXPECTED_TYPE[kind]), value))
        elif kind == "extra_forbidden":
            allowed = allowed_keys(model, loc[:-1])
            hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
            problems.append(Problem(path, f"is not a known key{hint}"))
        elif kind == "missing":
            problems.append(Problem(path, "is required"))
        elif kind in ("literal_error", "enum"):
            expected = err.get("ctx", {}).get("expected", "")
            problems.append(Problem(path, f"is not allowed (allowed: {expected})", value))
        else:
            message = err["msg"]
            message = message[0].lower() + message[1:] if message else "is invalid"
            problems.append(Problem(path, f"is invalid: {message}", value))
    return problems


def _wrong_type(value: Any, expected: str) -> str:
    if isinstance(value, bool):
        return f"is a boolean, not {expected}"
    if isinstance(value, str):
        return f"is a string, not {expected}"
    if isinstance(value, (dict, list, tuple)):
        return f"is a {'mapping' if isinstance(value, dict) else 'list'}, not {expected}"
    return f"is not {expected}"


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found by walking `loc` from `model` (empty if not a model)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            continue  # a list index: the item's model is already `current`
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = model_of(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = model_of(arg)
        if found is not None:
            return found
    return None


# --- Args inside Args -------------------------------------------------------------------------

_NESTED = contextvars.ContextVar("mlplat_nested_args", default=False)


@contextlib.contextmanager
def nested_args_scope() -> Iterator[None]:
    """While a parent Args validates, NestedArgs inside it defer every problem to the parent."""
    token = _NESTED.set(True)
    try:
        yield
    finally:
        _NESTED.reset(token)


class NestedArgs(ArgsModel):
    """Args that also appear inside another Args (a feature group inside FeatureStoreArgs).

    Built directly, it behaves like any ArgsModel (ConfigError naming `<Class>.<field>`). Built
    by its parent from plain data, it validates types only and lets the parent report every
    problem at once with the parent's paths (`FeatureStoreArgs.groups.0.ttl`): the parent calls
    `problems_at(path)` for cross-field rules.
    """

    def __init__(self, **data: Any) -> None:
        if _NESTED.get():
            BaseModel.__init__(self, **data)  # type errors join the parent's ValidationError
            return
        with nested_args_scope():  # built directly: it is the parent of its own nested Args
            super().__init__(**data)

    def problems(self) -> list[Problem]:
        return self.problems_at(type(self).__name__)

    def problems_at(self, base: str) -> list[Problem]:
        """Cross-field rules with paths under `base` (pure); override in subclasses."""
        return []


class ParentArgs(ArgsModel):
    """Args holding NestedArgs: validates them inside `nested_args_scope`."""

    def __init__(self, **data: Any) -> None:
        with nested_args_scope():
            super().__init__(**data)
