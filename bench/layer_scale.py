"""Layer scale: one generated environment planned as one stack and as layer stacks (`mlplat plan --env`).

The environment is the reference prod (`stacks/Pulumi.prod*.yaml`: foundation, ml-services with the
registry and feature store, the training cluster, the growth team's serving stack) with F generated
model families added (default 200). Each family is what a team ships: a feature group in the
environment's `ml-services` stack (one Glue database per environment), a registry entry (model
package group, its policy, the image repositories, the approval's deploy loop) in its team's
`prod-ml-services-team<NN>`, and a serving endpoint (model package, autoscaling, alarms, dashboard,
data capture) with its drift loop in its team's `prod-serving-team<NN>`, which reads the team's
ml-services stack (`layers.ml_services: ml-services-team<NN>`); the families are dealt over S teams
(default 10).

The same families are written into one stack file `prod` (the single stack) and into the layer stack
files, in a scratch copy of the project; then, as a user would run them, in fresh processes:

- `mlplat plan --stack prod` (wall clock), with the pack by default (`--policies without|both`);
- `mlplat plan --env prod --jobs J` the same way (wall clock; each layer's resources from its
  report), J = 2 by default (the machine's cores).

Reported: both wall clocks and their ratio (target: the layers plan faster than the one stack), each
stack's resource count and the largest (target: <= 1,000), measured, never asserted.

    python -m bench.layer_scale [--families 200] [--serving-stacks 10] [--jobs 2] [--policies with] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import yaml

from . import REPO_ROOT, target

FAMILIES = 200
SERVING_STACKS = 10
MAX_RESOURCES_PER_STACK = 1000
ACCOUNT = "123456789012"
REGION = "us-east-1"
KEY = "ml-platform:platform"
# Generated families keep the budgets out of the way: the measure is time and size, not cost.
BUDGET_USD = 1_000_000


def family_name(index: int) -> str:
    return f"f{index:03d}"


def team_of(index: int, serving_stacks: int) -> str:
    return f"team{index % serving_stacks:02d}"


def feature_group(family: str) -> dict[str, Any]:
    return {
        "name": f"{family}-features", "record_identifier": "entity_id", "event_time": "event_time",
        "owner": "ml-team@example.com", "data_classification": "internal", "pii": False,
        "features": [{"name": "entity_id", "type": "String"}, {"name": "event_time", "type": "Fractional"},
                     {"name": "tenure", "type": "Integral"}, {"name": "monthly_charges", "type": "Fractional"}],
    }


def endpoint(family: str) -> dict[str, Any]:
    return {
        "name": family, "model_family": family,
        "model_package": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/mlplat-prod-{family}/1",
        "autoscaling": {"min_capacity": 2, "max_capacity": 4, "target_invocations_per_instance": 100},
    }


def drift(family: str) -> dict[str, Any]:
    return {"baseline_prefix": f"{family}/baseline/", "features": ["tenure", "monthly_charges"],
            "retraining_pipeline_arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/mlplat-prod-{family}-retrain"}


def _read(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def generate(project: Path, families: int, serving_stacks: int) -> dict[str, list[str]]:
    """A scratch copy of the project with the generated families in `prod` and in the prod layers.

    Returns the generated serving stacks' families (stack -> families)."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO_ROOT / name, project / name)
    stacks = project / "stacks"
    stacks.mkdir()
    for path in (REPO_ROOT / "stacks").iterdir():
        if path.suffix in (".py", ".json") or path.name.startswith("Pulumi.prod"):
            shutil.copy(path, stacks / path.name)
    names = [family_name(i) for i in range(families)]

    single = _read(stacks / "Pulumi.prod.yaml")
    config = single["config"][KEY]
    config["budget_usd_per_month"] = BUDGET_USD
    config.setdefault("feature_store", {}).setdefault("groups", []).extend(feature_group(f) for f in names)
    config.setdefault("model_registry", {}).setdefault("families", []).extend({"name": f} for f in names)
    config.setdefault("serving", {}).setdefault("endpoints", []).extend(endpoint(f) for f in names)
    config.setdefault("monitoring", {}).setdefault("drift", {}).update({f: drift(f) for f in names})
    _write(stacks / "Pulumi.prod.yaml", single)

    foundation = _read(stacks / "Pulumi.prod-foundation.yaml")
    foundation["config"][KEY]["budget_usd_per_month"] = BUDGET_USD
    _write(stacks / "Pulumi.prod-foundation.yaml", foundation)
    services = _read(stacks / "Pulumi.prod-ml-services.yaml")
    config = services["config"][KEY]
    config.setdefault("feature_store", {}).setdefault("groups", []).extend(feature_group(f) for f in names)
    _write(stacks / "Pulumi.prod-ml-services.yaml", services)

    dealt: dict[str, list[str]] = {}
    for index, family in enumerate(names):
        dealt.setdefault(team_of(index, serving_stacks), []).append(family)
    serving_template = _read(stacks / "Pulumi.prod-serving-growth.yaml")
    for team, mine in dealt.items():
        # The team's registry entries (with the reference's deploy loop settings and token) in its own stack.
        document = json.loads(json.dumps(services))
        config = document["config"][KEY]
        config["layer"] = f"ml-services-{team}"
        for section in ("feature_store", "experiment_tracking", "pipelines"):
            config.pop(section, None)
        config["model_registry"] = {**config["model_registry"], "families": [{"name": f} for f in mine]}
        _write(stacks / f"Pulumi.prod-ml-services-{team}.yaml", document)
        document = json.loads(json.dumps(serving_template))
        config = document["config"][KEY]
        config["layer"] = f"serving-{team}"
        config["layers"] = {"ml_services": f"ml-services-{team}"}
        config["serving"] = {"endpoints": [endpoint(f) for f in mine]}
        config["monitoring"] = {"drift": {f: drift(f) for f in mine}}
        _write(stacks / f"Pulumi.prod-serving-{team}.yaml", document)
    return {f"prod-serving-{team}": mine for team, mine in dealt.items()}


def _run(arguments: Sequence[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "mlplat.tooling.cli", *arguments, "--cwd", str(cwd)],
                         capture_output=True, text=True, check=False, env={**os.environ, "PYTHONHASHSEED": "0"})
    return time.perf_counter() - started, run


def _steps(path: Path) -> int:
    return len(json.loads(path.read_text()).get("steps", [])) if path.is_file() else 0


def _types(path: Path, top: int = 12) -> dict[str, int]:
    """The most declared resource types of a plan report (where a stack's size comes from)."""
    if not path.is_file():
        return {}
    found: dict[str, int] = {}
    for step in json.loads(path.read_text()).get("steps", []):
        kind = (step.get("newState") or {}).get("type", "?")
        found[kind] = found.get(kind, 0) + 1
    return dict(sorted(found.items(), key=lambda item: -item[1])[:top])


def measure(families: int = FAMILIES, serving_stacks: int = SERVING_STACKS, jobs: int = 2,
            policies: Sequence[bool] = (True,), log: Any = None) -> dict[str, Any]:
    """Plan the generated environment both ways (wall clock, fresh processes) and count each stack."""
    say = log or (lambda text: None)
    with tempfile.TemporaryDirectory(prefix="mlplat-layer-scale-") as scratch:
        project = Path(scratch)
        dealt = generate(project, families, serving_stacks)
        runs: dict[str, Any] = {}
        counts: dict[str, int] = {}
        for with_pack in policies:
            label = "with_policies" if with_pack else "without_policies"
            # The repository's pack folder: its levels and prod settings (the layers' allowed prefixes).
            pack = ["--policy-pack", str(REPO_ROOT / "policies")] if with_pack else ["--no-policies"]
            single_report = project / f"single-{label}.json"
            say(f"layer scale: plan --stack prod ({label}) ...")
            single_seconds, single = _run(["plan", "--stack", "prod", "--format", "json", "--out", str(single_report),
                                           *pack], project)
            out_dir = project / f"layers-{label}"
            say(f"layer scale: plan --env prod --jobs {jobs} ({label}) ...")
            env_seconds, env = _run(["plan", "--env", "prod", "--jobs", str(jobs), "--out-dir", str(out_dir), *pack],
                                    project)
            counts = {"prod": _steps(single_report)}
            counts.update({path.stem: _steps(path) for path in sorted(out_dir.glob("prod-*.json"))
                           if not path.name.endswith(".outputs.json")})
            runs[label] = {
                "single_stack_seconds": round(single_seconds, 1),
                "single_stack_exit": single.returncode,
                "env_seconds": round(env_seconds, 1),
                "env_exit": env.returncode,
                "env_over_single": round(env_seconds / single_seconds, 3) if single_seconds else None,
                "env_report": env.stdout.splitlines()[-12:] if env.stdout else env.stderr.splitlines()[-12:],
            }
            if single.returncode not in (0, 1):
                runs[label]["single_stack_error"] = (single.stderr or single.stdout)[-2000:]
        layers = {stack: n for stack, n in counts.items() if stack != "prod"}
        largest = max(layers, key=layers.get) if layers else None
        largest_types = _types(out_dir / f"{largest}.json") if largest else {}
        return {
            "description": f"the reference prod with {families} generated model families, as one stack and as layers "
                           f"({serving_stacks} teams, each with prod-ml-services-team<NN> and prod-serving-team<NN>, "
                           "+ the reference's ml-services and growth stacks); "
                           "wall clock of `mlplat plan --stack prod` and `mlplat plan --env prod`, fresh processes",
            "families": families,
            "serving_stacks": {stack: len(mine) for stack, mine in sorted(dealt.items())},
            "jobs": jobs,
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "runs": runs,
            "resources": {"single_stack": counts.get("prod"), "layers": layers,
                          "layers_total": sum(layers.values()), "largest_layer": largest,
                          "largest_layer_types": largest_types},
            "targets": {
                "env_faster": target("plan --env / plan --stack prod (wall clock, with the pack)",
                                     runs.get("with_policies", runs.get("without_policies", {})).get("env_over_single"),
                                     1.0),
                "largest_stack": target("resources of the largest layer stack", layers.get(largest, 0) if largest else 0,
                                        MAX_RESOURCES_PER_STACK),
            },
        }


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.layer_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=FAMILIES)
    parser.add_argument("--serving-stacks", type=int, default=SERVING_STACKS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--policies", choices=("with", "without", "both"), default="with",
                        help="plan with the pack (default), without it, or both ways")
    parser.add_argument("--out", default=None, help="also write the result JSON here")
    args = parser.parse_args(argv)
    if args.families < 1 or args.serving_stacks < 1 or args.jobs < 1:
        parser.error("--families, --serving-stacks and --jobs must be at least 1")
    ways = {"with": (True,), "without": (False,), "both": (False, True)}[args.policies]
    result = measure(args.families, args.serving_stacks, args.jobs, ways,
                     log=lambda text: print(text, file=sys.stderr, flush=True))
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
