"""The ServingEndpoint's arguments and their validation: pure, checked before anything is declared.

`ServingEndpointArgs` (and its nested parts) are typed and frozen; `args_problems` and
`endpoint_problems` return every problem with its field path, the value received and what is
allowed, from the limits in botocore's SageMaker model where the API documents them (read once).
The component in serving_endpoint.py raises them all at once before declaring a resource.
"""
from __future__ import annotations

import functools
import math
import re
import zoneinfo
from typing import Any, Iterable, Literal, Optional, Sequence

import pulumi
import pulumi_aws as aws
from pydantic import Field

from ._lineage import check_lineage_name, check_source_revision
from .artifact_store import CAPTURES, MODELS, GovernedBucket
from mlplat.core import aws_models
from mlplat.core.models import ArgsModel, StrictModel
from mlplat.core.validators import check_log_retention
from mlplat.core.errors import Problem
from .network import Network

ARGS = "ServingEndpointArgs"

Traffic = Literal["ALL_AT_ONCE", "CANARY", "LINEAR"]

# Limits the API documents in prose (botocore's model has the numeric bounds, read below).
MAX_CANARY_PERCENT = 50  # TrafficRoutingConfig.CanarySize: <= 50% of the variant's instances
LINEAR_STEP_PERCENT = (10, 50)  # TrafficRoutingConfig.LinearStepSize: 10-50% of the instances
SERVERLESS_MEMORY_STEP_MB = 1024  # ProductionVariantServerlessConfig.MemorySizeInMB: 1 GB increments
MAX_ALARMS = 10  # AutoRollbackConfig.Alarms
OWN_ROLLBACK_ALARMS = ("5xx", "latency")
MAX_MODEL_AUTONAME = 63 - len("-model-") - 7  # the provider names the model `<name>-model-<7 hex>`
CONFIG_PREFIX_ROOM = 63 - 26  # the provider appends 26 characters to an endpoint config name prefix

_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<cn>\.cn)?/"
    r"(?P<repo>[a-z0-9][a-z0-9._/-]*)@sha256:[0-9a-f]{64}$"
)
_REPOSITORY_ARN = re.compile(r"^arn:aws(-[a-z]+)*:ecr:[a-z0-9-]+:\d{12}:repository/[a-z0-9][a-z0-9._/-]*$")
_VERSIONED_PACKAGE = re.compile(r".*:model-package/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}/\d{1,9}$")
_S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>\S+)$")
_NAME_PREFIX = re.compile(r"^([a-zA-Z0-9](-*[a-zA-Z0-9])*-)?$")
_CRON = re.compile(r"^cron\(\S+( \S+){5}\)$")


# --- API limits, from botocore's SageMaker model ------------------------------------------------


def api_limits(shape: str, service: str = "sagemaker") -> tuple[Optional[int], Optional[int]]:
    """(min, max) of a named shape in botocore's model (lengths for strings, bounds for numbers)."""
    return aws_models.shape_limits(service, shape)


def api_pattern(shape: str, service: str = "sagemaker") -> re.Pattern[str]:
    pattern = aws_models.shape_pattern(service, shape)
    assert pattern is not None, f"botocore's {service} {shape} has no pattern"
    return pattern


@functools.lru_cache(maxsize=1)
def hosting_instance_types() -> frozenset[str]:
    """SageMaker's hosting instance types (botocore's ProductionVariantInstanceType enum)."""
    return frozenset(aws_models.shape_enum("sagemaker", "ProductionVariantInstanceType"))


# --- Args --------------------------------------------------------------------------------------


class ProductionVariantArgs(StrictModel):
    """One provisioned variant (checked by ServingEndpointArgs, which names the failing field)."""

    name: str = Field(
        default="primary",
        description="Variant name; keep it stable (blue/green updates require the same names). Omitted: primary.",
    )
    instance_type: str = Field(
        default="ml.m5.large",
        description="A SageMaker hosting instance type (botocore's ProductionVariantInstanceType). Omitted: ml.m5.large.",
    )
    initial_instance_count: int = Field(
        default=2, description="Instances at creation (autoscaling may change it). Omitted: 2 (one per AZ)."
    )
    initial_weight: float = Field(
        default=1.0, description="Share of traffic relative to the other variants' weights. Omitted: 1.0."
    )


class ServerlessArgs(StrictModel):
    """A serverless variant instead of provisioned ones (dev and low-traffic models)."""

    variant_name: str = Field(default="primary", description="The single variant's name. Omitted: primary.")
    memory_size_in_mb: int = Field(
        default=2048, description="1024 to 6144 in steps of 1024 (the API's sizes). Omitted: 2048."
    )
    max_concurrency: int = Field(default=5, description="Concurrent invocations, 1 to 200. Omitted: 5.")
    provisioned_concurrency: Optional[int] = Field(
        default=None,
        description="Pre-warmed concurrency, 1 to max_concurrency (billed while idle). "
        "Omitted: none; the endpoint scales to zero when idle.",
    )


class AsyncInferenceArgs(StrictModel):
    """Asynchronous inference (provisioned endpoints only)."""

    max_concurrent_invocations_per_instance: Optional[int] = Field(
        default=None,
        description="Requests each instance processes at once, 1 to 1000. Omitted: SageMaker chooses.",
    )


class BlueGreenDeploymentArgs(StrictModel):
    """How an update shifts traffic to the new fleet, and what rolls it back."""

    traffic: Traffic = Field(
        default="CANARY",
        description="ALL_AT_ONCE, CANARY (a canary, then the rest) or LINEAR (equal steps). Omitted: CANARY.",
    )
    canary_size_percent: int = Field(
        default=10, description="CANARY: share of capacity in the canary step, 1 to 50. Omitted: 10."
    )
    linear_step_percent: int = Field(
        default=20, description="LINEAR: share of capacity per step, 10 to 50. Omitted: 20."
    )
    wait_in_seconds: int = Field(
        default=600, description="Wait between traffic steps while alarms are watched, 0 to 3600. Omitted: 600."
    )
    termination_wait_in_seconds: int = Field(
        default=300,
        description="Keep the old fleet this long after the last step (a late alarm can still roll back), "
        "0 to 3600. Omitted: 300.",
    )
    maximum_execution_timeout_in_seconds: Optional[int] = Field(
        default=None,
        description="Deployment timeout, 600 to 28800 and longer than all waits. Omitted: SageMaker's default.",
    )
    rollback_alarm_names: tuple[str, ...] = Field(
        default=(),
        description="Further CloudWatch alarms that roll a deployment back (at most 8: the API takes 10 "
        "and the endpoint adds its 5XX and latency alarms). Omitted: only the endpoint's own alarms.",
    )
    rollback_5xx_errors_threshold: int = Field(
        default=1,
        description="The 5XX rollback alarm fires when a minute has at least this many 5XX errors, two "
        "minutes in a row. Omitted: 1.",
    )
    rollback_model_latency_p99_ms: float = Field(
        default=1000.0,
        description="The latency rollback alarm fires when p99 model latency exceeds this many "
        "milliseconds, two minutes in a row. Omitted: 1000.",
    )


class AutoscalingArgs(StrictModel):
    """Target tracking on invocations per instance, per production variant."""

    min_capacity: int = Field(default=2, description="Fewest instances per variant, >= 1. Omitted: 2.")
    max_capacity: int = Field(default=4, description="Most instances per variant. Omitted: 4.")
    target_invocations_per_instance: float = Field(
        description="Invocations per instance per minute the policy keeps each variant at (from a load "
        "test: sustainable requests per second x 60 x a safety factor)."
    )
    scale_in_cooldown_seconds: int = Field(default=300, description="Omitted: 300.")
    scale_out_cooldown_seconds: int = Field(default=60, description="Omitted: 60.")


class ScaleDownScheduleArgs(StrictModel):
    """Out-of-hours scale-down of provisioned variants (meant for dev)."""

    scale_down_cron: str = Field(description="When to scale down: cron(Minutes Hours Day Month Weekday Year).")
    scale_up_cron: str = Field(description="When to restore capacity, same syntax.")
    timezone: str = Field(default="UTC", description="IANA time zone of both expressions. Omitted: UTC.")
    capacity: int = Field(
        default=1, description="Instances per variant while scaled down, >= 1 (variants cannot go to 0). Omitted: 1."
    )


class ServingEndpointArgs(ArgsModel):
    models_bucket: GovernedBucket = Field(
        description="The ArtifactStore's models bucket (`store.models`): the execution role may read only "
        "`model_artifacts_prefix` in it, through its key."
    )
    captures_bucket: GovernedBucket = Field(
        description="The ArtifactStore's captures bucket (`store.captures`): data capture and async outputs "
        "go under `<endpoint name>/`, encrypted with its key."
    )
    network: Network = Field(
        description="The platform network: provisioned variants run in its private subnets with network isolation."
    )
    log_key: aws.kms.Key = Field(
        description="The logs KMS key (`Encryption.key('logs')`) that encrypts the endpoint's log group."
    )
    alarm_actions: tuple[Any, ...] = Field(
        description="ARNs (strings or Outputs, e.g. an SNS topic's arn) notified when a rollback alarm fires; at least one."
    )
    model_package_arn: Optional[str] = Field(
        default=None,
        description="A versioned, approved model package from the registry (…:model-package/<group>/<version>). "
        "Omitted (and no image): the endpoint waits for an approved model package (see the module docs).",
    )
    image: Optional[str] = Field(
        default=None,
        description="Raw model source, dev only: an ECR image pinned by digest (…@sha256:<64 hex>), with "
        "model_data_url and allow_raw_model_artifacts=True. Omitted: the model comes from model_package_arn.",
    )
    model_data_url: Optional[str] = Field(
        default=None,
        description="Raw model source, dev only: s3://<models bucket>/<model_artifacts_prefix>…/model.tar.gz. "
        "Omitted: the model comes from model_package_arn.",
    )
    allow_raw_model_artifacts: bool = Field(
        default=False,
        description="Allow image + model_data_url instead of a registered package; the caller sets it in dev "
        "only. Omitted: refused.",
    )
    image_repository_arn: Optional[str] = Field(
        default=None,
        description="The ECR repository the inference image comes from; the role may pull only from it. "
        "Required with model_package_arn. Omitted with image: derived from the image URI; omitted while "
        "waiting for a package: no ECR permission until it is set.",
    )
    model_artifacts_prefix: Optional[str] = Field(
        default=None,
        description="Key prefix in the models bucket holding this model's artifacts (ends with '/'); the role "
        "may read only under it. Omitted: `<component name>/`.",
    )
    variants: tuple[ProductionVariantArgs, ...] = Field(
        default=(ProductionVariantArgs(),),
        description="Provisioned production variants, 1 to 10, all serving the model. Omitted: one variant "
        "`primary` with 2 x ml.m5.large. Not with serverless.",
    )
    serverless: Optional[ServerlessArgs] = Field(
        default=None,
        description="Serve from one serverless variant instead (no VPC, no data capture, no shadow or async). "
        "Omitted: provisioned variants.",
    )
    shadow_variants: tuple[ProductionVariantArgs, ...] = Field(
        default=(),
        description="At most one shadow variant receiving a copy of the traffic (with exactly one production "
        "variant; not with serverless or async). Omitted: none.",
    )
    async_inference: Optional[AsyncInferenceArgs] = Field(
        default=None,
        description="Asynchronous inference: outputs and failures go to the captures bucket under "
        "`<endpoint>/async-output` and `<endpoint>/async-failures`, encrypted with its key. Omitted: real-time.",
    )
    data_capture_sampling_percentage: int = Field(
        default=100,
        description="Share of requests whose input and output are captured, 1 to 100 (provisioned only). Omitted: 100.",
    )
    deployment: BlueGreenDeploymentArgs = Field(
        default=BlueGreenDeploymentArgs(),
        description="Blue/green traffic shifting and auto-rollback. Omitted: canary of 10%, 600 s waits, 300 s "
        "bake, rollback on the endpoint's 5XX and p99 latency alarms.",
    )
    autoscaling: Optional[AutoscalingArgs] = Field(
        default=None,
        description="Target tracking on invocations per instance for each production variant (provisioned "
        "only). Omitted: each variant keeps its initial_instance_count.",
    )
    scale_down_schedule: Optional[ScaleDownScheduleArgs] = Field(
        default=None,
        description="Out-of-hours scale-down of provisioned variants (a scalable target is registered even "
        "without autoscaling). Omitted: capacity never changes on a schedule.",
    )
    name_prefix: str = Field(
        default="",
        description="The endpoint is named `<name_prefix><component name>` (docs/DECISIONS.md, Naming: `<project>-<env>-`). "
        "Omitted: the component name alone.",
    )
    log_retention_days: int = Field(
        default=365, description="Retention of the endpoint's log group (a CloudWatch Logs period). Omitted: 365."
    )
    model_family: Optional[str] = Field(
        default=None,
        description="Model family served: `mlplat:model-family` lineage tag on every resource. Omitted: no lineage tags.",
    )
    source_revision: Optional[str] = Field(
        default=None,
        description="Commit the model was built from: `mlplat:source-revision` on the model and endpoint "
        "configuration only (needs model_family). Omitted: no revision tag.",
    )

    def problems(self) -> list[Problem]:
        return args_problems(self)

    @property
    def waits_for_model(self) -> bool:
        return self.model_package_arn is None and self.image is None and self.model_data_url is None

    @property
    def production_variant_names(self) -> tuple[str, ...]:
        if self.serverless is not None:
            return (self.serverless.variant_name,)
        return tuple(v.name for v in self.variants)


# --- validation (pure) -------------------------------------------------------------------------


def args_problems(args: ServingEndpointArgs) -> list[Problem]:
    """Every impossible combination or value in `args` (name-independent checks)."""
    problems: list[Problem] = []
    problems += _wiring_problems(args)
    problems += _model_source_problems(args)
    if args.serverless is not None:
        problems += _serverless_problems(args)
    else:
        problems += _variant_problems(args)
    problems += _deployment_problems(args.deployment)
    problems += _scaling_problems(args)
    problems.extend(check_log_retention(f"{ARGS}.log_retention_days", args.log_retention_days))
    if args.name_prefix and not _NAME_PREFIX.match(args.name_prefix):
        problems.append(
            Problem(f"{ARGS}.name_prefix",
                    "is not an endpoint name prefix (letters, digits and '-', starting with a letter or digit, "
                    "ending with '-', e.g. 'mlplat-prod-')", args.name_prefix)
        )
    if args.model_family is not None:
        problems += check_lineage_name(f"{ARGS}.model_family", args.model_family, "model family")
    if args.source_revision is not None:
        problems += check_source_revision(f"{ARGS}.source_revision", args.source_revision)
        if args.model_family is None:
            problems.append(
                Problem(f"{ARGS}.source_revision", "needs model_family (lineage tags name the family first)",
                        args.source_revision)
            )
    return problems


def _wiring_problems(args: ServingEndpointArgs) -> list[Problem]:
    problems: list[Problem] = []
    for field, role in (("models_bucket", MODELS), ("captures_bucket", CAPTURES)):
        handle = getattr(args, field)
        if handle.role != role:
            problems.append(
                Problem(f"{ARGS}.{field}", f"is the {handle.role!r} bucket; pass the store's {role!r} bucket "
                        f"(store.{role})")
            )
    if not args.alarm_actions:
        problems.append(
            Problem(f"{ARGS}.alarm_actions", "is empty: give at least one action (e.g. an SNS topic ARN); a "
                    "rollback nobody hears about goes unnoticed (MLP-CW-01)", ())
        )
    for action in args.alarm_actions:
        if isinstance(action, pulumi.Output):
            continue
        if not isinstance(action, str) or not action.startswith("arn:"):
            problems.append(Problem(f"{ARGS}.alarm_actions", "is not an ARN (or an Output of one)", action))
    return problems


def _model_source_problems(args: ServingEndpointArgs) -> list[Problem]:
    problems: list[Problem] = []
    raw = args.image is not None or args.model_data_url is not None
    if args.model_package_arn is not None:
        problems += _package_problems(args.model_package_arn)
        if raw:
            given = "image" if args.image is not None else "model_data_url"
            problems.append(
                Problem(f"{ARGS}.{given}", "cannot be combined with model_package_arn (choose one model "
                        "source: the registered package, or image + model_data_url in dev)")
            )
        if args.image_repository_arn is None:
            problems.append(
                Problem(f"{ARGS}.image_repository_arn", "is required with model_package_arn (the ECR repository "
                        "of the package's inference image: the execution role may pull only from it)")
            )
    elif raw:
        if args.image is None:
            problems.append(Problem(f"{ARGS}.image", "is required with model_data_url (a raw model needs both)"))
        if args.model_data_url is None:
            problems.append(Problem(f"{ARGS}.model_data_url", "is required with image (a raw model needs both)"))
        if not args.allow_raw_model_artifacts:
            problems.append(
                Problem(f"{ARGS}.allow_raw_model_artifacts", "must be True to deploy image + model_data_url "
                        "instead of a registered model package (dev only: staging and prod deploy approved "
                        "packages, MLP-MDL-03)", False)
            )
    if args.image is not None:
        problems += _image_problems(args.image, args.image_repository_arn)
    elif args.image_repository_arn is not None and not _REPOSITORY_ARN.match(args.image_repository_arn):
        problems.append(
            Problem(f"{ARGS}.image_repository_arn", "is not an ECR repository ARN "
                    "(arn:aws:ecr:<region>:<account>:repository/<name>)", args.image_repository_arn)
        )
    if args.model_data_url is not None and not _S3_URL.match(args.model_data_url):
        problems.append(
            Problem(f"{ARGS}.model_data_url", "is not an S3 URL of a model archive (s3://<bucket>/<key>)",
                    args.model_data_url)
        )
    if args.model_artifacts_prefix is not None:
        problems += _prefix_problems(args.model_artifacts_prefix)
    return problems


def _package_problems(arn: str) -> list[Problem]:
    low, high = api_limits("ModelPackageArn")
    if (
        not api_pattern("ModelPackageArn").fullmatch(arn)
        or not _VERSIONED_PACKAGE.match(arn)
        or len(arn) > (high or len(arn))
    ):
        return [
            Problem(f"{ARGS}.model_package_arn", "is not a versioned model package ARN from the registry "
                    "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)", arn)
        ]
    return []


def _image_problems(image: str, repository_arn: Optional[str]) -> list[Problem]:
    path = f"{ARGS}.image"
    _, high = api_limits("ContainerImage")
    if "@sha256:" not in image:
        return [Problem(path, "is not pinned by digest (use <registry>/<repository>@sha256:<64 hex>; tags can "
                        "be moved, MLP-MDL-02)", image)]
    match = _IMAGE.match(image)
    if match is None or len(image) > (high or len(image)):
        return [Problem(path, "is not an ECR image URI pinned by digest "
                        "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>; SageMaker "
                        f"hosting pulls from ECR, at most {high} characters)", image)]
    derived = image_repository_arn(image)
    if repository_arn is not None and repository_arn != derived:
        return [Problem(f"{ARGS}.image_repository_arn", f"does not match the image's repository {derived!r} "
                        "(omit it: it is derived from the image)", repository_arn)]
    return []


def _prefix_problems(prefix: str) -> list[Problem]:
    path = f"{ARGS}.model_artifacts_prefix"
    if prefix == "" or prefix.startswith("/") or "*" in prefix or "?" in prefix or not prefix.endswith("/"):
        return [Problem(path, "is not a key prefix (no leading '/', no wildcards, ending with '/', e.g. 'churn/')",
                        prefix)]
    return []


def _variant_problems(args: ServingEndpointArgs) -> list[Problem]:
    problems: list[Problem] = []
    low, high = api_limits("ProductionVariantList")
    if not (low or 0) <= len(args.variants) <= (high or 10):
        problems.append(Problem(f"{ARGS}.variants", f"must list {low} to {high} variants", len(args.variants)))
    problems += _each_variant("variants", args.variants)
    problems += _each_variant("shadow_variants", args.shadow_variants)
    if args.variants and all(v.initial_weight == 0 for v in args.variants):
        problems.append(Problem(f"{ARGS}.variants", "all have initial_weight 0: at least one must take traffic"))
    seen: set[str] = set()
    for field in ("variants", "shadow_variants"):
        for i, variant in enumerate(getattr(args, field)):
            if variant.name in seen:
                problems.append(Problem(f"{ARGS}.{field}.{i}.name", "is used by another variant (names must be "
                                        "unique across production and shadow variants)", variant.name))
            seen.add(variant.name)
    if args.shadow_variants:
        if len(args.shadow_variants) > 1:
            problems.append(Problem(f"{ARGS}.shadow_variants", "lists more than one shadow variant (the API takes "
                                    "one)", len(args.shadow_variants)))
        if len(args.variants) != 1:
            problems.append(Problem(f"{ARGS}.shadow_variants", "need exactly one production variant (the API "
                                    f"takes one with a shadow; variants has {len(args.variants)})"))
        if args.async_inference is not None:
            problems.append(Problem(f"{ARGS}.shadow_variants", "cannot be used with async_inference (SageMaker "
                                    "shadow tests exclude asynchronous endpoints)"))
    low, high = api_limits("SamplingPercentage")
    if not max(1, low or 1) <= args.data_capture_sampling_percentage <= (high or 100):
        problems.append(Problem(f"{ARGS}.data_capture_sampling_percentage", "must be 1 to 100",
                                args.data_capture_sampling_percentage))
    if args.async_inference is not None:
        value = args.async_inference.max_concurrent_invocations_per_instance
        low, high = api_limits("MaxConcurrentInvocationsPerInstance")
        if value is not None and not (low or 1) <= value <= (high or 1000):
            problems.append(Problem(f"{ARGS}.async_inference.max_concurrent_invocations_per_instance",
                                    f"must be {low} to {high} (the API's bounds)", value))
    return problems


def _each_variant(field: str, variants: Sequence[ProductionVariantArgs]) -> list[Problem]:
    problems: list[Problem] = []
    types = hosting_instance_types()
    for i, variant in enumerate(variants):
        where = f"{ARGS}.{field}.{i}"
        problems += _variant_name_problems(f"{where}.name", variant.name)
        if variant.instance_type not in types:
            hint = _closest(variant.instance_type, types)
            problems.append(Problem(f"{where}.instance_type", "is not a SageMaker hosting instance type "
                                    f"(botocore ProductionVariantInstanceType{hint})", variant.instance_type))
        if variant.initial_instance_count < 1:
            problems.append(Problem(f"{where}.initial_instance_count", "must be at least 1",
                                    variant.initial_instance_count))
        if variant.initial_weight < 0 or math.isnan(variant.initial_weight):
            problems.append(Problem(f"{where}.initial_weight", "must be 0 or more (a share relative to the other "
                                    "variants)", variant.initial_weight))
    return problems


def _variant_name_problems(path: str, name: str) -> list[Problem]:
    _, high = api_limits("VariantName")
    if not api_pattern("VariantName").fullmatch(name) or len(name) > (high or 63):
        return [Problem(path, f"is not a variant name (letters, digits and '-', starting and ending with a letter "
                        f"or digit, at most {high} characters)", name)]
    return []


def _closest(value: str, allowed: Iterable[str]) -> str:
    family = value.rsplit(".", 1)[0] + "."
    same = sorted(t for t in allowed if t.startswith(family))
    return f"; {family}* has {', '.join(same[:6])}" if same else ", e.g. ml.m5.large"


def _serverless_problems(args: ServingEndpointArgs) -> list[Problem]:
    assert args.serverless is not None
    cfg, where = args.serverless, f"{ARGS}.serverless"
    problems: list[Problem] = []
    explicit = args.model_fields_set
    conflicts = {
        "variants": "provisioned variants (serverless is the alternative: drop one of them)",
        "shadow_variants": "shadow variants (AWS offers them for provisioned endpoints only)",
        "async_inference": "async inference (AWS offers it for provisioned endpoints only)",
        "data_capture_sampling_percentage": "data capture (AWS does not capture serverless traffic)",
        "autoscaling": "autoscaling (a serverless endpoint scales with requests, to zero when idle)",
        "scale_down_schedule": "a scale-down schedule (a serverless endpoint already scales to zero when idle)",
    }
    for field, what in conflicts.items():
        value = getattr(args, field)
        if field in explicit and value not in (None, ()):
            problems.append(Problem(f"{ARGS}.{field}", f"cannot be used with serverless: {what}"))
    problems += _variant_name_problems(f"{where}.variant_name", cfg.variant_name)
    low, high = api_limits("ServerlessMemorySizeInMB")
    if not (low or 1024) <= cfg.memory_size_in_mb <= (high or 6144) or cfg.memory_size_in_mb % SERVERLESS_MEMORY_STEP_MB:
        sizes = ", ".join(str(s) for s in range(low or 1024, (high or 6144) + 1, SERVERLESS_MEMORY_STEP_MB))
        problems.append(Problem(f"{where}.memory_size_in_mb", f"is not a serverless memory size (allowed: {sizes})",
                                cfg.memory_size_in_mb))
    low, high = api_limits("ServerlessMaxConcurrency")
    if not (low or 1) <= cfg.max_concurrency <= (high or 200):
        problems.append(Problem(f"{where}.max_concurrency", f"must be {low} to {high}", cfg.max_concurrency))
    if cfg.provisioned_concurrency is not None:
        low, high = api_limits("ServerlessProvisionedConcurrency")
        if not (low or 1) <= cfg.provisioned_concurrency <= min(high or 200, cfg.max_concurrency):
            problems.append(Problem(f"{where}.provisioned_concurrency",
                                    f"must be {low} to max_concurrency ({cfg.max_concurrency})",
                                    cfg.provisioned_concurrency))
    return problems


def _deployment_problems(d: BlueGreenDeploymentArgs) -> list[Problem]:
    where = f"{ARGS}.deployment"
    problems: list[Problem] = []
    _, max_value = api_limits("CapacitySizeValue")
    if d.traffic == "CANARY" and not 1 <= d.canary_size_percent <= MAX_CANARY_PERCENT:
        problems.append(Problem(f"{where}.canary_size_percent", f"must be 1 to {MAX_CANARY_PERCENT} (the API takes "
                                "a canary of at most half the capacity)", d.canary_size_percent))
    if d.traffic == "LINEAR" and not LINEAR_STEP_PERCENT[0] <= d.linear_step_percent <= LINEAR_STEP_PERCENT[1]:
        problems.append(Problem(f"{where}.linear_step_percent", f"must be {LINEAR_STEP_PERCENT[0]} to "
                                f"{LINEAR_STEP_PERCENT[1]} (the API's linear step sizes)", d.linear_step_percent))
    for field, shape in (("wait_in_seconds", "WaitIntervalInSeconds"),
                         ("termination_wait_in_seconds", "TerminationWaitInSeconds"),
                         ("maximum_execution_timeout_in_seconds", "MaximumExecutionTimeoutInSeconds")):
        value = getattr(d, field)
        low, high = api_limits(shape)
        if value is not None and not (low or 0) <= value <= (high or value):
            problems.append(Problem(f"{where}.{field}", f"must be {low} to {high} seconds (the API's bounds)", value))
    timeout = d.maximum_execution_timeout_in_seconds
    waits = total_wait_seconds(d)
    if timeout is not None and timeout <= waits:
        problems.append(Problem(f"{where}.maximum_execution_timeout_in_seconds", f"must be longer than the "
                                f"deployment's waits ({waits} s: traffic steps and termination wait)", timeout))
    room = MAX_ALARMS - len(OWN_ROLLBACK_ALARMS)
    if len(d.rollback_alarm_names) > room:
        problems.append(Problem(f"{where}.rollback_alarm_names", f"lists more than {room} alarms (the API takes "
                                f"{MAX_ALARMS}, the endpoint's own 5XX and latency alarms included)",
                                len(d.rollback_alarm_names)))
    low, high = api_limits("AlarmName")
    for i, name in enumerate(d.rollback_alarm_names):
        if not name.strip() or len(name) > (high or 255):
            problems.append(Problem(f"{where}.rollback_alarm_names.{i}", f"is not an alarm name (1 to {high} "
                                    "characters, not blank)", name))
    if len(set(d.rollback_alarm_names)) != len(d.rollback_alarm_names):
        problems.append(Problem(f"{where}.rollback_alarm_names", "lists an alarm twice", d.rollback_alarm_names))
    if d.rollback_5xx_errors_threshold < 1:
        problems.append(Problem(f"{where}.rollback_5xx_errors_threshold", "must be at least 1 error per minute",
                                d.rollback_5xx_errors_threshold))
    if not d.rollback_model_latency_p99_ms > 0:
        problems.append(Problem(f"{where}.rollback_model_latency_p99_ms", "must be more than 0 milliseconds",
                                d.rollback_model_latency_p99_ms))
    return problems


def total_wait_seconds(d: BlueGreenDeploymentArgs) -> int:
    """Seconds a deployment waits in all (traffic steps, then the termination wait)."""
    steps = {"ALL_AT_ONCE": 1, "CANARY": 2, "LINEAR": math.ceil(100 / max(d.linear_step_percent, 1))}[d.traffic]
    return d.wait_in_seconds * max(steps - 1, 1) + d.termination_wait_in_seconds


def _scaling_problems(args: ServingEndpointArgs) -> list[Problem]:
    problems: list[Problem] = []
    scaling, schedule = args.autoscaling, args.scale_down_schedule
    if scaling is not None:
        where = f"{ARGS}.autoscaling"
        if scaling.min_capacity < 1:
            problems.append(Problem(f"{where}.min_capacity", "must be at least 1 (a variant cannot scale to 0 "
                                    "instances)", scaling.min_capacity))
        if scaling.max_capacity < scaling.min_capacity:
            problems.append(Problem(f"{where}.max_capacity", f"is below min_capacity ({scaling.min_capacity})",
                                    scaling.max_capacity))
        if not scaling.target_invocations_per_instance > 0:
            problems.append(Problem(f"{where}.target_invocations_per_instance", "must be more than 0",
                                    scaling.target_invocations_per_instance))
        for field in ("scale_in_cooldown_seconds", "scale_out_cooldown_seconds"):
            if getattr(scaling, field) < 0:
                problems.append(Problem(f"{where}.{field}", "must be 0 or more seconds", getattr(scaling, field)))
    if schedule is not None:
        where = f"{ARGS}.scale_down_schedule"
        for field in ("scale_down_cron", "scale_up_cron"):
            value = getattr(schedule, field)
            if not _CRON.match(value):
                problems.append(Problem(f"{where}.{field}", "is not an Application Auto Scaling cron expression "
                                        "(cron(Minutes Hours Day-of-month Month Day-of-week Year), e.g. "
                                        "'cron(0 20 ? * MON-FRI *)')", value))
        if schedule.scale_down_cron == schedule.scale_up_cron:
            problems.append(Problem(f"{where}.scale_up_cron", "is the same as scale_down_cron",
                                    schedule.scale_up_cron))
        zones = _time_zones()
        if schedule.timezone != "UTC" and zones and schedule.timezone not in zones:
            problems.append(Problem(f"{where}.timezone", "is not an IANA time zone (e.g. Europe/Paris)",
                                    schedule.timezone))
        if schedule.capacity < 1:
            problems.append(Problem(f"{where}.capacity", "must be at least 1 (provisioned variants cannot scale "
                                    "to 0; serverless endpoints scale to zero on their own)", schedule.capacity))
        ceiling = scaling.max_capacity if scaling is not None and scaling.max_capacity >= 1 else None
        if ceiling is not None and schedule.capacity > ceiling:
            problems.append(Problem(f"{where}.capacity", f"is above autoscaling.max_capacity ({ceiling}): that is "
                                    "no scale-down", schedule.capacity))
    return problems


@functools.lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    """IANA zones this machine knows (empty without a tz database: the check is then skipped)."""
    return frozenset(zoneinfo.available_timezones())


def endpoint_name_for(name: str, name_prefix: str = "") -> str:
    """The endpoint's deterministic physical name."""
    return f"{name_prefix}{name}"


def endpoint_problems(name: str, args: ServingEndpointArgs) -> list[Problem]:
    """Checks that need the component name: the physical names derived from it."""
    problems: list[Problem] = []
    endpoint = endpoint_name_for(name, args.name_prefix)
    _, high = api_limits("EndpointName")
    if not api_pattern("EndpointName").fullmatch(endpoint) or len(endpoint) > (high or 63):
        problems.append(Problem("ServingEndpoint.endpoint_name", "is not a SageMaker endpoint name (letters, digits "
                                f"and '-', starting and ending with a letter or digit, at most {high} characters); "
                                f"it is `<{ARGS}.name_prefix><component name>`: shorten either", endpoint))
    elif not args.waits_for_model and len(name) > MAX_MODEL_AUTONAME:
        problems.append(Problem("ServingEndpoint.name", f"is longer than {MAX_MODEL_AUTONAME} characters: the "
                                "model is auto-named `<name>-model-<7 hex>` and SageMaker model names are at most "
                                "63", name))
    if args.model_data_url is not None:
        match = _S3_URL.match(args.model_data_url)
        prefix = artifacts_prefix(name, args)
        if match and not match.group("key").startswith(prefix):
            problems.append(Problem(f"{ARGS}.model_data_url", f"is not under the model artifacts prefix {prefix!r} "
                                    "(the execution role may read only there; set model_artifacts_prefix)",
                                    args.model_data_url))
    return problems


def artifacts_prefix(name: str, args: ServingEndpointArgs) -> str:
    return args.model_artifacts_prefix or f"{name}/"


def image_repository_arn(image: str) -> str:
    """The ARN of the ECR repository an image URI (…amazonaws.com/<repo>@sha256:…) comes from."""
    match = _IMAGE.match(image)
    if match is None:
        raise ValueError(f"{image!r} is not an ECR image URI pinned by digest")
    partition = "aws-cn" if match.group("cn") else "aws"
    return f"arn:{partition}:ecr:{match.group('region')}:{match.group('account')}:repository/{match.group('repo')}"


def config_name_prefix(endpoint_name: str) -> str:
    """The endpoint configuration's name prefix: fits the provider's 26-character unique suffix."""
    return endpoint_name[: CONFIG_PREFIX_ROOM - 1].rstrip("-") + "-"


