"""Secrets in a plan: where they are, and how every report hides them.

The engine shows a secret as `[secret]`: secret config, `Output.secret` inputs and outputs,
outputs of a secret input, `additionalSecretOutputs` and secret stack exports. A plan records
the paths of those values (`PlannedResource.secret_paths` / `output_secret_paths`,
`Plan.output_secret_paths`, `Plan.secret_config_keys`); reports replace the values at those paths
(`redact_paths`) and then, because a secret can reach a message (a diagnostic, a policy
violation, an error) as plain text, replace every known secret string in the rendered text
(`Redactor.text`), as the engine masks secret config values in a program's output.

Strings shorter than `MIN_MASKED_LENGTH` are hidden at their paths only: masking "on" or "1"
everywhere in a report would garble it without protecting anything. A secret structure (a
kubeconfig) is masked as a whole, not member by member: its region and cluster name are no secrets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

__all__ = ["MIN_MASKED_LENGTH", "Redactor", "SECRET", "redact_paths", "values_at"]

SECRET = "[secret]"
MIN_MASKED_LENGTH = 4


def redact_paths(value: Any, secret_paths: Iterable[str]) -> Any:
    """`value` with every value at one of `secret_paths` ("a.b", "list[0].c") replaced by `[secret]`."""
    secrets = set(secret_paths)
    if not secrets:
        return value
    if "" in secrets:
        return SECRET

    def walk(v: Any, path: str) -> Any:
        if path in secrets:
            return SECRET
        if isinstance(v, dict):
            return {k: walk(x, f"{path}.{k}" if path else k) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, f"{path}[{i}]") for i, x in enumerate(v)]
        return v

    return walk(value, "")


def values_at(value: Any, secret_paths: Iterable[str]) -> Iterator[Any]:
    """The values found at `secret_paths` in `value` (paths that lead nowhere yield nothing)."""
    secrets = set(secret_paths)
    if not secrets:
        return

    def walk(v: Any, path: str) -> Iterator[Any]:
        if path in secrets:
            yield v
            return
        if isinstance(v, dict):
            for k, x in v.items():
                yield from walk(x, f"{path}.{k}" if path else k)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                yield from walk(x, f"{path}[{i}]")

    yield from walk(value, "")


def _texts(value: Any) -> Iterator[str]:
    """How a secret value can appear in text: a scalar as itself, a structure as its JSON.

    The members of a secret structure are not masked one by one: a secret kubeconfig holds the
    region and the cluster's name, which appear, not secret, all over a report."""
    if isinstance(value, (dict, list)):
        yield json.dumps(value)
        yield json.dumps(value, separators=(",", ":"))
    elif isinstance(value, str):
        yield value
    elif value is not None and not isinstance(value, bool):
        yield str(value)


@dataclass(frozen=True)
class Redactor:
    """Replaces known secret strings in text with `[secret]`, longest first."""

    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, values: Iterable[Any]) -> "Redactor":
        found: set[str] = set()
        for value in values:
            for text in _texts(value):
                if len(text) >= MIN_MASKED_LENGTH and text != SECRET:
                    found.add(text)
                    escaped = json.dumps(text)[1:-1]  # as it appears inside a JSON string
                    if escaped != text:
                        found.add(escaped)
        return cls(tuple(sorted(found, key=lambda s: (-len(s), s))))

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, SECRET)
        return text

    def data(self, value: Any) -> Any:
        """`value` with secret strings inside its strings replaced (keys and structure kept)."""
        if not self.secrets:
            return value
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
