"""`python -m bench` (what `make bench` runs): every measure, a printed table, bench/results.json.

    python -m bench                    # the full run: 5 interleaved runs, N = 10, 50, 200, the suite
    python -m bench --quick            # a smoke run: 3 runs, N = 2, 5, 10 (memory at 10), no test suite
    python -m bench --runs 7 --out /tmp/results.json
    python -m bench --only overhead,policy --stacks dev
    python -m bench --sizes 5,20,40 --families access,storage

Exit code 0 whether or not targets are met (timings are reported, never asserted); 2 on bad
options. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Optional, Sequence

from . import REFERENCE_STACKS, REPO_ROOT, machine, plan_phases, policy_runner, profile
from . import cost_share, generic_path, layer_scale, overhead, policy_cost, scale, suite_time, verify_time

MEASURES = ("overhead", "scale", "policy", "generic", "verify", "layers", "suite")
DEFAULT_OUT = REPO_ROOT / "bench" / "results.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 runs, N = 2, 5, 10, memory at N = 10 only, no test suite")
    parser.add_argument("--runs", type=int, default=None, help="runs per measure (default 5; 3 with --quick)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed warm-up rounds per reference stack (default 2)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="results JSON (default bench/results.json)")
    parser.add_argument("--only", default=",".join(MEASURES), help=f"measures to run, comma-separated ({', '.join(MEASURES)})")
    parser.add_argument("--stacks", default=",".join(REFERENCE_STACKS), help="reference stacks for the overhead measure")
    parser.add_argument("--sizes", default=None, help="units per generated platform (default 10,50,200; 2,5,10 with --quick)")
    parser.add_argument("--verify-sizes", default=None, help="resources verified against moto (default 100,400,1000; "
                        "30,60 with --quick)")
    parser.add_argument("--generic-units", default=None, help="units of the generic-path program (default "
                        f"{','.join(map(str, generic_path.FULL_SIZES))}; {','.join(map(str, generic_path.QUICK_SIZES))} with --quick; "
                        f"{generic_path.PER_UNIT} resources each)")
    parser.add_argument("--families", default=",".join(scale.DEFAULT_FAMILIES), help=f"unit families ({', '.join(scale.FAMILIES)})")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-size memory subprocesses")
    parser.add_argument("--suite", choices=("auto", "run", "skip"), default="auto", help="time the test suite (auto: not with --quick)")
    parser.add_argument("--layers", choices=("auto", "run", "skip"), default="auto",
                        help=f"plan a generated environment as one stack and as layers ({layer_scale.FAMILIES} families over "
                        f"{layer_scale.SERVING_STACKS} serving stacks; auto: not with --quick)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto", help="cProfile where a target is missed (auto)")
    return parser


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    only = _csv(args.only)
    unknown = [m for m in only if m not in MEASURES]
    if unknown:
        parser.error(f"unknown measures {unknown} (known: {', '.join(MEASURES)})")
    runs = args.runs if args.runs is not None else (3 if args.quick else 5)
    if runs < 1:
        parser.error("--runs must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be 0 or more")
    try:
        sizes = [int(s) for s in _csv(args.sizes)] if args.sizes else list(scale.QUICK_SIZES if args.quick else scale.FULL_SIZES)
    except ValueError:
        parser.error(f"--sizes must be integers, got {args.sizes!r}")
    if any(s < 1 for s in sizes):
        parser.error("--sizes must be positive")
    try:
        verify_sizes = ([int(s) for s in _csv(args.verify_sizes)] if args.verify_sizes
                        else list(verify_time.QUICK_SIZES if args.quick else verify_time.FULL_SIZES))
    except ValueError:
        parser.error(f"--verify-sizes must be integers, got {args.verify_sizes!r}")
    if any(s < verify_time.PER_UNIT for s in verify_sizes):
        parser.error(f"--verify-sizes must be at least {verify_time.PER_UNIT} (the resources of one unit)")
    try:
        generic_units = ([int(s) for s in _csv(args.generic_units)] if args.generic_units
                         else list(generic_path.QUICK_SIZES if args.quick else generic_path.FULL_SIZES))
    except ValueError:
        parser.error(f"--generic-units must be integers, got {args.generic_units!r}")
    if any(s < 1 for s in generic_units):
        parser.error("--generic-units must be positive")
    families = _csv(args.families)
    if any(f not in scale.FAMILIES for f in families):
        parser.error(f"unknown unit families in {families} (known: {', '.join(scale.FAMILIES)})")
    stacks = _csv(args.stacks)

    started = time.perf_counter()
    status = policy_runner()
    phases = plan_phases(status)
    results: dict[str, Any] = {
        "machine": machine(),
        "options": {
            "quick": args.quick, "runs": runs, "measures": only, "stacks": stacks, "sizes": sizes,
            "families": families, "verify_sizes": verify_sizes, "generic_units": generic_units, "memory": not args.no_memory, "warmup": args.warmup,
        },
        "phases_after_program": [p.name for p in phases],
        "policy_runner": status.to_json(),
    }

    out = Path(args.out)

    def section(name: str, message: str, fn: Any) -> None:
        """Run one measure; an error is recorded in its place, and results are written after
        every section, so a failure late in a long run (the repository changing under it) keeps
        everything measured before."""
        _progress(message)
        try:
            results[name] = fn()
        except Exception as exc:
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(limit=8)}
            _progress(f"{name} failed: {type(exc).__name__}: {exc}")
        _write(out, results)

    if "overhead" in only:
        section("overhead", f"overhead: {', '.join(stacks)} x {runs} interleaved runs",
                lambda: overhead.measure(stacks, runs=runs, phases=phases, warmup=args.warmup))
    if "scale" in only:
        section("scale", f"scale: N = {', '.join(map(str, sizes))} ({', '.join(families)}) x {runs} interleaved runs",
                lambda: scale.measure(
                    sizes, runs=runs, families=families, phases=phases, memory=not args.no_memory,
                    memory_sizes=[max(sizes)] if args.quick else None,  # a smoke run weighs the largest size only
                ))
    if "policy" in only:
        measured = {k: v for k in ("overhead", "scale") if isinstance(v := results.get(k), dict) and "error" not in v}
        if measured:
            section("policy_cost", "policy: shares of the plans measured above",
                    lambda: policy_cost.summarize(status, measured.get("overhead"), measured.get("scale")))
        else:
            section("policy_cost", "policy: standalone", lambda: policy_cost.measure_standalone(stacks, runs=runs))
    if "generic" in only:
        section("generic", f"generic path: {', '.join(map(str, generic_units))} units x {runs} interleaved runs",
                lambda: generic_path.measure(generic_units, runs=runs, warmup=min(args.warmup, 1)))
    measured_plans = {k: v for k in ("overhead", "scale") if isinstance(v := results.get(k), dict) and "error" not in v}
    if measured_plans:
        section("cost_share", "cost: shares of the plans measured above",
                lambda: cost_share.summarize(measured_plans.get("overhead"), measured_plans.get("scale")))
    if "verify" in only:
        section("verify", f"verify: {', '.join(map(str, verify_sizes))} resources against moto x {runs} interleaved runs",
                lambda: verify_time.measure(verify_sizes, runs=runs))
    if "layers" in only:
        if args.layers == "run" or (args.layers == "auto" and not args.quick):
            section("layer_scale", f"layers: {layer_scale.FAMILIES} families as one stack and as layer stacks "
                    f"({layer_scale.SERVING_STACKS} serving stacks), mlplat plan wall clock",
                    lambda: layer_scale.measure(log=_progress))
        else:
            results["layer_scale"] = {"status": "skipped", "reason": "--quick (use --layers run to measure it)"}
    run_suite = args.suite == "run" or (args.suite == "auto" and not args.quick)
    if "suite" in only:
        if run_suite:
            section("suite", "suite: python -m pytest -q -p no:randomly tests --ignore=tests/bench",
                    lambda: suite_time.measure(dev_plan_ms=_dev_plan_ms(results)))
        else:
            results["suite"] = {"status": "skipped", "reason": "--quick (use --suite run to time it)"}

    results["targets"] = [
        section_result["target"]
        for section_result in (results.get("overhead"), results.get("scale"), results.get("policy_cost"),
                               results.get("cost_share"), results.get("generic"), results.get("verify"))
        if isinstance(section_result, dict) and "target" in section_result
    ] + [entry for entry in (results.get("layer_scale") or {}).get("targets", {}).values()]
    section("profiles", "profiles where a target is missed", lambda: _profiles(results, args.profile, stacks))
    results["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    _write(out, results)
    print(render(results))
    print(f"\nresults: {out}  ({results['elapsed_seconds']} s)")
    return 0


def _write(out: Path, results: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _dev_plan_ms(results: dict[str, Any]) -> Optional[float]:
    for stack in results.get("overhead", {}).get("stacks", []):
        if stack["stack"] == "dev" and "error" not in stack:
            return stack["ms"]["mlplat_whole_plan"]["median"]
    return None


def _ok(results: dict[str, Any], name: str) -> bool:
    return isinstance(results.get(name), dict) and "error" not in results[name]


def _profiles(results: dict[str, Any], mode: str, stacks: Sequence[str]) -> dict[str, Any]:
    """cProfile where a target is missed, so the report names the functions that cost."""
    if mode == "never":
        return {}
    missed = {t["name"] for t in results["targets"] if t["met"] is False}
    profiles: dict[str, Any] = {}
    stack = "dev" if "dev" in stacks else (stacks[0] if stacks else "dev")
    if _ok(results, "overhead") and (mode == "always" or any(n.startswith("overhead") for n in missed)):
        _progress(f"profile: overhead ({stack})")
        profiles["overhead"] = overhead.profile_stack(stack, top=20)
    status = policy_runner()
    if status.available and (mode == "always" or any(n.startswith("policy") for n in missed)):
        _progress(f"profile: policy pack over the {stack} plan")
        plan = overhead.plan_stack(stack)
        status.evaluate(plan)  # warm-up
        profiles["policies"] = {"stack": stack, **profile(lambda: [status.evaluate(plan) for _ in range(3)], top=20)}
    return profiles


# --- the printed table ------------------------------------------------------------------------------


def _ms(entry: Optional[dict[str, Any]]) -> str:
    if not entry or entry.get("median") is None:
        return "-"
    return f"{entry['median']:.0f} [{entry['min']:.0f}-{entry['max']:.0f}]"


def _x(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if k in ("pulumi", "pulumi-aws"))
    out = [
        f"mlplat bench  {m['date']}  {m['cpu_count']} CPUs  {m['platform']}  Python {m['python']}  {packages}",
        f"load average at start: {m['load_average']}; runs per measure: {results['options']['runs']} (interleaved, medians [min-max])",
    ]
    for name in ("overhead", "scale", "policy_cost", "cost_share", "generic", "verify", "suite", "profiles"):
        if name in results and not _ok(results, name):
            out.append(f"{name}: FAILED {results[name]['error']}")
    if _ok(results, "overhead"):
        o = results["overhead"]
        rows = []
        for s in o["stacks"]:
            if "error" in s:
                rows.append([s["stack"], "error: " + s["error"][:100]] + [""] * 11)
                continue
            same_inputs = all(s["same_inputs_in_replays"].values())
            rows.append([
                s["stack"], str(s["resources"]), _ms(s["ms"]["mlplat_program"]), _ms(s["ms"]["bare_sdk"]),
                _x(s["ratio"]["value"]), _ms(s["ms"]["stock_monitor"]),
                _x(s["breakdown"]["runner_over_stock_monitor"]["value"]), _x(s["breakdown"]["stock_monitor_over_bare"]["value"]),
                _ms(s["ms"]["generic_replay"]), _x(s["ratio_over_generic_replay"]["value"]),
                _ms(s["ms"]["mlplat_whole_plan"]),
                "yes" if s["same_resources_on_every_side"] and same_inputs else "NO",
            ])
        out += ["", "1. Framework overhead: mlplat plan's program vs a bare program declaring the same resources with the "
                "provider SDK classes, same inputs, same mocks (ms)",
                _table(["stack", "res", "mlplat program", "bare SDK", "ratio", "stock monitor", "runner", "components",
                        "generic replay", "vs generic", "whole plan", "same res+inputs"], rows)]
    if _ok(results, "scale"):
        sc = results["scale"]
        rows = []
        for p in sc["points"]:
            mem = p.get("memory", {})
            per = mem.get("kb_per_resource", {})
            rows.append([
                str(p["units"]), str(p["resources"]), _ms(p["ms"]["whole_plan"]), f"{p['ms_per_resource']['whole_plan']:.2f}",
                _ms(p["ms"]["program"]), _ms(p["ms"]["phases"].get("policies")), _ms(p["ms"]["bare_sdk"]),
                _x(p["program_over_bare"]["value"]), _pct(p["gc_share"]["whole_plan"]), _pct(p["gc_share"]["bare_sdk"]),
                f"{per['program']:.0f} / {per['bare_sdk']:.0f}" if per else ("error" if mem else "-"),
            ])
        g = sc["growth"]
        out += ["", f"2. Scale: MLPlatform + N units of {', '.join(sc['families'])} (whole plan = program + {' + '.join(sc['phases'])})",
                _table(["N", "res", "whole plan ms", "ms/res", "program ms", "policies ms", "bare SDK ms", "prog/bare",
                        "gc whole", "gc bare", "kB/res mlplat / bare"], rows),
                f"growth exponent vs resources: whole plan {_num(g['whole_plan'])}; program {_num(g['program'])}; "
                f"bare SDK {_num(g['bare_sdk'])}; without GC time: whole plan {_num(g['whole_plan_without_gc'])}, "
                f"bare SDK {_num(g['bare_sdk_without_gc'])}; whole plan vs units {_num(g['whole_plan_against_units'])}"]
    if _ok(results, "generic"):
        ge = results["generic"]
        rows = [[str(p["units"]), str(p["resources"]), _ms(p["ms"]["fakes"]), _ms(p["ms"]["generic"]),
                 f"{p['ms_per_resource']['fakes']['median']:.2f}", f"{p['ms_per_resource']['generic']['median']:.2f}",
                 _x(p["ratio"]["value"])] for p in ge["points"]]
        out += ["", "Generic path: the same program answered by hand-written fakes and by outputs generated from the SDK's "
                "types (ms)", _table(["units", "res", "fakes", "generic", "ms/res fakes", "ms/res generic", "ratio"], rows)]
    if _ok(results, "policy_cost"):
        pc = results["policy_cost"]
        out += ["", f"3. Policy cost: {pc['runner']['detail']}"]
        if pc["plans"]:
            out.append(_table(["plan", "res", "policies ms", "whole plan ms", "ms/res", "share"], [
                [p["plan"], str(p["resources"]), _ms(p["ms"]["policies"]), _ms(p["ms"]["whole_plan"]),
                 "-" if p["ms_per_resource"] is None else f"{p['ms_per_resource']:.2f}", _pct(p["share"])]
                for p in pc["plans"]
            ]))
    if _ok(results, "cost_share"):
        cs = results["cost_share"]
        out += ["", "3b. Cost estimate: its share of each whole plan (same runs)",
                _table(["plan", "res", "cost ms", "whole plan ms", "share"], [
                    [p["plan"], str(p["resources"]), _ms(p["ms"]["cost"]), _ms(p["ms"]["whole_plan"]), _pct(p["share"])]
                    for p in cs["plans"]])]
    if _ok(results, "verify"):
        ve = results["verify"]
        out += ["", "4. verify against moto in server mode: mlplat verify vs the same reads with sequential plain boto3 (ms)",
                _table(["res", "verify ms", "ms/res", "sequential boto3 ms", "ms/res", "ratio", "problems"], [
                    [str(p["resources"]), _ms(p["ms"]["verify"]), f"{p['ms_per_resource']['verify']:.2f}",
                     _ms(p["ms"]["sequential_boto3"]), f"{p['ms_per_resource']['sequential_boto3']:.2f}",
                     _x(p["ratio"]["value"]), str(p["problems_found"])]
                    for p in ve["points"]
                ]),
                f"growth exponent vs resources: verify {_num(ve['growth'])}"]
    ls = results.get("layer_scale")
    if isinstance(ls, dict) and "runs" in ls:
        res = ls["resources"]
        out += ["", f"4b. Layers: {ls['families']} families as one stack and as {len(res['layers'])} layer stacks "
                    f"(mlplat plan wall clock, --jobs {ls['jobs']})",
                _table(["policies", "--stack prod s", "--env prod s", "env / single"], [
                    [label.replace("_", " "), f"{run['single_stack_seconds']:.1f}", f"{run['env_seconds']:.1f}",
                     _x(run["env_over_single"])]
                    for label, run in ls["runs"].items()]),
                f"resources: one stack {res['single_stack']}; layers {res['layers_total']} in total, the largest "
                f"{res['largest_layer']} {res['layers'].get(res['largest_layer'])}"]
    elif isinstance(ls, dict) and ls.get("status") == "skipped":
        out += ["", f"4b. Layers: skipped ({ls['reason']})"]
    if _ok(results, "suite"):
        su = results["suite"]
        out += ["", "5. Test suite"]
        if su.get("status") == "skipped":
            out.append(f"skipped: {su['reason']}")
        else:
            oc = su["outcomes"]
            out.append(
                f"{su['command']}: {su['seconds']['suite_wall']:.1f} s wall ({oc['tests']} tests, {oc['failures']} failed, "
                f"{oc['errors']} errors, {oc['skipped']} skipped); --collect-only {su['seconds']['collect_only_wall']:.1f} s "
                f"({_pct(su['collection_share'])}); = {su['suite_in_dev_plans']} dev whole plans"
            )
    out += ["", "Targets", _table(["target", "value", "limit", "met"], [
        [t["name"], "-" if t["value"] is None else f"{t['value']:.4g}{t['unit']}", f"<= {t['limit']}{t['unit']}",
         {True: "yes", False: "NO", None: "not measured"}[t["met"]]]
        for t in results["targets"]
    ])]
    if _ok(results, "profiles") and results["profiles"]:
        out += ["", "Profiles (cProfile, all threads; own time by area, seconds): see results.json 'profiles'"]
        for name, prof in results["profiles"].items():
            sides = {k: v for k, v in prof.items() if isinstance(v, dict) and "own_by_area" in v} or {name: prof}
            for side, data in sides.items():
                areas = ", ".join(f"{k} {v:.2f}" for k, v in list(data["own_by_area"].items())[:6])
                out.append(f"{name}/{side}: {areas}")
    return "\n".join(out)


def _num(fit: dict[str, Any]) -> str:
    return "-" if fit.get("exponent") is None else f"{fit['exponent']:.3f}"


if __name__ == "__main__":
    sys.exit(main())
