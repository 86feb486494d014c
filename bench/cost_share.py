"""Cost estimate share: the estimate `mlplat plan` adds, as a share of the whole plan's time.

The estimate runs as the `cost` phase of every whole plan the overhead and scale measures time (after the
program, the contract checks and the policy pack), so its share is read from their samples, measured in the same
runs: share = median(cost) / median(whole plan), per reference stack and per generated size. Target: under 2%
(issue 14). Timings are reported, never asserted.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from . import TARGET_COST_SHARE, share, summary, target

PHASE = "cost"


def summarize(overhead: Optional[Mapping[str, Any]] = None, scale: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """Cost estimate shares of the plans the overhead and scale measures timed."""
    plans: list[dict[str, Any]] = []
    for stack in (overhead or {}).get("stacks", []):
        if "error" not in stack:
            samples = stack.get("samples_seconds", {})
            plans.append(_share(f"stack {stack['stack']}", stack["resources"], samples.get(f"mlplat.{PHASE}"), samples.get("mlplat")))
    for point in (scale or {}).get("points", []):
        samples = point.get("samples_seconds", {})
        plans.append(_share(f"generated N={point['units']}", point["resources"], samples.get(f"mlplat.{PHASE}"),
                            samples.get("mlplat")))
    shares = [p["share"] for p in plans if p["share"] is not None]
    return {
        "description": "cost estimate / whole plan (program + contracts + policies + cost), medians of interleaved runs",
        "status": "measured" if shares else "no plans measured",
        "plans": plans,
        "target": target("cost estimate share of plan time (worst plan)", max(shares) if shares else None, TARGET_COST_SHARE),
    }


def _share(label: str, resources: int, cost: Optional[Sequence[float]], whole: Optional[Sequence[float]]) -> dict[str, Any]:
    cost, whole = list(cost or []), list(whole or [])
    return {
        "plan": label,
        "resources": resources,
        "ms": {"cost": summary(cost, 1000), "whole_plan": summary(whole, 1000)},
        "share": share(cost, whole),
    }
