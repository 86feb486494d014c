"""Scale: generated, PlatformConfig-driven platforms of N units, planned whole, timed and weighed.

A generated program does what `stacks/platform.py` does (reads a generated `PlatformConfig` from
stack config, registers the stack-wide tag transform, builds `MLPlatform`) and then declares N
*units* under distinct names. A unit is one model family's worth of infrastructure, built by the
*unit families* listed in `FAMILIES` and run in `DEFAULT_FAMILIES` order:

- `model` (default, a config family): one model family in the generated platform configuration,
  as a stack file declares it, so that MLPlatform builds it: a serving endpoint (model package,
  autoscaling, alarms, dashboard, data capture), its drift loop, a feature group and a registry
  entry (about 47 resources per unit);
- `access` (opt in, a component family): a role and its read / read-write / write grants on the
  platform's ArtifactStore (4 resources);
- `storage` (opt in): the family's own Encryption and ArtifactStore, with the role's grants on
  them (about 40 more resources per unit).

A config family (`@config_family`) adds to the generated stack config before the program runs; a
component family (`@family`) declares components after MLPlatform exists:

    @family("endpoint", "...")
    def endpoint_unit(unit: Unit) -> None:
        role = unit.shared["role"]              # what earlier families of the same unit left
        ServingEndpoint(unit.child("endpoint"), ServingEndpointArgs(..., network=unit.platform.network))

then name it with `--families` or in `DEFAULT_FAMILIES`. Keep units independent of each other,
so that N units declare N times one unit's resources.

Per N the whole plan (program, contract checks, policies when the pack runner exists) is timed
against the bare SDK replaying the same resources, interleaved. The growth exponent is fitted on
log(whole plan time) against log(declared resources): the shared platform is part of every
plan, so fitting against N would bias the exponent low. Peak memory comes from a fresh subprocess
per N and side (`python -m bench.scale --child ...`): the tracemalloc peak of one run after a
warm-up on a one-unit platform, so each figure starts from clean memory (resident-set deltas were
tried first: allocator reuse and lazily imported modules swamp them at these sizes).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tracemalloc
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from . import (
    REPO_ROOT,
    TARGET_GROWTH_EXPONENT,
    Phase,
    fit_power_law,
    interleave,
    median,
    plan_phases,
    ratio_summary,
    run_phases,
    share,
    target,
)
from .overhead import ReplaySpec, run_bare

FULL_SIZES: tuple[int, ...] = (10, 50, 200)
QUICK_SIZES: tuple[int, ...] = (2, 5, 10)
PROJECT = "ml-platform"
STACK = "bench"
REGION = "us-east-1"


# --- units and their families --------------------------------------------------------------------


@dataclass
class Unit:
    """One unit of a generated platform: its index, the platform's config and MLPlatform, and a
    scratch space the families of one unit share (`shared["role"]` is the unit's IAM role)."""

    index: int
    config: Any  # components.PlatformConfig
    platform: Any  # components.MLPlatform, shared by every unit
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.name_of(self.index)

    @staticmethod
    def name_of(index: int) -> str:
        return f"u{index:04d}"

    def child(self, suffix: str) -> str:
        return f"{self.name}-{suffix}"


@dataclass(frozen=True)
class UnitFamily:
    """Either adds to the generated stack config for a unit (`configure`: the unit's name and
    the config being generated, before the program runs) or declares components after
    MLPlatform (`build`)."""

    name: str
    description: str
    build: Optional[Callable[[Unit], None]] = None
    configure: Optional[Callable[[str, dict[str, Any]], None]] = None


FAMILIES: dict[str, UnitFamily] = {}
DEFAULT_FAMILIES: tuple[str, ...] = ("model",)


def family(name: str, description: str) -> Callable[[Callable[[Unit], None]], Callable[[Unit], None]]:
    """Register a unit family that declares components (see the module docstring)."""

    def register(build: Callable[[Unit], None]) -> Callable[[Unit], None]:
        FAMILIES[name] = UnitFamily(name, description, build=build)
        return build

    return register


def config_family(name: str, description: str) -> Callable[[Callable[[str, dict[str, Any]], None]], Callable[[str, dict[str, Any]], None]]:
    """Register a unit family that adds to the generated platform configuration."""

    def register(configure: Callable[[str, dict[str, Any]], None]) -> Callable[[str, dict[str, Any]], None]:
        FAMILIES[name] = UnitFamily(name, description, configure=configure)
        return configure

    return register


@config_family(
    "model",
    "one model family in the platform configuration, as a stack file declares it: a serving endpoint "
    "(model package, autoscaling, alarms, data capture) with its drift loop (Model Monitor schedule, drift "
    "alarm, retraining trigger), a feature group (online + offline store) and a model package group with its "
    "image repository in the registry",
)
def model_config(unit: str, config: dict[str, Any]) -> None:
    account, region = "123456789012", REGION
    config.setdefault("serving", {}).setdefault("endpoints", []).append({
        "name": unit,
        "model_family": unit,
        "model_package": f"arn:aws:sagemaker:{region}:{account}:model-package/mlplat-dev-{unit}/1",
        "autoscaling": {"min_capacity": 1, "max_capacity": 2, "target_invocations_per_instance": 100},
    })
    config.setdefault("monitoring", {}).setdefault("drift", {})[unit] = {
        "baseline_prefix": f"{unit}/baseline/",
        "features": ["tenure", "monthly_charges"],
        "retraining_pipeline_arn": f"arn:aws:sagemaker:{region}:{account}:pipeline/mlplat-dev-{unit}-retrain",
    }
    config.setdefault("feature_store", {}).setdefault("groups", []).append({
        "name": f"{unit}-features",
        "record_identifier": "entity_id",
        "event_time": "event_time",
        "owner": "ml-team@example.com",
        "data_classification": "internal",
        "pii": False,
        "features": [
            {"name": "entity_id", "type": "String"},
            {"name": "event_time", "type": "Fractional"},
            {"name": "tenure", "type": "Integral"},
            {"name": "monthly_charges", "type": "Fractional"},
        ],
    })
    config.setdefault("model_registry", {}).setdefault("families", []).append({"name": unit})


def _role(unit: Unit) -> Any:
    """The unit's IAM role (SageMaker trust, confused-deputy guarded), created once per unit."""
    if "role" not in unit.shared:
        import pulumi_aws as aws

        from mlplat.components import _iam

        unit.shared["role"] = aws.iam.Role(
            unit.child("role"),
            assume_role_policy=_iam.to_json(
                _iam.assume_role_policy("sagemaker.amazonaws.com", source_account=_iam.caller_account_id())
            ),
        )
    return unit.shared["role"]


@family(
    "access",
    "the family's IAM role and its grants on the platform's ArtifactStore: read on models/<unit>/, "
    "read-write on datasets/<unit>/, write on captures/<unit>/ (4 resources)",
)
def access_unit(unit: Unit) -> None:
    role = _role(unit)
    store = unit.platform.artifacts
    prefix = f"{unit.name}/"
    store.grant_read(role, bucket="models", prefix=prefix)
    store.grant_read_write(role, bucket="datasets", prefix=prefix)
    store.grant_write(role, bucket="captures", prefix=prefix)


@family(
    "storage",
    "the family's own Encryption (data/models/logs keys + aliases) and ArtifactStore (4 governed "
    "buckets), read on its models and read-write on its datasets for the family's role (~40 resources)",
)
def storage_unit(unit: Unit) -> None:
    from mlplat.core.naming import bucket_prefix
    from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
    from mlplat.components.encryption import Encryption, EncryptionArgs

    config = unit.config
    project, env = config.tags.project, config.environment
    store_name = unit.child("artifacts")
    prefix = bucket_prefix(project, env, unit.name)
    encryption = Encryption(
        unit.child("encryption"),
        EncryptionArgs(
            deletion_window_days=config.encryption.deletion_window_days,
            alias_prefix=f"alias/{project}-{env}-{unit.name}",
            s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes(store_name, prefix),
            protect=config.deletion_protection,
        ),
    )
    store_config = config.artifact_store
    store = ArtifactStore(
        store_name,
        ArtifactStoreArgs(
            encryption=encryption,
            bucket_name_prefix=prefix,
            object_lock=store_config.object_lock,
            object_lock_retention_days=store_config.object_lock_retention_days,
            force_destroy=store_config.force_destroy,
            protect=config.deletion_protection,
            noncurrent_version_transition_days=store_config.noncurrent_version_transition_days,
            noncurrent_version_expiration_days=store_config.noncurrent_version_expiration_days,
            abort_incomplete_multipart_upload_days=store_config.abort_incomplete_multipart_upload_days,
            access_log_expiration_days=store_config.access_log_expiration_days,
        ),
    )
    role = _role(unit)
    store.grant_read(role, bucket="models")
    store.grant_read_write(role, bucket="datasets")
    unit.shared["storage"] = store


# --- the generated program -------------------------------------------------------------------------


def generated_config(environment: str = "dev", units: int = 0, families: Sequence[str] = ()) -> dict[str, Any]:
    """A stack file's `ml-platform:platform` value with `units` units of the config families
    among `families`; environment defaults fill in the rest."""
    config: dict[str, Any] = {
        "environment": environment,
        "region": REGION,
        "tags": {
            "owner": "ml-platform@example.com",
            "cost_center": "ml-platform",
            "project": "mlplat",
            "data_classification": "internal",
        },
    }
    for index in range(units):
        for name in families:
            configure = FAMILIES[name].configure
            if configure is not None:
                configure(Unit.name_of(index), config)
    return config


def scale_program(units: int, families: Sequence[str] = DEFAULT_FAMILIES) -> Callable[[], None]:
    """The program of a generated platform: config -> tags -> MLPlatform -> `units` units."""
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown unit families {unknown} (known: {', '.join(FAMILIES)})")

    def program() -> None:
        import pulumi

        from mlplat.platform import parse_platform_config
        from mlplat.platform.config import CONFIG_KEY, CONFIG_NAMESPACE
        from stacks.platform import declare_platform  # as the reference stacks compose it

        raw = pulumi.Config(CONFIG_NAMESPACE).get_object(CONFIG_KEY)
        config = parse_platform_config(raw, source="bench (generated)", aws_region=pulumi.Config("aws").get("region"))
        platform = declare_platform(config)
        for index in range(units):
            unit = Unit(index, config, platform)
            for name in families:
                build = FAMILIES[name].build
                if build is not None:
                    build(unit)
        pulumi.export("units", units)
        pulumi.export("bucket_names", platform.artifacts.bucket_names)

    return program


def plan_units(units: int, families: Sequence[str] = DEFAULT_FAMILIES, environment: str = "dev") -> Any:
    """The program part of the plan of a generated platform (a `mlplat.plan.Plan`)."""
    from mlplat.platform.config import CONFIG_KEY, CONFIG_NAMESPACE
    from mlplat.tooling.offline import run_callable

    return run_callable(
        scale_program(units, families),
        project=PROJECT,
        stack=STACK,
        region=REGION,
        config={f"{CONFIG_NAMESPACE}:{CONFIG_KEY}": generated_config(environment, units, families)},
    )


def whole_plan(units: int, families: Sequence[str], phases: Sequence[Phase]) -> Callable[[], dict[str, float]]:
    def run() -> dict[str, float]:
        start = time.perf_counter()
        plan = plan_units(units, families)
        program = time.perf_counter() - start
        return {"program": program, **run_phases(plan, phases)}

    return run


# --- measuring -------------------------------------------------------------------------------------


def measure(
    sizes: Sequence[int] = FULL_SIZES,
    *,
    runs: int = 5,
    families: Sequence[str] = DEFAULT_FAMILIES,
    phases: Optional[Sequence[Phase]] = None,
    memory: bool = True,
    memory_sizes: Optional[Sequence[int]] = None,
) -> dict[str, Any]:
    """Time every size; weigh memory at `memory_sizes` (default: every size) unless `memory` is off."""
    phases = list(plan_phases() if phases is None else phases)
    families = tuple(families)
    sizes = sorted(set(sizes))
    # Warm-up: imports, caches and the SDK's first-run paths, on the smallest size.
    warm_plan = plan_units(sizes[0], families)
    run_phases(warm_plan, phases)
    run_bare(ReplaySpec.from_plan(warm_plan))
    del warm_plan
    warm = ReplaySpec.from_plan(plan_units(1, families)) if memory else None

    weigh = set(sizes if memory_sizes is None else memory_sizes) if memory else set()
    points = [_measure_size(units, runs, families, phases, units in weigh, warm) for units in sizes]
    resources = [p["resources"] for p in points]
    units = [p["units"] for p in points]

    def fit(x: Sequence[int], key: Callable[[dict[str, Any]], Optional[float]]) -> dict[str, Any]:
        return fit_power_law(x, [key(p) or 0.0 for p in points])

    growth = fit(resources, lambda p: p["ms"]["whole_plan"]["median"])
    return {
        "description": "generated PlatformConfig-driven platforms (MLPlatform + N units); whole plan "
        "(program + contracts + policies) against the bare SDK replaying the same resources",
        "families": {name: FAMILIES[name].description for name in families},
        "runs": runs,
        "phases": [p.name for p in phases],
        "sizes": units,
        "points": points,
        "growth": {
            "fitted_against": "declared resources (log-log least squares over the sizes)",
            "whole_plan": growth,
            "whole_plan_against_units": fit(units, lambda p: p["ms"]["whole_plan"]["median"]),
            "program": fit(resources, lambda p: p["ms"]["program"]["median"]),
            "bare_sdk": fit(resources, lambda p: p["ms"]["bare_sdk"]["median"]),
            "whole_plan_without_gc": fit(resources, lambda p: p["ms"]["whole_plan_without_gc"]),
            "bare_sdk_without_gc": fit(resources, lambda p: p["ms"]["bare_sdk_without_gc"]),
            **{f"phase_{ph.name}": fit(resources, lambda p, n=ph.name: p["ms"]["phases"][n]["median"]) for ph in phases},
        },
        "target": target("growth exponent of the whole plan", growth["exponent"], TARGET_GROWTH_EXPONENT),
    }


def _measure_size(
    units: int, runs: int, families: Sequence[str], phases: Sequence[Phase], memory: bool, warm: Optional[ReplaySpec]
) -> dict[str, Any]:
    plan = plan_units(units, families)
    spec = ReplaySpec.from_plan(plan)
    del plan
    samples = interleave({"mlplat": whole_plan(units, families, phases), "bare": lambda: run_bare(spec)}, runs)
    count = len(spec)
    whole, bare = samples["mlplat"], samples["bare"]
    point: dict[str, Any] = {
        "units": units,
        "resources": count,
        "ms": {
            "whole_plan": whole.summary(1000),
            "program": samples["mlplat.program"].summary(1000),
            "phases": {p.name: samples[f"mlplat.{p.name}"].summary(1000) for p in phases},
            "bare_sdk": bare.summary(1000),
            # Medians of (run time - its garbage collection time): the growth the collector adds.
            "whole_plan_without_gc": _median_ms([t - g for t, g in zip(whole.values, samples["mlplat.gc"].values)]),
            "bare_sdk_without_gc": _median_ms([t - g for t, g in zip(bare.values, samples["bare.gc"].values)]),
        },
        "ms_per_resource": {
            "whole_plan": _per(whole.median * 1000, count),
            "program": _per(samples["mlplat.program"].median * 1000, count),
            "bare_sdk": _per(bare.median * 1000, count),
        },
        "gc_share": {
            "whole_plan": share(samples["mlplat.gc"].values, whole.values),
            "bare_sdk": share(samples["bare.gc"].values, bare.values),
        },
        "program_over_bare": ratio_summary(samples["mlplat.program"].values, bare.values),
        "samples_seconds": {name: s.values for name, s in samples.items()},
    }
    if memory:
        point["memory"] = measure_memory(units, families, spec, warm)
    return point


def _median_ms(values: Sequence[float]) -> Optional[float]:
    return round(median(values) * 1000, 4) if values else None


def _per(value: float, count: int) -> Optional[float]:
    return round(value / count, 4) if count else None


# --- memory, in a clean subprocess per N and side --------------------------------------------------


def measure_memory(units: int, families: Sequence[str], spec: ReplaySpec, warm: Optional[ReplaySpec] = None) -> dict[str, Any]:
    """Resident set growth of one whole plan (mlplat) and one replay (bare), each in a fresh
    subprocess warmed up on a one-unit platform (`warm`, the replay of `plan_units(1)`)."""
    warm = warm or ReplaySpec.from_plan(plan_units(1, families))
    with tempfile.TemporaryDirectory(prefix="mlplat-bench-") as tmp:
        spec_file, warm_file = Path(tmp) / "spec.json", Path(tmp) / "warm.json"
        spec_file.write_text(json.dumps(spec.to_json()))
        warm_file.write_text(json.dumps(warm.to_json()))
        mlplat = _child(["--child", "mlplat", "--units", str(units), "--families", ",".join(families)])
        bare = _child(["--child", "bare", "--spec", str(spec_file), "--warm", str(warm_file)])
    result: dict[str, Any] = {
        "method": "tracemalloc peak of one run in a fresh subprocess warmed up on a one-unit platform "
        "(Python heap; memory C extensions allocate themselves, e.g. protobuf's arenas, is not traced)"
    }
    result["mlplat"] = mlplat
    result["bare_sdk"] = bare
    if "error" not in mlplat and "error" not in bare:
        result["kb_per_resource"] = {
            "program": _per(mlplat["program_kb"], mlplat["resources"]),
            "whole_plan": _per(mlplat["whole_plan_kb"], mlplat["resources"]),
            "bare_sdk": _per(bare["program_kb"], bare["resources"]),
        }
        result["program_over_bare"] = (
            round(mlplat["program_kb"] / bare["program_kb"], 4) if bare["program_kb"] > 0 else None
        )
    return result


def _child(args: list[str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.scale", *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out: {' '.join(command)}"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-2000:]}"}
    return json.loads(lines[-1])


def _child_main(args: argparse.Namespace) -> dict[str, Any]:
    """One measured run under tracemalloc after a one-unit warm-up; peaks of the Python heap."""
    if args.child == "mlplat":
        phases = plan_phases()
        families = tuple(f for f in args.families.split(",") if f)
        run_phases(plan_units(1, families), phases)  # warm-up: imports, caches, first-run paths
        gc.collect()
        tracemalloc.start()
        start = time.perf_counter()
        plan = plan_units(args.units, families)
        seconds = time.perf_counter() - start
        program_peak = tracemalloc.get_traced_memory()[1]
        run_phases(plan, phases)
        whole_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {
            "resources": len(plan),
            "program_kb": program_peak // 1024,
            "whole_plan_kb": whole_peak // 1024,
            "traced_seconds": round(seconds, 4),
        }
    spec = ReplaySpec.from_json(json.loads(Path(args.spec).read_text()))
    run_bare(ReplaySpec.from_json(json.loads(Path(args.warm).read_text())))  # warm-up: a one-unit platform
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    monitor = run_bare(spec)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"resources": len(monitor.resources), "program_kb": peak // 1024, "traced_seconds": round(seconds, 4)}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description="memory child of the scale bench")
    parser.add_argument("--child", choices=("mlplat", "bare"), required=True)
    parser.add_argument("--units", type=int, default=1)
    parser.add_argument("--families", default=",".join(DEFAULT_FAMILIES))
    parser.add_argument("--spec", help="replay spec JSON (bare child)")
    parser.add_argument("--warm", help="replay spec JSON of a one-unit platform to warm up on (bare child)")
    args = parser.parse_args(argv)
    print(json.dumps(_child_main(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
