"""A deployed stack's resources, read from what Pulumi writes: a stack export or a refreshed preview.

Two inputs give the same `Plan` shape the offline plan has, so the policy pack, the reports and the
day-2 checks read a deployment exactly as they read a plan:

- `pulumi stack export` (deployment version 3): the state as of the last `pulumi up`. Secrets are
  ciphertext objects (`{"4dabf...": "1b47...", "ciphertext": ...}`): they become `[secret]` and
  their paths are recorded. An export made with `--show-secrets` holds `plaintext` instead; it is
  read the same way and never shown (do not export with `--show-secrets`: nothing here needs it).
- `pulumi preview --refresh --json` (or `pulumi refresh --preview-only --json`): the live view, read
  from the cloud without writing state. Per resource the refreshed state is the step's `newState`
  of a refresh step, else its `oldState` (the state the preview diffed against, refreshed); a
  resource a refresh found deleted (`op: delete` of a refresh) is left out, as it is gone.

`load_deployment(path)` tells them apart by shape; anything else is a ConfigError naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from mlplat.core.errors import ConfigError, Problem

from .plan import ROOT_STACK_TYPE, Plan, PlannedResource
from .secrets import SECRET

__all__ = ["DEPLOYMENT_VERSION", "Deployment", "load_deployment", "SECRET_SIGNATURE"]

DEPLOYMENT_VERSION = 3
# The engine's marker of a secret value in state and in preview JSON (sdk/go/common/resource/sig).
SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"


@dataclass(frozen=True)
class Deployment:
    """The resources of a deployed stack, and which Pulumi output they came from."""

    plan: Plan
    source: str  # "stack export" | "refreshed preview"
    path: Path


def load_deployment(path: str | Path, *, stack: str, project: Optional[str] = None) -> Deployment:
    """Read a stack export or a refreshed preview JSON; ConfigError naming the file otherwise."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise ConfigError([Problem(where, "is not a file (write one with `pulumi stack export --file FILE`)")])
    try:
        document = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(where, f"is not JSON ({exc})")]) from None
    if isinstance(document, dict) and "deployment" in document:
        resources = _export_resources(document, where)
        source = "stack export"
    elif isinstance(document, dict) and isinstance(document.get("steps"), list):
        resources = _preview_resources(document["steps"], where)
        source = "refreshed preview"
    else:
        raise ConfigError([Problem(where, "is neither a `pulumi stack export` (an object with `version` and "
                                          "`deployment`) nor a `pulumi preview --refresh --json` (an object with `steps`)")])
    root = next((r for r in resources if r.get("type") == ROOT_STACK_TYPE), None)
    planned = [_planned(r, where, index) for index, r in enumerate(resources) if r.get("type") != ROOT_STACK_TYPE]
    project = project or _project_of(root or (resources[0] if resources else None))
    outputs, output_secrets = _unwrap((root or {}).get("outputs") or {}, "")
    plan = Plan(project=project or "", stack=stack, preview=False, resources=planned, outputs=outputs,
                root_urn=(root or {}).get("urn"), output_secret_paths=output_secrets)
    return Deployment(plan=plan, source=source, path=path)


def _export_resources(document: dict[str, Any], where: str) -> list[dict[str, Any]]:
    version = document.get("version")
    if version != DEPLOYMENT_VERSION:
        raise ConfigError([Problem(f"{where}: version", f"is not a deployment version this reads ({DEPLOYMENT_VERSION}: "
                                                         "what `pulumi stack export` writes)", version)])
    deployment = document["deployment"]
    if not isinstance(deployment, dict):
        raise ConfigError([Problem(f"{where}: deployment", "is not an object")])
    resources = deployment.get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise ConfigError([Problem(f"{where}: deployment.resources", "is not a list of resource objects")])
    return resources


def _preview_resources(steps: list[Any], where: str) -> list[dict[str, Any]]:
    """Each resource's refreshed state: a refresh step's `newState` (none: the refresh found it deleted),
    else the `oldState` the preview diffed against (a resource the program would create has none)."""
    live: dict[str, Optional[dict[str, Any]]] = {}
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("urn"), str):
            raise ConfigError([Problem(f"{where}: steps[{index}]", "is not a step object with a `urn`")])
        urn = step["urn"]
        if step.get("op") == "refresh":
            state = step.get("newState")
            live[urn] = state if isinstance(state, dict) else None
        elif urn not in live and isinstance(step.get("oldState"), dict):
            live[urn] = step["oldState"]
    return [state for state in live.values() if state is not None]


def _project_of(resource: Optional[dict[str, Any]]) -> Optional[str]:
    urn = (resource or {}).get("urn")
    parts = urn.split("::") if isinstance(urn, str) else []
    return parts[1] if len(parts) > 2 else None


def _planned(resource: dict[str, Any], where: str, index: int) -> PlannedResource:
    urn, type_ = resource.get("urn"), resource.get("type")
    if not isinstance(urn, str) or not isinstance(type_, str):
        raise ConfigError([Problem(f"{where}: resources[{index}]", "has no `urn` and `type` strings")])
    inputs, input_secrets = _unwrap(resource.get("inputs") or {}, "")
    outputs, output_secrets = _unwrap(resource.get("outputs") or {}, "")
    options = {k: resource[k] for k in ("additionalSecretOutputs", "ignoreChanges", "retainOnDelete", "deleteBeforeReplace",
                                        "aliases", "deletedWith") if resource.get(k)}
    output_secrets = sorted(set(output_secrets) | {k for k in resource.get("additionalSecretOutputs") or () if k in outputs})
    return PlannedResource(
        urn=urn, type=type_, name=urn.rsplit("::", 1)[-1], custom=bool(resource.get("custom")),
        parent=resource.get("parent"), inputs=inputs, outputs=outputs, id=resource.get("id"),
        protect=bool(resource.get("protect")), provider=resource.get("provider"),
        dependencies=list(resource.get("dependencies") or ()),
        property_dependencies={k: list(v) for k, v in (resource.get("propertyDependencies") or {}).items()},
        options=options, op="same", secret_paths=input_secrets, output_secret_paths=output_secrets,
    )


def _unwrap(value: Any, path: str) -> tuple[Any, list[str]]:
    secrets: list[str] = []
    return _walk(value, path, secrets), secrets


def _walk(value: Any, path: str, secrets: list[str]) -> Any:
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            secrets.append(path)
            return SECRET  # ciphertext stays unread; a --show-secrets plaintext is never shown either
        if SIGNATURE_KEY in value:
            return {k: v for k, v in value.items() if k != SIGNATURE_KEY}  # assets, archives, resource refs
        return {k: _walk(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value
