"""Run a Pulumi Python program offline, under mocks, the way `pulumi up` would run it.

    plan = run_stack("path/to/project", "dev")            # a program directory + stack file
    plan = run_callable(lambda: MyComponent("x", args))    # a program as a function (tests)

The program runs inside the SDK's own `run_in_stack` (as the Python language host runs
`__main__.py`), against `RecordingMonitor` and `RealisticMocks`; the result is a `Plan`.
`preview=True` plans as `pulumi preview` sees a new stack: computed outputs are unknown.

`model_package: latest-approved` never calls AWS here: the run answers it from a registry
snapshot (`run_stack`: `registry=FILE`, by default `registry.<stack>.json` next to the stack file
when there is one) or, without one, as "no approved package" (the endpoint waits for a model).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import json
import importlib.util
import os
import runpy
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

from pulumi.runtime import run_in_stack, set_all_config

from mlplat.core.vocabulary import layer_of_stack
from mlplat.platform.model_packages import (
    ModelPackageSource,
    NoModelPackages,
    SnapshotModelPackages,
    model_package_source,
)

from . import pulumi_compat
from ._gc import batched_gc
from .fakes import FAKE_ACCOUNT_ID, GenericUse, RealisticMocks
from .plan import Diagnostic, Plan, PlannedResource
from .stackfile import DEFAULT_REGION, engine_value, load_project, load_stack_config

__all__ = ["default_registry_snapshot", "generic_diagnostics", "ordered", "run_callable", "run_stack"]

# The SDK keeps run state in process globals: one program at a time.
_RUN_LOCK = threading.Lock()


def run_callable(
    program: Callable[[], Any],
    *,
    project: str = "project",
    stack: str = "test",
    config: Optional[Mapping[str, Any]] = None,
    secret_keys: tuple[str, ...] = (),
    region: str = DEFAULT_REGION,
    account: str = FAKE_ACCOUNT_ID,
    preview: bool = False,
    invoke_results: Optional[Mapping[str, Any]] = None,
    stack_references: Optional[Mapping[str, Mapping[str, Any]]] = None,
    model_packages: Optional[ModelPackageSource] = None,
    seed_stack: Optional[str] = None,
) -> Plan:
    """Run `program` as a stack's program and return what it declared.

    `stack_references` answers `pulumi.StackReference`s by stack name (a `StackOutputs` also says
    which outputs are secret). `seed_stack`: fake ids and names derive from URNs as if the stack were
    named so (`run_stack` gives a layer stack `<env>-<layer>` its environment's single stack `<env>`).

    `model_packages` answers `model_package: latest-approved` for the run (e.g. a
    SnapshotModelPackages); omitted: no registry, so no approved package (AWS is never called).
    `config` maps `namespace:key` to values (non-strings are JSON-encoded as the engine does);
    `aws:region` defaults to `region`. Invoke results and stack references' outputs may be given as
    plain dictionaries. Exceptions the program raises propagate unchanged. Raises `PlatformError`
    when the installed pulumi is not the minor version mlplat is tested with (`pulumi_compat`).
    """
    pulumi_compat.require_tested_runtime()
    from ._monitor import RecordingEngine, RecordingMonitor  # built on SDK internals: after the version check

    engine_config = {"aws:region": region}
    for key, value in (config or {}).items():
        engine_config[key] = engine_value(value)
    def seed_of(args: Any) -> str:  # the monitor knows the seed stack; resources register after it exists
        return monitor.seed(getattr(args, "urn", f"{args.typ}::{args.name}"))

    mocks = RealisticMocks(
        region=region, account=account, preview=preview, seed_of=seed_of,
        invoke_results=dict(invoke_results or {}), stack_references=dict(stack_references or {}),
    )
    monitor = RecordingMonitor(mocks, stack=stack, project=project, seed_stack=seed_stack)
    engine = RecordingEngine()
    with _RUN_LOCK:
        pulumi_compat.configure_mock_run(monitor, engine, project=project, stack=stack, preview=preview)
        set_all_config(engine_config, list(secret_keys))
        try:
            with model_package_source(model_packages or NoModelPackages()):
                _run_in_fresh_loop(program)
        except Exception as error:
            # A lookup in a chart nothing rendered (`get_resource`) fails far from its cause: name it.
            for chart in mocks.generic.unrendered_charts:
                error.add_note(f"note: Helm chart not rendered offline: {chart}")
            raise
        finally:
            monitor.close_thread_loops()
    generic = mocks.generic
    return Plan(
        project=project,
        stack=stack,
        preview=preview,
        resources=ordered(monitor.registrations.values()),
        outputs=monitor.stack_outputs,
        diagnostics=[*engine.diagnostics, *generic_diagnostics(generic)],
        invokes=list(monitor.invokes),
        root_urn=monitor.root_urn,
        config=engine_config,
        output_secret_paths=list(monitor.stack_output_secret_paths),
        secret_config_keys=tuple(secret_keys),
        generated_outputs=dict(sorted(generic.resources.items())),
        undescribed_types=dict(sorted(generic.undescribed.items())),
        generic_invokes=list(generic.invokes),
    )


def generic_diagnostics(generic: GenericUse) -> list[Diagnostic]:
    """What the plan invented without a hand-written fake, said once per type and per invoke call."""
    found: list[Diagnostic] = []
    for type_token, (count, properties) in sorted(generic.resources.items()):
        resources = f"{count} resource{'s' if count != 1 else ''}"
        found.append(Diagnostic("info", f"{type_token} ({resources}): outputs generated from the provider SDK's types, "
                                        f"not a provider's answer (no hand-written fake): {', '.join(properties) or 'none'}"))
    for type_token, count in sorted(generic.undescribed.items()):
        found.append(Diagnostic("warning", f"{type_token} ({count} resource{'s' if count != 1 else ''}): no installed "
                                           "provider SDK describes this type: only its inputs (and, for a Kubernetes object, the metadata "
                                           "every object gets) are known"))
    for type_token, count in sorted(generic.remote_components.items()):
        found.append(Diagnostic("warning", f"{type_token} ({count} component{'s' if count != 1 else ''}): a remote component "
                                           "(its provider's plugin creates its children); the offline plan has its outputs "
                                           "only, none of its children: they are not checked by the policies nor priced"))
    for chart in generic.unrendered_charts:
        found.append(Diagnostic("warning", f"Helm chart not rendered offline: {chart}. The Kubernetes provider renders "
                                           "charts with Helm; the offline plan does not, so the chart's objects are not "
                                           "planned, checked by the policies nor priced"))
    seen: set[str] = set()
    for token, args in generic.invokes:
        shown = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in sorted(args.items()))
        key = f"{token}({shown})"
        if key not in seen:
            seen.add(key)
            found.append(Diagnostic("warning", f"invoke {key} answered generically from its result type (invented "
                                               "values; pin them with --invoke-results FILE)"))
    return found


def run_stack(
    program_dir: str | Path,
    stack: str,
    *,
    preview: bool = False,
    invoke_results: Optional[Mapping[str, Any]] = None,
    stack_references: Optional[Mapping[str, Mapping[str, Any]]] = None,
    config_overrides: Optional[Mapping[str, Any]] = None,
    registry: Optional[str | Path] = None,
    model_packages: Optional[ModelPackageSource] = None,
    secret_overrides: Optional[Mapping[str, Any]] = None,
) -> Plan:
    """Run the Pulumi program in `program_dir` with `Pulumi.<stack>.yaml`'s config.

    `stack_references`: the outputs of the stacks the program references, by name (see `run_callable`;
    `mlplat.tooling.multistack` answers a layer stack's from the plans of the layers below).

    `config_overrides` and `secret_overrides` (namespace:key -> value) replace the file's values;
    secret overrides reach the program as secrets, as `pulumi config set --secret` values do (the
    file's own `secure:` values cannot be decrypted offline and read "[secret]").
    `registry`: a registry snapshot answering `model_package: latest-approved` (ConfigError naming
    the file when it is missing or malformed); omitted: `registry.<stack>.json` next to the stack
    file when it exists, else no registry (no approved package). `model_packages`, when given,
    answers instead (for example the live registry through boto3)."""
    project = load_project(program_dir)
    stack_config = load_stack_config(project, stack).with_overrides(config_overrides)
    if secret_overrides:
        stack_config = stack_config.with_overrides(secret_overrides)
        secret_keys = tuple(dict.fromkeys([*stack_config.secret_keys, *secret_overrides]))
        stack_config = dataclasses.replace(stack_config, secret_keys=secret_keys)
    packages: ModelPackageSource = NoModelPackages()
    if model_packages is not None:
        packages = model_packages
    elif registry is not None:
        packages = SnapshotModelPackages.from_file(registry)
    else:
        default = default_registry_snapshot(project.stack_file(stack))
        if default.is_file():
            label = str(Path(project.stack_config_dir or ".") / default.name).removeprefix("./")
            packages = SnapshotModelPackages.from_file(default, label)
    program_path = project.program
    if not program_path.is_file():
        raise FileNotFoundError(f"{program_path} does not exist (the program the project file names)")

    def program() -> None:
        runpy.run_path(str(program_path), run_name="__main__")

    with _inside_project(project.directory):
        return run_callable(
            program,
            project=project.name,
            stack=stack,
            config=stack_config.values,
            secret_keys=stack_config.secret_keys,
            region=stack_config.region,
            account=stack_config.account or FAKE_ACCOUNT_ID,
            preview=preview,
            invoke_results=invoke_results,
            stack_references=stack_references,
            model_packages=packages,
            seed_stack=_seed_stack(stack),
        )


def _seed_stack(stack: str) -> Optional[str]:
    """A layer stack's fake ids are its environment single stack's: the same resource, the same id."""
    layer = layer_of_stack(stack)
    return stack.removesuffix(f"-{layer[1]}") if layer is not None else None


def default_registry_snapshot(stack_file: Path) -> Path:
    """The registry snapshot a stack's plan reads by default: `registry.<stack>.json` beside `Pulumi.<stack>.yaml`;
    for a layer stack `<env>-<layer>` without one, its environment's `registry.<env>.json` (one registry per
    environment, whichever layer deploys from it)."""
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    own = stack_file.with_name(f"registry.{stack}.json")
    environment = _seed_stack(stack)
    if not own.is_file() and environment is not None:
        return stack_file.with_name(f"registry.{environment}.json")
    return own


def ordered(resources: Iterable[PlannedResource]) -> list[PlannedResource]:
    """Parents and dependencies before dependents, ties broken by URN.

    Registrations arrive from a thread pool in no fixed order; a deterministic order keeps plans,
    reports and their diffs in pull requests stable from run to run.
    """
    by_urn = {r.urn: r for r in resources}
    waits_on = {
        urn: {u for u in (r.parent, *r.dependency_urns) if u in by_urn and u != urn}
        for urn, r in by_urn.items()
    }
    dependents: dict[str, list[str]] = {urn: [] for urn in by_urn}
    for urn, deps in waits_on.items():
        for dep in deps:
            dependents[dep].append(urn)
    ready = [urn for urn, deps in waits_on.items() if not deps]
    heapq.heapify(ready)
    result: list[PlannedResource] = []
    while ready:
        urn = heapq.heappop(ready)
        result.append(by_urn[urn])
        for dependent in dependents[urn]:
            waits_on[dependent].discard(urn)
            if not waits_on[dependent]:
                heapq.heappush(ready, dependent)
    if len(result) != len(by_urn):  # a cycle cannot come from the SDK; keep everything anyway
        placed = {r.urn for r in result}
        result.extend(by_urn[u] for u in sorted(by_urn) if u not in placed)
    return result


def _run_in_fresh_loop(program: Callable[[], Any]) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with batched_gc():
            loop.run_until_complete(run_in_stack(program))
    except BaseException as error:
        _not_reported_again(loop, error)
        where_raised = pulumi_compat.failed_rpc_traceback(error)
        if where_raised is not None:  # the program's own frames, not only the SDK's final wait
            raise error.with_traceback(where_raised)
        raise
    finally:
        with warnings.catch_warnings():
            # A program that failed leaves the SDK's coroutines unawaited: the failure is reported, not them.
            warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
            _cancel_leftover_tasks(loop)
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)


def _not_reported_again(loop: asyncio.AbstractEventLoop, error: BaseException) -> None:
    """The program's error reaches the caller; the SDK's futures that carry the same error are
    not logged again as "Future exception was never retrieved" when they are collected."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("exception") is not error:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


def _cancel_leftover_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """A program that raised leaves registrations pending (the engine would abort them): cancel
    them and let them unwind, instead of leaving them for the garbage collector to report."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not pending:
        return
    for task in pending:
        task.cancel()
    with contextlib.suppress(Exception):
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


@contextlib.contextmanager
def _inside_project(directory: Path) -> Iterator[None]:
    """cwd and sys.path as the language host sets them; modules the program brought are dropped
    afterwards unless they were importable before (another project's `stacks` must not leak)."""
    before = set(sys.modules)
    old_cwd = os.getcwd()
    root = str(directory)
    sys.path.insert(0, root)
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        with contextlib.suppress(ValueError):
            sys.path.remove(root)
        for name in set(sys.modules) - before:
            module = sys.modules.get(name)
            file = getattr(module, "__file__", None) or ""
            if file.startswith(root + os.sep) and not _importable_elsewhere(name.split(".")[0]):
                del sys.modules[name]


def _importable_elsewhere(top_level: str) -> bool:
    """True when the module resolves without the program directory on sys.path (installed)."""
    try:
        return importlib.util.find_spec(top_level) is not None
    except (ImportError, ValueError):
        return False
