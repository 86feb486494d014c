"""The Plan: what a stack program declared, as the engine would record it.

A Plan is plain data (no Outputs, no futures): tests, policies and reports read it after the
program has finished. `to_preview_json()` writes it in the shape of `pulumi preview --json`, so
tools that read preview output can read an offline plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from mlplat.core.paths import value_at

from .pulumi_compat import UNKNOWN
from .secrets import SECRET, Redactor, redact_paths, values_at

__all__ = ["Diagnostic", "is_unknown", "Plan", "PlannedResource", "ROOT_STACK_TYPE"]

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (preview of a new resource)."""
    return isinstance(value, str) and value == UNKNOWN


@dataclass
class PlannedResource:
    """One resource as the engine saw it: inputs after transforms and auto-naming."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: Optional[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: Optional[str] = None
    protect: bool = False
    provider: Optional[str] = None
    version: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    op: str = "create"
    secret_paths: list[str] = field(default_factory=list)  # secret inputs
    output_secret_paths: list[str] = field(default_factory=list)  # secret outputs (engine: as `[secret]`)
    autonamed: Optional[str] = None  # the input the provider auto-named, if any

    def __repr__(self) -> str:
        inputs = redact_paths(self.inputs, self.secret_paths)
        outputs = redact_paths(self.outputs, self.output_secret_paths)
        return f"PlannedResource(urn={self.urn!r}, type={self.type!r}, inputs={inputs!r}, outputs={outputs!r})"

    @property
    def secret_values(self) -> list[Any]:
        """The values at this resource's secret paths (for masking them wherever they reappear)."""
        return [*values_at(self.inputs, self.secret_paths), *values_at(self.outputs, self.output_secret_paths)]

    @property
    def declared_inputs(self) -> dict[str, Any]:
        """The inputs the program declared: `inputs` without the provider's auto-name."""
        return {k: v for k, v in self.inputs.items() if k != self.autonamed}

    @property
    def dependency_urns(self) -> set[str]:
        """Every resource this one waits on besides its parent: `dependsOn` and property dependencies."""
        return set(self.dependencies).union(*self.property_dependencies.values())

    @property
    def package(self) -> str:
        return self.type.split(":", 1)[0]

    def get(self, path: str, default: Any = None) -> Any:
        """An input by dotted path (`versioningConfiguration.status`), or `default`."""
        return value_at(self.inputs, path, default)

    @property
    def tags(self) -> dict[str, Any]:
        tags = self.inputs.get("tags")
        return tags if isinstance(tags, dict) else {}


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    message: str
    urn: Optional[str] = None


@dataclass
class Plan:
    project: str
    stack: str
    preview: bool
    resources: list[PlannedResource]
    outputs: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    root_urn: Optional[str] = None
    config: dict[str, str] = field(default_factory=dict)  # the engine config the program saw
    output_secret_paths: list[str] = field(default_factory=list)  # secret stack exports
    secret_config_keys: tuple[str, ...] = ()  # `namespace:key` of secret config
    # What no hand-written fake answered: outputs generated from the provider SDK's type information
    # (type -> (resources, properties)), types no installed SDK describes (type -> resources), and
    # invokes answered from their result type (token, arguments).
    generated_outputs: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    undescribed_types: dict[str, int] = field(default_factory=dict)
    generic_invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Plan(project={self.project!r}, stack={self.stack!r}, resources={len(self.resources)})"

    # --- secrets -----------------------------------------------------------------------------

    def redactor(self) -> Redactor:
        """Masks every secret this plan holds (config, resource inputs and outputs, stack exports)."""
        values: list[Any] = [self.config[k] for k in self.secret_config_keys if k in self.config]
        values += values_at(self.outputs, self.output_secret_paths)
        for r in self.resources:
            if r.secret_paths or r.output_secret_paths:
                values += r.secret_values
        return Redactor.of(values)

    @property
    def shown_config(self) -> dict[str, str]:
        """The engine config with secret values as `[secret]`."""
        return {k: (SECRET if k in self.secret_config_keys else v) for k, v in self.config.items()}

    # --- lookups -----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[PlannedResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    @property
    def custom_resources(self) -> list[PlannedResource]:
        return [r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:")]

    def by_urn(self, urn: str) -> PlannedResource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(f"no resource with URN {urn!r} in the plan")

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str, type_token: Optional[str] = None) -> PlannedResource:
        """The one resource with this logical name (and type); a clear error otherwise."""
        found = [r for r in self.resources if r.name == name and (type_token is None or r.type == type_token)]
        if len(found) != 1:
            names = sorted(r.name for r in self.resources if type_token is None or r.type == type_token)
            raise KeyError(
                f"expected exactly one resource named {name!r}"
                + (f" of type {type_token}" if type_token else "")
                + f", found {len(found)}; declared: {', '.join(names) or 'none'}"
            )
        return found[0]

    def children(self, urn: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.parent == urn]

    def descendants(self, urn: str) -> list[PlannedResource]:
        below: set[str] = {urn}
        result = []
        for r in self.resources:  # registration order puts parents before children
            if r.parent in below:
                below.add(r.urn)
                result.append(r)
        return result

    def tree(self, root: Optional[str] = None) -> list[tuple[str, str]]:
        """(URN, type) of every resource, or of `root` and everything below it, sorted: the
        contract a snapshot pins."""
        if root is None:
            return sorted((r.urn, r.type) for r in self.resources)
        top = self.by_urn(root)
        return sorted([(top.urn, top.type)] + [(r.urn, r.type) for r in self.descendants(root)])

    def count_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.custom_resources:
            counts[r.type] = counts.get(r.type, 0) + 1
        return dict(sorted(counts.items()))

    # --- preview JSON ------------------------------------------------------------------------

    def default_provider_urn(self, resource: PlannedResource) -> str:
        version = resource.version.replace(".", "_") if resource.version else ""
        name = f"default_{version}" if version else "default"
        return f"urn:pulumi:{self.stack}::{self.project}::pulumi:providers:{resource.package}::{name}"

    def provider_ref(self, resource: PlannedResource) -> Optional[str]:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            return None
        if resource.provider:
            return resource.provider
        provider_id = UNKNOWN if self.preview else "default-provider-id"
        return f"{self.default_provider_urn(resource)}::{provider_id}"

    def to_preview_json(self, **extra: Any) -> dict[str, Any]:
        """A document shaped like `pulumi preview --json` (steps, changeSummary, diagnostics)."""
        steps: list[dict[str, Any]] = []
        if self.root_urn:
            steps.append(
                {
                    "op": "create",
                    "urn": self.root_urn,
                    "newState": {
                        "urn": self.root_urn,
                        "custom": False,
                        "type": ROOT_STACK_TYPE,
                        "outputs": redact_paths(self.outputs, self.output_secret_paths),
                    },
                }
            )
        seen_providers: set[str] = set()
        for r in self.resources:
            ref = self.provider_ref(r)
            if ref and not r.provider:
                provider_urn = ref.rsplit("::", 1)[0]
                if provider_urn not in seen_providers:
                    seen_providers.add(provider_urn)
                    steps.append(
                        {
                            "op": "create",
                            "urn": provider_urn,
                            "newState": {
                                "urn": provider_urn,
                                "custom": True,
                                "type": f"pulumi:providers:{r.package}",
                                "inputs": {"version": r.version} if r.version else {},
                            },
                        }
                    )
            state: dict[str, Any] = {
                "urn": r.urn,
                "custom": r.custom,
                "type": r.type,
                "inputs": redact_paths(r.inputs, r.secret_paths),
                "outputs": redact_paths(r.outputs, r.output_secret_paths),
                "parent": r.parent or self.root_urn,
                "protect": r.protect,
            }
            if r.id is not None:
                state["id"] = r.id
            if ref:
                state["provider"] = ref
            if r.dependencies:
                state["dependencies"] = list(r.dependencies)
            if r.property_dependencies:
                state["propertyDependencies"] = dict(r.property_dependencies)
            state.update({k: v for k, v in r.options.items()})
            step = {"op": r.op, "urn": r.urn, "newState": state}
            if ref:
                step["provider"] = ref
            steps.append(step)
        summary: dict[str, int] = {}
        for step in steps:
            summary[step["op"]] = summary.get(step["op"], 0) + 1
        document: dict[str, Any] = {
            "steps": steps,
            "changeSummary": summary,
            "diagnostics": [
                {"urn": d.urn, "message": d.message, "severity": d.severity} if d.urn else {"message": d.message, "severity": d.severity}
                for d in self.diagnostics
            ],
        }
        document.update(extra)
        return document
