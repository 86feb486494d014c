"""`mlplat`: offline plans of Pulumi stacks and the project's generated artefacts.

    mlplat plan --stack dev [--cwd DIR] [--format text|json|markdown] [--preview] [--out FILE]
                [--environment ENV | --policy-pack-config FILE | --no-policies] [--baseline FILE]
    mlplat schema [--out DIR]
    mlplat policy-config [--out DIR]

Exit codes: 0 success; 1 a check failed (contract errors, a mandatory policy violation, or a
feature group replaced in staging or prod);
2 configuration error (message only, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

from components.errors import PlatformError

from .contracts import check_plan
from .offline import run_stack
from .policy_runner import PolicyReport, evaluate
from .report import RENDERERS, PlanReport

ENVIRONMENTS = ("dev", "staging", "prod")

EXIT_CHECKS_FAILED = 1
EXIT_CONFIG_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlplat", description="ML platform as code: offline tooling")
    sub = parser.add_subparsers(dest="command", required=True)

    plan = sub.add_parser("plan", help="run a stack's program under mocks and print what it declares")
    plan.add_argument("--stack", required=True, help="stack name: reads <stackConfigDir>/Pulumi.<stack>.yaml")
    plan.add_argument("--cwd", default=".", help="the Pulumi project directory (default: current directory)")
    plan.add_argument("--format", choices=sorted(RENDERERS), default="text")
    plan.add_argument("--preview", action="store_true", help="plan as `pulumi preview` of a new stack (computed values unknown)")
    plan.add_argument("--out", help="write the report to this file instead of standard output")
    policy = plan.add_mutually_exclusive_group()
    policy.add_argument("--environment", choices=ENVIRONMENTS, help="evaluate policies with this environment's preset "
                        "(default: the stack's ml-platform:platform.environment; else the pack tells it)")
    policy.add_argument("--policy-pack-config", help="a --policy-pack-config file, as passed to pulumi preview")
    policy.add_argument("--no-policies", action="store_true", help="skip the policy pack")
    plan.add_argument("--baseline", help="a previous plan's JSON (this command's --format json, or pulumi preview --json): "
                      "feature groups the change would replace are reported, and refused in staging and prod")

    configs = sub.add_parser("policy-config", help="write the per-environment policy pack configuration files")
    configs.add_argument("--out", default=None, help="directory to write to (default: policies/config)")

    schema = sub.add_parser("schema", help="write the JSON Schemas of the stack file")
    schema.add_argument("--out", default="schemas", help="directory to write to (default: schemas)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        from .schema import write_schemas

        for path in write_schemas(args.out):
            print(f"wrote {path}")
        return 0
    if args.command == "policy-config":
        from policies.presets import CONFIG_DIR, write_pack_configs

        for path in write_pack_configs(Path(args.out) if args.out else CONFIG_DIR):
            print(f"wrote {path}")
        return 0
    return _plan(args)


def _stack_environment(plan) -> Optional[str]:
    raw = plan.config.get("ml-platform:platform")
    try:
        env = json.loads(raw).get("environment") if isinstance(raw, str) else None
    except (ValueError, AttributeError):
        env = None
    return env if env in ENVIRONMENTS else None


def _baseline_findings(args: argparse.Namespace, plan) -> list:
    if not args.baseline:
        return []
    from .feature_changes import replacement_findings

    baseline = json.loads(Path(args.baseline).read_text())
    return replacement_findings(baseline, plan, args.environment or _stack_environment(plan) or "prod")


def _policies(args: argparse.Namespace, plan) -> Optional[PolicyReport]:
    if args.no_policies:
        return None
    if args.policy_pack_config:
        pack_config = json.loads(Path(args.policy_pack_config).read_text())
        return evaluate(plan, pack_config=pack_config, config=plan.config)
    return evaluate(plan, environment=args.environment or _stack_environment(plan), config=plan.config)


def _plan(args: argparse.Namespace) -> int:
    try:
        plan = run_stack(Path(args.cwd), args.stack, preview=args.preview)
    except PlatformError as exc:
        print(f"mlplat plan: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    report = PlanReport(plan, contract_errors=check_plan(plan), policy=_policies(args, plan),
                        feature_group_findings=_baseline_findings(args, plan))
    text = RENDERERS[args.format](report)
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return EXIT_CHECKS_FAILED if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
