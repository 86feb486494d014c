"""Base models of every config section and component Args, and how validation errors read.

Models are frozen and reject unknown keys (a typo must fail, not vanish). A pydantic error becomes
a Problem naming the key path, the value received and what is allowed; an unknown key lists the
keys there are.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ConfigError, Problem


class StrictModel(BaseModel):
    """Base for every config model: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ArgsModel(StrictModel):
    """Base of component Args: may hold resources and components; bad values raise ConfigError.

    Subclasses list cross-field rules in `problems()`; construction raises one ConfigError naming
    `<ArgsClass>.<field>`, the value received and what is allowed, before any resource exists.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    def __init__(self, **data: Any) -> None:
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


def problems_from_validation(exc: ValidationError, model: type[BaseModel], root: str) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = ".".join([root, *(str(part) for part in loc)])
        kind = err["type"]
        value = err.get("input")
        if kind == "extra_forbidden":
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
