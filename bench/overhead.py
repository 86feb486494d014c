"""Framework overhead: mlplat's plan of a stack against bare Pulumi programs declaring the same resources.

The programs declare the same resources with the same inputs, under the same mocks
(`RealisticMocks`), interleaved in one process after a warm-up:

- `mlplat`: `mlplat plan`'s program part, `run_stack(repo, stack)` (the stack file, the real
  `__main__.py`, the components, `RecordingMonitor`); its later phases (contract checks, the
  policy pack) are timed too, and make the whole plan;
- `bare`: the baseline. A hand-written Pulumi program replaying the plan (`ReplaySpec.from_plan`)
  with the provider SDKs' classes (`aws.s3.Bucket(...)`, nested values as dictionaries): the same
  types, names, parents, inputs (after transforms and auto-naming, as the engine received them),
  dependencies, protect flags, provider versions, aliases and secret inputs; the same invokes;
  the same component and stack outputs; under the stock `pulumi.runtime.set_mocks` monitor.
  `inputs_match` checks, outside the timings, that it registers exactly the plan's inputs;
- `generic` (a floor, no target): the same replay with generic `pulumi.CustomResource`s of the
  same type tokens; `bare / generic` is what the provider SDKs' typed classes cost by themselves;
- `stock` (a breakdown, no target): mlplat's program under the stock `MockMonitor`.
  `mlplat / stock` is the cost of the offline runner (engine-faithful transforms, URNs,
  recording, batched garbage collection); `stock / bare` the cost of the components.

The headline ratio is `mlplat.program / bare` (docs/DECISIONS.md, Benchmarks: "the overhead ratio compares
the program part with the bare SDK replaying the same resources").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import json
import logging
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

import pulumi
from pulumi.runtime import run_in_stack, set_all_config

from mlplat.core.sdk_compat import resource_input_signature
from mlplat.tooling import pulumi_compat
from mlplat.tooling._gc import batched_gc

from . import (
    REFERENCE_STACKS,
    REPO_ROOT,
    TARGET_OVERHEAD_RATIO,
    Phase,
    interleave,
    plan_phases,
    profile,
    ratio_summary,
    run_phases,
    share,
    target,
)

MEASURES = ("mlplat", "bare", "stock")


# --- the replay -----------------------------------------------------------------------------------


@dataclass
class ReplayResource:
    type: str
    name: str
    custom: bool
    parent: Optional[int]  # index of an earlier resource; None: the root stack
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)  # components: what they registered
    depends_on: list[int] = field(default_factory=list)
    protect: bool = False
    version: str = ""
    secret_inputs: list[str] = field(default_factory=list)  # top-level input keys holding a secret
    aliases: list[dict[str, str]] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    retain_on_delete: bool = False


@dataclass
class ReplaySpec:
    """Plain data describing every registration, invoke and output of a planned program."""

    project: str
    stack: str
    resources: list[ReplayResource]
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    region: str = "us-east-1"

    def __len__(self) -> int:
        return len(self.resources)

    @classmethod
    def from_plan(cls, plan: Any) -> "ReplaySpec":
        """From a `mlplat.plan.Plan` (its resources are ordered parents and dependencies first)."""
        index: dict[str, int] = {}
        resources: list[ReplayResource] = []
        for r in plan.resources:
            options = r.options
            resources.append(
                ReplayResource(
                    type=r.type,
                    name=r.name,
                    custom=r.custom,
                    parent=index.get(r.parent) if r.parent else None,
                    inputs=dict(r.inputs),
                    outputs=dict(r.outputs) if not r.custom else {},
                    depends_on=sorted({index[u] for u in r.dependencies if u in index}),
                    protect=r.protect,
                    version=r.version,
                    secret_inputs=sorted({re.split(r"[.\[]", p, maxsplit=1)[0] for p in r.secret_paths}),
                    aliases=[a for a in (_parse_alias(text) for text in options.get("aliases", [])) if a],
                    ignore_changes=list(options.get("ignoreChanges", [])),
                    replace_on_changes=list(options.get("replaceOnChanges", [])),
                    additional_secret_outputs=list(options.get("additionalSecretOutputs", [])),
                    delete_before_replace=bool(options.get("deleteBeforeReplace", False)),
                    retain_on_delete=bool(options.get("retainOnDelete", False)),
                )
            )
            index[r.urn] = len(resources) - 1
        return cls(
            project=plan.project,
            stack=plan.stack,
            resources=resources,
            invokes=[(token, dict(args)) for token, args in plan.invokes],
            outputs=dict(plan.outputs),
            region=str(plan.config.get("aws:region") or "us-east-1"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [asdict(r) for r in self.resources],
            "invokes": [[token, args] for token, args in self.invokes],
            "outputs": self.outputs,
            "region": self.region,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ReplaySpec":
        return cls(
            project=data["project"],
            stack=data["stack"],
            resources=[ReplayResource(**r) for r in data["resources"]],
            invokes=[(token, args) for token, args in data["invokes"]],
            outputs=dict(data["outputs"]),
            region=data.get("region", "us-east-1"),
        )

    def identity(self) -> list[tuple[str, str]]:
        """(type, name) of every resource, sorted: what the two sides must agree on."""
        return sorted((r.type, r.name) for r in self.resources)


_ALIAS = re.compile(r"^alias\((.*)\)$")


def _parse_alias(text: str) -> Optional[dict[str, str]]:
    """Back from mlplat's alias text (`alias(type=aws:s3/bucketV2:BucketV2)`) or a URN."""
    if text.startswith("urn:"):
        return {"urn": text}
    match = _ALIAS.match(text)
    if not match:
        return None
    spec: dict[str, str] = {}
    for part in match.group(1).split(", "):
        key, _, value = part.partition("=")
        if key in ("name", "type", "stack", "project", "parent"):
            spec[key] = value
    return spec


def _alias(spec: Mapping[str, str]) -> Any:
    if "urn" in spec:
        return spec["urn"]
    # Only the fields the alias names: an omitted field means "as the resource" (an explicit None
    # would mean "none").
    keywords = {("type_" if key == "type" else key): value for key, value in spec.items()}
    return pulumi.Alias(**keywords)


def _options(r: ReplayResource, created: list[pulumi.Resource]) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(
        parent=created[r.parent] if r.parent is not None else None,
        depends_on=[created[i] for i in r.depends_on] or None,
        protect=r.protect or None,
        version=r.version or None,
        aliases=[_alias(a) for a in r.aliases] or None,
        ignore_changes=r.ignore_changes or None,
        replace_on_changes=r.replace_on_changes or None,
        additional_secret_outputs=r.additional_secret_outputs or None,
        delete_before_replace=r.delete_before_replace or None,
        retain_on_delete=r.retain_on_delete or None,
    )


def _props(r: ReplayResource) -> dict[str, Any]:
    props = dict(r.inputs)
    for key in r.secret_inputs:
        if key in props:
            props[key] = pulumi.Output.secret(props[key])
    return props


@functools.lru_cache(maxsize=None)
def _provider_class(type_token: str) -> Optional[type]:
    """`pulumi:providers:aws` -> pulumi_aws.Provider."""
    package = type_token.rsplit(":", 1)[-1].replace("-", "_")
    try:
        return getattr(importlib.import_module(f"pulumi_{package}"), "Provider")
    except (ImportError, AttributeError):
        return None


@functools.lru_cache(maxsize=None)
def _typed_constructor(type_token: str) -> Optional[tuple[type, dict[str, str]]]:
    """The provider SDK class a hand-written program would use for `type_token`, and the map from
    the engine's (camelCase) input names to its keyword arguments."""
    from mlplat.core.sdk_types import resource_class

    cls = _provider_class(type_token) if type_token.startswith("pulumi:providers:") else resource_class(type_token)
    if cls is None:
        return None
    signature = resource_input_signature(cls)
    parameters = [p for p in signature.parameters if p not in ("self", "resource_name", "opts", "__props__")]
    return cls, {p.replace("_", "").lower(): p for p in parameters}


def _json_decoded(value: Any) -> Any:
    """A provider's boolean or number input as the program gave it (the engine sees it
    JSON-encoded; strings holding JSON documents, such as a kubeconfig, stay strings)."""
    if isinstance(value, str) and value[:1] in "tf0123456789-":
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, (bool, int, float)) else value
    return value


def _kubernetes_custom_resource(type_token: str) -> bool:
    """A custom resource of a CRD (`kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue`): no class of its own."""
    return type_token.startswith("kubernetes:") and "." in type_token.split(":")[1].split("/")[0]


def _typed_form(r: ReplayResource) -> Optional[str]:
    """How a hand-written program declares `r`: "class" (its provider SDK class), "crd" (a
    Kubernetes custom resource), "stash", or None (no class takes these inputs)."""
    if _typed_constructor(r.type) is not None:
        _, python_names = _typed_constructor(r.type)  # type: ignore[misc]
        return "class" if all(k.lower() in python_names for k in r.inputs) else None
    if r.type == "pulumi:index:Stash":
        return "stash"
    if _kubernetes_custom_resource(r.type) and "apiVersion" in r.inputs:
        return "crd"
    return None


def _declare(r: ReplayResource, opts: pulumi.ResourceOptions, typed: bool) -> pulumi.Resource:
    props = _props(r)
    form = _typed_form(r) if typed and r.custom else None
    if not r.custom:
        return pulumi.ComponentResource(r.type, r.name, None, opts)
    if form == "class":
        cls, python_names = _typed_constructor(r.type)  # type: ignore[misc]
        if r.type.startswith("pulumi:providers:"):
            props = {k: _json_decoded(v) for k, v in props.items()}  # the provider class encodes them again
        return cls(r.name, opts=opts, **{python_names[k.lower()]: v for k, v in props.items()})
    if form == "crd":
        import pulumi_kubernetes as k8s

        return k8s.apiextensions.CustomResource(
            r.name, api_version=props.pop("apiVersion"), kind=props.pop("kind"), metadata=props.pop("metadata", None),
            opts=opts, **props,
        )
    if form == "stash":
        return pulumi.Stash(r.name, input=props.get("input"), opts=opts)
    return pulumi.CustomResource(r.type, r.name, props, opts)


def replay_untyped(spec: ReplaySpec) -> set[str]:
    """Types the typed replay declares generically (no provider class takes their inputs)."""
    return {r.type for r in spec.resources if r.custom and _typed_form(r) is None}


def replay_program(spec: ReplaySpec, *, typed: bool = True) -> Callable[[], None]:
    """The bare Pulumi program that declares exactly what `spec` records.

    `typed`: as a hand-written program would, with the provider SDKs' classes (`aws.s3.Bucket(...)`,
    nested values as dictionaries); otherwise with generic `pulumi.CustomResource`s of the same
    type tokens. Types without a class are declared generically either way (`replay_untyped`).
    """

    def program() -> None:
        created: list[pulumi.Resource] = []
        for r in spec.resources:
            created.append(_declare(r, _options(r, created), typed))
        for token, args in spec.invokes:
            pulumi.runtime.invoke_output(token, args)
        for resource, r in zip(created, spec.resources):
            if not r.custom:
                resource.register_outputs(r.outputs)
        for name, value in spec.outputs.items():
            pulumi.export(name, value)

    return program


# The program's own diagnostics (pulumi.log) are recorded by mlplat's runner as plan diagnostics;
# under the stock mocks they would go to the root logger and interleave with the bench's table.
_QUIET = logging.getLogger("bench.stock_mocks")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def run_under_stock_mocks(
    program: Callable[[], Any],
    mocks: pulumi.runtime.Mocks,
    *,
    project: str,
    stack: str,
    config: Optional[Mapping[str, str]] = None,
    secret_keys: Sequence[str] = (),
) -> pulumi_compat.MockMonitor:
    """Run `program` as a stack under the stock `pulumi.runtime.set_mocks`; return its monitor."""
    pulumi_compat.require_tested_runtime("the stock-monitor baseline")
    monitor = pulumi_compat.MockMonitor(mocks)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    thread_loops: list[asyncio.AbstractEventLoop] = []
    loop.set_default_executor(ThreadPoolExecutor(initializer=_own_event_loop, initargs=(thread_loops,)))
    try:
        # As `set_mocks`, except that `run_in_stack` registers the one root stack, as on the mlplat side.
        pulumi_compat.use_stock_mocks(mocks, monitor, project=project, stack=stack, logger=_QUIET)
        set_all_config(dict(config or {}), list(secret_keys))
        with batched_gc():  # the runner's collector policy: the ratios compare work, not GC settings
            loop.run_until_complete(run_in_stack(program))
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)
        pulumi_compat.forget_root_resource()
        for thread_loop in thread_loops:  # as mlplat's runner does: closed here, not by the collector
            if not thread_loop.is_running():
                thread_loop.close()
    return monitor


def _own_event_loop(loops: list[asyncio.AbstractEventLoop]) -> None:
    """Pool thread initializer: the event loop the SDK would create lazily, kept to be closed."""
    thread_loop = asyncio.new_event_loop()
    asyncio.set_event_loop(thread_loop)
    loops.append(thread_loop)


def run_bare(spec: ReplaySpec, *, typed: bool = True) -> pulumi_compat.MockMonitor:
    """The baseline: replay `spec` under the stock mock monitor with mlplat's mocks
    (`typed=False`: the generic-resource floor)."""
    from mlplat.tooling.fakes import RealisticMocks

    return run_under_stock_mocks(
        replay_program(spec, typed=typed), RealisticMocks(region=spec.region), project=spec.project,
        stack=spec.stack, config={"aws:region": spec.region},
    )


def inputs_match(plan: Any, spec: ReplaySpec, *, typed: bool = True) -> bool:
    """Does the replay register exactly the plan's resources and inputs? (Recorded by mlplat's
    runner, outside the timings; the replay has no transforms, its inputs are the final ones.)"""
    from mlplat.tooling.offline import run_callable

    replayed = run_callable(replay_program(spec, typed=typed), project=spec.project, stack=spec.stack, region=spec.region)
    expected = {(r.type, r.name): r.inputs for r in plan.resources}
    return expected == {(r.type, r.name): r.inputs for r in replayed.resources}


def monitor_identity(monitor: pulumi_compat.MockMonitor) -> list[tuple[str, str]]:
    """(type, name) of everything the stock monitor registered (its URNs keep the last type only)."""
    out = []
    for urn in pulumi_compat.recorded_urns(monitor):
        _, _, qualified_type, name = urn.split("::", 3)
        out.append((qualified_type.split("$")[-1], name))
    return sorted(out)


# --- the three programs of a reference stack -------------------------------------------------------


def plan_stack(stack: str) -> Any:
    """`mlplat plan`'s program part for a reference stack."""
    from mlplat.tooling.offline import run_stack

    return run_stack(REPO_ROOT, stack)


def mlplat_run(stack: str, phases: Sequence[Phase]) -> Callable[[], dict[str, float]]:
    """The whole plan: program, then the phases; returns each part's seconds."""

    def run() -> dict[str, float]:
        start = time.perf_counter()
        plan = plan_stack(stack)
        program = time.perf_counter() - start
        return {"program": program, **run_phases(plan, phases)}

    return run


def stock_run(stack: str) -> Callable[[], pulumi_compat.MockMonitor]:
    """mlplat's own program and fakes under the stock MockMonitor (the breakdown's middle rung)."""
    from mlplat.tooling.fakes import FAKE_ACCOUNT_ID, RealisticMocks
    from mlplat.tooling.stackfile import load_project, load_stack_config

    project = load_project(REPO_ROOT)
    config = load_stack_config(project, stack)
    engine_config = {"aws:region": config.region, **config.engine_config()}
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from stacks.platform import build_platform  # what the project's __main__.py runs

    def run() -> pulumi_compat.MockMonitor:
        mocks = RealisticMocks(region=config.region, account=config.account or FAKE_ACCOUNT_ID)
        return run_under_stock_mocks(
            build_platform, mocks, project=project.name, stack=stack,
            config=engine_config, secret_keys=config.secret_keys,
        )

    return run


def measure_stack(stack: str, runs: int, phases: Sequence[Phase], *, warmup: int = 2) -> dict[str, Any]:
    plan = plan_stack(stack)
    spec = ReplaySpec.from_plan(plan)
    measures: dict[str, Callable[[], Any]] = {
        "mlplat": mlplat_run(stack, phases),
        "bare": lambda: run_bare(spec),
        "generic": lambda: run_bare(spec, typed=False),
        "stock": stock_run(stack),
    }
    # Warm-up: imports, botocore models, lazily built caches, the SDK's first-run paths.
    for _ in range(warmup):
        for fn in measures.values():
            fn()
    identities = [monitor_identity(measures[name]()) for name in ("bare", "generic", "stock")]
    same = all(identity == spec.identity() for identity in identities)
    untyped = sorted(replay_untyped(spec))

    samples = interleave(measures, runs)
    program = samples["mlplat.program"].values
    phase_summaries = {
        phase.name: samples[f"mlplat.{phase.name}"].summary(1000) for phase in phases if f"mlplat.{phase.name}" in samples
    }
    return {
        "stack": stack,
        "resources": len(spec),
        "custom_resources": sum(r.custom for r in spec.resources),
        "invokes": len(spec.invokes),
        "same_resources_on_every_side": same,
        "same_inputs_in_replays": {"bare": inputs_match(plan, spec), "generic": inputs_match(plan, spec, typed=False)},
        "declared_generically_in_bare": untyped,
        "ms": {
            "mlplat_program": samples["mlplat.program"].summary(1000),
            "mlplat_whole_plan": samples["mlplat"].summary(1000),
            "bare_sdk": samples["bare"].summary(1000),
            "generic_replay": samples["generic"].summary(1000),
            "stock_monitor": samples["stock"].summary(1000),
            "phases": phase_summaries,
        },
        "ratio": ratio_summary(program, samples["bare"].values),
        "ratio_over_generic_replay": ratio_summary(program, samples["generic"].values),
        "gc_share": {
            "mlplat_whole_plan": share(samples["mlplat.gc"].values, samples["mlplat"].values),
            "bare_sdk": share(samples["bare.gc"].values, samples["bare"].values),
            "generic_replay": share(samples["generic.gc"].values, samples["generic"].values),
            "stock_monitor": share(samples["stock.gc"].values, samples["stock"].values),
        },
        "breakdown": {
            "runner_over_stock_monitor": ratio_summary(program, samples["stock"].values),
            "stock_monitor_over_bare": ratio_summary(samples["stock"].values, samples["bare"].values),
            "bare_over_generic_replay": ratio_summary(samples["bare"].values, samples["generic"].values),
        },
        "samples_seconds": {name: s.values for name, s in samples.items()},
    }


def measure(stacks: Sequence[str] = REFERENCE_STACKS, *, runs: int = 5, phases: Optional[Sequence[Phase]] = None,
            warmup: int = 2) -> dict[str, Any]:
    phases = list(plan_phases() if phases is None else phases)
    per_stack = []
    for stack in stacks:
        try:
            per_stack.append(measure_stack(stack, runs, phases, warmup=warmup))
        except Exception as exc:  # a stack that does not plan (work in progress) must not sink the others
            per_stack.append({"stack": stack, "error": f"{type(exc).__name__}: {exc}"})
    worst = max(
        (s["ratio"]["value"] for s in per_stack if "error" not in s and s["ratio"]["value"] is not None), default=None
    )
    return {
        "description": "mlplat plan's program part / a bare Pulumi program (provider SDK classes) registering "
        "the same resources with the same inputs under the same mocks (medians of interleaved runs, same process)",
        "runs": runs,
        "phases": [p.name for p in phases],
        "stacks": per_stack,
        "target": target("overhead ratio (worst stack)", worst, TARGET_OVERHEAD_RATIO, unit="x"),
    }


def profile_stack(stack: str = "dev", *, repeat: int = 3, top: int = 25) -> dict[str, Any]:
    """cProfile (all threads) of the mlplat program and of the bare replay of the same stack."""
    plan = plan_stack(stack)
    spec = ReplaySpec.from_plan(plan)
    plan_stack(stack)
    run_bare(spec)

    def repeated(fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(repeat):
                fn()

        return run

    return {
        "stack": stack,
        "repeat": repeat,
        "mlplat": profile(repeated(lambda: plan_stack(stack)), top=top),
        "bare": profile(repeated(lambda: run_bare(spec)), top=top),
    }
