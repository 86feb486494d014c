"""`mlplat`: offline plans of Pulumi stacks and the project's generated artefacts.

    mlplat plan --stack dev [--cwd DIR] [--format text|json|markdown] [--preview] [--out FILE]
                [--policy-pack DIR] [--environment ENV | --policy-pack-config FILE | --no-policies]
                [--baseline FILE] [--registry FILE] [--prices FILE]
                [--invoke-results FILE] [--stack-references FILE] [--stack-outputs NAME=FILE ...] [--outputs-out FILE]
    mlplat plan --env prod [--cwd DIR] [--jobs N] [--out FILE] [--out-dir DIR] [--preview] [--prices FILE]
                [policy options]
    mlplat prices refresh --region R [--out FILE] [--instance-type T ...]
    mlplat audit --stack prod --state FILE [--cwd DIR] [--format text|json|markdown] [--out FILE]
                [--policy-pack DIR] [--environment ENV | --policy-pack-config FILE]
    mlplat verify --stack prod --state FILE [--format text|json] [--region R] [--endpoint-url URL] [--cwd DIR]
    mlplat preflight --stack prod [--region R] [--endpoint-url URL] [--cwd DIR]
    mlplat drift --stack prod --preview FILE [--format text|json|markdown] [--cwd DIR] [--out FILE]
    mlplat lineage --stack prod (--family NAME | --feature-group NAME) [--cwd DIR]
    mlplat schema [--out DIR]
    mlplat policy-pack init DIR [--virtualenv PATH] [--force]
    mlplat policy-config [--policy-pack DIR] [--out DIR]
    mlplat rules [--format markdown|json] [--out FILE]

The project's pack folder (`--policy-pack`, default `<project>/policies` when it has a
PulumiPolicy.yaml) holds its waivers and rule settings; the rules come from the installed library.

`audit` runs the same pack over a deployed stack: FILE is a `pulumi stack export` (the state of
the last `pulumi up`) or a `pulumi preview --refresh --json` (the live view, without writing state).

`verify` reads every resource of a supported type of a `pulumi stack export` with boto3 (read-only)
and reports what differs from the state, what is unhealthy and what no longer exists.

`drift` reads a `pulumi preview --refresh --json` and tells drift from a pending deployment (an
endpoint serving `latest-approved` whose group has a newer approved package): exit 1 on drift only.

`plan` estimates the stack's monthly cost from the price table (the vendored one, or --prices FILE);
with --baseline it shows the difference. `prices refresh` rebuilds a region's prices from the AWS Price
List API (needs credentials).

`preflight` compares what the stack's offline plan runs at its maximum (endpoint, training and
processing instances per SageMaker instance type; EC2 vCPUs of the GPU pools) with the account's
Service Quotas, and names each quota to raise.

Exit codes: 0 success; 1 a check failed (contract errors, a mandatory policy violation, or a
feature group replaced in staging or prod);
2 configuration error (message only, no traceback); 3 an internal error of mlplat (a bug: the
message asks for a report). An exception the program raises exits 1 with the program's own
frames; a package it imports that is not installed exits 1 naming it with the install hint.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from botocore.exceptions import BotoCoreError, ClientError

from mlplat.core.errors import ConfigError, PlatformError, Problem
from mlplat.core.vocabulary import DEFAULT_KUBERNETES_VERSION, ENVIRONMENT_TAG, ENVIRONMENTS, environment_of_stack
from mlplat.platform.model_packages import Boto3ModelPackages, provider_assume_roles
from mlplat.policies.pack_folder import (
    DEFAULT_PACK_FOLDER,
    DEFAULT_VIRTUALENV,
    PACK_DEFINITION,
    PackFolder,
    init_pack_folder,
)

from .audit import AUDIT_RENDERERS, AuditReport
from .contracts import check_plan
from .pinned_answers import load_invoke_results, load_stack_references
from .offline import run_stack
from .policy_runner import PolicyReport, evaluate, stack_tags_in_config
from .program_errors import explain
from .report import RENDERERS, PlanReport
from .stackfile import load_project, load_stack_config
from .state import load_deployment
from .verify import DEFAULT_WORKERS

__all__ = ["EXIT_CHECKS_FAILED", "EXIT_CONFIG_ERROR", "EXIT_INTERNAL_ERROR", "main", "write_refreshed_prices"]

EXIT_CHECKS_FAILED = 1
EXIT_CONFIG_ERROR = 2
EXIT_INTERNAL_ERROR = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlplat", description="ML platform as code: offline tooling")
    sub = parser.add_subparsers(dest="command", required=True)

    plan = sub.add_parser("plan", help="run a stack's program under mocks and print what it declares")
    which = plan.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", help="stack name: reads <stackConfigDir>/Pulumi.<stack>.yaml")
    which.add_argument("--env", choices=ENVIRONMENTS, help="plan every layer stack <env>-<layer> of the environment, "
                       "in dependency order (independent layers in parallel processes), and report each and the whole")
    plan.add_argument("--stack-outputs", action="append", default=[], metavar="NAME=FILE",
                      help="answer the stack reference NAME from FILE, a recorded `pulumi stack output --json` "
                      "([secret] values are secret); repeatable. Without it, a layer's references are answered from "
                      "the offline plans of the layers it references")
    plan.add_argument("--outputs-out", metavar="FILE", help="also write the stack's outputs to FILE, as `pulumi stack "
                      "output --json` prints them (secret outputs as [secret])")
    plan.add_argument("--jobs", type=int, default=2, help="--env: layers planned at once (default: 2)")
    plan.add_argument("--out-dir", metavar="DIR", help="--env: keep each layer's JSON plan, outputs, standard output and error in DIR")
    plan.add_argument("--cwd", default=".", help="the Pulumi project directory (default: current directory)")
    plan.add_argument("--format", choices=sorted(RENDERERS), default="text")
    plan.add_argument("--preview", action="store_true", help="plan as `pulumi preview` of a new stack (computed values unknown)")
    plan.add_argument("--out", help="write the report to this file instead of standard output")
    plan.add_argument("--policy-pack", metavar="DIR", help="the project's pack folder, whose waivers.yaml and settings.yaml "
                      "apply (default: <cwd>/policies when it is one; without one, the rules' defaults)")
    policy = plan.add_mutually_exclusive_group()
    policy.add_argument("--environment", choices=ENVIRONMENTS, help="evaluate policies with this environment's preset "
                        "(default: the stack's ml-platform:platform.environment; else the pack tells it)")
    policy.add_argument("--policy-pack-config", help="a --policy-pack-config file, as passed to pulumi preview")
    policy.add_argument("--no-policies", action="store_true", help="skip the policy pack")
    plan.add_argument("--baseline", help="a previous plan's JSON (this command's --format json, or pulumi preview --json): "
                      "the resources the change creates, deletes and updates (and which inputs) are listed; "
                      "feature groups the change would replace are reported, and refused in staging and prod")
    plan.add_argument("--prices", metavar="FILE", help="the price table of the cost estimate (a `mlplat prices refresh` "
                      "output; default: the table mlplat ships)")
    plan.add_argument("--registry", metavar="FILE", help="a registry snapshot answering `model_package: latest-approved`: "
                      "a JSON object of model package group name to its ModelPackageSummaryList, as `aws sagemaker "
                      "list-model-packages --query ModelPackageSummaryList` prints it (default: registry.<stack>.json "
                      "next to the stack file when there is one; without one, no package is approved and AWS is not called)")
    plan.add_argument("--invoke-results", metavar="FILE", help="pinned answers of data-source invokes (YAML or JSON): "
                      "invoke token -> result, or -> a list of {args, result} entries matched by the call's arguments; "
                      "invokes neither pinned nor modelled are answered from their result type, and the plan lists them")
    plan.add_argument("--stack-references", metavar="FILE", help="outputs of the stacks the program references (YAML or "
                      "JSON): stack name -> its outputs, as `pulumi stack output --json` prints them")

    audit = sub.add_parser("audit", help="evaluate the policy pack over a deployed stack (a pulumi stack export, or "
                           "pulumi preview --refresh --json for the live view)")
    audit.add_argument("--stack", required=True, help="stack name: its Pulumi.<stack>.yaml gives the config the pack reads")
    audit.add_argument("--state", required=True, metavar="FILE", help="`pulumi stack export --file FILE`, or "
                       "`pulumi preview --refresh --json > FILE` (never export with --show-secrets: nothing here needs it)")
    audit.add_argument("--cwd", default=".", help="the Pulumi project directory (default: current directory)")
    audit.add_argument("--format", choices=sorted(AUDIT_RENDERERS), default="text")
    audit.add_argument("--out", help="write the report to this file instead of standard output")
    audit.add_argument("--policy-pack", metavar="DIR", help="the project's pack folder (default: <cwd>/policies when it is one)")
    audit_policy = audit.add_mutually_exclusive_group()
    audit_policy.add_argument("--environment", choices=ENVIRONMENTS, help="evaluate with this environment's levels "
                              "(default: the stack's ml-platform:platform.environment)")
    audit_policy.add_argument("--policy-pack-config", help="a --policy-pack-config file, as passed to pulumi up")
    audit.set_defaults(no_policies=False)

    check = sub.add_parser("verify", help="read the deployed resources with boto3 (read-only): what differs from the "
                           "state, what is unhealthy, what is missing")
    check.add_argument("--stack", required=True, help="stack name: its Pulumi.<stack>.yaml gives the region")
    check.add_argument("--state", required=True, metavar="FILE", help="`pulumi stack export --file FILE` (never with "
                       "--show-secrets: nothing here needs it)")
    check.add_argument("--cwd", default=".", help="the Pulumi project directory (default: current directory)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    _aws_arguments(check)
    check.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help=f"resources read at once (default: {DEFAULT_WORKERS})")

    drift = sub.add_parser("drift", help="tell a refreshed preview's changes apart: drift, or a pending deployment of a "
                           "newer approved model package")
    drift.add_argument("--stack", required=True, help="stack name: its Pulumi.<stack>.yaml says which endpoints serve "
                       "latest-approved")
    drift.add_argument("--preview", required=True, metavar="FILE", help="`pulumi preview --refresh --json > FILE` "
                       "(without --expect-no-changes)")
    drift.add_argument("--cwd", default=".", help="the Pulumi project directory (default: current directory)")
    drift.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    drift.add_argument("--out", help="write the report to this file instead of standard output")

    preflight = sub.add_parser("preflight", help="compare what the stack's plan needs with the account's Service Quotas")
    preflight.add_argument("--stack", required=True, help="stack name: reads <stackConfigDir>/Pulumi.<stack>.yaml")
    preflight.add_argument("--cwd", default=".", help="the Pulumi project directory (default: current directory)")
    _aws_arguments(preflight)
    preflight.add_argument("--registry", metavar="FILE", help="answer `model_package: latest-approved` from this "
                           "registry snapshot (default: the live registry, as `pulumi up` will)")

    lineage = sub.add_parser("lineage", help="list every resource of a model family (or feature group) in a stack's plan")
    lineage.add_argument("--stack", required=True)
    lineage.add_argument("--cwd", default=".")
    target = lineage.add_mutually_exclusive_group(required=True)
    target.add_argument("--family", help="model family (the mlplat:model-family tag)")
    target.add_argument("--feature-group", help="feature group (the mlplat:feature-group tag)")

    configs = sub.add_parser("policy-config", help="write the pack folder's config/<env>.json from its waivers and settings")
    configs.add_argument("--policy-pack", metavar="DIR", default=DEFAULT_PACK_FOLDER,
                         help=f"the project's pack folder (default: {DEFAULT_PACK_FOLDER})")
    configs.add_argument("--out", default=None, help="directory to write to (default: <pack folder>/config)")

    pack = sub.add_parser("policy-pack", help="the project's policy pack folder")
    pack_commands = pack.add_subparsers(dest="pack_command", required=True)
    init = pack_commands.add_parser("init", help="write a pack folder that runs the installed rules with the project's "
                                    "own waivers and settings")
    init.add_argument("dir", metavar="DIR", help=f"the folder to write (e.g. {DEFAULT_PACK_FOLDER})")
    init.add_argument("--virtualenv", default=DEFAULT_VIRTUALENV, metavar="PATH",
                      help=f"the project's virtualenv, relative to DIR, that Pulumi runs the pack in (default: {DEFAULT_VIRTUALENV})")
    init.add_argument("--force", action="store_true", help="overwrite existing files")

    rules = sub.add_parser("rules", help="print the governance catalogue: every rule of the policy pack, and the planned ones")
    rules.add_argument("--format", choices=("markdown", "json"), default="markdown")
    rules.add_argument("--out", help="write the catalogue to this file (docs/GOVERNANCE.md is `--format markdown`)")

    prices = sub.add_parser("prices", help="the price table of the cost estimate")
    prices_commands = prices.add_subparsers(dest="prices_command", required=True)
    refresh = prices_commands.add_parser("refresh", help="rebuild a region's prices from the AWS Price List API "
                                         "(GetProducts; needs AWS credentials)")
    refresh.add_argument("--region", required=True, help="the region to price (the API itself answers from us-east-1)")
    refresh.add_argument("--out", default="prices.json", help="the table to write (default: prices.json); pass it "
                         "to `mlplat plan --prices`")
    refresh.add_argument("--instance-type", action="append", default=[], metavar="TYPE",
                         help="also price this type (EC2, or ml.* for SageMaker); repeatable")
    refresh.add_argument("--endpoint-url", help="Price List API endpoint URL (an emulator)")

    schema = sub.add_parser("schema", help="write the JSON Schemas of the stack file")
    schema.add_argument("--out", default="schemas", help="directory to write to (default: schemas)")
    return parser


def _aws_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the commands that read AWS send their requests."""
    parser.add_argument("--region", help="AWS region (default: the stack file's aws:region)")
    parser.add_argument("--endpoint-url", help="AWS endpoint URL for every service (an emulator such as moto's server)")


def _aws_clients(command: str, args: argparse.Namespace, region: str, connections: int = DEFAULT_WORKERS):
    """The commands' boto3 clients; None (after one message) when there are no credentials."""
    from .verify import AwsClients

    clients = AwsClients(region=args.region or region, endpoint_url=args.endpoint_url, connections=connections)
    if not clients.has_credentials():
        print(f"mlplat {command}: no AWS credentials (the standard chain: environment, profile, SSO, instance role)",
              file=sys.stderr)
        return None
    return clients


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        from .schema import write_schemas

        for path in write_schemas(args.out):
            print(f"wrote {path}")
        return 0
    if args.command == "lineage":
        return _lineage(args)
    if args.command == "audit":
        return _audit(args)
    if args.command == "verify":
        return _verify(args)
    if args.command == "preflight":
        return _preflight(args)
    if args.command == "drift":
        return _drift(args)
    if args.command == "rules":
        return _rules(args)
    if args.command == "policy-config":
        return _policy_config(args)
    if args.command == "policy-pack":
        return _policy_pack_init(args)
    if args.command == "prices":
        return _prices_refresh(args)
    return _plan(args)


def _prices_refresh(args: argparse.Namespace) -> int:
    import boto3

    from mlplat.core.aws_models import regions

    from .price_refresh import PRICING_API_REGION, vendored_document

    if args.region not in regions("ec2"):
        print(f"mlplat prices refresh: --region {args.region!r} is not an AWS region botocore knows (e.g. us-east-1)",
              file=sys.stderr)
        return EXIT_CONFIG_ERROR
    session = boto3.session.Session()
    if session.get_credentials() is None:
        print("mlplat prices refresh: no AWS credentials (the standard chain: environment, profile, SSO, instance role)",
              file=sys.stderr)
        return EXIT_CONFIG_ERROR
    client = session.client("pricing", region_name=PRICING_API_REGION, endpoint_url=args.endpoint_url)
    return write_refreshed_prices(client, args.region, Path(args.out), vendored_document(), args.instance_type)


def write_refreshed_prices(client, region: str, out: Path, vendored: dict, instance_types: Sequence[str] = ()) -> int:
    """Run the refresh with `client` and write the table; exit status 2 (one message) when the API refuses."""
    from datetime import date

    from .price_refresh import refresh_prices

    try:
        result = refresh_prices(client, region, vendored, date.today(), instance_types)
    except (BotoCoreError, ClientError) as exc:
        print(f"mlplat prices refresh: the Price List API refused: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    out.write_text(json.dumps(result.table, separators=(",", ":")) + "\n")
    print(f"wrote {out}: {result.refreshed} prices from the Price List API, {len(result.kept)} kept from the "
          f"vendored table" + (f" ({', '.join(result.kept)})" if result.kept else ""))
    return 0


def _policy_config(args: argparse.Namespace) -> int:
    try:
        written = PackFolder.open(args.policy_pack).write_configs(args.out)
    except PlatformError as exc:
        print(f"mlplat policy-config: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    for path in written:
        print(f"wrote {path}")
    return 0


def _policy_pack_init(args: argparse.Namespace) -> int:
    try:
        written = init_pack_folder(args.dir, virtualenv=args.virtualenv, force=args.force)
    except PlatformError as exc:
        print(f"mlplat policy-pack init: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    for path in written:
        print(f"wrote {path}")
    folder = Path(args.dir)
    print(f"next: edit {folder / 'waivers.yaml'} and {folder / 'settings.yaml'}, run `mlplat policy-config --policy-pack {folder}`, "
          f"and preview with `pulumi preview --policy-pack {folder} --policy-pack-config {folder / 'config'}/<env>.json`")
    return 0


def _lineage(args: argparse.Namespace) -> int:
    from .lineage import families, resources_of_family, resources_of_feature_group

    try:
        plan = run_stack(Path(args.cwd), args.stack)
    except PlatformError as exc:
        print(f"mlplat lineage: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except Exception as exc:  # the program's own error, a package it lacks, or a bug of the runner
        return _program_failed("lineage", exc, Path(args.cwd))
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


def _audit(args: argparse.Namespace) -> int:
    try:
        policy_source = _policy_source(args)
        project = load_project(Path(args.cwd))
        config = load_stack_config(project, args.stack)
        deployment = load_deployment(args.state, stack=args.stack, project=project.name)
    except PlatformError as exc:
        print(f"mlplat audit: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    deployment.plan.config = config.engine_config()
    deployment.plan.secret_config_keys = config.secret_keys
    policy = _policies(args, policy_source, deployment.plan)
    assert policy is not None  # audit always runs the pack
    report = AuditReport(deployment, policy)
    text = AUDIT_RENDERERS[args.format](report)
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return EXIT_CHECKS_FAILED if report.failed else 0


def _drift(args: argparse.Namespace) -> int:
    from . import infra_drift

    try:
        config = load_stack_config(load_project(Path(args.cwd)), args.stack)
        steps = infra_drift.load_preview(args.preview)
    except PlatformError as exc:
        print(f"mlplat drift: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    report = infra_drift.classify(args.stack, steps, infra_drift.latest_approved_endpoints(config.values))
    render = {"json": infra_drift.render_json, "markdown": infra_drift.render_markdown}.get(args.format,
                                                                                          infra_drift.render_text)
    text = render(report)
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return EXIT_CHECKS_FAILED if report.drifted else 0


def _verify(args: argparse.Namespace) -> int:
    from . import verify

    try:
        config = load_stack_config(load_project(Path(args.cwd)), args.stack)
        deployment = load_deployment(args.state, stack=args.stack)
        if deployment.source != "stack export":
            raise ConfigError([Problem("--state", "is a preview, not a `pulumi stack export` (verify compares AWS with "
                                                  "the state the last `pulumi up` recorded)", str(args.state))])
        if args.workers < 1:
            raise ConfigError([Problem("--workers", "must be at least 1", args.workers)])
    except PlatformError as exc:
        print(f"mlplat verify: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    clients = _aws_clients("verify", args, config.region, connections=args.workers)
    if clients is None:
        return EXIT_CONFIG_ERROR
    report = verify.verify(deployment, clients, workers=args.workers)
    render = verify.render_json if args.format == "json" else verify.render_text
    sys.stdout.write(render(report, deployment.plan.redactor().text))
    return EXIT_CHECKS_FAILED if report.failed else 0


def _preflight(args: argparse.Namespace) -> int:
    from . import preflight
    from .multistack import plan_layer

    try:
        config = load_stack_config(load_project(Path(args.cwd)), args.stack)
    except PlatformError as exc:
        print(f"mlplat preflight: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    clients = _aws_clients("preflight", args, config.region)
    if clients is None:
        return EXIT_CONFIG_ERROR
    try:
        # The endpoints deploy what the registry holds now, as `pulumi up` will see it (not a committed snapshot),
        # asked as `pulumi up` asks: through the stack's aws:assumeRoles (a shared registry grants that account).
        roles = provider_assume_roles(config.values.get("aws:assumeRoles"))
        live = None if args.registry else (
            Boto3ModelPackages(clients.region, assume_roles=roles, endpoint_url=clients.endpoint_url) if roles
            else Boto3ModelPackages(clients.region, client=clients.client("sagemaker")))
        # A layer stack's references are answered from the offline plans of the layers below: what it runs (and so
        # the quotas it needs) comes from its own config.
        plan = plan_layer(Path(args.cwd), args.stack, registry=args.registry, model_packages=live)
    except PlatformError as exc:
        print(f"mlplat preflight: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    node_types = preflight.node_instance_types(plan)
    try:
        needs = preflight.needs_of(plan, vcpus=preflight.instance_vcpus(node_types, clients))
        results = preflight.check(needs, clients)
    except (ClientError, BotoCoreError) as exc:  # no access to Service Quotas or EC2: nothing can be compared
        print(f"mlplat preflight: AWS refused a read: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    sys.stdout.write(preflight.render_text(args.stack, results))
    return EXIT_CHECKS_FAILED if any(r.short for r in results) else 0


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
    """The environment the stack config states: `ml-platform:platform.environment`, else a `pulumi:tags` stack tag."""
    raw = plan.config.get("ml-platform:platform")
    try:
        env = json.loads(raw).get("environment") if isinstance(raw, str) else None
    except (ValueError, AttributeError):
        env = None
    if env not in ENVIRONMENTS:
        env = stack_tags_in_config(plan.config).get(ENVIRONMENT_TAG)
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


def _cost(args: argparse.Namespace, plan):
    """The plan's cost estimate (and its difference with --baseline); ConfigError for an unreadable table or baseline."""
    from datetime import date

    from mlplat.core.prices import load_price_table

    from .cost_report import plan_cost

    table = load_price_table(Path(args.prices) if args.prices else None)
    baseline = None
    if args.baseline:
        try:
            baseline = json.loads(Path(args.baseline).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError([Problem("--baseline", f"is not a readable plan JSON ({exc})", args.baseline)]) from None
        if not isinstance(baseline, dict):
            raise ConfigError([Problem("--baseline", "is not a plan JSON object (with a 'steps' list)", args.baseline)])
    return plan_cost(plan, table, date.today(), baseline)


def _baseline_diff(args: argparse.Namespace, plan):
    """What the plan creates, deletes and updates against --baseline (resources matched by URN)."""
    if not args.baseline:
        return None
    from .plan_diff import diff_plans

    return diff_plans(json.loads(Path(args.baseline).read_text()), plan)


@dataclass(frozen=True)
class _PolicySource:
    """Where `mlplat plan` takes the pack configuration from, settled (and its files checked) before the program runs."""

    file_config: Optional[dict] = None  # --policy-pack-config
    file: Optional[Path] = None
    folder: Optional[PackFolder] = None  # the project's pack folder
    looked_for: Optional[Path] = None  # the default pack folder that was not there


def _policy_source(args: argparse.Namespace) -> _PolicySource:
    """The configuration's source; ConfigError naming a file the project says it has that is missing or malformed."""
    if args.no_policies:
        return _PolicySource()
    if args.policy_pack:
        folder = PackFolder.open(args.policy_pack)
        folder.check()
    if args.policy_pack_config:  # the file decides, as it does for the engine
        path = Path(args.policy_pack_config)
        return _PolicySource(file_config=_read_pack_config(path), file=path)
    if not args.policy_pack:
        folder = PackFolder.find(args.cwd)
        if folder is None:
            return _PolicySource(looked_for=Path(args.cwd) / DEFAULT_PACK_FOLDER)
        folder.check()
    return _PolicySource(folder=folder)


def _read_pack_config(path: Path) -> dict:
    where = "--policy-pack-config"
    if not path.is_file():
        raise ConfigError([Problem(where, "is not a file", str(path))])
    try:
        document = json.loads(path.read_text())
    except ValueError as exc:
        raise ConfigError([Problem(where, f"is not JSON ({exc})", str(path))]) from None
    if not isinstance(document, dict):
        raise ConfigError([Problem(where, "is not a JSON object of policy name to configuration", str(path))])
    return document


def _policies(args: argparse.Namespace, source: _PolicySource, plan) -> Optional[PolicyReport]:
    if args.no_policies:
        return None
    if source.file_config is not None:
        return evaluate(plan, pack_config=source.file_config, config=plan.config,
                        source=f"--policy-pack-config {source.file}")
    environment = args.environment or _stack_environment(plan) or environment_of_stack(plan.stack)
    if source.folder is None:
        return evaluate(plan, environment=environment, config=plan.config,
                        source=f"the rules' defaults, no waivers (no pack folder: {source.looked_for} has no "
                               f"{PACK_DEFINITION}; create one with `mlplat policy-pack init {source.looked_for}`)")
    folder = source.folder
    if environment is None:
        return evaluate(plan, config=plan.config, source=f"pack folder {folder.path}/", notes=[
            "the environment is not told by --environment, the stack config or the stack name: the pack tells it "
            f"itself, without {folder.waivers_file.name} and {folder.settings_file.name} (pass --environment)"])
    notes = [f"{path} is stale: it does not match {folder.waivers_file.name} and {folder.settings_file.name}, so "
             f"`pulumi preview --policy-pack-config {path}` would not apply them; run `mlplat policy-config "
             f"--policy-pack {folder.path}`" for path in folder.stale_configs([environment])]
    return evaluate(plan, pack_config=folder.pack_config(environment), config=plan.config,
                    source=f"pack folder {folder.path}/", notes=notes)


def _program_failed(command: str, error: Exception, cwd: Path) -> int:
    """One message for an exception that escaped a program's run: the program's, a missing package, or ours."""
    failure = explain(error, cwd)
    print(f"mlplat {command}: {failure.message}", file=sys.stderr)
    return EXIT_INTERNAL_ERROR if failure.is_runner_bug else EXIT_CHECKS_FAILED


def _plan_environment(args: argparse.Namespace) -> int:
    from .multistack import plan_environment, render_environment

    passed = [flag for flag in ("stack_outputs", "stack_references", "outputs_out", "baseline", "registry")
              if getattr(args, flag)]
    if args.jobs < 1 or passed or args.format != "text":
        problem = (Problem("--jobs", "must be at least 1", args.jobs) if args.jobs < 1 else
                   Problem("--env", "plans from each layer's own stack file and registry snapshot, with the outputs of "
                           "the layers below; it takes --format text, --out, --out-dir, --jobs, --preview, --prices, "
                           f"--invoke-results and the policy options, not --{passed[0].replace('_', '-') if passed else 'format ' + args.format}"))
        print(f"mlplat plan: {ConfigError([problem])}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    forwarded = ["--preview"] if args.preview else []
    for flag in ("policy_pack", "environment", "policy_pack_config", "prices", "invoke_results"):
        if getattr(args, flag):
            forwarded += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    if args.no_policies:
        forwarded.append("--no-policies")
    try:
        report = plan_environment(Path(args.cwd), args.env, jobs=args.jobs, out_dir=args.out_dir,
                                  plan_arguments=forwarded, budget_level="disabled" if args.no_policies else None)
    except PlatformError as exc:
        print(f"mlplat plan: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    text = render_environment(report)
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return EXIT_CHECKS_FAILED if report.failed else 0


def _plan(args: argparse.Namespace) -> int:
    if args.env:
        return _plan_environment(args)
    from .multistack import outputs_of, parse_stack_outputs_argument, plan_layer, render_stack_outputs

    try:
        policy_source = _policy_source(args)
        invoke_results = load_invoke_results(args.invoke_results) if args.invoke_results else None
        given: dict[str, Any] = dict(load_stack_references(args.stack_references)) if args.stack_references else {}
        given.update(parse_stack_outputs_argument(args.stack_outputs))
        plan = plan_layer(Path(args.cwd), args.stack, given=given, preview=args.preview, registry=args.registry,
                          invoke_results=invoke_results)
    except PlatformError as exc:
        print(f"mlplat plan: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except Exception as exc:  # the program's own error, a package it lacks, or a bug of the runner
        return _program_failed("plan", exc, Path(args.cwd))
    try:
        kubernetes = _kubernetes(plan)  # a bad $MLPLAT_*_CRDS folder is a configuration error
    except PlatformError as exc:
        print(f"mlplat plan: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    try:
        cost = _cost(args, plan)
    except PlatformError as exc:
        print(f"mlplat plan: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    report = PlanReport(plan, contract_errors=check_plan(plan), policy=_policies(args, policy_source, plan),
                        feature_group_findings=_baseline_findings(args, plan), kubernetes=kubernetes, cost=cost)
    report.baseline_diff = _baseline_diff(args, plan)
    if args.outputs_out:
        Path(args.outputs_out).write_text(plan.redactor().text(render_stack_outputs(outputs_of(plan))))
    text = RENDERERS[args.format](report)
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return EXIT_CHECKS_FAILED if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
