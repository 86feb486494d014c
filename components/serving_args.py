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
from typing import Any, ClassVar, Iterable, Literal, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws
from pydantic import AliasChoices, ConfigDict, Field, PrivateAttr, model_validator

from ._lineage import check_lineage_name, check_source_revision
from .artifact_store import CAPTURES, MODELS, GovernedBucket
from mlplat.core import aws_models
from mlplat.core.models import ArgsModel, Number, Spec, StrictBool, StrictInt, StrictModel
from mlplat.core.validators import check_log_retention
from mlplat.core.vocabulary import MAX_API_INTEGER
from mlplat.core.errors import Problem
from .network import Network

__all__ = [
    "api_limits",
    "api_pattern",
    "ARGS",
    "DEPRECATED_PACKAGE_KEY",
    "args_problems",
    "artifacts_prefix",
    "AsyncInferenceArgs",
    "AutoscalingArgs",
    "AutoscalingSpec",
    "BlueGreenDeploymentArgs",
    "BlueGreenDeploymentSpec",
    "config_name_prefix",
    "CONFIG_PREFIX_ROOM",
    "endpoint_name_for",
    "endpoint_problems",
    "hosting_instance_types",
    "image_repository_arn",
    "LATEST_APPROVED",
    "LINEAR_STEP_PERCENT",
    "MAX_ALARMS",
    "MAX_CANARY_PERCENT",
    "MAX_MODEL_AUTONAME",
    "name_problems",
    "OWN_ROLLBACK_ALARMS",
    "ProductionVariantArgs",
    "ProductionVariantSpec",
    "ScaleDownScheduleArgs",
    "ScaleDownScheduleSpec",
    "SERVERLESS_MEMORY_STEP_MB",
    "SERVING_REPOSITORY",
    "ServerlessArgs",
    "ServerlessSpec",
    "ServingEndpointArgs",
    "ServingEndpointSpec",
    "settings_problems",
    "total_wait_seconds",
    "Traffic",
]

ARGS = "ServingEndpointArgs"

# `model_package: latest-approved`: the newest Approved package of the family's group, resolved by the platform.
LATEST_APPROVED = "latest-approved"
DEPRECATED_PACKAGE_KEY = "model_package_arn"  # the old name of model_package
SERVING_REPOSITORY = "serving"  # the registry's repository kind an endpoint of the family pulls from
_BOTH_PACKAGE_KEYS = "model_package_arn+model_package"

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


class ProductionVariantSpec(Spec):
    """One provisioned variant (checked by ServingEndpointArgs, which names the failing field)."""

    name: str = Field(
        default="primary",
        description="Variant name; keep it stable (blue/green updates require the same names). Omitted: primary.",
    )
    instance_type: str = Field(
        default="ml.m5.large",
        description="A SageMaker hosting instance type (botocore's ProductionVariantInstanceType). Omitted: ml.m5.large.",
    )
    initial_instance_count: StrictInt = Field(
        default=2, description="Instances at creation (autoscaling may change it). Omitted: 2 (one per AZ)."
    )
    initial_weight: Number = Field(
        default=1.0, description="Share of traffic relative to the other variants' weights. Omitted: 1.0."
    )


class ServerlessSpec(Spec):
    """A serverless variant instead of provisioned ones (dev and low-traffic models)."""

    variant_name: str = Field(default="primary", description="The single variant's name. Omitted: primary.")
    memory_size_in_mb: StrictInt = Field(
        default=2048, description="1024 to 6144 in steps of 1024 (the API's sizes). Omitted: 2048."
    )
    max_concurrency: StrictInt = Field(default=5, description="Concurrent invocations, 1 to 200. Omitted: 5.")
    provisioned_concurrency: Optional[StrictInt] = Field(
        default=None,
        description="Pre-warmed concurrency, 1 to max_concurrency (billed while idle). "
        "Omitted: none; the endpoint scales to zero when idle.",
    )


class AsyncInferenceArgs(StrictModel):
    """Asynchronous inference (provisioned endpoints only)."""

    max_concurrent_invocations_per_instance: Optional[StrictInt] = Field(
        default=None,
        description="Requests each instance processes at once, 1 to 1000. Omitted: SageMaker chooses.",
    )


class BlueGreenDeploymentSpec(Spec):
    """How an update shifts traffic to the new fleet, and what rolls it back."""

    traffic: Traffic = Field(
        default="CANARY",
        description="ALL_AT_ONCE, CANARY (a canary, then the rest) or LINEAR (equal steps). Omitted: CANARY.",
    )
    canary_size_percent: StrictInt = Field(
        default=10, description="CANARY: share of capacity in the canary step, 1 to 50. Omitted: 10."
    )
    linear_step_percent: StrictInt = Field(
        default=20, description="LINEAR: share of capacity per step, 10 to 50. Omitted: 20."
    )
    wait_in_seconds: StrictInt = Field(
        default=600, description="Wait between traffic steps while alarms are watched, 0 to 3600. Omitted: 600."
    )
    termination_wait_in_seconds: StrictInt = Field(
        default=300,
        description="Keep the old fleet this long after the last step (a late alarm can still roll back), "
        "0 to 3600. Omitted: 300.",
    )
    maximum_execution_timeout_in_seconds: Optional[StrictInt] = Field(
        default=None,
        description="Deployment timeout, 600 to 28800 and longer than all waits. Omitted: SageMaker's default.",
    )
    rollback_alarm_names: tuple[str, ...] = Field(
        default=(),
        description="Further CloudWatch alarms that roll a deployment back (at most 8: the API takes 10 "
        "and the endpoint adds its 5XX and latency alarms). Omitted: only the endpoint's own alarms.",
    )
    rollback_5xx_errors_threshold: StrictInt = Field(
        default=1,
        description="The 5XX rollback alarm fires when a minute has at least this many 5XX errors, two "
        "minutes in a row. Omitted: 1.",
    )
    rollback_model_latency_p99_ms: Number = Field(
        default=1000.0,
        description="The latency rollback alarm fires when p99 model latency exceeds this many "
        "milliseconds, two minutes in a row. Omitted: 1000.",
    )


class AutoscalingSpec(Spec):
    """Target tracking on invocations per instance, per production variant."""

    min_capacity: StrictInt = Field(default=2, description="Fewest instances per variant, >= 1. Omitted: 2.")
    max_capacity: StrictInt = Field(default=4, description="Most instances per variant. Omitted: 4.")
    target_invocations_per_instance: Optional[Number] = Field(
        default=None,
        description="Invocations per instance per minute the policy keeps each variant at (from a load "
        "test: sustainable requests per second x 60 x a safety factor). Omitted: refused (autoscaling needs it).",
    )
    scale_in_cooldown_seconds: StrictInt = Field(default=300, description="Omitted: 300.")
    scale_out_cooldown_seconds: StrictInt = Field(default=60, description="Omitted: 60.")


class ScaleDownScheduleSpec(Spec):
    """Out-of-hours scale-down of provisioned variants (meant for dev)."""

    scale_down_cron: str = Field(description="When to scale down: cron(Minutes Hours Day Month Weekday Year).")
    scale_up_cron: str = Field(description="When to restore capacity, same syntax.")
    timezone: str = Field(default="UTC", description="IANA time zone of both expressions. Omitted: UTC.")
    capacity: StrictInt = Field(
        default=1, description="Instances per variant while scaled down, >= 1 (variants cannot go to 0). Omitted: 1."
    )


# The parts' former names (they were data-only already).
ProductionVariantArgs = ProductionVariantSpec
ServerlessArgs = ServerlessSpec
BlueGreenDeploymentArgs = BlueGreenDeploymentSpec
AutoscalingArgs = AutoscalingSpec
ScaleDownScheduleArgs = ScaleDownScheduleSpec


def _schema_with_deprecated_key(schema: dict[str, Any]) -> None:
    """The JSON Schema still accepts the deprecated key (editors flag it as deprecated)."""
    schema.setdefault("properties", {})[DEPRECATED_PACKAGE_KEY] = {
        "type": "string", "deprecated": True,
        "description": "Deprecated name of model_package (same value); rename the key.",
    }


class ServingEndpointSpec(Spec):
    """An endpoint's settings (data only; each of the stack config's `serving.endpoints`)."""

    model_config = ConfigDict(json_schema_extra=_schema_with_deprecated_key)

    model_package: Optional[str] = Field(
        default=None,
        validation_alias=AliasChoices("model_package", "model_package_arn"),
        description="The model to deploy from the registry: a versioned, approved model package ARN "
        "(…:model-package/<group>/<version>), or `latest-approved` (the stack config only, with model_family: "
        "the newest Approved package of the family's group, looked up at preview/up). `model_package_arn` is the "
        "deprecated name of this key. Omitted (and no image): the endpoint waits for an approved model package "
        "(see the module docs).",
    )
    image: Optional[str] = Field(
        default=None,
        description="Raw model source, dev only: an ECR image pinned by digest (…@sha256:<64 hex>), with "
        "model_data_url (ServingEndpointArgs also need allow_raw_model_artifacts=True). Omitted: the model comes "
        "from model_package.",
    )
    model_data_url: Optional[str] = Field(
        default=None,
        description="Raw model source, dev only: s3://<models bucket>/<model_artifacts_prefix>…/model.tar.gz. "
        "Omitted: the model comes from model_package.",
    )
    image_repository_arn: Optional[str] = Field(
        default=None,
        description="The ECR repository the inference image comes from; the role may pull only from it. "
        "Required with model_package unless the family's registry provides the repository (the stack config: "
        "a family of model_registry.families, whose `serving` repository is wired; not allowed then). Omitted "
        "with image: derived from the image URI; omitted while waiting for a package: no ECR permission.",
    )
    model_artifacts_prefix: Optional[str] = Field(
        default=None,
        description="Key prefix in the models bucket holding this model's artifacts (ends with '/'); the role "
        "may read only under it. Omitted: `<component name>/`.",
    )
    variants: tuple[ProductionVariantSpec, ...] = Field(
        default=(ProductionVariantSpec(),),
        description="Provisioned production variants, 1 to 10, all serving the model. Omitted: one variant "
        "`primary` with 2 x ml.m5.large. Not with serverless.",
    )
    serverless: Optional[ServerlessSpec] = Field(
        default=None,
        description="Serve from one serverless variant instead (no VPC, no data capture, no shadow or async). "
        "Omitted: provisioned variants.",
    )
    data_capture_sampling_percentage: StrictInt = Field(
        default=100,
        description="Share of requests whose input and output are captured, 1 to 100 (provisioned only). Omitted: 100.",
    )
    deployment: BlueGreenDeploymentSpec = Field(
        default=BlueGreenDeploymentSpec(),
        description="Blue/green traffic shifting and auto-rollback. Omitted: canary of 10%, 600 s waits, 300 s "
        "bake, rollback on the endpoint's 5XX and p99 latency alarms.",
    )
    autoscaling: Optional[AutoscalingSpec] = Field(
        default=None,
        description="Target tracking on invocations per instance for each production variant (provisioned "
        "only). Omitted: each variant keeps its initial_instance_count.",
    )
    scale_down_schedule: Optional[ScaleDownScheduleSpec] = Field(
        default=None,
        description="Out-of-hours scale-down of provisioned variants (a scalable target is registered even "
        "without autoscaling). Omitted: capacity never changes on a schedule.",
    )
    log_retention_days: StrictInt = Field(
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

    # Keys of the data that used a deprecated name (set while validating; never serialised).
    _deprecated_keys: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _note_deprecated_keys(cls, data: Any, handler: Any) -> Any:
        both = isinstance(data, Mapping) and DEPRECATED_PACKAGE_KEY in data and "model_package" in data
        if both:  # reported by settings_problems at the old key, not as an unknown key
            data = {k: v for k, v in data.items() if k != DEPRECATED_PACKAGE_KEY}
        model = handler(data)
        if both:
            model._deprecated_keys = (_BOTH_PACKAGE_KEYS,)
        elif isinstance(data, Mapping) and DEPRECATED_PACKAGE_KEY in data:
            model._deprecated_keys = (DEPRECATED_PACKAGE_KEY,)
        return model

    @property
    def deprecated_keys(self) -> tuple[str, ...]:
        """The deprecated keys this data used (`model_package_arn`), for a deprecation warning."""
        return tuple(k for k in self._deprecated_keys if k != _BOTH_PACKAGE_KEYS)

    @property
    def model_package_arn(self) -> Optional[str]:
        """Deprecated name of `model_package`."""
        return self.model_package

    @property
    def latest_approved(self) -> bool:
        return self.model_package == LATEST_APPROVED

    def problems_at(self, base: str) -> list[Problem]:
        return settings_problems(self, base)

    @property
    def waits_for_model(self) -> bool:
        return self.model_package is None and self.image is None and self.model_data_url is None


class ServingEndpointArgs(ServingEndpointSpec, ArgsModel):
    renamed_fields: ClassVar[Mapping[str, str]] = {DEPRECATED_PACKAGE_KEY: "model_package"}

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
    allow_raw_model_artifacts: StrictBool = Field(
        default=False,
        description="Allow image + model_data_url instead of a registered package; the caller sets it in dev "
        "only. Omitted: refused.",
    )
    shadow_variants: tuple[ProductionVariantSpec, ...] = Field(
        default=(),
        description="At most one shadow variant receiving a copy of the traffic (with exactly one production "
        "variant; not with serverless or async). Omitted: none.",
    )
    async_inference: Optional[AsyncInferenceArgs] = Field(
        default=None,
        description="Asynchronous inference: outputs and failures go to the captures bucket under "
        "`<endpoint>/async-output` and `<endpoint>/async-failures`, encrypted with its key. Omitted: real-time.",
    )
    image_repository: Optional[aws.ecr.Repository] = Field(
        default=None,
        description="The ECR repository of the package's inference image, by reference (e.g. "
        "`registry.family('churn').repository('serving')`); the role may pull only from it. Instead of "
        "image_repository_arn. Omitted: image_repository_arn.",
    )
    name_prefix: str = Field(
        default="",
        description="The endpoint is named `<name_prefix><component name>` (docs/DECISIONS.md, Naming: `<project>-<env>-`). "
        "Omitted: the component name alone.",
    )

    def problems(self) -> list[Problem]:
        return args_problems(self)

    @property
    def production_variant_names(self) -> tuple[str, ...]:
        if self.serverless is not None:
            return (self.serverless.variant_name,)
        return tuple(v.name for v in self.variants)


# --- validation (pure) -------------------------------------------------------------------------


def args_problems(args: ServingEndpointArgs) -> list[Problem]:
    """Every impossible combination or value in `args` (name-independent checks)."""
    problems = _wiring_problems(args)
    problems += settings_problems(args, ARGS, allow_raw_model_artifacts=args.allow_raw_model_artifacts,
                                  shadow_variants=args.shadow_variants, async_inference=args.async_inference,
                                  repository_wired=args.image_repository is not None)
    if args.model_package == LATEST_APPROVED:
        problems.append(Problem(f"{ARGS}.model_package", f"is {LATEST_APPROVED!r}, which the platform resolves from "
                                "the stack config (MLPlatform); a component deploys a versioned package ARN: pass the "
                                "one to deploy"))
    if args.image_repository is not None and args.image_repository_arn is not None:
        problems.append(Problem(f"{ARGS}.image_repository_arn", "cannot be combined with image_repository (give the "
                                "repository once: by reference, or its ARN)", args.image_repository_arn))
    if args.image_repository is not None and args.image is not None:
        problems.append(Problem(f"{ARGS}.image_repository", "cannot be combined with image (the repository is the "
                                "image's own)"))
    if args.name_prefix and not _NAME_PREFIX.match(args.name_prefix):
        problems.append(
            Problem(f"{ARGS}.name_prefix",
                    "is not an endpoint name prefix (letters, digits and '-', starting with a letter or digit, "
                    "ending with '-', e.g. 'mlplat-prod-')", args.name_prefix)
        )
    return problems


def settings_problems(
    settings: ServingEndpointSpec, base: str, *, allow_raw_model_artifacts: Optional[bool] = None,
    shadow_variants: Sequence[ProductionVariantSpec] = (), async_inference: Optional[AsyncInferenceArgs] = None,
    repository_wired: bool = False,
) -> list[Problem]:
    """Every problem of an endpoint's settings, with paths under `base`.

    The Args pass what they add (`allow_raw_model_artifacts`, shadow variants, async inference, an
    image repository by reference); the stack config passes whether the family's registry provides
    the repository: its environment rules say where raw model artifacts are allowed."""
    problems: list[Problem] = []
    problems += _model_source_problems(settings, base, allow_raw_model_artifacts, repository_wired)
    if settings.serverless is not None:
        problems += _serverless_problems(settings, base, shadow_variants, async_inference)
    else:
        problems += _variant_problems(settings, base, shadow_variants, async_inference)
    problems += _deployment_problems(settings.deployment, f"{base}.deployment")
    problems += _scaling_problems(settings, base)
    problems.extend(check_log_retention(f"{base}.log_retention_days", settings.log_retention_days))
    if settings.model_family is not None:
        problems += check_lineage_name(f"{base}.model_family", settings.model_family, "model family")
    if settings.source_revision is not None:
        problems += check_source_revision(f"{base}.source_revision", settings.source_revision)
        if settings.model_family is None:
            problems.append(
                Problem(f"{base}.source_revision", "needs model_family (lineage tags name the family first)",
                        settings.source_revision)
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


def _model_source_problems(args: ServingEndpointSpec, base: str, allow_raw: Optional[bool],
                           repository_wired: bool) -> list[Problem]:
    problems: list[Problem] = []
    raw = args.image is not None or args.model_data_url is not None
    if _BOTH_PACKAGE_KEYS in args._deprecated_keys:
        problems.append(Problem(f"{base}.{DEPRECATED_PACKAGE_KEY}", "is the old name of model_package; give only "
                                "model_package"))
    if args.model_package is not None:
        if args.model_package == LATEST_APPROVED:
            if args.model_family is None:
                problems.append(Problem(f"{base}.model_family", f"is required with model_package: {LATEST_APPROVED} "
                                        "(the family whose model package group is read)"))
        else:
            problems += _package_problems(args.model_package, base)
        if raw:
            given = "image" if args.image is not None else "model_data_url"
            problems.append(
                Problem(f"{base}.{given}", "cannot be combined with model_package (choose one model "
                        "source: the registered package, or image + model_data_url in dev)")
            )
        if args.image_repository_arn is None and not repository_wired and args.model_package != LATEST_APPROVED:
            problems.append(
                Problem(f"{base}.image_repository_arn", "is required with model_package (the ECR repository "
                        "of the package's inference image: the execution role may pull only from it; a family "
                        "the model registry declares provides it)")
            )
    elif raw:
        if args.image is None:
            problems.append(Problem(f"{base}.image", "is required with model_data_url (a raw model needs both)"))
        if args.model_data_url is None:
            problems.append(Problem(f"{base}.model_data_url", "is required with image (a raw model needs both)"))
        if allow_raw is False:
            problems.append(
                Problem(f"{base}.allow_raw_model_artifacts", "must be True to deploy image + model_data_url "
                        "instead of a registered model package (dev only: staging and prod deploy approved "
                        "packages, MLP-MDL-03)", False)
            )
    if args.image is not None:
        problems += _image_problems(args.image, args.image_repository_arn, base)
    elif args.image_repository_arn is not None and not _REPOSITORY_ARN.match(args.image_repository_arn):
        problems.append(
            Problem(f"{base}.image_repository_arn", "is not an ECR repository ARN "
                    "(arn:aws:ecr:<region>:<account>:repository/<name>)", args.image_repository_arn)
        )
    if args.model_data_url is not None and not _S3_URL.match(args.model_data_url):
        problems.append(
            Problem(f"{base}.model_data_url", "is not an S3 URL of a model archive (s3://<bucket>/<key>)",
                    args.model_data_url)
        )
    if args.model_artifacts_prefix is not None:
        problems += _prefix_problems(args.model_artifacts_prefix, base)
    return problems


def _package_problems(arn: str, base: str) -> list[Problem]:
    low, high = api_limits("ModelPackageArn")
    if (
        not api_pattern("ModelPackageArn").fullmatch(arn)
        or not _VERSIONED_PACKAGE.match(arn)
        or len(arn) > (high or len(arn))
    ):
        return [
            Problem(f"{base}.model_package", "is not a versioned model package ARN from the registry "
                    "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>) or "
                    f"{LATEST_APPROVED!r}", arn)
        ]
    return []


def _image_problems(image: str, repository_arn: Optional[str], base: str) -> list[Problem]:
    path = f"{base}.image"
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
        return [Problem(f"{base}.image_repository_arn", f"does not match the image's repository {derived!r} "
                        "(omit it: it is derived from the image)", repository_arn)]
    return []


def _prefix_problems(prefix: str, base: str) -> list[Problem]:
    path = f"{base}.model_artifacts_prefix"
    if prefix == "" or prefix.startswith("/") or "*" in prefix or "?" in prefix or not prefix.endswith("/"):
        return [Problem(path, "is not a key prefix (no leading '/', no wildcards, ending with '/', e.g. 'churn/')",
                        prefix)]
    return []


def _variant_problems(args: ServingEndpointSpec, base: str, shadow_variants: Sequence[ProductionVariantSpec],
                      async_inference: Optional[AsyncInferenceArgs]) -> list[Problem]:
    problems: list[Problem] = []
    low, high = api_limits("ProductionVariantList")
    if not (low or 0) <= len(args.variants) <= (high or 10):
        problems.append(Problem(f"{base}.variants", f"must list {low} to {high} variants", len(args.variants)))
    problems += _each_variant(f"{base}.variants", args.variants)
    problems += _each_variant(f"{base}.shadow_variants", shadow_variants)
    if args.variants and all(v.initial_weight == 0 for v in args.variants):
        problems.append(Problem(f"{base}.variants", "all have initial_weight 0: at least one must take traffic"))
    seen: set[str] = set()
    for field, variants in (("variants", args.variants), ("shadow_variants", shadow_variants)):
        for i, variant in enumerate(variants):
            if variant.name in seen:
                problems.append(Problem(f"{base}.{field}.{i}.name", "is used by another variant (names must be "
                                        "unique across production and shadow variants)", variant.name))
            seen.add(variant.name)
    if shadow_variants:
        if len(shadow_variants) > 1:
            problems.append(Problem(f"{base}.shadow_variants", "lists more than one shadow variant (the API takes "
                                    "one)", len(shadow_variants)))
        if len(args.variants) != 1:
            problems.append(Problem(f"{base}.shadow_variants", "need exactly one production variant (the API "
                                    f"takes one with a shadow; variants has {len(args.variants)})"))
        if async_inference is not None:
            problems.append(Problem(f"{base}.shadow_variants", "cannot be used with async_inference (SageMaker "
                                    "shadow tests exclude asynchronous endpoints)"))
    low, high = api_limits("SamplingPercentage")
    if not max(1, low or 1) <= args.data_capture_sampling_percentage <= (high or 100):
        problems.append(Problem(f"{base}.data_capture_sampling_percentage", "must be 1 to 100",
                                args.data_capture_sampling_percentage))
    if async_inference is not None:
        value = async_inference.max_concurrent_invocations_per_instance
        low, high = api_limits("MaxConcurrentInvocationsPerInstance")
        if value is not None and not (low or 1) <= value <= (high or 1000):
            problems.append(Problem(f"{base}.async_inference.max_concurrent_invocations_per_instance",
                                    f"must be {low} to {high} (the API's bounds)", value))
    return problems


def _each_variant(base: str, variants: Sequence[ProductionVariantSpec]) -> list[Problem]:
    problems: list[Problem] = []
    types = hosting_instance_types()
    for i, variant in enumerate(variants):
        where = f"{base}.{i}"
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


def _serverless_problems(args: ServingEndpointSpec, base: str, shadow_variants: Sequence[ProductionVariantSpec],
                         async_inference: Optional[AsyncInferenceArgs]) -> list[Problem]:
    assert args.serverless is not None
    cfg, where = args.serverless, f"{base}.serverless"
    problems: list[Problem] = []
    explicit = set(args.model_fields_set)
    given = {"shadow_variants": tuple(shadow_variants), "async_inference": async_inference}
    explicit |= {field for field, value in given.items() if value not in (None, ())}
    conflicts = {
        "variants": "provisioned variants (serverless is the alternative: drop one of them)",
        "shadow_variants": "shadow variants (AWS offers them for provisioned endpoints only)",
        "async_inference": "async inference (AWS offers it for provisioned endpoints only)",
        "data_capture_sampling_percentage": "data capture (AWS does not capture serverless traffic)",
        "autoscaling": "autoscaling (a serverless endpoint scales with requests, to zero when idle)",
        "scale_down_schedule": "a scale-down schedule (a serverless endpoint already scales to zero when idle)",
    }
    for field, what in conflicts.items():
        value = given[field] if field in given else getattr(args, field)
        if field in explicit and value not in (None, ()):
            problems.append(Problem(f"{base}.{field}", f"cannot be used with serverless: {what}"))
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


def _deployment_problems(d: BlueGreenDeploymentSpec, where: str) -> list[Problem]:
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
    elif d.rollback_5xx_errors_threshold > MAX_API_INTEGER:
        problems.append(Problem(f"{where}.rollback_5xx_errors_threshold", f"is more than the API takes ({MAX_API_INTEGER})",
                                d.rollback_5xx_errors_threshold))
    if not d.rollback_model_latency_p99_ms > 0:
        problems.append(Problem(f"{where}.rollback_model_latency_p99_ms", "must be more than 0 milliseconds",
                                d.rollback_model_latency_p99_ms))
    return problems


def total_wait_seconds(d: BlueGreenDeploymentSpec) -> int:
    """Seconds a deployment waits in all (traffic steps, then the termination wait)."""
    steps = {"ALL_AT_ONCE": 1, "CANARY": 2, "LINEAR": math.ceil(100 / max(d.linear_step_percent, 1))}[d.traffic]
    return d.wait_in_seconds * max(steps - 1, 1) + d.termination_wait_in_seconds


def _scaling_problems(args: ServingEndpointSpec, base: str) -> list[Problem]:
    problems: list[Problem] = []
    scaling, schedule = args.autoscaling, args.scale_down_schedule
    if scaling is not None:
        where = f"{base}.autoscaling"
        if scaling.min_capacity < 1:
            problems.append(Problem(f"{where}.min_capacity", "must be at least 1 (a variant cannot scale to 0 "
                                    "instances)", scaling.min_capacity))
        if scaling.max_capacity < scaling.min_capacity:
            problems.append(Problem(f"{where}.max_capacity", f"is below min_capacity ({scaling.min_capacity})",
                                    scaling.max_capacity))
        if scaling.target_invocations_per_instance is None:
            problems.append(Problem(f"{where}.target_invocations_per_instance", "is required with autoscaling "
                                    "(invocations per instance per minute, from a load test)"))
        elif not scaling.target_invocations_per_instance > 0:
            problems.append(Problem(f"{where}.target_invocations_per_instance", "must be more than 0",
                                    scaling.target_invocations_per_instance))
        for field in ("scale_in_cooldown_seconds", "scale_out_cooldown_seconds"):
            if getattr(scaling, field) < 0:
                problems.append(Problem(f"{where}.{field}", "must be 0 or more seconds", getattr(scaling, field)))
            elif getattr(scaling, field) > MAX_API_INTEGER:
                problems.append(Problem(f"{where}.{field}", f"is more than the API takes ({MAX_API_INTEGER})",
                                        getattr(scaling, field)))
    if schedule is not None:
        where = f"{base}.scale_down_schedule"
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
    return name_problems(name, args.name_prefix, args, ARGS, name_path="ServingEndpoint.name",
                         endpoint_path="ServingEndpoint.endpoint_name",
                         naming=f"`<{ARGS}.name_prefix><component name>`: shorten either")


def name_problems(name: str, name_prefix: str, settings: ServingEndpointSpec, base: str, *, name_path: str,
                  endpoint_path: str, naming: str) -> list[Problem]:
    """The physical names derived from the component name `name`: the endpoint `<name_prefix><name>`,
    the model's auto-name, the artifacts prefix. `naming` says how the endpoint name is made."""
    problems: list[Problem] = []
    endpoint = endpoint_name_for(name, name_prefix)
    _, high = api_limits("EndpointName")
    if not api_pattern("EndpointName").fullmatch(endpoint) or len(endpoint) > (high or 63):
        problems.append(Problem(endpoint_path, "is not a SageMaker endpoint name (letters, digits "
                                f"and '-', starting and ending with a letter or digit, at most {high} characters); "
                                f"it is {naming}", endpoint))
    elif not settings.waits_for_model and len(name) > MAX_MODEL_AUTONAME:
        problems.append(Problem(name_path, f"is longer than {MAX_MODEL_AUTONAME} characters: the "
                                "model is auto-named `<name>-model-<7 hex>` and SageMaker model names are at most "
                                "63", name))
    if settings.model_data_url is not None:
        match = _S3_URL.match(settings.model_data_url)
        prefix = artifacts_prefix(name, settings)
        if match and not match.group("key").startswith(prefix):
            problems.append(Problem(f"{base}.model_data_url", f"is not under the model artifacts prefix {prefix!r} "
                                    "(the execution role may read only there; set model_artifacts_prefix)",
                                    settings.model_data_url))
    return problems


def artifacts_prefix(name: str, args: ServingEndpointSpec) -> str:
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


