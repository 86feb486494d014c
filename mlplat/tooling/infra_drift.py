"""What a refreshed preview would change, told apart: drift, or a deployment that has not happened yet.

`pulumi preview --refresh --json` diffs the program against the cloud as it is. A change there is drift
(someone changed or deleted a resource outside Pulumi), except one: an endpoint serving
`model_package: latest-approved` whose group has a newer Approved package. The program resolves the
newer package, so its Model is replaced, the endpoint configuration follows it and the endpoint moves
to that configuration: nothing drifted, a deployment is pending (the approval's deployment event has
not run `pulumi up` yet, or it failed).

A Model's change is explained when the only inputs that differ are its containers' `modelPackageName`
(and the auto-name a replacement draws again), both packages are versions of the same group, the new
version is higher, and the Model is the `model` child of an endpoint the stack config serves
`latest-approved`. Its endpoint configuration's change is explained when only the variants' model
names (and its name) differ and it depends on an explained Model; the endpoint's when only
`endpointConfigName` differs and it depends on an explained configuration. Every other change is drift.

Inputs are compared from the steps' own old and new states (not `detailedDiff`, which only providers
that support it fill in); keys the provider keeps for itself (`__defaults`) are ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from mlplat.core.errors import ConfigError, Problem
from mlplat.core.naming import child

from .plan import ROOT_STACK_TYPE
from .state import SIGNATURE_KEY

__all__ = [
    "Change", "ChangeReport", "PendingDeployment", "classify", "latest_approved_endpoints", "load_preview",
    "render_json", "render_markdown", "render_text",
]

MODEL = "aws:sagemaker/model:Model"
ENDPOINT_CONFIGURATION = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
PLATFORM_KEY = "ml-platform:platform"
LATEST_APPROVED = "latest-approved"

# Step ops that change nothing in the cloud (a refresh only re-reads; `read` is a data lookup).
UNCHANGED_OPS = frozenset({"same", "refresh", "read"})
_PACKAGE = re.compile(r"^arn:aws[a-z-]*:sagemaker:[^:]*:\d*:model-package/(?P<group>[^/]+)/(?P<version>\d+)$")
_MODEL_PATHS = (re.compile(r"^primaryContainer\.modelPackageName$"),
                re.compile(r"^containers\[\d+\]\.modelPackageName$"), re.compile(r"^name$"))
_CONFIG_PATHS = (re.compile(r"^(shadowP|p)roductionVariants\[\d+\]\.modelName$"), re.compile(r"^name$"))
_ENDPOINT_PATHS = (re.compile(r"^endpointConfigName$"),)


@dataclass(frozen=True)
class Change:
    """One resource the preview would change: its ops (a replacement has several) and the inputs that differ."""

    urn: str
    type: str
    ops: tuple[str, ...]
    paths: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class PendingDeployment:
    """An endpoint whose group has a newer approved package than the one it serves."""

    endpoint: str
    group: str
    deployed_version: int
    approved_version: int
    package: str
    changes: tuple[Change, ...]


@dataclass
class ChangeReport:
    stack: str
    drift: list[Change] = field(default_factory=list)
    pending: list[PendingDeployment] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.drift)


def load_preview(path: str | Path) -> list[dict[str, Any]]:
    """The steps of a `pulumi preview --json` file; ConfigError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([Problem(str(path), "is not a file (write one with `pulumi preview --refresh --json > FILE`)")])
    try:
        document = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), f"is not JSON ({exc})")]) from None
    steps = document.get("steps") if isinstance(document, dict) else None
    if not isinstance(steps, list) or not all(isinstance(s, dict) and isinstance(s.get("urn"), str) for s in steps):
        raise ConfigError([Problem(str(path), "is not a `pulumi preview --json` document (an object whose `steps` are "
                                              "step objects with a `urn`)")])
    return steps


def latest_approved_endpoints(config_values: dict[str, Any]) -> set[str]:
    """The names of the endpoints a stack config serves `latest-approved` (the raw stack config values)."""
    platform = config_values.get(PLATFORM_KEY)
    if isinstance(platform, str):
        try:
            platform = json.loads(platform)
        except ValueError:
            return set()
    serving = platform.get("serving") if isinstance(platform, dict) else None
    endpoints = serving.get("endpoints") if isinstance(serving, dict) else None
    names: set[str] = set()
    for endpoint in endpoints if isinstance(endpoints, list) else ():
        if not isinstance(endpoint, dict) or not isinstance(endpoint.get("name"), str):
            continue
        if LATEST_APPROVED in (endpoint.get("model_package"), endpoint.get("model_package_arn")):
            names.add(endpoint["name"])
    return names


def classify(stack: str, steps: Iterable[dict[str, Any]], latest_approved: set[str]) -> ChangeReport:
    """Split a refreshed preview's changes into pending deployments and drift."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        # The stack's own outputs follow its resources: their change is not a change of the cloud.
        if step.get("op") not in UNCHANGED_OPS and _type_of(step["urn"]) != ROOT_STACK_TYPE:
            grouped.setdefault(step["urn"], []).append(step)
    changes: dict[str, tuple[Change, Optional[dict[str, Any]], Optional[dict[str, Any]]]] = {}
    for urn, urn_steps in grouped.items():
        old = next((s["oldState"] for s in urn_steps if isinstance(s.get("oldState"), dict)), None)
        new = next((s["newState"] for s in urn_steps if isinstance(s.get("newState"), dict)), None)
        type_ = (new or old or {}).get("type") or _type_of(urn)
        paths = tuple(sorted(_differences((old or {}).get("inputs") or {}, (new or {}).get("inputs") or {})))
        ops = tuple(dict.fromkeys(str(s.get("op")) for s in urn_steps))
        changes[urn] = (Change(urn=urn, type=type_, ops=ops, paths=paths), old, new)

    models: dict[str, tuple[str, int, int, str]] = {}  # model URN -> (group, old version, new version, new ARN)
    for urn, (change, old, new) in changes.items():
        if change.type != MODEL or old is None or new is None or not _only(change.paths, _MODEL_PATHS):
            continue
        if not any(child(endpoint, "model") == change.name for endpoint in latest_approved):
            continue
        upgrade = _package_upgrade(old.get("inputs") or {}, new.get("inputs") or {})
        if upgrade is not None:
            models[urn] = upgrade
    configs = {urn: model for urn, (change, _, new) in changes.items()
               if change.type == ENDPOINT_CONFIGURATION and _only(change.paths, _CONFIG_PATHS)
               for model in [_dependency_in(new, models)] if model is not None}
    endpoints = {urn: config for urn, (change, _, new) in changes.items()
                 if change.type == ENDPOINT and _only(change.paths, _ENDPOINT_PATHS)
                 for config in [_dependency_in(new, configs)] if config is not None}

    report = ChangeReport(stack=stack)
    explained: set[str] = set()
    for model_urn, (group, deployed, approved, package) in models.items():
        family = [model_urn, *(u for u, m in configs.items() if m == model_urn)]
        family += [u for u, c in endpoints.items() if c in family]
        endpoint_name = next(e for e in latest_approved if child(e, "model") == changes[model_urn][0].name)
        report.pending.append(PendingDeployment(
            endpoint=endpoint_name, group=group, deployed_version=deployed, approved_version=approved, package=package,
            changes=tuple(changes[u][0] for u in family),
        ))
        explained.update(family)
    report.drift = [change for urn, (change, _, _) in changes.items() if urn not in explained]
    report.pending.sort(key=lambda p: p.endpoint)
    return report


def _type_of(urn: str) -> str:
    qualified = urn.split("::")[-2] if urn.count("::") >= 3 else ""
    return qualified.rsplit("$", 1)[-1]


def _differences(old: Any, new: Any, path: str = "") -> list[str]:
    """The paths at which two input trees differ (a whole subtree added or removed is one path)."""
    if isinstance(old, dict) and isinstance(new, dict) and SIGNATURE_KEY not in old and SIGNATURE_KEY not in new:
        paths: list[str] = []
        for key in sorted(set(old) | set(new)):
            if key.startswith("__"):
                continue
            sub = f"{path}.{key}" if path else key
            if key not in old or key not in new:
                paths.append(sub)
            else:
                paths.extend(_differences(old[key], new[key], sub))
        return paths
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new)) for p in _differences(a, b, f"{path}[{i}]")]
    return [] if old == new else [path or "(all inputs)"]


def _only(paths: tuple[str, ...], allowed: tuple[re.Pattern[str], ...]) -> bool:
    return bool(paths) and all(any(p.match(path) for p in allowed) for path in paths)


def _packages(inputs: dict[str, Any]) -> list[Any]:
    containers = [inputs.get("primaryContainer"), *(inputs.get("containers") or [])]
    return [c.get("modelPackageName") for c in containers if isinstance(c, dict) and c.get("modelPackageName")]


def _package_upgrade(old: dict[str, Any], new: dict[str, Any]) -> Optional[tuple[str, int, int, str]]:
    """(group, old version, new version, new ARN) when every container moves to a newer version of its group."""
    before, after = _packages(old), _packages(new)
    if not before or len(before) != len(after):
        return None
    upgrades = []
    for a, b in zip(before, after):
        ma, mb = _PACKAGE.match(str(a)), _PACKAGE.match(str(b))
        if not ma or not mb or ma["group"] != mb["group"] or int(mb["version"]) <= int(ma["version"]):
            return None
        upgrades.append((ma["group"], int(ma["version"]), int(mb["version"]), str(b)))
    return upgrades[0]


def _dependency_in(state: Optional[dict[str, Any]], explained: dict[str, Any]) -> Optional[str]:
    """The first resource of `explained` that `state` depends on (its dependencies or property dependencies)."""
    if state is None:
        return None
    dependencies = list(state.get("dependencies") or [])
    for urns in (state.get("propertyDependencies") or {}).values():
        dependencies.extend(urns or ())
    return next((urn for urn in dependencies if urn in explained), None)


# --- reports ---------------------------------------------------------------------------------------------


def _summary(report: ChangeReport) -> str:
    return (f"stack {report.stack}: {len(report.drift)} drifted resource{'s' if len(report.drift) != 1 else ''}, "
            f"{len(report.pending)} pending deployment{'s' if len(report.pending) != 1 else ''}")


def _pending_line(p: PendingDeployment) -> str:
    resources = ", ".join(f"{c.name} ({'/'.join(c.ops)})" for c in p.changes)
    return (f"endpoint {p.endpoint}: group {p.group} has approved version {p.approved_version}, version "
            f"{p.deployed_version} is deployed; `pulumi up` will deploy it ({resources})")


def _drift_line(c: Change) -> str:
    return f"{c.urn}: {'/'.join(c.ops)} of {', '.join(c.paths) or 'the resource'}"


def render_text(report: ChangeReport) -> str:
    lines = [_summary(report)]
    lines += [f"pending deployment: {_pending_line(p)}" for p in report.pending]
    lines += [f"drift: {_drift_line(c)}" for c in report.drift]
    return "\n".join(lines) + "\n"


def render_markdown(report: ChangeReport) -> str:
    lines = [f"**{_summary(report)}**", ""]
    if report.pending:
        lines += ["Pending deployments (not drift):", ""] + [f"- {_pending_line(p)}" for p in report.pending] + [""]
    if report.drift:
        lines += ["Drift (changed outside Pulumi, or the program is ahead of the stack):", ""]
        lines += [f"- `{c.urn}`: {'/'.join(c.ops)} of {', '.join(f'`{p}`' for p in c.paths) or 'the resource'}"
                  for c in report.drift] + [""]
    return "\n".join(lines)


def _change_json(c: Change) -> dict[str, Any]:
    return {"urn": c.urn, "type": c.type, "ops": list(c.ops), "paths": list(c.paths)}


def render_json(report: ChangeReport) -> str:
    document = {
        "stack": report.stack,
        "drifted": report.drifted,
        "drift": [_change_json(c) for c in report.drift],
        "pendingDeployments": [
            {"endpoint": p.endpoint, "group": p.group, "deployedVersion": p.deployed_version,
             "approvedVersion": p.approved_version, "package": p.package,
             "changes": [_change_json(c) for c in p.changes]}
            for p in report.pending
        ],
    }
    return json.dumps(document, indent=2) + "\n"
