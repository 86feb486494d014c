"""Read a Pulumi project (`Pulumi.yaml`) and one stack's config file without the CLI.

The engine hands a program its config as `namespace:key -> string`, structured values
JSON-encoded; this module produces exactly that from the YAML files. Secrets (`secure:` values)
cannot be decrypted offline: they become the placeholder "[secret]" and are marked secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from mlplat.core.errors import ConfigError, Problem

__all__ = [
    "DEFAULT_REGION",
    "engine_value",
    "load_project",
    "load_stack_config",
    "ProjectFile",
    "SECRET_PLACEHOLDER",
    "StackConfig",
]

SECRET_PLACEHOLDER = "[secret]"
# The keys of a project-level config declaration in Pulumi.yaml.
_DECLARATION_KEYS = frozenset({"type", "description", "default", "value", "secret", "items"})
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class ProjectFile:
    directory: Path
    name: str
    runtime: str
    stack_config_dir: str = ""
    main: Optional[str] = None
    config_defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def program(self) -> Path:
        base = self.directory / self.main if self.main else self.directory
        return base if base.suffix == ".py" else base / "__main__.py"

    def stack_file(self, stack: str) -> Path:
        return self.directory / self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stack_file_label(self, stack: str) -> str:
        return str(Path(self.stack_config_dir or ".") / f"Pulumi.{stack}.yaml").removeprefix("./")


def engine_value(value: Any) -> str:
    """A config value as the engine hands it to programs and analyzers: strings as they are,
    anything else JSON-encoded."""
    return value if isinstance(value, str) else json.dumps(value)


@dataclass(frozen=True)
class StackConfig:
    """One stack's config as the engine passes it to the program."""

    stack: str
    label: str
    values: dict[str, Any]
    secret_keys: tuple[str, ...] = ()

    def engine_config(self) -> dict[str, str]:
        return {k: engine_value(v) for k, v in self.values.items()}

    def with_overrides(self, overrides: Optional[Mapping[str, Any]]) -> "StackConfig":
        """This stack's config with `overrides` (namespace:key -> value) applied on top."""
        return replace(self, values={**self.values, **(overrides or {})})

    @property
    def region(self) -> str:
        region = self.values.get("aws:region")
        return region if isinstance(region, str) and region else DEFAULT_REGION

    @property
    def account(self) -> Optional[str]:
        allowed = self.values.get("aws:allowedAccountIds")
        if isinstance(allowed, str):
            try:
                allowed = json.loads(allowed)
            except ValueError:
                allowed = [allowed]
        if isinstance(allowed, list) and allowed and isinstance(allowed[0], (str, int)):
            return str(allowed[0])
        return None


def load_project(directory: str | Path) -> ProjectFile:
    directory = Path(directory).resolve()
    path = next((directory / n for n in ("Pulumi.yaml", "Pulumi.yml") if (directory / n).is_file()), None)
    if path is None:
        raise ConfigError([Problem(str(directory / "Pulumi.yaml"), "does not exist (is this a Pulumi project directory?)")])
    data = _read_yaml(path, path.name)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ConfigError([Problem("name", "is required in the project file", data.get("name") if isinstance(data, dict) else data)], path.name)
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ConfigError([Problem("runtime", "is not supported offline (only python programs can run under mocks)", runtime_name)], path.name)
    defaults = {}
    for key, spec in (data.get("config") or {}).items():
        # Project-level config: a plain value, or a declaration whose `value` (else `default`) applies to every stack.
        if isinstance(spec, dict) and set(spec) <= _DECLARATION_KEYS:
            value = spec["value"] if "value" in spec else spec.get("default")
        else:
            value = spec
        if value is not None:
            defaults[_qualify(key, data["name"])] = value
    return ProjectFile(
        directory=directory,
        name=data["name"],
        runtime=runtime_name,
        stack_config_dir=str(data.get("stackConfigDir") or ""),
        main=data.get("main"),
        config_defaults=defaults,
    )


def load_stack_config(project: ProjectFile, stack: str) -> StackConfig:
    path = project.stack_file(stack)
    label = project.stack_file_label(stack)
    if not path.is_file():
        available = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in path.parent.glob("Pulumi.*.yaml"))
        raise ConfigError(
            [Problem(label, f"does not exist (stacks with a file: {', '.join(available) or 'none'})")]
        )
    data = _read_yaml(path, label) or {}
    if not isinstance(data, dict):
        raise ConfigError([Problem("(top level)", "must be a mapping with a `config` key", data)], label)
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigError([Problem("config", "must be a mapping of keys to values", raw)], label)
    values = dict(project.config_defaults)
    secrets: list[str] = []
    for key, value in raw.items():
        qualified = _qualify(str(key), project.name)
        plain, had_secret = _strip_secrets(value)
        values[qualified] = plain
        if had_secret:
            secrets.append(qualified)
    return StackConfig(stack=stack, label=label, values=values, secret_keys=tuple(secrets))


def _qualify(key: str, project_name: str) -> str:
    return key if ":" in key else f"{project_name}:{key}"


def _strip_secrets(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        found = False
        out = {}
        for k, v in value.items():
            out[k], had = _strip_secrets(v)
            found = found or had
        return out, found
    if isinstance(value, list):
        items = [_strip_secrets(v) for v in value]
        return [v for v, _ in items], any(h for _, h in items)
    return value, False


def _read_yaml(path: Path, label: str) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise ConfigError([Problem(where, f"is not valid YAML: {getattr(exc, 'problem', exc)}")], label) from None
