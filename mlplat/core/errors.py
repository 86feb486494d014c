"""The one exception tree of mlplat.

    PlatformError            base class: catch this to handle any mlplat failure
    ├── ConfigError          bad stack configuration or component Args; raised before any
    │                        resource is declared, listing every problem at once
    └── WiringError          components composed wrongly (a grant on a role from another
                             stack, a bucket without the key it needs, ...)

Each problem names where it is (the stack file and key path, or the Args field), the value
received and what is allowed, so the message alone says how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["ConfigError", "PlatformError", "Problem", "raise_if_problems", "WiringError"]

_MISSING = object()


class PlatformError(Exception):
    """Base class of every error mlplat raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration value.

    `path` is the dotted key path (``platform.network.availability_zones``), `value` the value
    received (omit it for missing keys) and `message` what is allowed, phrased to follow the
    value: ``1`` + ``is too few for prod (need >= 2)``.
    """

    path: str
    message: str
    value: Any = _MISSING

    def render(self, source: str | None = None) -> str:
        where = f"{source}: " if source else ""
        if self.value is _MISSING:
            return f"{where}{self.path}: {self.message}"
        return f"{where}{self.path}: {_show(self.value)} {self.message}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ConfigError(PlatformError):
    """Configuration that cannot be deployed; lists every problem found, one per line."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        self.source = source
        lines = [p.render(source) for p in self.problems]
        noun = "problem" if len(lines) == 1 else "problems"
        header = f"invalid configuration ({len(lines)} {noun}):"
        super().__init__("\n".join([header, *("  " + line for line in lines)]))

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.problems)


class WiringError(PlatformError):
    """Components composed in a way that cannot work (e.g. granting on a foreign role)."""


def raise_if_problems(problems: Iterable[Problem], source: str | None = None) -> None:
    """Raise one ConfigError for all `problems`; do nothing if there are none."""
    problems = list(problems)
    if problems:
        raise ConfigError(problems, source)
