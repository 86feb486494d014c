"""`mlplat`: offline plans of Pulumi stacks and the project's generated artefacts.

    mlplat plan --stack dev [--cwd DIR] [--format text|json|markdown] [--preview] [--out FILE]
                [--environment ENV | --policy-pack-config FILE | --no-policies] [--baseline FILE]
    mlplat lineage --stack prod (--family NAME | --feature-group NAME) [--cwd DIR]
    mlplat schema [--out DIR]
    mlplat policy-config [--out DIR]
    mlplat rules [--format markdown|json] [--out FILE]

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

from mlplat.core.errors import PlatformError
from mlplat.core.vocabulary import DEFAULT_KUBERNETES_VERSION, ENVIRONMENTS

from .contracts import check_plan
from .offline import run_stack
from .policy_runner import PolicyReport, evaluate
from .report import RENDERERS, PlanReport

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

    lineage = sub.add_parser("lineage", help="list every resource of a model family (or feature group) in a stack's plan")
    lineage.add_argument("--stack", required=True)
    lineage.add_argument("--cwd", default=".")
    target = lineage.add_mutually_exclusive_group(required=True)
    target.add_argument("--family", help="model family (the mlplat:model-family tag)")
    target.add_argument("--feature-group", help="feature group (the mlplat:feature-group tag)")

    configs = sub.add_parser("policy-config", help="write the per-environment policy pack configuration files")
    configs.add_argument("--out", default=None, help="directory to write to (default: policies/config)")

    rules = sub.add_parser("rules", help="print the governance catalogue: every rule of the policy pack, and the planned ones")
    rules.add_argument("--format", choices=("markdown", "json"), default="markdown")
    rules.add_argument("--out", help="write the catalogue to this file (docs/GOVERNANCE.md is `--format markdown`)")

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
    if args.command == "lineage":
        return _lineage(args)
    if args.command == "rules":
        return _rules(args)
    if args.command == "policy-config":
        from mlplat.policies.presets import CONFIG_DIR, write_pack_configs

        for path in write_pack_configs(Path(args.out) if args.out else CONFIG_DIR):
            print(f"wrote {path}")
        return 0
    return _plan(args)


def _lineage(args: argparse.Namespace) -> int:
    from .lineage import families, resources_of_family, resources_of_feature_group

    try:
        plan = run_stack(Path(args.cwd), args.stack)
    except PlatformError as exc:
        print(f"mlplat lineage: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if args.family:
        members = resources_of_family(plan, args.family)
        if not members:
            print(f"mlplat lineage: no resource of model family {args.family!r} (families: {', '.join(families(plan)) or 'none'})",
                  file=sys.stderr)
            return EXIT_CHECKS_FAILED
    else:
        members = resources_of_feature_group(plan, args.feature_group)
    for resource in members:
        print(f"{resource.type}  {resource.urn}")
    return 0


def _rules(args: argparse.Namespace) -> int:
    from mlplat.policies.catalogue import RENDERERS as CATALOGUE_RENDERERS
    from mlplat.policies.catalogue import load_catalogue

    try:
        text = CATALOGUE_RENDERERS[args.format](load_catalogue())
    except PlatformError as exc:
        print(f"mlplat rules: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _stack_environment(plan) -> Optional[str]:
    raw = plan.config.get("ml-platform:platform")
    try:
        env = json.loads(raw).get("environment") if isinstance(raw, str) else None
    except (ValueError, AttributeError):
        env = None
    return env if env in ENVIRONMENTS else None


def _kubernetes(plan):
    """Kubernetes objects against the OpenAPI schema of the cluster's version (and the CRDs mlplat ships)."""
    if not any(r.type.startswith("kubernetes:") and not r.type.startswith("kubernetes:helm.sh/") for r in plan.custom_resources):
        return None
    from .k8s_validation import check_plan as check_kubernetes

    versions = [r.inputs.get("version") for r in plan.of_type("aws:eks/cluster:Cluster")]
    version = next((v for v in versions if isinstance(v, str)), DEFAULT_KUBERNETES_VERSION)
    return check_kubernetes(plan, kubernetes_version=version)


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
    try:
        kubernetes = _kubernetes(plan)  # a bad $MLPLAT_*_CRDS folder is a configuration error
    except PlatformError as exc:
        print(f"mlplat plan: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    report = PlanReport(plan, contract_errors=check_plan(plan), policy=_policies(args, plan),
                        feature_group_findings=_baseline_findings(args, plan), kubernetes=kubernetes)
    text = RENDERERS[args.format](report)
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return EXIT_CHECKS_FAILED if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
