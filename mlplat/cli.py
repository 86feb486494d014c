"""`mlplat`: offline plans of Pulumi stacks and the project's generated artefacts.

    mlplat plan --stack dev [--cwd DIR] [--format text|json|markdown] [--preview] [--out FILE]
    mlplat schema [--out DIR]

Exit codes: 0 success; 1 a check failed (contract errors); 2 configuration error (message only,
no traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from components.errors import PlatformError

from .contracts import check_plan
from .offline import run_stack
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
    return _plan(args)


def _plan(args: argparse.Namespace) -> int:
    try:
        plan = run_stack(Path(args.cwd), args.stack, preview=args.preview)
    except PlatformError as exc:
        print(f"mlplat plan: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    report = PlanReport(plan, contract_errors=check_plan(plan))
    text = RENDERERS[args.format](report)
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return EXIT_CHECKS_FAILED if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
