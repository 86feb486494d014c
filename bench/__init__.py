"""mlplat benchmarks: shared measurement machinery (see README.md beside this file).

Every figure is a ratio against a baseline measured in the same run, from the median of several
runs with min and max, because machines (CI runners, laptops on battery) are noisy. Timings are
measured here and never asserted in tests; `tests/bench` checks only the shape of the results.

- `Samples`: wall-clock samples of one measure, summarised as median / min / max;
- `interleave`: runs measures alternately, reversing the order every round (AB BA AB ...), so a
  slow drift of the machine cancels out instead of favouring whoever runs first; each run starts
  after a full garbage collection, and `GcClock` records the time the collector takes during it;
- `plan_phases`: what `mlplat plan` does after the program (contract checks, then the policy
  pack once `mlplat.policy_runner.evaluate(plan)` exists), timed phase by phase;
- `profile`: cProfile of a call on every thread it uses (the SDK runs monitor calls in a thread
  pool, which a plain cProfile of the main thread never sees);
- `machine`: what the numbers were measured on.
"""

from __future__ import annotations

import contextlib
import cProfile
import datetime as _dt
import gc
import importlib
import importlib.metadata
import importlib.util
import io
import math
import os
import platform
import pstats
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_STACKS: tuple[str, ...] = ("dev", "staging", "prod")
PACKAGES: tuple[str, ...] = ("pulumi", "pulumi-aws", "pulumi-policy", "pydantic", "botocore")

# Targets (issue "Benchmarks: plan overhead, scale and policy cost").
TARGET_OVERHEAD_RATIO = 1.15  # mlplat program / bare SDK replay of the same resources
TARGET_GROWTH_EXPONENT = 1.1  # whole plan time ~ N^k over generated platforms of N units
TARGET_POLICY_SHARE = 0.10  # policy evaluation / whole plan time
TARGET_COST_SHARE = 0.02  # the cost estimate / whole plan time

POLICY_RUNNER_MODULE = "mlplat.tooling.policy_runner"
POLICY_RUNNER_FUNCTION = "evaluate"


# --- samples and statistics ------------------------------------------------------------------


@dataclass
class Samples:
    """Wall-clock seconds of repeated runs of one measure."""

    values: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.values.append(seconds)

    @property
    def median(self) -> float:
        return median(self.values)

    def summary(self, scale: float = 1.0) -> dict[str, Any]:
        """{"median", "min", "max", "runs"} (values multiplied by `scale`, e.g. 1000 for ms)."""
        return summary(self.values, scale)


def median(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def summary(values: Sequence[float], scale: float = 1.0) -> dict[str, Any]:
    if not values:
        return {"median": None, "min": None, "max": None, "runs": 0}
    return {
        "median": _round(median(values) * scale),
        "min": _round(min(values) * scale),
        "max": _round(max(values) * scale),
        "runs": len(values),
    }


def ratio_summary(numerator: Sequence[float], denominator: Sequence[float]) -> dict[str, Any]:
    """Ratio of medians, plus median / min / max of the per-round ratios (rounds are paired)."""
    paired = [a / b for a, b in zip(numerator, denominator) if b > 0]
    value = median(numerator) / median(denominator) if numerator and denominator and median(denominator) > 0 else None
    per_round = summary(paired)
    return {
        "value": _round(value),
        "per_round_median": per_round["median"],
        "per_round_min": per_round["min"],
        "per_round_max": per_round["max"],
        "rounds": per_round["runs"],
    }


def _round(value: Optional[float], digits: int = 4) -> Optional[float]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(value, digits)


def fit_power_law(xs: Sequence[float], ys: Sequence[float]) -> dict[str, Any]:
    """Least squares on log-log: y ~ c * x^k. Returns k (the growth exponent), c and R^2."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(points) < 2 or len({p[0] for p in points}) < 2:
        return {"exponent": None, "coefficient": None, "r_squared": None, "points": len(points)}
    n = len(points)
    mean_x = sum(p[0] for p in points) / n
    mean_y = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mean_x) ** 2 for p in points)
    sxy = sum((p[0] - mean_x) * (p[1] - mean_y) for p in points)
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    ss_tot = sum((p[1] - mean_y) ** 2 for p in points)
    ss_res = sum((p[1] - (intercept + slope * p[0])) ** 2 for p in points)
    r_squared = 1 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return {"exponent": _round(slope), "coefficient": _round(math.exp(intercept), 8), "r_squared": _round(r_squared), "points": n}


def target(name: str, value: Optional[float], limit: float, *, unit: str = "") -> dict[str, Any]:
    """A target `value <= limit`; `met` is None when the value could not be measured."""
    return {
        "name": name,
        "value": _round(value),
        "limit": limit,
        "comparison": "<=",
        "unit": unit,
        "met": None if value is None else bool(value <= limit),
    }


# --- running measures --------------------------------------------------------------------------


class GcClock:
    """Seconds the cyclic garbage collector spends while a measure runs (all threads)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._started: Optional[float] = None

    def __call__(self, phase: str, info: Mapping[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None
            generation = info.get("generation", 0)
            if 0 <= generation < len(self.collections):
                self.collections[generation] += 1

    @contextlib.contextmanager
    def running(self) -> Iterator["GcClock"]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, of which garbage collection, result). Garbage is collected first, so a run
    does not pay for the previous one's; the collector stays on during the run, as for users."""
    gc.collect()
    with GcClock().running() as clock:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return seconds, clock.seconds, result


def interleave(measures: Mapping[str, Callable[[], Any]], runs: int) -> dict[str, Samples]:
    """Run every measure `runs` times, alternating, the order reversed every round.

    Samples: `<measure>` (wall time), `<measure>.gc` (of which garbage collection) and, when a
    measure returns a mapping of phase durations ({"program": 0.2, "contracts": 0.01}),
    `<measure>.<phase>`.
    """
    names = list(measures)
    samples: dict[str, Samples] = {}
    for name in names:
        samples[name] = Samples()
        samples[f"{name}.gc"] = Samples()
    for round_ in range(runs):
        order = names if round_ % 2 == 0 else list(reversed(names))
        for name in order:
            seconds, gc_seconds, result = timed(measures[name])
            samples[name].add(seconds)
            samples[f"{name}.gc"].add(gc_seconds)
            if isinstance(result, Mapping):
                for phase, value in result.items():
                    samples.setdefault(f"{name}.{phase}", Samples()).add(float(value))
    return samples


def share(part: Sequence[float], whole: Sequence[float]) -> Optional[float]:
    """median(part) / median(whole): the share of a phase in a measure."""
    if not part or not whole or median(whole) <= 0:
        return None
    return _round(median(part) / median(whole))


# --- what `mlplat plan` does after the program --------------------------------------------------


@dataclass(frozen=True)
class Phase:
    """One step `mlplat plan` runs over a Plan once the program has finished."""

    name: str
    run: Callable[[Any], Any]


@dataclass(frozen=True)
class PolicyRunnerStatus:
    available: bool
    detail: str
    evaluate: Optional[Callable[[Any], Any]] = None

    def to_json(self) -> dict[str, Any]:
        return {"available": self.available, "detail": self.detail}


def policy_runner() -> PolicyRunnerStatus:
    """`mlplat.policy_runner.evaluate(plan)` if it exists, or why it cannot be measured yet."""
    try:
        spec = importlib.util.find_spec(POLICY_RUNNER_MODULE)
    except (ImportError, ValueError) as exc:
        return PolicyRunnerStatus(False, f"not available: {exc}")
    if spec is None:
        return PolicyRunnerStatus(False, f"not available: {POLICY_RUNNER_MODULE} does not exist yet")
    try:
        module = importlib.import_module(POLICY_RUNNER_MODULE)
    except Exception as exc:  # a runner in progress must not break the other measures
        return PolicyRunnerStatus(False, f"not available: importing {POLICY_RUNNER_MODULE} failed: {type(exc).__name__}: {exc}")
    evaluate = getattr(module, POLICY_RUNNER_FUNCTION, None)
    if not callable(evaluate):
        return PolicyRunnerStatus(False, f"not available: {POLICY_RUNNER_MODULE} has no {POLICY_RUNNER_FUNCTION}(plan)")
    return PolicyRunnerStatus(True, f"{POLICY_RUNNER_MODULE}.{POLICY_RUNNER_FUNCTION}(plan)", evaluate)


def plan_phases(status: Optional[PolicyRunnerStatus] = None) -> list[Phase]:
    """The phases after the program, as `mlplat plan` runs them: contracts, policies if available, the cost estimate."""
    from mlplat.tooling.contracts import check_plan

    phases = [Phase("contracts", check_plan)]
    status = status or policy_runner()
    if status.available and status.evaluate is not None:
        phases.append(Phase("policies", status.evaluate))
    phases.append(Phase("cost", estimate_plan_cost))
    return phases


def estimate_plan_cost(plan: Any) -> Any:
    """What `mlplat plan` adds for the cost: the estimate with the vendored table, and its report lines."""
    from datetime import date

    from mlplat.core.prices import load_price_table
    from mlplat.tooling.cost_report import plan_cost

    cost = plan_cost(plan, load_price_table(), date.today())
    if cost is not None:
        cost.to_json(), cost.lines_text()
    return cost


def run_phases(plan: Any, phases: Sequence[Phase]) -> dict[str, float]:
    """Seconds each phase took over `plan`."""
    durations: dict[str, float] = {}
    for phase in phases:
        start = time.perf_counter()
        phase.run(plan)
        durations[phase.name] = time.perf_counter() - start
    return durations


# --- profiling -----------------------------------------------------------------------------------


def profile(fn: Callable[[], Any], *, top: int = 25) -> dict[str, Any]:
    """cProfile `fn` on the calling thread and on every thread started while it runs.

    Returns the top functions by cumulative and by own time (seconds, all threads merged), and own
    time grouped by where the code lives (mlplat, components, pulumi SDK, pulumi_aws, asyncio, ...).
    """
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_thread_profile(*_: Any) -> None:
        thread_profile = cProfile.Profile()
        with lock:
            profiles.append(thread_profile)
        sys.setprofile(None)  # this thread's hook has done its job; the profiler takes over
        thread_profile.enable()

    main = cProfile.Profile()
    threading.setprofile(start_thread_profile)
    main.enable()
    try:
        fn()
    finally:
        main.disable()
        threading.setprofile(None)
        with lock:
            for thread_profile in profiles:
                with contextlib.suppress(Exception):
                    thread_profile.disable()
    stats = pstats.Stats(main, stream=io.StringIO())
    for thread_profile in profiles:
        with contextlib.suppress(TypeError):  # a thread that never ran code has no stats
            stats.add(thread_profile)
    return {
        "threads_profiled": 1 + len(profiles),
        "total_seconds": _round(getattr(stats, "total_tt", 0.0)),
        "top_cumulative": _top(stats, "cumulative", top),
        "top_own": _top(stats, "tottime", top),
        "own_by_area": _by_area(stats),
    }


def _top(stats: pstats.Stats, key: str, count: int) -> list[dict[str, Any]]:
    rows = []
    for (filename, line, function), (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if _area(filename, function).startswith("waiting") or _is_thread_plumbing(filename, function):
            continue  # idle time of pool threads is not cost
        rows.append({"function": f"{_short(filename)}:{line}({function})", "calls": nc, "own": tt, "cumulative": ct})
    index = "cumulative" if key == "cumulative" else "own"
    rows.sort(key=lambda r: r[index], reverse=True)
    return [{**r, "own": _round(r["own"]), "cumulative": _round(r["cumulative"])} for r in rows[:count]]


AREAS: tuple[tuple[str, str], ...] = (
    ("/mlplat/", "mlplat (offline runner, fakes, contracts)"),
    ("/components/", "components (mlplat library)"),
    ("/stacks/", "stacks"),
    ("/bench/", "bench (replay program)"),
    ("/pulumi_aws/", "pulumi_aws (typed resource classes)"),
    ("/pulumi/", "pulumi SDK"),
    ("/google/protobuf/", "protobuf"),
    ("/grpc/", "grpc"),
    ("/pydantic", "pydantic"),
    ("/asyncio/", "asyncio"),
)


def _is_thread_plumbing(filename: str, function: str) -> bool:
    return (filename.endswith("concurrent/futures/thread.py") and function == "_worker") or (
        filename.endswith("threading.py") and function in ("_bootstrap", "_bootstrap_inner", "run")
    )


WAITING = ("of '_queue.SimpleQueue' objects", "of 'select.epoll' objects", "of '_thread.lock' objects", "time.sleep")


def _area(filename: str, function: str = "") -> str:
    if any(marker in function for marker in WAITING):
        return "waiting (idle pool threads, event loop poll, locks)"
    if "site-packages" not in filename:
        for needle, area in AREAS:
            if needle in filename and needle in ("/mlplat/", "/components/", "/stacks/", "/bench/"):
                return area
    for needle, area in AREAS:
        if needle in filename:
            return area
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    return "other stdlib / libraries"


def _by_area(stats: pstats.Stats) -> dict[str, float]:
    areas: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        area = _area(filename, function)
        areas[area] = areas.get(area, 0.0) + tt
    return {k: _round(v) for k, v in sorted(areas.items(), key=lambda kv: kv[1], reverse=True)}


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(REPO_ROOT) + "/", "lib/python3."):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --- the machine ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "packages": versions,
        "load_average": _load_average(),
        "git": _git(),
    }


def _load_average() -> Optional[list[float]]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _git() -> dict[str, Any]:
    def run(*args: str) -> Optional[str]:
        try:
            out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    status = run("status", "--porcelain")
    return {"commit": run("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}
