"""TrainingPipeline: a model family's SageMaker pipeline, train -> evaluate -> register.

    pipeline = TrainingPipeline("churn-pipeline", TrainingPipelineArgs(
        family=registry.family("churn"), artifact_store=store, network=net, job_logs=job_logs,
        alarm_topic=alarms, environment="prod", metric="auc", threshold=0.75,
    ))
    DriftMonitor("churn-drift", DriftMonitorArgs(..., retraining_pipeline=pipeline))

The pipeline (`<group name>-training`, defined as typed data in `training_pipeline_definition`):

1. `PrepareData` (processing): reads `InputDataUrl` and writes `train`, `validation` and `test`
   under `s3://<datasets>/<family>/pipeline/<execution id>/`;
2. `Train` (training): the training image on the prepared channels; the model artifacts go to
   `s3://<models>/<family>/pipeline/models/`; managed spot training (on by default in dev) keeps
   checkpoints under `s3://<models>/<family>/pipeline/checkpoints/`;
3. `Evaluate` (processing): reads the model and the test split and writes `evaluation.json` (the
   `EvaluationReport` property file) under `s3://<models>/<family>/pipeline/evaluation/<execution id>/`;
4. `CheckMetric` (condition): `metric_path` in the report compared with `threshold`;
5. `RegisterModel` when it holds: a model package in the family's group, the report as its model
   quality statistics, with the `ModelApprovalStatus` parameter (PendingManualApproval outside dev);
6. `MetricBelowThreshold` (fail) otherwise, naming the metric and the threshold.

Every job runs in the network's private subnets with network isolation and inter-container
encryption, volumes and outputs encrypted with the family's buckets' keys (`data` for prepared
data, `models` for models and reports), logs in the platform's SageMakerJobLogs groups. One
execution role runs the pipeline and its jobs with exactly the actions they need
(`execution_role_policy`). Optionally a schedule starts it (EventBridge Scheduler, through a role
that may start this pipeline only); a failed execution notifies the alarm topic.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal, Optional, Sequence

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._lineage import family_tags
from ._security_groups import allow_within_group
from ._wiring import require_args
from .artifact_store import ArtifactStore
from .model_registry import PENDING_MANUAL_APPROVAL, ModelFamilyHandle, packages_arn
from .monitoring import AlarmTopic
from .network import Network, https_egress_group
from .training_pipeline_definition import (
    BinaryCondition,
    ConditionArguments,
    ConditionStep,
    FailArguments,
    FailStep,
    Get,
    Join,
    JsonGet,
    Parameter,
    PipelineDefinition,
    ProcessingStep,
    PropertyFile,
    RegisterModelStep,
    TrainingStep,
    parameter,
)
from .training_pipeline_logs import PROCESSING_JOBS_LOG_GROUP, TRAINING_JOBS_LOG_GROUP, SageMakerJobLogs
from mlplat.core import aws_models
from mlplat.core.errors import Problem
from mlplat.core.models import ArgsModel, Number, Spec, StrictBool, StrictInt
from mlplat.core.naming import child
from mlplat.core.validators import check_log_retention
from mlplat.core.vocabulary import Environment

__all__ = [
    "APPROVAL_STATUSES",
    "COMPARISONS",
    "EVALUATION_REPORT",
    "execution_role_policy",
    "execution_trust_policy",
    "failure_event_pattern",
    "FAILURE_TARGET_ID",
    "IMAGE_REPOSITORIES",
    "model_data_prefix",
    "PARAMETERS",
    "pipeline_definition",
    "PipelineInfrastructure",
    "processing_instance_types",
    "schedule_expression_problems",
    "schedule_role_policy",
    "STEP_NAMES",
    "TrainingPipeline",
    "TrainingPipelineArgs",
    "TrainingPipelineSpec",
    "training_instance_types",
    "TYPE_TOKEN",
]

TYPE_TOKEN = "mlplat:pipeline:TrainingPipeline"
SAGEMAKER = "sagemaker.amazonaws.com"
SCHEDULER = "scheduler.amazonaws.com"
PIPELINE_STATUS_DETAIL_TYPE = "SageMaker Model Building Pipeline Execution Status Change"
FAILURE_TARGET_ID = "notify-failure"
SCHEDULE_TARGET_ID = "start-pipeline"

# Step names (part of the definition's contract: property references use them).
PREPARE, TRAIN, EVALUATE, CHECK, REGISTER, FAIL = (
    "PrepareData", "Train", "Evaluate", "CheckMetric", "RegisterModel", "MetricBelowThreshold",
)
STEP_NAMES: tuple[str, ...] = (PREPARE, TRAIN, EVALUATE, CHECK, REGISTER, FAIL)
EVALUATION_REPORT = "EvaluationReport"
EVALUATION_OUTPUT, EVALUATION_FILE = "evaluation", "evaluation.json"
SPLITS: tuple[str, ...] = ("train", "validation", "test")

# Pipeline parameters: whoever starts an execution may override them.
INPUT_DATA, PROCESSING_TYPE, PROCESSING_COUNT, TRAINING_TYPE, TRAINING_COUNT, APPROVAL, IMAGE_TAG = (
    "InputDataUrl", "ProcessingInstanceType", "ProcessingInstanceCount", "TrainingInstanceType",
    "TrainingInstanceCount", "ModelApprovalStatus", "ImageTag",
)
PARAMETERS: tuple[str, ...] = (INPUT_DATA, PROCESSING_TYPE, PROCESSING_COUNT, TRAINING_TYPE, TRAINING_COUNT, APPROVAL, IMAGE_TAG)

PENDING, APPROVED = PENDING_MANUAL_APPROVAL, "Approved"
APPROVAL_STATUSES: tuple[str, ...] = (PENDING, APPROVED)
COMPARISONS: tuple[str, ...] = ("GreaterThanOrEqualTo", "GreaterThan", "LessThanOrEqualTo", "LessThan")
Comparison = Literal["GreaterThanOrEqualTo", "GreaterThan", "LessThanOrEqualTo", "LessThan"]

PROCESSING_ROOT = "/opt/ml/processing"
CHECKPOINT_PATH = "/opt/ml/checkpoints"
MAX_RUNTIME_SECONDS = 28 * 86_400  # CreateTrainingJob's StoppingCondition maximum
MAX_INSTANCES = 100
MAX_PIPELINE_NAME = 256
# Each image setting, and the family's repository kind it defaults to (the image at the ImageTag parameter).
IMAGE_REPOSITORIES: tuple[tuple[str, str], ...] = (("image_uri", "training"), ("inference_image_uri", "serving"))
_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9][a-z0-9._/-]*)(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$")
_IMAGE_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_PIPELINE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
_METRIC_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
_ENV_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,1023}$")


@functools.lru_cache(maxsize=1)
def training_instance_types() -> frozenset[str]:
    """Instance types a training job accepts (botocore's TrainingInstanceType)."""
    return frozenset(aws_models.shape_enum("sagemaker", "TrainingInstanceType"))


@functools.lru_cache(maxsize=1)
def processing_instance_types() -> frozenset[str]:
    """Instance types a processing job accepts (botocore's ProcessingInstanceType)."""
    return frozenset(aws_models.shape_enum("sagemaker", "ProcessingInstanceType"))


def schedule_expression_problems(path: str, expression: str) -> list[Problem]:
    """EventBridge Scheduler's recurring expressions: `rate(<n> minutes|hours|days)` or a six-field `cron(...)`."""
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            return [Problem(path, "is not a rate (a positive number: 'rate(1 day)', 'rate(7 days)')", expression)]
        return []
    if _CRON.match(expression):
        return []
    return [Problem(path, "is not a schedule expression (rate(<n> minutes|hours|days) or cron(<6 fields>), "
                          "e.g. 'cron(0 3 ? * SUN *)')", expression)]


def _closest_hint(value: str, allowed: frozenset[str]) -> str:
    family = value.rsplit(".", 1)[0]
    near = sorted(t for t in allowed if t.startswith(f"{family}."))[:4]
    return f"; e.g. {', '.join(near)}" if near else ""


# --- spec and Args ------------------------------------------------------------------------------


class TrainingPipelineSpec(Spec):
    """A family's training pipeline settings (data only; each of the stack config's `pipelines`)."""

    metric: str = Field(
        description="Name of the metric in the evaluation report that decides whether the model is registered "
        "(e.g. auc); named in the fail step's message."
    )
    metric_path: Optional[str] = Field(
        default=None,
        description="Where the metric is in evaluation.json (a JSONPath of keys and [indexes], read with Std:JsonGet). "
        "Omitted: metrics.<metric>.value (SageMaker's model quality report layout).",
    )
    threshold: Number = Field(description="The value the metric is compared with.")
    comparison: Comparison = Field(
        default="GreaterThanOrEqualTo",
        description="How the metric must compare with the threshold for the model to be registered: "
        "GreaterThanOrEqualTo, GreaterThan, LessThanOrEqualTo or LessThan (for an error such as rmse). "
        "Omitted: GreaterThanOrEqualTo.",
    )
    approval_status: Literal["PendingManualApproval", "Approved"] = Field(
        default=PENDING,
        description="Approval status of registered models (the ModelApprovalStatus parameter's default). Approved "
        "only in dev; staging and prod need a reviewer. Omitted: PendingManualApproval.",
    )
    processing_instance_type: str = Field(
        default="ml.m5.xlarge", description="Instance type of the preparation and evaluation jobs (a "
        "ProcessingInstanceType; the ProcessingInstanceType parameter's default). Omitted: ml.m5.xlarge.",
    )
    processing_instance_count: StrictInt = Field(
        default=1, description=f"Instances of the preparation job, 1 to {MAX_INSTANCES}. Omitted: 1."
    )
    training_instance_type: str = Field(
        default="ml.m5.xlarge", description="Instance type of the training job (a TrainingInstanceType; the "
        "TrainingInstanceType parameter's default). Omitted: ml.m5.xlarge.",
    )
    training_instance_count: StrictInt = Field(
        default=1, description=f"Instances of the training job, 1 to {MAX_INSTANCES} (inter-container traffic is "
        "encrypted). Omitted: 1.",
    )
    volume_size_gb: StrictInt = Field(default=30, description="Volume of every job's instances, 1-16384 GB. Omitted: 30.")
    max_runtime_seconds: StrictInt = Field(
        default=86_400, description=f"The training job is stopped after this long (1 to {MAX_RUNTIME_SECONDS}). Omitted: 1 day."
    )
    processing_max_runtime_seconds: StrictInt = Field(
        default=3_600, description="A processing job is stopped after this long (1 to 604800). Omitted: 1 hour."
    )
    spot: StrictBool = Field(
        default=False,
        description="Managed spot training with checkpoints under <family>/pipeline/checkpoints/ in the models bucket. "
        "Omitted: off.",
    )
    max_wait_seconds: Optional[StrictInt] = Field(
        default=None,
        description="With spot: how long the training job may wait for spot capacity and run, at least "
        "max_runtime_seconds. Omitted: twice max_runtime_seconds (capped at 28 days).",
    )
    image_uri: Optional[str] = Field(
        default=None,
        description="ECR image of the preparation, training and evaluation jobs "
        "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>). Omitted: the family's `training` "
        "repository at the ImageTag parameter.",
    )
    inference_image_uri: Optional[str] = Field(
        default=None,
        description="ECR image registered models are served with. Omitted: the family's `serving` repository at "
        "the ImageTag parameter.",
    )
    image_tag: str = Field(
        default="latest",
        description="Default of the ImageTag parameter: the tag of the family's images (the repositories' tags are "
        "immutable: start executions with the release's tag). Omitted: latest.",
    )
    prepare_entrypoint: tuple[str, ...] = Field(
        default=("python3", "/opt/ml/code/prepare.py"),
        description="Command of the preparation job in the image: reads /opt/ml/processing/input, writes "
        "/opt/ml/processing/{train,validation,test}. Omitted: python3 /opt/ml/code/prepare.py.",
    )
    evaluate_entrypoint: tuple[str, ...] = Field(
        default=("python3", "/opt/ml/code/evaluate.py"),
        description="Command of the evaluation job: reads /opt/ml/processing/model and /opt/ml/processing/test, "
        "writes /opt/ml/processing/evaluation/evaluation.json. Omitted: python3 /opt/ml/code/evaluate.py.",
    )
    hyperparameters: dict[str, str] = Field(
        default_factory=dict, description="Hyperparameters of the training job (at most 100). Omitted: none."
    )
    content_types: tuple[str, ...] = Field(
        default=("text/csv",), description="Request content types registered models accept. Omitted: text/csv."
    )
    response_types: tuple[str, ...] = Field(
        default=("text/csv",), description="Response MIME types registered models return. Omitted: text/csv."
    )
    schedule_expression: Optional[str] = Field(
        default=None,
        description="Start the pipeline on a schedule (EventBridge Scheduler: rate(<n> days) or cron(<6 fields>), "
        "UTC). Omitted: no schedule (drift, or a person, starts it).",
    )
    schedule_parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Pipeline parameters of scheduled executions, by name (one of the pipeline's parameters). "
        "Omitted: the parameters' defaults.",
    )
    log_retention_days: StrictInt = Field(
        default=365,
        description="Retention of the SageMaker job log groups (shared by every pipeline: the platform keeps the "
        "longest asked for). Omitted: 365.",
    )

    def problems_at(self, base: str, *, environment: Optional[str] = None) -> list[Problem]:
        """The settings' problems; with `environment`, also the approval rule (Approved only in dev)."""
        problems: list[Problem] = []
        if not self.metric.strip() or not _METRIC_PATH.match(self.metric):
            problems.append(Problem(f"{base}.metric", "is not a metric name (letters, digits and '_', as a key of the "
                                                      "evaluation report)", self.metric))
        if self.metric_path is not None and not _METRIC_PATH.match(self.metric_path):
            problems.append(Problem(f"{base}.metric_path", "is not a JSON path of keys and [indexes] (e.g. "
                                                           "metrics.auc.value)", self.metric_path))
        if environment is not None and environment != "dev" and self.approval_status == APPROVED:
            problems.append(Problem(f"{base}.approval_status", f"is not allowed in {environment} (models are "
                                    "registered PendingManualApproval and approved by a reviewer; only dev may "
                                    "auto-approve)", self.approval_status))
        for field, allowed, shape in (("processing_instance_type", processing_instance_types(), "ProcessingInstanceType"),
                                      ("training_instance_type", training_instance_types(), "TrainingInstanceType")):
            value = getattr(self, field)
            if value not in allowed:
                problems.append(Problem(f"{base}.{field}", f"is not a SageMaker {field.split('_')[0]} instance type "
                                        f"(botocore {shape}{_closest_hint(value, allowed)})", value))
        for field in ("processing_instance_count", "training_instance_count"):
            if not 1 <= getattr(self, field) <= MAX_INSTANCES:
                problems.append(Problem(f"{base}.{field}", f"must be between 1 and {MAX_INSTANCES}", getattr(self, field)))
        if not 1 <= self.volume_size_gb <= 16384:
            problems.append(Problem(f"{base}.volume_size_gb", "must be between 1 and 16384", self.volume_size_gb))
        if not 1 <= self.max_runtime_seconds <= MAX_RUNTIME_SECONDS:
            problems.append(Problem(f"{base}.max_runtime_seconds", f"must be between 1 and {MAX_RUNTIME_SECONDS} (28 days)",
                                    self.max_runtime_seconds))
        if not 1 <= self.processing_max_runtime_seconds <= 604_800:
            problems.append(Problem(f"{base}.processing_max_runtime_seconds", "must be between 1 and 604800 (7 days)",
                                    self.processing_max_runtime_seconds))
        if self.max_wait_seconds is not None:
            if not self.spot:
                problems.append(Problem(f"{base}.max_wait_seconds", "needs spot: true (only managed spot training waits "
                                                                    "for capacity)", self.max_wait_seconds))
            elif self.max_wait_seconds < self.max_runtime_seconds:
                problems.append(Problem(f"{base}.max_wait_seconds", f"must be at least max_runtime_seconds "
                                        f"({self.max_runtime_seconds}): the wait includes the run", self.max_wait_seconds))
            elif self.max_wait_seconds > MAX_RUNTIME_SECONDS:
                problems.append(Problem(f"{base}.max_wait_seconds", f"must be at most {MAX_RUNTIME_SECONDS} (28 days)",
                                        self.max_wait_seconds))
        for field in ("image_uri", "inference_image_uri"):
            value = getattr(self, field)
            if value is not None and not _ECR_IMAGE.match(value):
                problems.append(Problem(f"{base}.{field}", "is not an ECR image URI with a tag or digest "
                                        "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)", value))
        if not _IMAGE_TAG.match(self.image_tag):
            problems.append(Problem(f"{base}.image_tag", "is not an image tag (letters, digits, '_', '.', '-'; at most 128)",
                                    self.image_tag))
        for field in ("prepare_entrypoint", "evaluate_entrypoint"):
            value = getattr(self, field)
            if not 1 <= len(value) <= 100 or any(not part.strip() or len(part) > 256 for part in value):
                problems.append(Problem(f"{base}.{field}", "must list 1 to 100 non-blank arguments (at most 256 "
                                                           "characters each)", value))
        if len(self.hyperparameters) > 100:
            problems.append(Problem(f"{base}.hyperparameters", "has more than 100 entries", len(self.hyperparameters)))
        for key, value in self.hyperparameters.items():
            if not key or len(key) > 256 or len(value) > 2500:
                problems.append(Problem(f"{base}.hyperparameters", "has a name (1-256 characters) or value (at most 2500) "
                                                                   "out of bounds", key))
        for field in ("content_types", "response_types"):
            value = getattr(self, field)
            if not value or any(not _CONTENT_TYPE.match(v) for v in value):
                problems.append(Problem(f"{base}.{field}", "must list MIME types (e.g. text/csv)", value))
        if self.schedule_expression is not None:
            problems.extend(schedule_expression_problems(f"{base}.schedule_expression", self.schedule_expression))
        elif self.schedule_parameters:
            problems.append(Problem(f"{base}.schedule_parameters", "needs schedule_expression (nothing starts the "
                                                                   "pipeline on a schedule)", self.schedule_parameters))
        for key, value in self.schedule_parameters.items():
            if key not in PARAMETERS:
                problems.append(Problem(f"{base}.schedule_parameters", f"names no parameter of the pipeline "
                                        f"({', '.join(PARAMETERS)})", key))
            elif key == APPROVAL and value not in APPROVAL_STATUSES:
                problems.append(Problem(f"{base}.schedule_parameters.{key}", f"is not an approval status "
                                        f"({', '.join(APPROVAL_STATUSES)})", value))
            elif key == APPROVAL and value == APPROVED and environment is not None and environment != "dev":
                problems.append(Problem(f"{base}.schedule_parameters.{key}", f"is not allowed in {environment} (a reviewer approves models)", value))
        problems.extend(check_log_retention(f"{base}.log_retention_days", self.log_retention_days))
        return problems

    @property
    def family_repositories(self) -> tuple[str, ...]:
        """The family's repository kinds the pipeline pulls from: training (its jobs' image) and serving (the
        registered package's inference image), unless the spec names those images."""
        return tuple(kind for field, kind in IMAGE_REPOSITORIES if getattr(self, field) is None)

    @property
    def report_path(self) -> str:
        return self.metric_path or f"metrics.{self.metric}.value"

    @property
    def max_wait(self) -> Optional[int]:
        """MaxWaitTimeInSeconds of spot training (None without spot)."""
        if not self.spot:
            return None
        if self.max_wait_seconds is not None:
            return self.max_wait_seconds
        return min(2 * self.max_runtime_seconds, MAX_RUNTIME_SECONDS)


class TrainingPipelineArgs(TrainingPipelineSpec, ArgsModel):
    family: ModelFamilyHandle = Field(
        description="The family (`ModelRegistry.family(name)`): models register into its group; images come from "
        "its `training` and `serving` repositories unless image URIs are given."
    )
    artifact_store: ArtifactStore = Field(
        description="The governed buckets: data under `<family>/` in `datasets`, models, checkpoints and reports "
        "under `<family>/pipeline/` in `models`, each with its bucket's key."
    )
    network: Network = Field(description="The platform Network: every job runs in its private subnets.")
    job_logs: SageMakerJobLogs = Field(description="The platform's SageMaker job log groups (declared once per account), "
                                       "or a `SageMakerJobLogsReference` to another stack's (the pipeline then "
                                       "depends on nothing for them).")
    alarm_topic: Optional[AlarmTopic] = Field(
        default=None, description="Notified when an execution fails. Omitted: failures notify nobody."
    )
    environment: Environment = Field(
        default="prod", description="dev, staging or prod: only dev may register models Approved. Omitted: prod."
    )
    pipeline_name: Optional[str] = Field(
        default=None, description="The pipeline's name. Omitted: `<model package group name>-training`."
    )
    security_group_ids: Optional[tuple[str, ...]] = Field(
        default=None,
        description="Security groups of the jobs. Omitted: one is created allowing HTTPS to the VPC and S3 and "
        "traffic between the jobs' own instances; required with an adopted VPC.",
    )

    def problems(self) -> list[Problem]:
        where = "TrainingPipelineArgs"
        problems = self.problems_at(where, environment=self.environment)
        repositories = self.family.repositories
        for field, kind in IMAGE_REPOSITORIES:
            if getattr(self, field) is None and kind not in repositories:
                problems.append(Problem(f"{where}.{field}", f"is required: family {self.family.spec.name!r} has no "
                                        f"{kind!r} repository (its kinds: {', '.join(repositories) or 'none'})"))
        name = self.physical_name
        if not _PIPELINE_NAME.match(name) or len(name) > MAX_PIPELINE_NAME:
            problems.append(Problem(f"{where}.pipeline_name", "is not a pipeline name (letters, digits and '-', at most 256)", name))
        if self.security_group_ids is None and self.network.vpc is None:
            problems.append(Problem(f"{where}.security_group_ids", "is required with an adopted VPC (the jobs' security "
                                    "group must reach S3 and the VPC endpoints; pass one that allows it)"))
        if self.security_group_ids is not None and not 1 <= len(self.security_group_ids) <= 5:
            problems.append(Problem(f"{where}.security_group_ids", "must list 1 to 5 security groups", self.security_group_ids))
        return problems

    @property
    def physical_name(self) -> str:
        return self.pipeline_name or f"{self.family.group_name}-training"


# --- the definition (pure) ----------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineInfrastructure:
    """What the definition names, resolved: buckets, keys, network, role, images, group."""

    family: str
    group_name: str  # RegisterModel's ModelPackageGroupName: the group's ARN when it is in another account
    role_arn: str
    datasets_bucket: str
    models_bucket: str
    data_key_arn: str
    models_key_arn: str
    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]
    training_repository_url: Optional[str]
    serving_repository_url: Optional[str]


def _image(uri: Optional[str], repository_url: Optional[str]) -> Any:
    if uri is not None:
        return uri
    assert repository_url is not None  # TrainingPipelineArgs.problems() guarantees one of them
    return Join.of(":", repository_url, parameter(IMAGE_TAG))


def _network(infra: PipelineInfrastructure) -> dict[str, Any]:
    return {"SecurityGroupIds": list(infra.security_group_ids), "Subnets": list(infra.subnet_ids)}


def _execution_uri(root: str) -> Join:
    """`<root>/<execution id>`: each execution writes its own prefix."""
    return Join.of("/", root, Get(Get="Execution.PipelineExecutionId"))


def _output(step: str, name: str) -> Get:
    return Get(Get=f"Steps.{step}.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri")


def _processing_input(name: str, uri: Any, local: str) -> dict[str, Any]:
    return {"InputName": name, "AppManaged": False, "S3Input": {
        "S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated",
    }}


def _processing_output(name: str, uri: Any) -> dict[str, Any]:
    return {"OutputName": name, "AppManaged": False,
            "S3Output": {"S3Uri": uri, "LocalPath": f"{PROCESSING_ROOT}/{name}", "S3UploadMode": "EndOfJob"}}


def _processing_arguments(spec: TrainingPipelineSpec, infra: PipelineInfrastructure, *, entrypoint: tuple[str, ...],
                          image: Any, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]], key_arn: str,
                          instance_count: Any) -> dict[str, Any]:
    return {
        "ProcessingResources": {"ClusterConfig": {
            "InstanceCount": instance_count, "InstanceType": parameter(PROCESSING_TYPE),
            "VolumeSizeInGB": spec.volume_size_gb, "VolumeKmsKeyId": key_arn,
        }},
        "AppSpecification": {"ImageUri": image, "ContainerEntrypoint": list(entrypoint)},
        "RoleArn": infra.role_arn,
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {"Outputs": outputs, "KmsKeyId": key_arn},
        "NetworkConfig": {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True,
                          "VpcConfig": _network(infra)},
        "StoppingCondition": {"MaxRuntimeInSeconds": spec.processing_max_runtime_seconds},
    }


def model_data_prefix(family: str) -> str:
    """Where the family's pipeline writes the model data it registers, in the models bucket (a deploy reads it)."""
    return f"{family}/pipeline/models/"


def pipeline_definition(spec: TrainingPipelineSpec, infra: PipelineInfrastructure) -> PipelineDefinition:
    """The pipeline's definition: parameters and the six steps (pure; see the module docstring)."""
    family = infra.family
    datasets, models = f"s3://{infra.datasets_bucket}/{family}", f"s3://{infra.models_bucket}/{family}/pipeline"
    image = _image(spec.image_uri, infra.training_repository_url)
    parameters = [
        Parameter(Name=INPUT_DATA, Type="String", DefaultValue=f"{datasets}/training-data/"),
        Parameter(Name=PROCESSING_TYPE, Type="String", DefaultValue=spec.processing_instance_type),
        Parameter(Name=PROCESSING_COUNT, Type="Integer", DefaultValue=spec.processing_instance_count),
        Parameter(Name=TRAINING_TYPE, Type="String", DefaultValue=spec.training_instance_type),
        Parameter(Name=TRAINING_COUNT, Type="Integer", DefaultValue=spec.training_instance_count),
        Parameter(Name=APPROVAL, Type="String", DefaultValue=spec.approval_status),
        Parameter(Name=IMAGE_TAG, Type="String", DefaultValue=spec.image_tag),
    ]
    prepared = f"{datasets}/pipeline"
    prepare = ProcessingStep(Name=PREPARE, Arguments=_processing_arguments(
        spec, infra, entrypoint=spec.prepare_entrypoint, image=image,
        inputs=[_processing_input("input", parameter(INPUT_DATA), f"{PROCESSING_ROOT}/input")],
        outputs=[_processing_output(split, _execution_uri(f"{prepared}/{split}")) for split in SPLITS],
        key_arn=infra.data_key_arn, instance_count=parameter(PROCESSING_COUNT),
    ))
    training: dict[str, Any] = {
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": infra.role_arn,
        "InputDataConfig": [
            {"ChannelName": split, "ContentType": spec.content_types[0], "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": _output(PREPARE, split), "S3DataDistributionType": "FullyReplicated",
            }}}
            for split in ("train", "validation")
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{infra.models_bucket}/{model_data_prefix(family)}",
                             "KmsKeyId": infra.models_key_arn},
        "ResourceConfig": {"InstanceType": parameter(TRAINING_TYPE), "InstanceCount": parameter(TRAINING_COUNT),
                           "VolumeSizeInGB": spec.volume_size_gb, "VolumeKmsKeyId": infra.models_key_arn},
        "VpcConfig": _network(infra),
        "StoppingCondition": {"MaxRuntimeInSeconds": spec.max_runtime_seconds},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
        "EnableManagedSpotTraining": spec.spot,
    }
    if spec.hyperparameters:
        training["HyperParameters"] = dict(spec.hyperparameters)
    if spec.max_wait is not None:
        training["StoppingCondition"]["MaxWaitTimeInSeconds"] = spec.max_wait
        training["CheckpointConfig"] = {"S3Uri": f"{models}/checkpoints/", "LocalPath": CHECKPOINT_PATH}
    train = TrainingStep(Name=TRAIN, Arguments=training)
    model_artifacts = Get(Get=f"Steps.{TRAIN}.ModelArtifacts.S3ModelArtifacts")
    evaluate = ProcessingStep(
        Name=EVALUATE,
        Arguments=_processing_arguments(
            spec, infra, entrypoint=spec.evaluate_entrypoint, image=image,
            inputs=[_processing_input("model", model_artifacts, f"{PROCESSING_ROOT}/model"),
                    _processing_input("test", _output(PREPARE, "test"), f"{PROCESSING_ROOT}/test")],
            outputs=[_processing_output(EVALUATION_OUTPUT, _execution_uri(f"{models}/evaluation"))],
            key_arn=infra.models_key_arn, instance_count=1,
        ),
        PropertyFiles=[PropertyFile(PropertyFileName=EVALUATION_REPORT, OutputName=EVALUATION_OUTPUT, FilePath=EVALUATION_FILE)],
    )
    report_uri = Join.of("/", _output(EVALUATE, EVALUATION_OUTPUT), EVALUATION_FILE)
    register = RegisterModelStep(Name=REGISTER, Arguments={
        "ModelPackageGroupName": infra.group_name,
        "ModelPackageDescription": f"{family}: trained and evaluated by the {family} training pipeline",
        "ModelApprovalStatus": parameter(APPROVAL),
        "InferenceSpecification": {
            "Containers": [{"Image": _image(spec.inference_image_uri, infra.serving_repository_url),
                            "ModelDataUrl": model_artifacts}],
            "SupportedContentTypes": list(spec.content_types),
            "SupportedResponseMIMETypes": list(spec.response_types),
        },
        "ModelMetrics": {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report_uri}}},
    })
    fail = FailStep(Name=FAIL, Arguments=FailArguments(ErrorMessage=Join.of(
        " ", f"The model's {spec.metric} ({spec.report_path} in {EVALUATION_FILE})",
        JsonGet.of(EVALUATE, EVALUATION_REPORT, spec.report_path),
        f"is not {_COMPARISON_WORDS[spec.comparison]} {spec.threshold:g}: the model is not registered.",
    )))
    check = ConditionStep(Name=CHECK, Arguments=ConditionArguments(
        Conditions=[BinaryCondition(Type=spec.comparison, LeftValue=JsonGet.of(EVALUATE, EVALUATION_REPORT, spec.report_path),
                                    RightValue=spec.threshold)],
        IfSteps=[register], ElseSteps=[fail],
    ))
    return PipelineDefinition(Parameters=parameters, Steps=[prepare, train, evaluate, check])


_COMPARISON_WORDS = {
    "GreaterThanOrEqualTo": "at least", "GreaterThan": "above", "LessThanOrEqualTo": "at most", "LessThan": "below",
}


# --- IAM documents (pure) -----------------------------------------------------------------------


def execution_trust_policy(account_id: pulumi.Input[str]) -> _iam.Document:
    """SageMaker runs the pipeline and its jobs with the role (this account's only)."""
    return _iam.assume_role_policy(SAGEMAKER, source_account=account_id)


def execution_role_policy(
    *,
    role_arn: pulumi.Input[str],
    region: pulumi.Input[str],
    account_id: pulumi.Input[str],
    family: str,
    group_arn: pulumi.Input[str],
    group_name: str,
    group_account_id: Optional[str] = None,
    datasets_bucket_arn: pulumi.Input[str],
    models_bucket_arn: pulumi.Input[str],
    key_arns: Sequence[pulumi.Input[str]],
    repository_arns: Sequence[pulumi.Input[str]],
    network_resource_arns: pulumi.Input[list[str]],
    approval_required: bool,
) -> _iam.Document:
    """Exactly what the pipeline and its jobs do (pure).

    Start, describe and stop its own jobs (SageMaker names them `pipelines-*`) and tag them when
    creating them; register model packages in the family's group only (PendingManualApproval only
    when `approval_required`: a parameter passed at start cannot approve); pass this role, to
    SageMaker only; read the family's data (`<family>/` in datasets), write prepared data
    (`<family>/pipeline/` in datasets), read and write models, checkpoints and reports
    (`<family>/pipeline/` in models); use the buckets' keys through S3 and for the jobs' volumes;
    write the job logs; pull the images of the family's repositories (training, and serving: SageMaker
    checks a package's inference image when it registers it); manage the jobs' network interfaces. Describe* EC2 actions and ecr:GetAuthorizationToken accept no resource ARN, hence "*".
    `group_account_id`: the group's account when it is not this one (a registry in the shared-services
    account, whose group policy must also let this account register: `model_registry.group_policy`).
    """
    arn = pulumi.Output.concat("arn:aws:sagemaker:", region, ":", account_id, ":")
    jobs = [pulumi.Output.concat(arn, "processing-job/pipelines-*"), pulumi.Output.concat(arn, "training-job/pipelines-*")]
    packages = packages_arn(region=region, account_id=group_account_id or account_id, group_name=group_name)
    register_conditions = {"StringEquals": {"sagemaker:ModelApprovalStatus": PENDING}} if approval_required else None
    logs = [pulumi.Output.concat("arn:aws:logs:", region, ":", account_id, ":log-group:", group)
            for group in (PROCESSING_JOBS_LOG_GROUP, TRAINING_JOBS_LOG_GROUP)]
    via_s3 = {"StringEquals": {"kms:ViaService": pulumi.Output.concat("s3.", region, ".amazonaws.com")}}
    statements = [
        _iam.statement(sid="RunPipelineJobs", resources=jobs, actions=[
            "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob",
            "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
        ]),
        _iam.statement(sid="TagOnCreate", actions=["sagemaker:AddTags"], resources=[*jobs, packages],
                       conditions={"StringEquals": {"sagemaker:TaggingAction": [
                           "CreateProcessingJob", "CreateTrainingJob", "CreateModelPackage"]}}),
        _iam.statement(sid="RegisterModelPackages", actions=["sagemaker:CreateModelPackage"],
                       resources=[group_arn, packages], conditions=register_conditions),
        _iam.statement(sid="PassRoleToSageMaker", actions=["iam:PassRole"], resources=[role_arn],
                       conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER}}),
        _iam.statement(sid="ReadFamilyData", actions=["s3:GetObject"],
                       resources=[pulumi.Output.concat(datasets_bucket_arn, f"/{family}/*")]),
        _iam.statement(sid="ListFamilyData", actions=["s3:ListBucket"], resources=[datasets_bucket_arn],
                       conditions={"StringLike": {"s3:prefix": f"{family}/*"}}),
        _iam.statement(sid="WritePreparedData", actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                       resources=[pulumi.Output.concat(datasets_bucket_arn, f"/{family}/pipeline/*")]),
        _iam.statement(sid="ReadWriteModels", actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                       resources=[pulumi.Output.concat(models_bucket_arn, f"/{family}/pipeline/*")]),
        _iam.statement(sid="ListModels", actions=["s3:ListBucket"], resources=[models_bucket_arn],
                       conditions={"StringLike": {"s3:prefix": f"{family}/pipeline/*"}}),
        _iam.statement(sid="UseKeysThroughS3", actions=["kms:Decrypt", "kms:GenerateDataKey"],
                       resources=list(key_arns), conditions=via_s3),
        _iam.statement(sid="EncryptJobVolumes", actions=["kms:CreateGrant"], resources=list(key_arns),
                       conditions={"Bool": {"kms:GrantIsForAWSResource": True}}),
        _iam.statement(sid="WriteJobLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                       resources=[*logs, *(pulumi.Output.concat(group, ":log-stream:*") for group in logs)]),
        _iam.statement(sid="PullImages", resources=list(repository_arns), actions=[
            "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]),
        _iam.statement(sid="AuthenticateToEcr", actions=["ecr:GetAuthorizationToken"], resources="*"),
        _iam.statement(sid="ManageJobNetworkInterfaces", resources=network_resource_arns, actions=[
            "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"]),
        _iam.statement(sid="DescribeJobNetwork", resources="*", actions=[
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
            "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]),
    ]
    return _iam.document(statements)


def schedule_role_policy(pipeline_arn: pulumi.Input[str]) -> _iam.Document:
    """Start executions of this pipeline, nothing else (pure)."""
    return _iam.document([_iam.statement(sid="StartTrainingPipeline", actions=["sagemaker:StartPipelineExecution"],
                                         resources=pipeline_arn)])


def failure_event_pattern(pipeline_arn: pulumi.Input[str]) -> dict[str, Any]:
    """EventBridge pattern: an execution of this pipeline failed."""
    return {
        "source": ["aws.sagemaker"],
        "detail-type": [PIPELINE_STATUS_DETAIL_TYPE],
        "detail": {"currentPipelineExecutionStatus": ["Failed"], "pipelineArn": [pipeline_arn]},
    }


def _repository_arn(image_uri: str) -> str:
    match = _ECR_IMAGE.match(image_uri)
    assert match is not None  # the spec's problems guarantee it
    partition = "aws-cn" if match.group(3) else "aws"
    return f"arn:{partition}:ecr:{match.group(2)}:{match.group(1)}:repository/{match.group(4)}"


# --- the component ------------------------------------------------------------------------------


class TrainingPipeline(pulumi.ComponentResource):
    """A model family's training pipeline, its execution role, schedule and failure notification.

    Children (suffixes are stable): `<name>-job-sg`, `<name>-job-https-vpc`, `<name>-job-https-s3`,
    `<name>-job-peers-in`, `<name>-job-peers-out` (unless `security_group_ids` is given),
    `<name>-role`, `<name>-role-policy`, `<name>-pipeline`; with a schedule `<name>-schedule-role`,
    `<name>-schedule-policy`, `<name>-schedule`; with an alarm topic `<name>-failed` (the rule) and
    `<name>-failed-notify`. Deleting the component deletes the pipeline; executions' outputs stay
    in the buckets and registered models in the group.
    """

    pipeline: aws.sagemaker.Pipeline
    execution_role: aws.iam.Role
    arn: pulumi.Output[str]
    pipeline_name: str
    family: str

    def __init__(self, name: str, args: TrainingPipelineArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("TrainingPipeline", name, args, TrainingPipelineArgs)
        super().__init__(TYPE_TOKEN, name, None, opts)
        here = pulumi.ResourceOptions(parent=self)
        handle = args.family
        family = handle.spec.name
        self.family = family
        self.pipeline_name = args.physical_name
        tags = family_tags(family)
        account_id, region = _iam.caller_account_id(), _iam.current_region()
        store = args.artifact_store
        datasets, models = store.datasets, store.models
        security_groups = self._security_groups(name, args, tags)

        self.execution_role = aws.iam.Role(
            child(name, "role"),
            description=f"mlplat {name}: SageMaker runs the {family} training pipeline and its jobs",
            assume_role_policy=_iam.to_json(execution_trust_policy(account_id)),
            tags=tags,
            opts=here,
        )
        # The jobs pull the training image; SageMaker checks the inference image when it registers a package.
        repositories: list[pulumi.Input[str]] = [
            _repository_arn(getattr(args, field)) if getattr(args, field) is not None else handle.repositories[kind].arn
            for field, kind in IMAGE_REPOSITORIES
        ]
        network_arns = pulumi.Output.all(region, account_id, args.network.private_subnet_ids, security_groups).apply(
            lambda v: [f"arn:aws:ec2:{v[0]}:{v[1]}:network-interface/*"]
            + [f"arn:aws:ec2:{v[0]}:{v[1]}:subnet/{s}" for s in v[2]]
            + [f"arn:aws:ec2:{v[0]}:{v[1]}:security-group/{g}" for g in v[3]]
        )
        policy = aws.iam.RolePolicy(
            child(name, "role-policy"),
            role=self.execution_role.id,
            policy=_iam.to_json(execution_role_policy(
                role_arn=self.execution_role.arn, region=region, account_id=account_id, family=family,
                group_arn=handle.group.arn, group_name=handle.group_name, group_account_id=handle.account,
                datasets_bucket_arn=datasets.arn, models_bucket_arn=models.arn,
                key_arns=[datasets.key.arn, models.key.arn] if datasets.key is not models.key else [models.key.arn],
                repository_arns=repositories, network_resource_arns=network_arns,
                approval_required=args.environment != "dev",
            )),
            opts=here,
        )
        training_repo = handle.repositories.get("training")
        serving_repo = handle.repositories.get("serving")
        definition = pulumi.Output.all(
            role=self.execution_role.arn, datasets=datasets.name, models=models.name, data_key=datasets.key.arn,
            models_key=models.key.arn, subnets=args.network.private_subnet_ids, groups=security_groups,
            training=training_repo.repository_url if training_repo is not None and args.image_uri is None else None,
            serving=serving_repo.repository_url if serving_repo is not None and args.inference_image_uri is None else None,
            # CreateModelPackage names a group of another account by its ARN (ModelPackageGroupName is ArnOrName).
            group=handle.group.arn if handle.account is not None else handle.group_name,
        ).apply(lambda v: pipeline_definition(args, PipelineInfrastructure(
            family=family, group_name=v["group"], role_arn=v["role"], datasets_bucket=v["datasets"],
            models_bucket=v["models"], data_key_arn=v["data_key"], models_key_arn=v["models_key"],
            subnet_ids=v["subnets"], security_group_ids=v["groups"], training_repository_url=v["training"],
            serving_repository_url=v["serving"],
        )).to_json())
        self.pipeline = aws.sagemaker.Pipeline(
            child(name, "pipeline"),
            pipeline_name=self.pipeline_name,
            pipeline_display_name=self.pipeline_name,
            pipeline_description=f"mlplat: trains, evaluates ({args.metric}) and registers {family} models",
            pipeline_definition=definition,
            role_arn=self.execution_role.arn,
            tags=tags,
            # SageMaker checks the role when the pipeline is created; the log groups exist before any job (a
            # reference's groups exist already: their stack deployed first).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, *([args.job_logs] if args.job_logs.declared else [])]),
        )
        self.arn = self.pipeline.arn
        if args.schedule_expression is not None:
            self._schedule(name, args, account_id, region, tags)
        if args.alarm_topic is not None:
            rule = aws.cloudwatch.EventRule(
                child(name, "failed"),
                description=f"mlplat {name}: an execution of {self.pipeline_name} failed",
                event_pattern=pulumi.Output.json_dumps(failure_event_pattern(self.pipeline.arn)),
                state="ENABLED",
                tags=tags,
                opts=here,
            )
            aws.cloudwatch.EventTarget(
                child(name, "failed-notify"), rule=rule.name, target_id=FAILURE_TARGET_ID, arn=args.alarm_topic.arn,
                opts=here,
            )
        self.register_outputs({"pipeline_arn": self.pipeline.arn, "pipeline_name": self.pipeline_name,
                               "execution_role_arn": self.execution_role.arn})

    def _schedule(self, name: str, args: TrainingPipelineArgs, account_id: pulumi.Output[str],
                  region: pulumi.Output[str], tags: dict[str, str]) -> None:
        here = pulumi.ResourceOptions(parent=self)
        schedule_name = self.pipeline_name[:64]
        role = aws.iam.Role(
            child(name, "schedule-role"),
            description=f"mlplat {name}: EventBridge Scheduler starts {self.pipeline_name}",
            assume_role_policy=_iam.to_json(_iam.assume_role_policy(
                SCHEDULER, source_account=account_id,
                source_arn=pulumi.Output.concat("arn:aws:scheduler:", region, ":", account_id, ":schedule/default/", schedule_name),
            )),
            tags=tags,
            opts=here,
        )
        policy = aws.iam.RolePolicy(
            child(name, "schedule-policy"), role=role.id, policy=_iam.to_json(schedule_role_policy(self.pipeline.arn)),
            opts=here,
        )
        parameters = None
        if args.schedule_parameters:
            parameters = aws.scheduler.ScheduleTargetSagemakerPipelineParametersArgs(pipeline_parameters=[
                aws.scheduler.ScheduleTargetSagemakerPipelineParametersPipelineParameterArgs(name=k, value=v)
                for k, v in sorted(args.schedule_parameters.items())
            ])
        aws.scheduler.Schedule(
            child(name, "schedule"),
            name=schedule_name,
            description=f"mlplat {name}: start {self.pipeline_name}",
            schedule_expression=args.schedule_expression,
            schedule_expression_timezone="UTC",
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=self.pipeline.arn, role_arn=role.arn, sagemaker_pipeline_parameters=parameters,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _security_groups(self, name: str, args: TrainingPipelineArgs, tags: dict[str, str]) -> pulumi.Output[list[str]]:
        if args.security_group_ids is not None:
            return pulumi.Output.from_input(list(args.security_group_ids))
        network = args.network
        sg, _ = https_egress_group(
            self, network, name=child(name, "job-sg"),
            description=f"mlplat {name}: pipeline jobs reach S3 and the VPC endpoints over HTTPS, and each other",
            vpc_rule=(child(name, "job-https-vpc"), "HTTPS to the VPC's interface endpoints"),
            s3_rule=(child(name, "job-https-s3"), "HTTPS to S3 through the gateway endpoint"),
            s3_prefix_list_id=network.endpoints["s3"].prefix_list_id,
            tags=tags,
        )
        # Distributed training: the instances of one job talk to each other (and only to each other).
        here = pulumi.ResourceOptions(parent=self)
        allow_within_group(
            sg.id, ingress=(child(name, "job-peers-in"), "Traffic from the jobs' own instances (distributed training)"),
            egress=(child(name, "job-peers-out"), "Traffic to the jobs' own instances (distributed training)"), opts=here)
        return pulumi.Output.all(sg.id).apply(list)
