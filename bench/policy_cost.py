"""Policy cost: evaluating the policy pack over a plan, as a share of the whole plan's time.

The pack runs as the `policies` phase of every whole plan the other measures time (after the
program and the contract checks, as `mlplat plan` runs it), so its cost is read from their
samples rather than measured again: share = median(policies) / median(whole plan), per reference
stack and per generated size. The phase exists once `mlplat.policy_runner` has an
`evaluate(plan)` function (see `bench.policy_runner()`); until then every figure is reported as
"not available", with the reason, and the target as not measured.

`measure_standalone` times the pack over the reference stacks on its own, for `python -m bench
--only policy`.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from . import (
    REFERENCE_STACKS,
    TARGET_POLICY_SHARE,
    PolicyRunnerStatus,
    interleave,
    plan_phases,
    policy_runner,
    share,
    summary,
    target,
)

PHASE = "policies"


def summarize(
    status: PolicyRunnerStatus,
    overhead: Optional[Mapping[str, Any]] = None,
    scale: Optional[Mapping[str, Any]] = None,
) -> dict[str, Any]:
    """Policy shares of the plans the overhead and scale measures timed."""
    result: dict[str, Any] = {
        "description": "policy pack evaluation / whole plan (program + contracts + policies), medians",
        "runner": status.to_json(),
    }
    if not status.available:
        result["status"] = "not available"
        result["plans"] = []
        result["target"] = target("policy share of plan time (worst plan)", None, TARGET_POLICY_SHARE)
        return result

    plans: list[dict[str, Any]] = []
    for stack in (overhead or {}).get("stacks", []):
        if "error" in stack:
            continue
        samples = stack.get("samples_seconds", {})
        plans.append(_share(f"stack {stack['stack']}", stack["resources"], samples.get("mlplat.policies"), samples.get("mlplat")))
    for point in (scale or {}).get("points", []):
        samples = point.get("samples_seconds", {})
        plans.append(
            _share(f"generated N={point['units']}", point["resources"], samples.get("mlplat.policies"), samples.get("mlplat"))
        )
    shares = [p["share"] for p in plans if p["share"] is not None]
    result["status"] = "measured" if shares else "no plans measured"
    result["plans"] = plans
    result["target"] = target("policy share of plan time (worst plan)", max(shares) if shares else None, TARGET_POLICY_SHARE)
    return result


def _share(label: str, resources: int, policies: Optional[Sequence[float]], whole: Optional[Sequence[float]]) -> dict[str, Any]:
    policies = list(policies or [])
    whole = list(whole or [])
    return {
        "plan": label,
        "resources": resources,
        "ms": {"policies": summary(policies, 1000), "whole_plan": summary(whole, 1000)},
        "ms_per_resource": round(summary(policies, 1000)["median"] / resources, 4) if policies and resources else None,
        "share": share(policies, whole),
    }


def measure_standalone(stacks: Sequence[str] = REFERENCE_STACKS, *, runs: int = 5) -> dict[str, Any]:
    """Time whole plans of the reference stacks (no baseline needed: the share is the figure)."""
    from .overhead import mlplat_run

    status = policy_runner()
    if not status.available:
        return summarize(status)
    phases = plan_phases(status)
    entries = []
    for stack in stacks:
        run = mlplat_run(stack, phases)
        run()  # warm-up
        samples = interleave({"mlplat": run}, runs)
        entries.append(
            {"stack": stack, "resources": _resources(stack), "samples_seconds": {k: s.values for k, s in samples.items()}}
        )
    return summarize(status, {"stacks": entries})


def _resources(stack: str) -> int:
    from .overhead import plan_stack

    return len(plan_stack(stack))
