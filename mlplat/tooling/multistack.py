"""Offline plans of layer stacks: one layer with the layers it references, or a whole environment.

A layer stack (`ml-platform:platform.layer` other than `all`, named `<environment>-<layer>`) reads
the layers below through `pulumi.StackReference`. Offline, each reference is answered by

- a recorded `pulumi stack output --json` of the referenced stack (`--stack-outputs NAME=FILE`):
  values shown as `[secret]` are the stack's secret outputs and reach the program as secrets;
- otherwise the offline plan of the referenced layer, planned first (its outputs, secret ones secret).

`plan_environment` plans every layer stack of an environment in dependency order, independent layers
in parallel processes, each as soon as the layers it references are planned and answered from their
outputs; every layer is reported, and the environment fails if any layer fails.
"""

from __future__ import annotations

import json
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from pydantic import ValidationError

from mlplat.core.errors import ConfigError, Problem
from mlplat.core.models import problems_from_validation
from mlplat.core.vocabulary import CONFIG_KEY, CONFIG_NAMESPACE, LAYER_ALL, LAYER_NAME, ML_SERVICES_LAYER
from mlplat.platform.config_layers import (
    LAYER_NAMES_TEXT,
    LayersConfig,
    layer_reference_problems,
    pipelines_layer,
    registry_layer,
)
from mlplat.platform.layers import layer_dependencies, layer_kind, layer_stack_name
from mlplat.platform.model_packages import ModelPackageSource

from .environment_cost import EnvironmentCost, LayerCost, environment_cost, layer_cost
from .offline import run_stack
from .plan import Plan
from .plan_workers import CliWorkers
from .stackfile import SECRET_PLACEHOLDER, ProjectFile, load_project, load_stack_config

BUDGET_RULE = "mlplat-cost-within-budget"  # MLP-COST-01's policy name
BUDGET_RULE_ID = "MLP-COST-01"

__all__ = [
    "BUDGET_RULE", "BUDGET_RULE_ID", "budget_rule_level", "EnvironmentReport", "LayerResult", "LayerStack",
    "StackOutputs", "dependency_levels", "environment_layers", "family_owners", "plan_in_dependency_order",
    "layer_stack", "load_stack_outputs", "outputs_of", "parse_stack_outputs_argument", "plan_environment",
    "plan_layer", "render_environment", "render_stack_outputs",
]


class StackOutputs(dict):
    """A stack's outputs (name -> value), with the names of the secret ones."""

    def __init__(self, values: Mapping[str, Any] = (), secret_names: Sequence[str] = ()) -> None:
        super().__init__(values)
        self.secret_names = frozenset(secret_names)


def load_stack_outputs(path: str | Path, label: str = "--stack-outputs") -> StackOutputs:
    """A recorded `pulumi stack output --json` (`[secret]` values: secret outputs, never decrypted here)."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError([Problem(label, "is not a file (record one with `pulumi stack output --json --stack NAME`)",
                                   str(path))])
    try:
        document = json.loads(file.read_text())
    except ValueError as exc:
        raise ConfigError([Problem(label, f"is not JSON ({exc})", str(path))]) from None
    if not isinstance(document, dict):
        raise ConfigError([Problem(label, "is not a JSON object of output name to value, as `pulumi stack output "
                                          "--json` prints it", str(path))])
    return StackOutputs(document, [name for name, value in document.items() if value == SECRET_PLACEHOLDER])


def outputs_of(plan: Plan) -> StackOutputs:
    """A plan's stack outputs; an output holding a secret anywhere is a secret output, as the engine reports it."""
    secret = {path.split(".", 1)[0].split("[", 1)[0] for path in plan.output_secret_paths}
    return StackOutputs(plan.outputs, sorted(name for name in secret if name in plan.outputs))


def render_stack_outputs(outputs: StackOutputs) -> str:
    """As `pulumi stack output --json` prints them: secret outputs as `[secret]`."""
    shown = {name: (SECRET_PLACEHOLDER if name in outputs.secret_names else value) for name, value in outputs.items()}
    return json.dumps(shown, indent=2, sort_keys=True, default=str) + "\n"


def parse_stack_outputs_argument(values: Sequence[str]) -> dict[str, StackOutputs]:
    """`--stack-outputs NAME=FILE` (repeatable) -> referenced stack name -> its outputs."""
    given: dict[str, StackOutputs] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ConfigError([Problem("--stack-outputs", "must be NAME=FILE (the referenced stack's name and its "
                                                          "`pulumi stack output --json`)", value)])
        given[name] = load_stack_outputs(path, f"--stack-outputs {name}")
    return given


# --- layer stacks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerStack:
    """A stack file that declares a layer: its stack, environment, layer and the stacks it references."""

    stack: str
    environment: str
    layer: str
    references: tuple[str, ...]  # the referenced stacks' names, as the program references them
    budget_usd: Optional[float] = None  # the layer's own budget (layers.budget_usd_per_month)
    families: tuple[str, ...] = ()  # an ml-services layer's model families (model_registry.families)

    @property
    def referenced_stacks(self) -> tuple[str, ...]:
        """The referenced stacks' own names (without an `<org>/<project>/` prefix)."""
        return tuple(name.rsplit("/", 1)[-1] for name in self.references)


def layer_stack(project: ProjectFile, stack: str) -> Optional[LayerStack]:
    """The layer the stack file declares, or None for a single stack (`layer: all`, or no platform config)."""
    config = load_stack_config(project, stack).values.get(f"{CONFIG_NAMESPACE}:{CONFIG_KEY}")
    if not isinstance(config, Mapping):
        return None
    layer = config.get("layer", LAYER_ALL)
    environment = config.get("environment")
    if layer == LAYER_ALL or not isinstance(layer, str) or not isinstance(environment, str):
        return None
    layers = config.get("layers") if isinstance(config.get("layers"), Mapping) else {}
    prefix = layers.get("stack_prefix", "") if isinstance(layers.get("stack_prefix", ""), str) else ""
    label = project.stack_file_label(stack)
    if not LAYER_NAME.fullmatch(layer):
        raise ConfigError([Problem("platform.layer", f"is not a layer: {LAYER_NAMES_TEXT}", layer)], label)
    # The ml-services layers it references (`layers.ml_services`, `layers.pipelines`), as the program reads them.
    try:
        settings = LayersConfig.model_validate({key: layers[key] for key in ("ml_services", "pipelines") if key in layers})
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, LayersConfig, "platform.layers"), label) from None
    problems = layer_reference_problems(layer, settings, config)
    if problems:
        raise ConfigError(problems, label)
    below = layer_dependencies(layer, ml_services=registry_layer(layer, settings),
                               pipelines=pipelines_layer(layer, settings))
    budget = layers.get("budget_usd_per_month")
    return LayerStack(stack, environment, layer, tuple(layer_stack_name(prefix, environment, b) for b in below),
                      float(budget) if isinstance(budget, (int, float)) and not isinstance(budget, bool) else None,
                      _families(config) if layer_kind(layer) == ML_SERVICES_LAYER else ())


def _families(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The family names of a stack file's `model_registry.families` (what the config's own checks validate)."""
    registry = config.get("model_registry")
    families = registry.get("families") if isinstance(registry, Mapping) else None
    if not isinstance(families, list):
        return ()
    return tuple(f["name"] for f in families if isinstance(f, Mapping) and isinstance(f.get("name"), str))


def family_owners(layers: Sequence[LayerStack]) -> list[Problem]:
    """A model family declared by two ml-services stacks of an environment (two registries would declare the same
    group and repositories): one problem per family, naming both stacks."""
    owners: dict[str, list[str]] = {}
    for layer in layers:
        for family in layer.families:
            owners.setdefault(family, []).append(layer.stack)
    return [Problem("platform.model_registry.families", f"is declared by {len(stacks)} ml-services stacks: "
                    f"{' and '.join(sorted(stacks))}; a family belongs to one of them (both would declare its group and "
                    "repositories, named after it): keep it in one stack file", family)
            for family, stacks in sorted(owners.items()) if len(stacks) > 1]


def environment_layers(project: ProjectFile, environment: str) -> list[LayerStack]:
    """The layer stacks of `environment`: the stack files `Pulumi.<environment>-*.yaml` that declare a layer."""
    folder = project.directory / project.stack_config_dir
    found = []
    for path in sorted(folder.glob(f"Pulumi.{environment}-*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        layer = layer_stack(project, stack)
        if layer is not None and layer.environment == environment:
            found.append(layer)
    return found


def dependency_levels(layers: Sequence[LayerStack]) -> list[list[LayerStack]]:
    """The layers in dependency order, grouped in levels whose layers reference only earlier levels.

    A referenced stack that is not among `layers` is a ConfigError naming the stack that references it."""
    by_stack = {layer.stack: layer for layer in layers}
    problems = [Problem(layer.stack, f"references {missing!r}, which is not a layer stack here (add "
                        f"Pulumi.{missing}.yaml with its layer)")
                for layer in layers for missing in layer.referenced_stacks if missing not in by_stack]
    if problems:
        raise ConfigError(problems)
    levels: list[list[LayerStack]] = []
    placed: set[str] = set()
    remaining = list(layers)
    while remaining:
        level = [layer for layer in remaining if set(layer.referenced_stacks) <= placed]
        if not level:  # two ml-services layers that name each other in layers.ml_services
            raise ConfigError([Problem(layer.stack, "references a stack that references it back") for layer in remaining])
        levels.append(level)
        placed |= {layer.stack for layer in level}
        remaining = [layer for layer in remaining if layer.stack not in placed]
    return levels


def plan_layer(program_dir: str | Path, stack: str, *, given: Optional[Mapping[str, Mapping[str, Any]]] = None,
               preview: bool = False, registry: Optional[str] = None,
               plans: Optional[dict[str, Plan]] = None,
               invoke_results: Optional[Mapping[str, Any]] = None,
               model_packages: Optional[ModelPackageSource] = None, _planning: tuple[str, ...] = ()) -> Plan:
    """Plan `stack` offline, its stack references answered from `given` (by referenced name or stack
    name) or else from the offline plans of the referenced layers (planned first, recorded in `plans`).
    References the program makes outside its layer config (a single stack's own) are answered from
    `given` alone. `model_packages` answers `latest-approved` for `stack` itself (e.g. the live registry).
    A reference back to a stack being planned (`_planning`, the chain so far: two ml-services layers that
    name each other) is a ConfigError naming the chain."""
    project = load_project(program_dir)
    given = dict(given or {})
    plans = plans if plans is not None else {}
    layer = layer_stack(project, stack)
    references: dict[str, StackOutputs] = {}
    if layer is not None:
        for name, own in zip(layer.references, layer.referenced_stacks):
            answer = given.get(name, given.get(own))
            if answer is None:
                if own not in plans:
                    if own in (*_planning, stack):  # two ml-services layers that name each other
                        raise ConfigError([Problem(stack, f"references {own}, which references it back "
                                                   f"({' -> '.join((*_planning, stack, own))})")])
                    if not project.stack_file(own).is_file():
                        raise ConfigError([Problem(f"{stack} -> {name}", f"has no stack file "
                                                   f"{project.stack_file_label(own)} to plan it from: pass "
                                                   f"--stack-outputs {own}=FILE (its `pulumi stack output --json`)")])
                    plans[own] = plan_layer(program_dir, own, given=given, preview=preview, plans=plans,
                                            invoke_results=invoke_results, _planning=(*_planning, stack))
                answer = outputs_of(plans[own])
            references[name] = answer
    for name, answer in given.items():
        references.setdefault(name, answer)
    return run_stack(program_dir, stack, preview=preview, registry=registry, stack_references=references,
                     invoke_results=invoke_results, model_packages=model_packages)


# --- a whole environment ------------------------------------------------------------------------------


@dataclass
class LayerResult:
    layer: LayerStack
    level: int
    exit_code: int
    seconds: float
    resources: int = 0
    contract_errors: int = 0
    mandatory: list[str] = field(default_factory=list)
    message: str = ""  # a configuration error's text, or the first lines of a failed run
    skipped_because: Optional[str] = None
    cost: Optional[LayerCost] = None

    @property
    def failed(self) -> bool:
        return self.exit_code != 0 or self.skipped_because is not None


@dataclass
class EnvironmentReport:
    environment: str
    results: list[LayerResult]
    seconds: float
    jobs: int
    cost: Optional[EnvironmentCost] = None
    budget_level: str = "advisory"  # MLP-COST-01's level in the environment; "disabled" without policies

    @property
    def failed(self) -> bool:
        budget_failed = bool(self.cost and self.cost.findings) and self.budget_level == "mandatory"
        return not self.results or any(r.failed for r in self.results) or budget_failed


def plan_environment(program_dir: str | Path, environment: str, *, jobs: int = 2, out_dir: Optional[str | Path] = None,
                     plan_arguments: Sequence[str] = (), budget_level: Optional[str] = None) -> EnvironmentReport:
    """Plan every layer stack of `environment` (dependency order; a level's layers in parallel processes).

    Each layer runs `mlplat plan --stack <layer> --format json` with `plan_arguments` (policy options),
    its references answered from the outputs of the levels before. Layers above a failed one are not
    planned (reported as skipped). `out_dir`: each layer's JSON plan and outputs are kept there.
    The layers' fixed monthly estimates are summed and compared with the environment's budgets and each
    layer's own (`mlplat.tooling.environment_cost`); a finding fails the environment when `budget_level`
    (default: MLP-COST-01's level in the environment) is mandatory."""
    project = load_project(program_dir)
    layers = environment_layers(project, environment)
    if not layers:
        raise ConfigError([Problem("--env", f"has no layer stacks: no {project.stack_config_dir or '.'}/Pulumi."
                                            f"{environment}-<layer>.yaml sets ml-platform:platform.layer", environment)])
    levels = dependency_levels(layers)
    duplicated = family_owners(layers)
    if duplicated:
        raise ConfigError(duplicated, f"environment {environment}")
    level_of = {layer.stack: index for index, level in enumerate(levels) for layer in level}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mlplat-env-") as scratch:
        folder = Path(out_dir) if out_dir else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        with CliWorkers(jobs) as workers:
            results = plan_in_dependency_order(
                layers, jobs,
                lambda layer: _plan_in_process(project, layer, level_of[layer.stack], folder, plan_arguments, workers),
                level_of)
    costs = [r.cost for r in sorted(results, key=lambda r: (r.level, r.layer.stack)) if r.cost is not None]
    return EnvironmentReport(environment, results, time.perf_counter() - started, jobs,
                             cost=environment_cost(costs, environment),
                             budget_level=budget_level or budget_rule_level(environment))


def plan_in_dependency_order(layers: Sequence[LayerStack], jobs: int, plan: Callable[[LayerStack], LayerResult],
                              level_of: Mapping[str, int]) -> list[LayerResult]:
    """Run `plan` for every layer in up to `jobs` workers, each as soon as the layers it references are planned
    (not when their whole level is: a serving stack starts when its ml-services stack is done). Among the ready
    layers, those more layers wait for start first. A layer above a failed one is skipped."""
    waiting_on = {layer.stack: set(layer.referenced_stacks) for layer in layers}
    dependents: dict[str, set[str]] = {layer.stack: set() for layer in layers}
    for layer in layers:
        for below in layer.referenced_stacks:
            dependents[below].add(layer.stack)

    def weight(stack: str) -> int:  # how many layers wait for this one, directly or not
        seen: set[str] = set()
        todo = [stack]
        while todo:
            for above in dependents[todo.pop()]:
                if above not in seen:
                    seen.add(above)
                    todo.append(above)
        return len(seen)

    priority = {layer.stack: (-weight(layer.stack), level_of[layer.stack], layer.stack) for layer in layers}
    by_stack = {layer.stack: layer for layer in layers}
    results: list[LayerResult] = []
    failed: set[str] = set()
    finished: set[str] = set()
    running: dict[Future[LayerResult], str] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        while len(finished) < len(layers):
            ready = sorted((s for s, below in waiting_on.items() if s not in finished and s not in running.values()
                            and below <= finished), key=priority.__getitem__)
            for stack in ready:
                blocked = sorted(waiting_on[stack] & failed)
                if blocked:
                    results.append(LayerResult(by_stack[stack], level_of[stack], exit_code=1, seconds=0.0,
                                               skipped_because=f"{', '.join(blocked)} failed"))
                    failed.add(stack)
                    finished.add(stack)
                elif len(running) < max(1, jobs):
                    running[pool.submit(plan, by_stack[stack])] = stack
            if not running:
                if not ready:  # dependency_levels refuses cycles and missing stacks: nothing can wait forever
                    raise RuntimeError(f"layers wait on nothing that runs: {sorted(set(waiting_on) - finished)}")
                continue  # only skips were decided: look for what they unblocked
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                stack = running.pop(future)
                result = future.result()
                results.append(result)
                finished.add(stack)
                if result.failed:
                    failed.add(stack)
    return results


def budget_rule_level(environment: str) -> str:
    """MLP-COST-01's enforcement level in `environment` (the pack's presets)."""
    from mlplat.policies.presets import levels  # the rules load only when an environment is planned

    return levels(environment).get(BUDGET_RULE, "advisory")


def _plan_in_process(project: ProjectFile, layer: LayerStack, level: int, folder: Path,
                     plan_arguments: Sequence[str], workers: CliWorkers) -> LayerResult:
    """One layer's plan in its own process (the SDK keeps a run's state in process globals)."""
    report = folder / f"{layer.stack}.json"
    outputs = folder / f"{layer.stack}.outputs.json"
    command = ["plan", "--stack", layer.stack, "--cwd", str(project.directory),
               "--format", "json", "--out", str(report), "--outputs-out", str(outputs), *plan_arguments]
    for name, own in zip(layer.references, layer.referenced_stacks):
        command += ["--stack-outputs", f"{name}={folder / f'{own}.outputs.json'}"]
    started = time.perf_counter()
    run = workers.run(command, folder / layer.stack)
    result = LayerResult(layer, level, run.exit_code, time.perf_counter() - started)
    if report.is_file():
        document = json.loads(report.read_text())
        result.resources = len(document.get("steps", []))
        result.contract_errors = len(document.get("contractErrors", []))
        result.mandatory = [f"{v.get('ruleId')}: {v.get('message')}" for v in document.get("policyViolations", [])
                            if v.get("enforcementLevel") == "mandatory"]
        result.cost = layer_cost(layer.stack, document, layer.budget_usd)
    if run.exit_code != 0 and not report.is_file():
        result.message = (run.stderr.strip() or run.stdout.strip())[-2000:]
    return result


def render_environment(report: EnvironmentReport) -> str:
    """Each layer (level, resources, contract errors, mandatory violations, time), then the whole."""
    lines = [f"Environment {report.environment}: {len(report.results)} layer stacks, planned in dependency order "
             f"(independent layers in up to {report.jobs} parallel processes)", ""]
    for result in sorted(report.results, key=lambda r: (r.level, r.layer.stack)):
        if result.skipped_because:
            lines.append(f"  [{result.level}] {result.layer.stack}: not planned ({result.skipped_because})")
            continue
        status = "ok" if not result.failed else "FAILED"
        lines.append(f"  [{result.level}] {result.layer.stack} ({layer_kind(result.layer.layer)}): {status}, "
                     f"{result.resources} resources, {result.contract_errors} contract errors, "
                     f"{len(result.mandatory)} mandatory violations, {result.seconds:.1f}s{_cost_of(result.cost)}")
        lines += [f"      {line}" for line in result.mandatory]
        if result.message:
            lines += [f"      {line}" for line in result.message.splitlines()]
    total = sum(r.resources for r in report.results)
    errors = sum(r.contract_errors for r in report.results)
    mandatory = sum(len(r.mandatory) for r in report.results)
    failed = [r.layer.stack for r in report.results if r.failed]
    if report.cost is not None and report.cost.findings and report.budget_level == "mandatory":
        failed.append(BUDGET_RULE_ID)
    lines += ["", f"Whole environment: {total} resources, {errors} contract errors, {mandatory} mandatory violations, "
                  f"{report.seconds:.1f}s wall clock: " + (f"FAILED ({', '.join(failed)})" if failed else "passes")]
    if report.cost is not None:
        lines += _render_cost(report.cost, report.budget_level)
    return "\n".join(lines) + "\n"


def _cost_of(cost: Optional[LayerCost]) -> str:
    if cost is None or cost.fixed_monthly_usd is None:
        return ""
    own = f" (budget ${cost.budget_usd:,.2f})" if cost.budget_usd is not None else ""
    return f", ${cost.fixed_monthly_usd:,.2f}/month fixed{own}"


def _render_cost(cost: EnvironmentCost, level: str) -> list[str]:
    """The environment's cost against its budgets (MLP-COST-01 across the layers)."""
    budget = cost.environment_budget_usd
    against = (f" against the environment's budget ${budget:,.2f}" if budget is not None
               else " (no environment budget: the foundation declares none)")
    lines = [f"Cost: ${cost.fixed_monthly_usd:,.2f}/month fixed over {len(cost.layers)} layers (up to "
             f"${cost.up_to_monthly_usd:,.2f} with every pool at its limit){against}"]
    for team, usd in sorted(cost.by_team.items()):
        lines.append(f"  team {team}: ${usd:,.2f}/month fixed")
    shown = "disabled" if level == "disabled" else level
    for finding in cost.findings:
        lines.append(f"  {BUDGET_RULE_ID} ({shown}): {finding.message}")
    if not cost.findings and budget is not None:
        lines.append(f"  {BUDGET_RULE_ID}: within the environment's, the teams' and the layers' budgets")
    return lines
