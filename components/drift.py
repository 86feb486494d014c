"""DriftMonitor: the drift-to-retraining loop of one endpoint.

    DriftMonitor("fraud-drift", DriftMonitorArgs(
        endpoint=endpoint, network=platform.network, alarm_topic=platform.alarm_topic,
        baseline_bucket=store.datasets, baseline_prefix="fraud/baseline/",
        features=("amount", "merchant_category"),
        retraining_pipeline=fraud_pipeline,   # the family's TrainingPipeline, or:
        # retraining_pipeline_arn="arn:aws:sagemaker:us-east-1:123456789012:pipeline/fraud-retrain",
    ))

1. A SageMaker Model Monitor data-quality job definition and monitoring schedule compare the
   endpoint's captured requests with the baseline statistics and constraints on a schedule. The
   job runs the AWS analyzer image (`aws.sagemaker.get_prebuilt_ecr_image`), with network
   isolation, in the platform VPC's private subnets, with volume and report encryption by the
   captures bucket's key, under a role that may read the captures and the baseline and write the
   reports, nothing else. It publishes CloudWatch metrics (`publish_cloudwatch_metrics`); the
   baseline constraints file must also enable `emit_metrics` (the default of suggested baselines).
2. A drift alarm on the monitor's per-feature metrics `feature_baseline_drift_<feature>`
   (namespace `aws/sagemaker/Endpoints/data-metrics`, dimensions `Endpoint` and
   `MonitoringSchedule`, one data point per monitoring run): metric math takes the largest
   drift of the listed features and compares it with `threshold`. AWS publishes no overall
   drift metric, so the features to watch are listed (at most 10: metric-math alarms take 10
   metrics). Missing data is ignored: the alarm keeps its state between runs, so one drifting run
   starts one retraining, not one per hour while the drift lasts.
3. An EventBridge rule on that alarm's transition to ALARM, with a target that starts the
   retraining SageMaker pipeline through a role that may start that pipeline only: the family's
   `TrainingPipeline` by reference (`retraining_pipeline`), or a pipeline the team owns elsewhere
   (`retraining_pipeline_arn`), as an explicit choice; exactly one of the two.

Serverless endpoints have no data capture and Model Monitor does not support them, and an endpoint
still waiting for a model has nothing to monitor yet: Args refuse both.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Optional, Protocol, runtime_checkable

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._wiring import require_args
from ._metrics import Metric
from mlplat.core import aws_models
from mlplat.core.naming import child
from mlplat.core.models import ArgsModel, Number, Spec, StrictInt
from mlplat.core.errors import Problem, raise_if_problems
from .monitoring import AlarmTopic, metric_query
from mlplat.core.schedules import HOURLY, SCHEDULES_ALLOWED, check_schedule_expression, schedule_interval_seconds
from .network import Network, https_egress_group
from .training_pipeline import PARAMETERS as TRAINING_PIPELINE_PARAMETERS, TrainingPipeline

__all__ = [
    "alarm_event_pattern",
    "BASELINE_FILES",
    "baseline_problems",
    "BucketHandle",
    "CapturingEndpoint",
    "DATA_METRICS_NAMESPACE",
    "drift_metric_name",
    "DRIFT_METRIC_PREFIX",
    "DriftMonitor",
    "DriftMonitorArgs",
    "DriftMonitorSpec",
    "ENDPOINT_INPUT_PATH",
    "feature_name_problems",
    "job_role_policy",
    "job_trust_policy",
    "MAX_DRIFT_FEATURES",
    "MAX_JOB_RUNTIME_SECONDS",
    "MODEL_MONITOR_REPOSITORY",
    "OUTPUT_PATH",
    "processing_instance_types",
    "PROCESSING_JOBS_LOG_GROUP",
    "retraining_role_policy",
    "retraining_target_problems",
    "RETRAINING_TARGET_ID",
    "retraining_trust_policy",
    "s3_object_arn",
]

MODEL_MONITOR_REPOSITORY = "sagemaker-model-monitor-analyzer"
DATA_METRICS_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
DRIFT_METRIC_PREFIX = "feature_baseline_drift_"
PROCESSING_JOBS_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
ENDPOINT_INPUT_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_PATH = "/opt/ml/processing/output"
MAX_DRIFT_FEATURES = 10  # a metric-math alarm takes at most 10 metrics
MAX_JOB_RUNTIME_SECONDS = 86_400
RETRAINING_TARGET_ID = "retraining-pipeline"
BASELINE_FILES = ("constraints.json", "statistics.json")  # what a baselining job writes

_S3_OBJECT = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(\S+[^/])$")
_PIPELINE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z]{2}(-[a-z]+)+-\d:\d{12}:pipeline/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
_PIPELINE_PARAMETER = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
_SG_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")



@runtime_checkable
class BucketHandle(Protocol):
    """A governed bucket (ArtifactStore's GovernedBucket): its ARN, name and KMS key."""

    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    key: aws.kms.Key


@runtime_checkable
class CapturingEndpoint(Protocol):
    """What DriftMonitor uses of an endpoint (ServingEndpoint provides it).

    `captures_prefix` is the key prefix (ending with '/') under which the endpoint's data capture
    lands in `captures_bucket`; `waiting_for_model` is True while no model is deployed.
    """

    endpoint_name: pulumi.Output[str]
    serverless: bool
    waiting_for_model: bool
    captures_bucket: Optional[BucketHandle]
    captures_prefix: str


# --- pure helpers -------------------------------------------------------------------------------


def s3_object_arn(uri: str) -> str:
    """`s3://bucket/key` -> `arn:aws:s3:::bucket/key` (the URI must be valid)."""
    match = _S3_OBJECT.match(uri)
    if not match:
        raise ValueError(f"not an S3 object URI: {uri!r}")
    return f"arn:aws:s3:::{match.group(1)}/{match.group(2)}"


def drift_metric_name(feature: str) -> str:
    return f"{DRIFT_METRIC_PREFIX}{feature}"


def feature_name_problems(path: str, feature: object) -> list[Problem]:
    """Problems with a feature name whose drift metric is asked for (CloudWatch names: 1 to 255 characters)."""
    if isinstance(feature, str) and feature.strip() and len(drift_metric_name(feature)) <= 255:
        return []
    return [Problem(path, f"is not a feature name (non-blank, at most {255 - len(DRIFT_METRIC_PREFIX)} characters)",
                    feature)]


@functools.lru_cache(maxsize=1)
def processing_instance_types() -> tuple[str, ...]:
    """Instance types a Model Monitor job accepts (botocore's ProcessingInstanceType)."""
    return aws_models.shape_enum("sagemaker", "ProcessingInstanceType")


def _prefix_problems(path: str, prefix: Optional[str]) -> list[Problem]:
    if prefix is None:
        return []
    if not prefix or prefix.startswith("/") or not prefix.endswith("/") or "*" in prefix or "?" in prefix:
        return [Problem(path, "is not a key prefix (no leading '/', no wildcard, ends with '/', e.g. 'fraud/')", prefix)]
    return []


# --- Args ---------------------------------------------------------------------------------------


class DriftMonitorSpec(Spec):
    """A drift-to-retraining loop's settings (data only; each of the stack config's `monitoring.drift`)."""

    baseline_prefix: Optional[str] = Field(
        default=None,
        description="Key prefix of the baseline files (constraints.json, statistics.json) in the baseline bucket, "
        "ending with '/', e.g. churn/baseline/. Omitted: only allowed when the baseline is given by URIs.",
    )
    features: tuple[str, ...] = Field(
        description=f"Features (as named in the baseline) whose drift sets the alarm off, 1 to {MAX_DRIFT_FEATURES}."
    )
    retraining_pipeline_arn: Optional[str] = Field(
        default=None,
        description="ARN of a SageMaker pipeline the team owns that retrains the model "
        "(arn:aws:sagemaker:<region>:<account>:pipeline/<name>), an explicit choice instead of the family's "
        "TrainingPipeline. Omitted: the endpoint's family's pipeline (platform.pipelines.<family>) retrains.",
    )
    retraining_pipeline_parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Parameters the retraining pipeline execution starts with. "
        "Omitted: the pipeline's own parameter defaults (no sagemaker_pipeline_target on the target).",
    )
    threshold: Number = Field(
        default=0.1,
        description="The alarm fires when a feature's baseline drift (distribution distance) exceeds this. "
        "Omitted: 0.1, Model Monitor's default comparison threshold.",
    )
    schedule_expression: Optional[str] = Field(
        default=None, description=f"When the monitor runs: {SCHEDULES_ALLOWED}. Omitted: hourly."
    )

    @property
    def schedule(self) -> str:
        """The schedule the monitor runs on (hourly when omitted)."""
        return self.schedule_expression if self.schedule_expression is not None else HOURLY

    def problems_at(self, base: str) -> list[Problem]:
        problems = _feature_problems(f"{base}.features", self.features)
        if self.threshold <= 0:
            problems.append(Problem(f"{base}.threshold", "must be greater than 0", self.threshold))
        if self.schedule_expression is not None:
            problems.extend(check_schedule_expression(f"{base}.schedule_expression", self.schedule_expression))
        if self.retraining_pipeline_arn is not None and not _PIPELINE_ARN.match(self.retraining_pipeline_arn):
            problems.append(Problem(f"{base}.retraining_pipeline_arn",
                                    "is not a SageMaker pipeline ARN (arn:aws:sagemaker:<region>:<account>:pipeline/<name>)",
                                    self.retraining_pipeline_arn))
        for key, value in self.retraining_pipeline_parameters.items():
            if not _PIPELINE_PARAMETER.match(key) or len(key) > 256:
                problems.append(Problem(f"{base}.retraining_pipeline_parameters",
                                        "has a parameter name that is not letters, digits and '-' (at most 256)", key))
            if len(value) > 1024:
                problems.append(Problem(f"{base}.retraining_pipeline_parameters",
                                        f"has a value longer than 1024 characters for {key!r}", len(value)))
        if len(self.retraining_pipeline_parameters) > 200:
            problems.append(Problem(f"{base}.retraining_pipeline_parameters", "has more than 200 parameters",
                                    len(self.retraining_pipeline_parameters)))
        return problems


class DriftMonitorArgs(DriftMonitorSpec, ArgsModel):
    renamed_fields = {"drift_features": "features", "drift_threshold": "threshold"}  # before 0.2.0

    endpoint: CapturingEndpoint = Field(
        description="The provisioned endpoint to watch (a ServingEndpoint with data capture into its captures bucket)."
    )
    retraining_pipeline: Optional[TrainingPipeline] = Field(
        default=None,
        description="The TrainingPipeline that retrains the model (the endpoint's family's). Omitted: give "
        "retraining_pipeline_arn instead.",
    )
    network: Network = Field(description="The platform Network: the job runs in its private subnets.")
    alarm_topic: AlarmTopic = Field(description="Where the drift alarm sends its ALARM and OK notifications.")
    baseline_bucket: Optional[BucketHandle] = Field(
        default=None,
        description="Governed bucket holding the baseline (e.g. `store.datasets`): the job reads "
        "`<baseline_prefix>constraints.json` and `<baseline_prefix>statistics.json` (the files a baselining job "
        "writes) and decrypts them with the bucket's key. Omitted: give baseline_constraints_uri and "
        "baseline_statistics_uri instead.",
    )
    baseline_constraints_uri: Optional[str] = Field(
        default=None,
        description="s3:// URI of a baseline constraints.json outside the platform's buckets. "
        "Omitted: `<baseline_prefix>constraints.json` in baseline_bucket.",
    )
    baseline_statistics_uri: Optional[str] = Field(
        default=None,
        description="s3:// URI of a baseline statistics.json outside the platform's buckets. "
        "Omitted: `<baseline_prefix>statistics.json` in baseline_bucket.",
    )
    instance_type: str = Field(default="ml.m5.xlarge", description="Instance of the monitoring job. Omitted: ml.m5.xlarge.")
    volume_size_gb: StrictInt = Field(default=20, description="Job volume size, 1-16384 GB. Omitted: 20.")
    max_runtime_seconds: StrictInt = Field(
        default=1800,
        description="A monitoring run is stopped after this long; at most the schedule's interval. Omitted: 1800.",
    )
    baseline_kms_key: Optional[aws.kms.Key] = Field(
        default=None,
        description="KMS key of baseline objects given by URI (the job may decrypt with it through S3); not with "
        "baseline_bucket, whose key is used. Omitted: the captures bucket's key (the data domain key, which "
        "also encrypts the datasets bucket).",
    )
    reports_prefix: Optional[str] = Field(
        default=None,
        description="Key prefix in the captures bucket the monitoring reports are written under (encrypted with "
        "the bucket's key, as its policy requires). Omitted: `model-monitor/<component name>/`.",
    )
    security_group_ids: Optional[tuple[str, ...]] = Field(
        default=None,
        description="Security groups of the job. Omitted: one is created that allows only HTTPS to the VPC "
        "(interface endpoints) and to the Network's S3 gateway endpoint; required with an adopted VPC.",
    )
    monitor_image_tag: str = Field(
        default="latest",
        description="Tag of AWS's sagemaker-model-monitor-analyzer image (AWS publishes it as latest). Omitted: latest.",
    )

    def problems(self) -> list[Problem]:
        where = "DriftMonitorArgs"
        problems: list[Problem] = []
        endpoint = self.endpoint
        if endpoint.serverless:
            problems.append(Problem(f"{where}.endpoint", "is serverless: serverless endpoints have no data capture and "
                                                         "Model Monitor cannot watch them (monitor a provisioned endpoint)"))
        else:
            if endpoint.captures_bucket is None:
                problems.append(Problem(f"{where}.endpoint", "has no captures bucket (enable data capture on the endpoint)"))
            elif endpoint.waiting_for_model:
                problems.append(Problem(f"{where}.endpoint", "waits for an approved model package: Model Monitor needs "
                                                             "a deployed endpoint (declare the DriftMonitor once it has a model)"))
            problems.extend(_prefix_problems(f"{where}.endpoint.captures_prefix", endpoint.captures_prefix))
        problems.extend(baseline_problems(
            where, in_bucket=self.baseline_bucket is not None, prefix=self.baseline_prefix,
            constraints_uri=self.baseline_constraints_uri, statistics_uri=self.baseline_statistics_uri,
            kms_key=self.baseline_kms_key,
        ))
        problems.extend(self.problems_at(where))
        problems.extend(retraining_target_problems(
            where, pipeline=self.retraining_pipeline is not None, arn=self.retraining_pipeline_arn is not None,
            pipeline_key="retraining_pipeline",
        ))
        if self.retraining_pipeline is not None:
            for key in self.retraining_pipeline_parameters:
                if key not in TRAINING_PIPELINE_PARAMETERS:
                    problems.append(Problem(f"{where}.retraining_pipeline_parameters", "names no parameter of the "
                                            f"TrainingPipeline ({', '.join(TRAINING_PIPELINE_PARAMETERS)})", key))
        interval = schedule_interval_seconds(self.schedule) or MAX_JOB_RUNTIME_SECONDS
        if not 1 <= self.max_runtime_seconds <= interval:
            problems.append(Problem(f"{where}.max_runtime_seconds",
                                    f"must be between 1 and the schedule's interval ({interval} s)", self.max_runtime_seconds))
        if self.instance_type not in processing_instance_types():
            problems.append(Problem(f"{where}.instance_type", "is not a processing instance type (e.g. ml.m5.xlarge)",
                                    self.instance_type))
        if not 1 <= self.volume_size_gb <= 16384:
            problems.append(Problem(f"{where}.volume_size_gb", "must be between 1 and 16384", self.volume_size_gb))
        problems.extend(_prefix_problems(f"{where}.reports_prefix", self.reports_prefix))
        if self.security_group_ids is None and self.network.vpc is None:
            problems.append(Problem(f"{where}.security_group_ids",
                                    "is required with an adopted VPC (the job's security group must reach S3 and the "
                                    "VPC endpoints; pass one that allows it)"))
        for sg in self.security_group_ids or ():
            if not _SG_ID.match(sg):
                problems.append(Problem(f"{where}.security_group_ids", "is not a security group id (sg-...)", sg))
        if self.security_group_ids is not None and not 1 <= len(self.security_group_ids) <= 5:
            problems.append(Problem(f"{where}.security_group_ids", "must list 1 to 5 security groups",
                                    self.security_group_ids))
        return problems

    @property
    def interval_seconds(self) -> int:
        return schedule_interval_seconds(self.schedule) or 3600


def retraining_target_problems(where: str, *, pipeline: bool, arn: bool, pipeline_key: str) -> list[Problem]:
    """Exactly one retraining target: the pipeline by reference (`pipeline_key` names it) or an external ARN."""
    if pipeline and arn:
        return [Problem(f"{where}.retraining_pipeline_arn", f"cannot be set with {pipeline_key} (the loop retrains one "
                                                            "pipeline: drop the ARN to retrain the family's pipeline)")]
    if not pipeline and not arn:
        return [Problem(f"{where}.retraining_pipeline_arn", f"is required without {pipeline_key} (say which pipeline "
                                                            "retrains the model)")]
    return []


def baseline_problems(where: str, *, in_bucket: bool, prefix: Optional[str], constraints_uri: Optional[str] = None,
                      statistics_uri: Optional[str] = None, kms_key: Any = None,
                      bucket: str = "baseline_bucket") -> list[Problem]:
    """Where the baseline is: `prefix` in a bucket (`in_bucket`; `bucket` names it), or two URIs; never both."""
    problems: list[Problem] = []
    uris = {"baseline_constraints_uri": constraints_uri, "baseline_statistics_uri": statistics_uri}
    if in_bucket:
        for field, value in (*uris.items(), ("baseline_kms_key", kms_key)):
            if value is not None:
                problems.append(Problem(f"{where}.{field}", "cannot be set with baseline_bucket (the baseline is "
                                                            "read from the bucket, with its key; drop one of them)"))
        if prefix is None:
            problems.append(Problem(f"{where}.baseline_prefix", f"is required with {bucket} (the key prefix "
                                                                "of constraints.json and statistics.json, e.g. 'fraud/baseline/')"))
        problems.extend(_prefix_problems(f"{where}.baseline_prefix", prefix))
        return problems
    if prefix is not None:
        problems.append(Problem(f"{where}.baseline_prefix", "needs baseline_bucket (URIs name their files fully)", prefix))
    for field, value in uris.items():
        if value is None:
            problems.append(Problem(f"{where}.{field}", "is required without baseline_bucket (say where the "
                                                        "baseline is: baseline_bucket and baseline_prefix, or both URIs)"))
        elif not _S3_OBJECT.match(value):
            problems.append(Problem(f"{where}.{field}", "is not an S3 object URI (s3://bucket/key.json)", value))
    return problems


def _feature_problems(path: str, features: tuple[str, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if not 1 <= len(features) <= MAX_DRIFT_FEATURES:
        problems.append(Problem(path, f"must list 1 to {MAX_DRIFT_FEATURES} features (a metric-math alarm "
                                      f"takes {MAX_DRIFT_FEATURES} metrics)", features))
    for feature in features:
        problems.extend(feature_name_problems(path, feature))
    if len(set(features)) != len(features):
        problems.append(Problem(path, "lists a feature twice", features))
    return problems


# --- IAM documents ------------------------------------------------------------------------------


def job_trust_policy(*, account_id: pulumi.Input[str]) -> _iam.Document:
    """Trust for SageMaker running this account's monitoring jobs."""
    return _iam.assume_role_policy("sagemaker.amazonaws.com", source_account=account_id)


def job_role_policy(
    *,
    captures_bucket_arn: pulumi.Input[str],
    captures_prefix: Optional[str],
    reports_object_arns: pulumi.Input[str],
    baseline_object_arns: list[pulumi.Input[str]],
    s3_key_arns: list[pulumi.Input[str]],
    volume_key_arn: pulumi.Input[str],
    region: pulumi.Input[str],
    account_id: pulumi.Input[str],
    image_registry_id: pulumi.Input[str],
    network_resource_arns: pulumi.Input[list[str]],
) -> _iam.Document:
    """What the monitoring job's role may do, exactly (pure).

    Read the captured data (under `captures_prefix`) and the baseline objects; write reports; use
    the S3 objects' keys through S3 only; let SageMaker encrypt the job volume (grants for AWS
    resources only); write its logs to /aws/sagemaker/ProcessingJobs; publish metrics in the
    Model Monitor namespace only; pull the analyzer image; manage the job's network interfaces in
    its subnets and security groups. Describe* EC2 actions, ecr:GetAuthorizationToken and
    cloudwatch:PutMetricData accept no resource ARN, hence "*" there.
    """
    prefix = captures_prefix or ""
    list_conditions = {"StringLike": {"s3:prefix": f"{prefix}*"}} if captures_prefix else None
    log_group = pulumi.Output.concat("arn:aws:logs:", region, ":", account_id, ":log-group:", PROCESSING_JOBS_LOG_GROUP)
    return _iam.document(
        [
            _iam.statement(sid="ReadCapturedData", actions=["s3:GetObject"],
                           resources=[pulumi.Output.concat(captures_bucket_arn, "/", prefix, "*")]),
            _iam.statement(sid="ListCapturedData", actions=["s3:ListBucket"], resources=[captures_bucket_arn],
                           conditions=list_conditions),
            _iam.statement(sid="ReadBaseline", actions=["s3:GetObject"], resources=list(baseline_object_arns)),
            _iam.statement(sid="WriteReports", actions=["s3:PutObject"], resources=[reports_object_arns]),
            _iam.statement(
                sid="UseObjectKeysThroughS3", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=list(s3_key_arns),
                conditions={"StringEquals": {"kms:ViaService": pulumi.Output.concat("s3.", region, ".amazonaws.com")}},
            ),
            _iam.statement(sid="EncryptJobVolume", actions=["kms:CreateGrant"], resources=[volume_key_arn],
                           conditions={"Bool": {"kms:GrantIsForAWSResource": True}}),
            _iam.statement(
                sid="WriteJobLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[log_group, pulumi.Output.concat(log_group, ":log-stream:*")],
            ),
            _iam.statement(sid="PublishMonitorMetrics", actions=["cloudwatch:PutMetricData"], resources="*",
                           conditions={"StringEquals": {"cloudwatch:namespace": DATA_METRICS_NAMESPACE}}),
            _iam.statement(
                sid="PullAnalyzerImage",
                actions=["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                resources=[pulumi.Output.concat("arn:aws:ecr:", region, ":", image_registry_id, ":repository/",
                                                MODEL_MONITOR_REPOSITORY)],
            ),
            _iam.statement(sid="AuthenticateToEcr", actions=["ecr:GetAuthorizationToken"], resources="*"),
            _iam.statement(
                sid="ManageJobNetworkInterfaces",
                actions=["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                         "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
                resources=network_resource_arns,
            ),
            _iam.statement(
                sid="DescribeJobNetwork",
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
                         "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"],
                resources="*",
            ),
        ]
    )


def retraining_trust_policy(*, account_id: pulumi.Input[str], rule_arn: pulumi.Input[str]) -> _iam.Document:
    """Trust for EventBridge delivering this rule's events (and no other rule's)."""
    return _iam.assume_role_policy("events.amazonaws.com", source_account=account_id, source_arn=rule_arn)


def retraining_role_policy(pipeline_arn: pulumi.Input[str]) -> _iam.Document:
    """Start executions of the retraining pipeline, nothing else (pure)."""
    return _iam.document(
        [_iam.statement(sid="StartRetrainingPipeline", actions=["sagemaker:StartPipelineExecution"], resources=pipeline_arn)]
    )


def alarm_event_pattern(alarm_arn: pulumi.Input[str]) -> dict[str, Any]:
    """EventBridge pattern: this alarm entering ALARM."""
    return {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "resources": [alarm_arn],
        "detail": {"state": {"value": ["ALARM"]}},
    }


# --- the component ------------------------------------------------------------------------------


class DriftMonitor(pulumi.ComponentResource):
    """Model Monitor schedule, drift alarm and retraining trigger for one endpoint.

    Children (suffixes are stable): `<name>-job-sg`, `<name>-job-https-vpc`, `<name>-job-https-s3`
    (unless `security_group_ids` is given), `<name>-job-role`, `<name>-job-policy`,
    `<name>-job-definition`, `<name>-schedule`, `<name>-drift-alarm`, `<name>-retrain-rule`,
    `<name>-retrain-role`, `<name>-retrain-policy`, `<name>-retrain-target`. Deleting the
    component stops monitoring; reports already written stay in the captures bucket.
    """

    job_definition: aws.sagemaker.DataQualityJobDefinition
    schedule: aws.sagemaker.MonitoringSchedule
    drift_alarm: aws.cloudwatch.MetricAlarm
    retraining_rule: aws.cloudwatch.EventRule

    def __init__(self, name: str, args: DriftMonitorArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("DriftMonitor", name, args, DriftMonitorArgs)
        super().__init__("mlplat:monitoring:DriftMonitor", name, None, opts)
        here = pulumi.ResourceOptions(parent=self)
        account_id = _iam.caller_account_id()
        region = _iam.current_region()
        endpoint = args.endpoint
        captures = endpoint.captures_bucket
        assert captures is not None  # DriftMonitorArgs.problems() guarantees it
        self._endpoint_name = endpoint.endpoint_name
        self._interval = args.interval_seconds

        security_group_ids = self._security_groups(name, args)
        image = aws.sagemaker.get_prebuilt_ecr_image_output(
            repository_name=MODEL_MONITOR_REPOSITORY, image_tag=args.monitor_image_tag,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        reports_prefix = args.reports_prefix or f"model-monitor/{name}/"
        self.reports_uri = pulumi.Output.concat("s3://", captures.name, "/", reports_prefix)

        role = aws.iam.Role(
            child(name, "job-role"),
            description=f"mlplat {name}: Model Monitor data-quality jobs",
            assume_role_policy=_iam.to_json(job_trust_policy(account_id=account_id)),
            opts=here,
        )
        constraints_uri, statistics_uri, baseline_arns, baseline_key = self._baseline(args, captures)
        s3_keys = [captures.key.arn] + ([baseline_key.arn] if baseline_key is not captures.key else [])
        network_arns = pulumi.Output.all(region, account_id, args.network.private_subnet_ids, security_group_ids).apply(
            lambda v: [f"arn:aws:ec2:{v[0]}:{v[1]}:network-interface/*"]
            + [f"arn:aws:ec2:{v[0]}:{v[1]}:subnet/{s}" for s in v[2]]
            + [f"arn:aws:ec2:{v[0]}:{v[1]}:security-group/{g}" for g in v[3]]
        )
        policy = aws.iam.RolePolicy(
            child(name, "job-policy"),
            role=role.id,
            policy=_iam.to_json(job_role_policy(
                captures_bucket_arn=captures.arn,
                captures_prefix=endpoint.captures_prefix,
                reports_object_arns=pulumi.Output.concat(captures.arn, "/", reports_prefix, "*"),
                baseline_object_arns=baseline_arns,
                s3_key_arns=s3_keys,
                volume_key_arn=captures.key.arn,
                region=region,
                account_id=account_id,
                image_registry_id=image.registry_id,
                network_resource_arns=network_arns,
            )),
            opts=here,
        )

        self.job_definition = aws.sagemaker.DataQualityJobDefinition(
            child(name, "job-definition"),
            role_arn=role.arn,
            data_quality_app_specification=aws.sagemaker.DataQualityJobDefinitionDataQualityAppSpecificationArgs(
                image_uri=image.registry_path,
                environment={"publish_cloudwatch_metrics": "Enabled"},
            ),
            data_quality_baseline_config=aws.sagemaker.DataQualityJobDefinitionDataQualityBaselineConfigArgs(
                constraints_resource=aws.sagemaker.DataQualityJobDefinitionDataQualityBaselineConfigConstraintsResourceArgs(
                    s3_uri=constraints_uri),
                statistics_resource=aws.sagemaker.DataQualityJobDefinitionDataQualityBaselineConfigStatisticsResourceArgs(
                    s3_uri=statistics_uri),
            ),
            data_quality_job_input=aws.sagemaker.DataQualityJobDefinitionDataQualityJobInputArgs(
                endpoint_input=aws.sagemaker.DataQualityJobDefinitionDataQualityJobInputEndpointInputArgs(
                    endpoint_name=endpoint.endpoint_name,
                    local_path=ENDPOINT_INPUT_PATH,
                    s3_data_distribution_type="FullyReplicated",
                    s3_input_mode="File",
                ),
            ),
            data_quality_job_output_config=aws.sagemaker.DataQualityJobDefinitionDataQualityJobOutputConfigArgs(
                kms_key_id=captures.key.arn,
                monitoring_outputs=aws.sagemaker.DataQualityJobDefinitionDataQualityJobOutputConfigMonitoringOutputsArgs(
                    s3_output=aws.sagemaker.DataQualityJobDefinitionDataQualityJobOutputConfigMonitoringOutputsS3OutputArgs(
                        s3_uri=self.reports_uri, local_path=OUTPUT_PATH, s3_upload_mode="EndOfJob",
                    ),
                ),
            ),
            job_resources=aws.sagemaker.DataQualityJobDefinitionJobResourcesArgs(
                cluster_config=aws.sagemaker.DataQualityJobDefinitionJobResourcesClusterConfigArgs(
                    instance_count=1,
                    instance_type=args.instance_type,
                    volume_size_in_gb=args.volume_size_gb,
                    volume_kms_key_id=captures.key.arn,
                ),
            ),
            network_config=aws.sagemaker.DataQualityJobDefinitionNetworkConfigArgs(
                enable_inter_container_traffic_encryption=True,
                enable_network_isolation=True,
                vpc_config=aws.sagemaker.DataQualityJobDefinitionNetworkConfigVpcConfigArgs(
                    security_group_ids=security_group_ids,
                    subnets=args.network.private_subnet_ids,
                ),
            ),
            stopping_condition=aws.sagemaker.DataQualityJobDefinitionStoppingConditionArgs(
                max_runtime_in_seconds=args.max_runtime_seconds,
            ),
            # SageMaker checks the role's permissions when the job definition is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.schedule = aws.sagemaker.MonitoringSchedule(
            child(name, "schedule"),
            monitoring_schedule_config=aws.sagemaker.MonitoringScheduleMonitoringScheduleConfigArgs(
                monitoring_type="DataQuality",
                monitoring_job_definition_name=self.job_definition.name,
                schedule_config=aws.sagemaker.MonitoringScheduleMonitoringScheduleConfigScheduleConfigArgs(
                    schedule_expression=args.schedule,
                ),
            ),
            opts=here,
        )

        features = args.features
        query_ids = [f"f{i}" for i in range(len(features))]
        queries = [metric_query(qid, self.metric_feature_drift(f)) for qid, f in zip(query_ids, features)]
        self.drift_alarm = aws.cloudwatch.MetricAlarm(
            child(name, "drift-alarm"),
            alarm_description=f"A monitored feature of the endpoint drifted from its baseline by more than "
                              f"{args.threshold:g} ({', '.join(features)}); EventBridge starts retraining.",
            comparison_operator="GreaterThanThreshold",
            threshold=args.threshold,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            # One data point per monitoring run: between runs the alarm keeps its state.
            treat_missing_data="ignore",
            actions_enabled=True,
            alarm_actions=[args.alarm_topic.arn],
            ok_actions=[args.alarm_topic.arn],
            metric_queries=queries + [aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="drift", expression=f"MAX([{', '.join(query_ids)}])",
                label="largest feature baseline drift", return_data=True,
            )],
            opts=here,
        )

        self.retraining_rule = aws.cloudwatch.EventRule(
            child(name, "retrain-rule"),
            description=f"mlplat {name}: start retraining when the drift alarm goes to ALARM",
            event_pattern=pulumi.Output.json_dumps(alarm_event_pattern(self.drift_alarm.arn)),
            state="ENABLED",
            opts=here,
        )
        retrain_role = aws.iam.Role(
            child(name, "retrain-role"),
            description=f"mlplat {name}: EventBridge starts the retraining pipeline",
            assume_role_policy=_iam.to_json(retraining_trust_policy(account_id=account_id, rule_arn=self.retraining_rule.arn)),
            opts=here,
        )
        pipeline_arn: pulumi.Input[str] = (
            args.retraining_pipeline.arn if args.retraining_pipeline is not None else args.retraining_pipeline_arn
        )
        retrain_policy = aws.iam.RolePolicy(
            child(name, "retrain-policy"),
            role=retrain_role.id,
            policy=_iam.to_json(retraining_role_policy(pipeline_arn)),
            opts=here,
        )
        pipeline_target = None
        if args.retraining_pipeline_parameters:
            pipeline_target = aws.cloudwatch.EventTargetSagemakerPipelineTargetArgs(
                pipeline_parameter_lists=[
                    aws.cloudwatch.EventTargetSagemakerPipelineTargetPipelineParameterListArgs(name=key, value=value)
                    for key, value in sorted(args.retraining_pipeline_parameters.items())
                ]
            )
        aws.cloudwatch.EventTarget(
            child(name, "retrain-target"),
            rule=self.retraining_rule.name,
            target_id=RETRAINING_TARGET_ID,
            arn=pipeline_arn,
            role_arn=retrain_role.arn,
            sagemaker_pipeline_target=pipeline_target,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[retrain_policy]),
        )

        self.register_outputs(
            {
                "schedule_arn": self.schedule.arn,
                "drift_alarm_arn": self.drift_alarm.arn,
                "retraining_rule_arn": self.retraining_rule.arn,
                "reports_uri": self.reports_uri,
            }
        )

    def metric_feature_drift(self, feature: str) -> Metric:
        """Model Monitor's baseline drift of `feature` for this endpoint and schedule (Maximum per run interval).

        Any feature of the baseline may be asked for, not only `features`; a blank or too long
        name is a ConfigError.
        """
        raise_if_problems(feature_name_problems("metric_feature_drift.feature", feature))
        return Metric(
            namespace=DATA_METRICS_NAMESPACE,
            metric_name=drift_metric_name(feature),
            dimensions={"Endpoint": self._endpoint_name, "MonitoringSchedule": self.schedule.name},
            statistic="Maximum",
            period_seconds=self._interval,
            label=f"{feature} baseline drift",
        )

    @staticmethod
    def _baseline(args: DriftMonitorArgs, captures: BucketHandle) -> tuple[
        pulumi.Input[str], pulumi.Input[str], list[pulumi.Input[str]], aws.kms.Key
    ]:
        """Constraints and statistics URIs, their object ARNs, and the key that encrypts them."""
        bucket = args.baseline_bucket
        if bucket is not None:
            prefix = args.baseline_prefix or ""
            uris = [pulumi.Output.concat("s3://", bucket.name, "/", prefix, f) for f in BASELINE_FILES]
            arns = [pulumi.Output.concat(bucket.arn, "/", prefix, f) for f in BASELINE_FILES]
            return uris[0], uris[1], list(arns), bucket.key
        assert args.baseline_constraints_uri and args.baseline_statistics_uri  # problems() guarantees them
        uris_given = [args.baseline_constraints_uri, args.baseline_statistics_uri]
        return (uris_given[0], uris_given[1], [s3_object_arn(u) for u in uris_given],
                args.baseline_kms_key or captures.key)

    def _security_groups(self, name: str, args: DriftMonitorArgs) -> pulumi.Output[list[str]]:
        if args.security_group_ids is not None:
            return pulumi.Output.from_input(list(args.security_group_ids))
        network = args.network
        sg, _ = https_egress_group(
            self, network, name=child(name, "job-sg"),
            description=f"mlplat {name}: Model Monitor jobs reach S3 and the VPC endpoints over HTTPS",
            vpc_rule=(child(name, "job-https-vpc"), "HTTPS to the VPC's interface endpoints"),
            s3_rule=(child(name, "job-https-s3"), "HTTPS to S3 through the gateway endpoint"),
            s3_prefix_list_id=network.endpoints["s3"].prefix_list_id,
        )
        return pulumi.Output.all(sg.id).apply(list)
