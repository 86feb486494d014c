"""Monitoring: the platform's alarm topic, and CloudWatch alarms and a dashboard per endpoint.

    topic = AlarmTopic("alarms", AlarmTopicArgs(key=keys.key("alerts"), emails=("oncall@example.com",)))
    EndpointMonitoring("fraud-monitoring", EndpointMonitoringArgs(endpoint=endpoint, alarm_topic=topic))

- `AlarmTopic` (`mlplat:monitoring:AlarmTopic`): one SNS topic per platform, encrypted with a KMS
  key whose policy admits CloudWatch and EventBridge as publishers (the `sns-alarm-publishers`
  key user of `Encryption`), a topic policy that lets only those two services of this account
  publish, and email / HTTPS subscriptions.
- `EndpointMonitoring` (`mlplat:monitoring:EndpointMonitoring`): per endpoint variant, alarms on
  5XX errors, the 4XX error rate, p99 model and overhead latency, CPU or GPU utilisation and disk
  utilisation; a composite alarm that is in ALARM when any of them is; a dashboard. Alarms and
  the dashboard are built only from the endpoint's `Metric` objects (`endpoint.metric_*()`), never
  from hand-typed metric names. Serverless endpoints have no instances, so their CPU/GPU and disk
  alarms are skipped (listed in `skipped_alarms` and logged in the plan).

The drift-to-retraining loop (Model Monitor schedule, drift alarm, EventBridge rule starting the
retraining pipeline) is `components.drift.DriftMonitor`, a separate component per endpoint: it
needs data capture and a VPC, which serverless endpoints do not have.

Thresholds of utilisation alarms are given per vCPU or per accelerator: SageMaker reports
CPUUtilization summed over the instance's vCPUs (0-400 % on 4 vCPUs) and GPUUtilization summed
over its GPUs, so the alarm threshold is the per-unit percentage times the unit count of the
variant's instance type (see `instance_vcpus` and `ACCELERATOR_COUNTS`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Protocol, Sequence, runtime_checkable
from urllib.parse import urlparse

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._wiring import require_args
from ._metrics import Metric
from mlplat.core.naming import child
from mlplat.core.models import ArgsModel, Number, Spec, StrictInt
from mlplat.core.errors import Problem

__all__ = [
    "ACCELERATED_FAMILY_PREFIXES",
    "ACCELERATOR_COUNTS",
    "ALARM_PUBLISHERS",
    "AlarmSpec",
    "AlarmTopic",
    "AlarmTopicArgs",
    "AlarmTopicSpec",
    "check_alarm_window",
    "dashboard_body",
    "endpoint_alarm_specs",
    "EndpointAlarmsSpec",
    "EndpointMonitoring",
    "EndpointMonitoringArgs",
    "HasInstanceTypes",
    "instance_accelerators",
    "INSTANCE_ALARM_KINDS",
    "instance_vcpus",
    "is_accelerated",
    "MAX_ALARM_WINDOW_SECONDS",
    "metric_query",
    "MICROSECONDS_PER_MILLISECOND",
    "monitored_instance_type_problems",
    "MonitoredEndpoint",
    "subscription_suffix",
    "topic_policy",
]

ALARM_PUBLISHERS: tuple[str, ...] = ("budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com")

# Families docs/DECISIONS.md (Serving) counts as accelerated: ml.p*, ml.g*, ml.inf*, ml.trn*.
ACCELERATED_FAMILY_PREFIXES: tuple[str, ...] = ("p", "g", "inf", "trn")

# Accelerators (GPUs, or Neuron devices on inf/trn) per instance type, from the EC2 instance type
# specifications. GPUUtilization is summed over them. Types missing here need an explicit
# `gpu_counts` entry.
ACCELERATOR_COUNTS: dict[str, int] = {
    "ml.p2.xlarge": 1, "ml.p2.8xlarge": 8, "ml.p2.16xlarge": 16,
    "ml.p3.2xlarge": 1, "ml.p3.8xlarge": 4, "ml.p3.16xlarge": 8,
    "ml.p4d.24xlarge": 8, "ml.p4de.24xlarge": 8,
    "ml.p5.4xlarge": 1, "ml.p5.48xlarge": 8, "ml.p5e.48xlarge": 8, "ml.p5en.48xlarge": 8,
    "ml.g4dn.xlarge": 1, "ml.g4dn.2xlarge": 1, "ml.g4dn.4xlarge": 1, "ml.g4dn.8xlarge": 1,
    "ml.g4dn.12xlarge": 4, "ml.g4dn.16xlarge": 1,
    **{
        f"ml.{family}.{size}": count
        for family in ("g5", "g6", "g6e")
        for size, count in (("xlarge", 1), ("2xlarge", 1), ("4xlarge", 1), ("8xlarge", 1), ("16xlarge", 1),
                            ("12xlarge", 4), ("24xlarge", 4), ("48xlarge", 8))
    },
    "ml.inf1.xlarge": 1, "ml.inf1.2xlarge": 1, "ml.inf1.6xlarge": 4, "ml.inf1.24xlarge": 16,
    "ml.inf2.xlarge": 1, "ml.inf2.8xlarge": 1, "ml.inf2.24xlarge": 6, "ml.inf2.48xlarge": 12,
    "ml.trn1.2xlarge": 1, "ml.trn1.32xlarge": 16, "ml.trn1n.32xlarge": 16, "ml.trn2.48xlarge": 16,
}  # fmt: skip

MAX_ALARM_WINDOW_SECONDS = 86_400  # CloudWatch: period x evaluation periods <= one day
MICROSECONDS_PER_MILLISECOND = 1000  # ModelLatency and OverheadLatency are reported in microseconds

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_INSTANCE_TYPE = re.compile(r"^ml\.([a-z0-9-]+)\.([a-z0-9-]+)$")
_SIZE = re.compile(r"^(\d*)xlarge$")


# --- what monitoring needs from an endpoint ---------------------------------------------------


@runtime_checkable
class MonitoredEndpoint(Protocol):
    """What EndpointMonitoring uses of an endpoint (ServingEndpoint provides it).

    Every `metric_*` method returns a `components._metrics.Metric` of the official SageMaker
    metric of one `variant` (EndpointMonitoring always names it), with `statistic` and
    `period_seconds` overriding its defaults. Instance types, when the endpoint reports them, come
    from `HasInstanceTypes`.
    """

    endpoint_name: pulumi.Output[str]
    variant_names: Sequence[str]
    serverless: bool

    def metric_invocations(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                           period_seconds: Optional[int] = None) -> Metric: ...

    def metric_invocation_5xx_errors(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                                     period_seconds: Optional[int] = None) -> Metric: ...

    def metric_invocation_4xx_errors(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                                     period_seconds: Optional[int] = None) -> Metric: ...

    def metric_model_latency(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                             period_seconds: Optional[int] = None) -> Metric: ...

    def metric_overhead_latency(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                                period_seconds: Optional[int] = None) -> Metric: ...

    def metric_invocations_per_instance(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                                        period_seconds: Optional[int] = None) -> Metric: ...

    def metric_cpu_utilization(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                               period_seconds: Optional[int] = None) -> Metric: ...

    def metric_memory_utilization(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                                  period_seconds: Optional[int] = None) -> Metric: ...

    def metric_disk_utilization(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                                period_seconds: Optional[int] = None) -> Metric: ...

    def metric_gpu_utilization(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                               period_seconds: Optional[int] = None) -> Metric: ...

    def metric_gpu_memory_utilization(self, *, variant: Optional[str] = None, statistic: Optional[str] = None,
                                      period_seconds: Optional[int] = None) -> Metric: ...


@runtime_checkable
class HasInstanceTypes(Protocol):
    """An endpoint that reports its variants' instance types (variant name -> ml.* type).

    Optional: EndpointMonitoring reads it when `EndpointMonitoringArgs.instance_types` is omitted.
    """

    instance_types: Mapping[str, str]


# --- instance types -----------------------------------------------------------------------------


def is_accelerated(instance_type: str) -> bool:
    """True for the SageMaker families docs/DECISIONS.md (Serving) counts as accelerated (ml.p*, ml.g*, ml.inf*, ml.trn*)."""
    match = _INSTANCE_TYPE.match(instance_type)
    return bool(match) and match.group(1).startswith(ACCELERATED_FAMILY_PREFIXES)


def instance_vcpus(instance_type: str) -> Optional[int]:
    """vCPUs of a SageMaker instance type from its size, as EC2 names sizes (None if unparseable).

    large = 2, xlarge = 4, Nxlarge = 4N; medium = 2 on burstable (t) families, 1 elsewhere.
    """
    match = _INSTANCE_TYPE.match(instance_type)
    if not match:
        return None
    family, size = match.groups()
    if size == "large":
        return 2
    if size == "medium":
        return 2 if family.startswith("t") else 1
    sized = _SIZE.match(size)
    if not sized:
        return None
    return 4 * int(sized.group(1) or 1)


def instance_accelerators(instance_type: str) -> Optional[int]:
    """GPUs (or Neuron devices) of an accelerated instance type, when ACCELERATOR_COUNTS knows it."""
    return ACCELERATOR_COUNTS.get(instance_type)


def monitored_instance_type_problems(path: str, instance_type: str) -> list[Problem]:
    """Why EndpointMonitoring cannot scale its utilisation alarms for a variant of this type on its own
    (without `gpu_counts`): the stack config checks its endpoints' variants with it."""
    if not _INSTANCE_TYPE.match(instance_type) or instance_vcpus(instance_type) is None:
        return [Problem(path, "has no vCPU count EndpointMonitoring knows (its CPU alarm cannot be scaled; "
                              "use a type such as ml.m5.xlarge)", instance_type)]
    if is_accelerated(instance_type) and instance_accelerators(instance_type) is None:
        return [Problem(path, "is accelerated but EndpointMonitoring does not know its accelerator count "
                              "(ACCELERATOR_COUNTS), so its GPU alarm cannot be scaled", instance_type)]
    return []


# --- alarm topic --------------------------------------------------------------------------------


class AlarmTopicSpec(Spec):
    """Who the alarm topic notifies (data only; the stack config's `monitoring.subscriptions`)."""

    emails: tuple[str, ...] = Field(
        default=(),
        description="Email addresses subscribed to the topic (each must confirm the subscription). "
        "Omitted: no email subscription.",
    )
    https: tuple[str, ...] = Field(
        default=(),
        description="HTTPS endpoints (https://host/path) subscribed to the topic, e.g. an incident tool's "
        "webhook. Omitted: no HTTPS subscription.",
    )

    def problems_at(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        for address in self.emails:
            if not _EMAIL.match(address):
                problems.append(Problem(f"{base}.emails", "is not an email address (name@domain.tld)", address))
        if len({a.lower() for a in self.emails}) != len(self.emails):
            problems.append(Problem(f"{base}.emails", "lists an address twice", self.emails))
        for url in self.https:
            problems.extend(_https_problems(f"{base}.https", url))
        if len(set(self.https)) != len(self.https):
            problems.append(Problem(f"{base}.https", "lists an endpoint twice", self.https))
        return problems


class AlarmTopicArgs(AlarmTopicSpec, ArgsModel):
    renamed_fields = {"email_subscriptions": "emails", "https_subscriptions": "https"}  # before 0.2.0

    key: aws.kms.Key = Field(
        description="KMS key that encrypts the topic. Its policy must let CloudWatch and EventBridge use it "
        "(the `sns-alarm-publishers` key user of Encryption, e.g. "
        "`EncryptionArgs(domains=(..., 'alerts'), key_users={'alerts': ('sns-alarm-publishers',)})`), "
        "or alarms fail to publish."
    )

    def problems(self) -> list[Problem]:
        return self.problems_at("AlarmTopicArgs")


def _https_problems(path: str, url: str) -> list[Problem]:
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname or any(c.isspace() for c in url):
        return [Problem(path, "is not an https:// URL with a host (SNS delivers alarms to HTTPS endpoints only)", url)]
    if parsed.username or parsed.password:
        return [Problem(path, "embeds credentials (they would be stored in plain text in the state; "
                              "authenticate the webhook another way)", url)]
    return []


def subscription_suffix(protocol: str, endpoint: str) -> str:
    """A stable child-name suffix per subscription: reordering the list replaces nothing."""
    digest = hashlib.sha256(endpoint.strip().lower().encode()).hexdigest()[:8]
    return f"{protocol}-{digest}"


def topic_policy(topic_arn: pulumi.Input[str], *, account_id: pulumi.Input[str]) -> _iam.Document:
    """Who may publish to the alarm topic: CloudWatch alarms, EventBridge rules and AWS Budgets of this account only."""
    return _iam.document(
        [
            _iam.statement(
                sid="AllowAlarmPublishers",
                principals={"Service": list(ALARM_PUBLISHERS)},
                actions=["sns:Publish"],
                resources=topic_arn,
                conditions={"StringEquals": {"aws:SourceAccount": account_id}},
            )
        ]
    )


class AlarmTopic(pulumi.ComponentResource):
    """The platform's alarm topic: encrypted SNS topic, publisher policy, email/HTTPS subscriptions.

    Children (suffixes are stable): `<name>-topic`, `<name>-policy`, `<name>-email-<8 hex>` per
    email address and `<name>-https-<8 hex>` per HTTPS endpoint (the hex is derived from the
    address, so reordering or removing others replaces nothing). Deleting the component deletes
    the topic and its subscriptions.
    """

    topic: aws.sns.Topic
    arn: pulumi.Output[str]
    subscriptions: dict[str, aws.sns.TopicSubscription]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("AlarmTopic", name, args, AlarmTopicArgs)
        super().__init__("mlplat:monitoring:AlarmTopic", name, None, opts)
        here = pulumi.ResourceOptions(parent=self)
        # SHA256-signed messages (signature version 2) for HTTPS subscribers that verify them.
        self.topic = aws.sns.Topic(child(name, "topic"), kms_master_key_id=args.key.arn, signature_version=2, opts=here)
        self.arn = self.topic.arn
        aws.sns.TopicPolicy(
            child(name, "policy"),
            arn=self.topic.arn,
            policy=_iam.to_json(topic_policy(self.topic.arn, account_id=_iam.caller_account_id())),
            opts=here,
        )
        self.subscriptions = {}
        for protocol, endpoints in (("email", args.emails), ("https", args.https)):
            for endpoint in endpoints:
                suffix = subscription_suffix(protocol, endpoint)
                self.subscriptions[suffix] = aws.sns.TopicSubscription(
                    child(name, suffix), topic=self.topic.arn, protocol=protocol, endpoint=endpoint, opts=here,
                )
        self.register_outputs({"arn": self.arn})


# --- endpoint alarms and dashboard ---------------------------------------------------------------


class EndpointAlarmsSpec(Spec):
    """Thresholds and windows of an endpoint's alarms (data only; the stack config's `monitoring.endpoint_alarms`)."""

    period_seconds: StrictInt = Field(
        default=60,
        description="Period of every alarm, a multiple of 60 (SageMaker publishes endpoint metrics once a "
        "minute). Omitted: 60.",
    )
    evaluation_periods: StrictInt = Field(default=5, description="Periods each alarm looks at. Omitted: 5.")
    datapoints_to_alarm: StrictInt = Field(
        default=3,
        description="Breaching periods among `evaluation_periods` that set an alarm off. Omitted: 3 (3 of 5 minutes).",
    )
    invocation_5xx_errors: Number = Field(
        default=5.0,
        description="A variant alarms when it returns more than this many 5XX errors (Sum) in a period. Omitted: 5.",
    )
    invocation_4xx_error_rate: Number = Field(
        default=0.05,
        description="A variant alarms when more than this fraction of its invocations end in a 4XX error "
        "(metric math: 4XX errors / invocations), 0 to 1. Omitted: 0.05 (5 %).",
    )
    model_latency_p99_ms: Number = Field(
        default=1000.0,
        description="A variant alarms when its p99 ModelLatency exceeds this many milliseconds. Omitted: 1000.",
    )
    overhead_latency_p99_ms: Number = Field(
        default=100.0,
        description="A variant alarms when its p99 OverheadLatency exceeds this many milliseconds. Omitted: 100.",
    )
    cpu_utilization_percent: Number = Field(
        default=90.0,
        description="CPU alarm threshold per vCPU (0-100]; the alarm's threshold is this times the instance's "
        "vCPUs, since SageMaker sums CPUUtilization over vCPUs. Omitted: 90.",
    )
    gpu_utilization_percent: Number = Field(
        default=90.0,
        description="GPU alarm threshold per accelerator (0-100]; the alarm's threshold is this times the "
        "instance's accelerators (ACCELERATOR_COUNTS). Omitted: 90.",
    )
    disk_utilization_percent: Number = Field(
        default=80.0,
        description="A variant alarms when its DiskUtilization (0-100, not summed) exceeds this. Omitted: 80.",
    )

    def problems_at(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        for field, upper in (
            ("invocation_5xx_errors", None),
            ("invocation_4xx_error_rate", 1.0),
            ("model_latency_p99_ms", None),
            ("overhead_latency_p99_ms", None),
            ("cpu_utilization_percent", 100.0),
            ("gpu_utilization_percent", 100.0),
            ("disk_utilization_percent", 100.0),
        ):
            value = getattr(self, field)
            if value <= 0:
                problems.append(Problem(f"{base}.{field}", "must be greater than 0", value))
            elif upper is not None and value > upper:
                problems.append(Problem(f"{base}.{field}", f"must be at most {upper:g}", value))
        problems.extend(check_alarm_window(base, self.period_seconds, self.evaluation_periods, self.datapoints_to_alarm))
        return problems


class EndpointMonitoringArgs(EndpointAlarmsSpec, ArgsModel):
    renamed_fields = {  # before 0.2.0
        "invocation_5xx_errors_threshold": "invocation_5xx_errors",
        "invocation_4xx_error_rate_threshold": "invocation_4xx_error_rate",
        "model_latency_p99_threshold_ms": "model_latency_p99_ms",
        "overhead_latency_p99_threshold_ms": "overhead_latency_p99_ms",
        "cpu_utilization_threshold_percent": "cpu_utilization_percent",
        "gpu_utilization_threshold_percent": "gpu_utilization_percent",
        "disk_utilization_threshold_percent": "disk_utilization_percent",
    }

    endpoint: MonitoredEndpoint = Field(description="The endpoint to watch (a ServingEndpoint).")
    alarm_topic: AlarmTopic = Field(description="Where every alarm sends its ALARM and OK notifications.")
    instance_types: Optional[dict[str, str]] = Field(
        default=None,
        description="Instance type of each of the endpoint's variants (variant name -> ml.* type); decides "
        "between CPU and GPU utilisation alarms and scales their thresholds. Omitted: the endpoint's own "
        "`instance_types` when it offers them (HasInstanceTypes); otherwise required for provisioned "
        "endpoints (serverless endpoints have no instance alarms).",
    )
    gpu_counts: dict[str, StrictInt] = Field(
        default_factory=dict,
        description="Accelerators per instance of accelerated variants whose type ACCELERATOR_COUNTS does not "
        "know (variant name -> count). Omitted: counts come from ACCELERATOR_COUNTS; an unknown accelerated "
        "type is a ConfigError.",
    )
    dashboard_name: Optional[str] = Field(
        default=None,
        description="Name of the CloudWatch dashboard (letters, digits, '-', '_'). Omitted: the endpoint's name.",
    )

    def problems(self) -> list[Problem]:
        where = "EndpointMonitoringArgs"
        problems = self.problems_at(where)
        if self.dashboard_name is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", self.dashboard_name):
            problems.append(
                Problem(f"{where}.dashboard_name", "is not a dashboard name (letters, digits, '-' and '_', at most 255)",
                        self.dashboard_name)
            )
        problems.extend(self._instance_problems(where))
        return problems

    def _instance_problems(self, where: str) -> list[Problem]:
        endpoint = self.endpoint
        variants = list(endpoint.variant_names)
        problems: list[Problem] = []
        if endpoint.serverless:
            if self.instance_types is not None:
                problems.append(Problem(f"{where}.instance_types",
                                        "cannot be set for a serverless endpoint (it has no instances; omit it)",
                                        self.instance_types))
            return problems
        instance_types = self.resolved_instance_types
        if instance_types is None:
            return [Problem(f"{where}.instance_types",
                            f"is required for a provisioned endpoint (variant name -> instance type, for variants "
                            f"{', '.join(variants)})")]
        for variant in variants:
            if variant not in instance_types:
                problems.append(Problem(f"{where}.instance_types", f"has no instance type for variant {variant!r}",
                                        instance_types))
        for variant, instance_type in instance_types.items():
            if variant not in variants:
                problems.append(Problem(f"{where}.instance_types",
                                        f"names a variant the endpoint does not have (variants: {', '.join(variants)})",
                                        variant))
                continue
            if not _INSTANCE_TYPE.match(instance_type) or instance_vcpus(instance_type) is None:
                problems.append(Problem(f"{where}.instance_types",
                                        f"has no SageMaker instance type for variant {variant!r} (e.g. ml.m5.xlarge)",
                                        instance_type))
            elif is_accelerated(instance_type) and instance_accelerators(instance_type) is None \
                    and variant not in self.gpu_counts:
                problems.append(Problem(f"{where}.gpu_counts",
                                        f"needs the accelerator count of variant {variant!r}: ACCELERATOR_COUNTS does "
                                        f"not know {instance_type}"))
        for variant, count in self.gpu_counts.items():
            if variant not in variants:
                problems.append(Problem(f"{where}.gpu_counts",
                                        f"names a variant the endpoint does not have (variants: {', '.join(variants)})",
                                        variant))
            elif count < 1:
                problems.append(Problem(f"{where}.gpu_counts", f"must be at least 1 for variant {variant!r}", count))
        return problems

    @property
    def resolved_instance_types(self) -> Optional[dict[str, str]]:
        """`instance_types`, or the endpoint's own when it offers them; None for neither."""
        if self.instance_types is not None:
            return dict(self.instance_types)
        if isinstance(self.endpoint, HasInstanceTypes):
            return dict(self.endpoint.instance_types)
        return None


def check_alarm_window(where: str, period: int, evaluation_periods: int, datapoints: int) -> list[Problem]:
    """Problems with an alarm's period / evaluation periods / datapoints for minute-resolution metrics."""
    problems: list[Problem] = []
    if period < 60 or period % 60:
        problems.append(
            Problem(f"{where}.period_seconds",
                    "is not a period for minute-resolution metrics (a multiple of 60 seconds; CloudWatch "
                    "allows 10, 20 and 30 only for high-resolution metrics)", period)
        )
    if evaluation_periods < 1:
        problems.append(Problem(f"{where}.evaluation_periods", "must be at least 1", evaluation_periods))
    elif period >= 60 and period * evaluation_periods > MAX_ALARM_WINDOW_SECONDS:
        problems.append(
            Problem(f"{where}.evaluation_periods",
                    f"times period_seconds ({period}) exceeds one day ({MAX_ALARM_WINDOW_SECONDS} s), the longest "
                    "window a CloudWatch alarm evaluates", evaluation_periods)
        )
    if datapoints < 1 or (evaluation_periods >= 1 and datapoints > evaluation_periods):
        problems.append(
            Problem(f"{where}.datapoints_to_alarm", f"must be between 1 and evaluation_periods ({evaluation_periods})",
                    datapoints)
        )
    return problems


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm to declare: a Metric (plain alarm) or metric-math queries built from Metrics."""

    suffix: str
    description: str
    threshold: float
    treat_missing_data: str
    metric: Optional[Metric] = None
    queries: tuple[tuple[str, Metric], ...] = ()
    expression: Optional[str] = None


def metric_query(query_id: str, metric: Metric) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    """A Metric as one input of a metric-math alarm (returns no data of its own)."""
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=query_id,
        return_data=False,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace=metric.namespace,
            metric_name=metric.metric_name,
            dimensions=dict(metric.dimensions),
            period=metric.period_seconds,
            stat=metric.statistic,
            unit=metric.unit,
        ),
    )


def endpoint_alarm_specs(args: EndpointMonitoringArgs) -> list[AlarmSpec]:
    """Every alarm EndpointMonitoring declares, per variant, in declaration order (pure)."""
    endpoint, period = args.endpoint, args.period_seconds
    specs: list[AlarmSpec] = []
    for variant in endpoint.variant_names:
        def m(method: str, statistic: str) -> Metric:
            return getattr(endpoint, method)(variant=variant, statistic=statistic, period_seconds=period)

        specs.append(AlarmSpec(
            suffix=f"{variant}-5xx-errors",
            description=f"Variant {variant} returned more than {args.invocation_5xx_errors:g} 5XX errors "
                        f"per {period} s: the model container is failing; check its logs.",
            threshold=args.invocation_5xx_errors,
            treat_missing_data="notBreaching",  # no requests, no errors
            metric=m("metric_invocation_5xx_errors", "Sum"),
        ))
        specs.append(AlarmSpec(
            suffix=f"{variant}-4xx-error-rate",
            description=f"More than {args.invocation_4xx_error_rate:.0%} of variant {variant}'s "
                        "invocations end in a 4XX error: clients send requests the model refuses.",
            threshold=args.invocation_4xx_error_rate,
            treat_missing_data="notBreaching",  # no requests, no rate
            queries=(("errors", m("metric_invocation_4xx_errors", "Sum")),
                     ("invocations", m("metric_invocations", "Sum"))),
            expression="FILL(errors, 0) / invocations",
        ))
        specs.append(AlarmSpec(
            suffix=f"{variant}-model-latency-p99",
            description=f"Variant {variant}'s p99 model latency is above {args.model_latency_p99_ms:g} ms.",
            threshold=args.model_latency_p99_ms * MICROSECONDS_PER_MILLISECOND,
            treat_missing_data="notBreaching",  # no requests, no latency
            metric=m("metric_model_latency", "p99"),
        ))
        specs.append(AlarmSpec(
            suffix=f"{variant}-overhead-latency-p99",
            description=f"Variant {variant}'s p99 SageMaker overhead latency is above "
                        f"{args.overhead_latency_p99_ms:g} ms.",
            threshold=args.overhead_latency_p99_ms * MICROSECONDS_PER_MILLISECOND,
            treat_missing_data="notBreaching",
            metric=m("metric_overhead_latency", "p99"),
        ))
        if endpoint.serverless:
            continue
        instance_types = args.resolved_instance_types
        assert instance_types is not None  # EndpointMonitoringArgs.problems() guarantees it
        instance_type = instance_types[variant]
        # Instance metrics are published every minute while instances run: missing data means
        # instances are not reporting (e.g. during a deployment), which leaves the alarm in
        # INSUFFICIENT_DATA rather than paging; request-level alarms cover outages.
        if is_accelerated(instance_type):
            units = args.gpu_counts.get(variant) or instance_accelerators(instance_type) or 1
            specs.append(AlarmSpec(
                suffix=f"{variant}-gpu-utilization",
                description=f"Variant {variant} ({instance_type}) averages above "
                            f"{args.gpu_utilization_percent:g} % on each of its {units} accelerators.",
                threshold=args.gpu_utilization_percent * units,
                treat_missing_data="missing",
                metric=m("metric_gpu_utilization", "Average"),
            ))
        else:
            units = instance_vcpus(instance_type) or 1
            specs.append(AlarmSpec(
                suffix=f"{variant}-cpu-utilization",
                description=f"Variant {variant} ({instance_type}) averages above "
                            f"{args.cpu_utilization_percent:g} % on each of its {units} vCPUs.",
                threshold=args.cpu_utilization_percent * units,
                treat_missing_data="missing",
                metric=m("metric_cpu_utilization", "Average"),
            ))
        specs.append(AlarmSpec(
            suffix=f"{variant}-disk-utilization",
            description=f"Variant {variant}'s instances have used more than "
                        f"{args.disk_utilization_percent:g} % of their disk.",
            threshold=args.disk_utilization_percent,
            treat_missing_data="missing",
            metric=m("metric_disk_utilization", "Maximum"),
        ))
    return specs


def dashboard_body(args: EndpointMonitoringArgs, *, region: pulumi.Input[str],
                   alarm_arns: Sequence[pulumi.Input[str]]) -> pulumi.Output[str]:
    """The dashboard JSON: an alarm-status row, then per variant traffic, latency and instance widgets."""
    endpoint, period = args.endpoint, args.period_seconds
    widgets: list[dict[str, Any]] = [
        {
            "type": "alarm", "x": 0, "y": 0, "width": 24, "height": 3,
            "properties": {"title": "Alarms", "alarms": list(alarm_arns), "sortBy": "stateUpdatedTimestamp"},
        }
    ]

    def widget(title: str, x: int, y: int, metrics: list[Metric]) -> dict[str, Any]:
        return {
            "type": "metric", "x": x, "y": y, "width": 8, "height": 6,
            "properties": {
                "title": title, "region": region, "view": "timeSeries", "stacked": False, "period": period,
                "metrics": [metric.dashboard_entry() for metric in metrics],
            },
        }

    for row, variant in enumerate(endpoint.variant_names):
        y = 3 + 6 * row

        def m(method: str, statistic: str) -> Metric:
            return getattr(endpoint, method)(variant=variant, statistic=statistic, period_seconds=period)

        widgets.append(widget(f"{variant}: invocations and errors", 0, y, [
            m("metric_invocations", "Sum"), m("metric_invocation_5xx_errors", "Sum"),
            m("metric_invocation_4xx_errors", "Sum"),
        ]))
        widgets.append(widget(f"{variant}: latency p99 (microseconds)", 8, y, [
            m("metric_model_latency", "p99"), m("metric_overhead_latency", "p99"),
        ]))
        if endpoint.serverless:
            continue
        instance_types = args.resolved_instance_types
        assert instance_types is not None
        instance_metrics = [
            m("metric_invocations_per_instance", "Sum"), m("metric_cpu_utilization", "Average"),
            m("metric_memory_utilization", "Average"), m("metric_disk_utilization", "Maximum"),
        ]
        if is_accelerated(instance_types[variant]):
            instance_metrics += [m("metric_gpu_utilization", "Average"), m("metric_gpu_memory_utilization", "Average")]
        widgets.append(widget(f"{variant}: instances ({instance_types[variant]})", 16, y, instance_metrics))
    return pulumi.Output.json_dumps({"widgets": widgets})


INSTANCE_ALARM_KINDS: tuple[str, ...] = ("cpu-utilization", "gpu-utilization", "disk-utilization")


class EndpointMonitoring(pulumi.ComponentResource):
    """CloudWatch alarms, a composite alarm and a dashboard for one endpoint.

    Children (suffixes are stable), per variant `<v>`: `<name>-<v>-5xx-errors`,
    `<name>-<v>-4xx-error-rate`, `<name>-<v>-model-latency-p99`, `<name>-<v>-overhead-latency-p99`,
    then on provisioned endpoints `<name>-<v>-cpu-utilization` (or `-gpu-utilization` on
    accelerated instance types) and `<name>-<v>-disk-utilization`; `<name>-health` (composite
    alarm named `<endpoint name>-health`, in ALARM when any alarm is) and `<name>-dashboard`
    (named after the endpoint unless `dashboard_name` is given). Every alarm notifies the topic
    on ALARM and on OK. Serverless endpoints get no instance alarms: `skipped_alarms` lists them
    and the plan shows an info diagnostic.
    """

    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    composite_alarm: aws.cloudwatch.CompositeAlarm
    dashboard: aws.cloudwatch.Dashboard
    skipped_alarms: tuple[str, ...]

    def __init__(self, name: str, args: EndpointMonitoringArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("EndpointMonitoring", name, args, EndpointMonitoringArgs)
        super().__init__("mlplat:monitoring:EndpointMonitoring", name, None, opts)
        here = pulumi.ResourceOptions(parent=self)
        endpoint = args.endpoint
        topic_arn = args.alarm_topic.arn
        self.alarms = {}
        for spec in endpoint_alarm_specs(args):
            self.alarms[spec.suffix] = self._alarm(name, spec, args, topic_arn, here)

        self.skipped_alarms = ()
        if endpoint.serverless:
            self.skipped_alarms = tuple(f"{v}-{kind}" for v in endpoint.variant_names for kind in INSTANCE_ALARM_KINDS)
            pulumi.log.info(
                f"EndpointMonitoring {name}: the endpoint is serverless (no instances), so its CPU/GPU and "
                "disk utilisation alarms are skipped",
                resource=self,
            )

        names = [alarm.name for alarm in self.alarms.values()]
        self.composite_alarm = aws.cloudwatch.CompositeAlarm(
            child(name, "health"),
            alarm_name=pulumi.Output.concat(endpoint.endpoint_name, "-health"),
            alarm_description="The endpoint is unhealthy: at least one of its alarms is in ALARM.",
            alarm_rule=pulumi.Output.all(*names).apply(lambda ns: " OR ".join(f'ALARM("{n}")' for n in ns)),
            actions_enabled=True,
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=here,
        )
        alarm_arns = [self.composite_alarm.arn, *(alarm.arn for alarm in self.alarms.values())]
        self.dashboard = aws.cloudwatch.Dashboard(
            child(name, "dashboard"),
            dashboard_name=args.dashboard_name or endpoint.endpoint_name,
            dashboard_body=dashboard_body(args, region=_iam.current_region(), alarm_arns=alarm_arns),
            opts=here,
        )
        self.alarm_arns: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{suffix: alarm.arn for suffix, alarm in self.alarms.items()}
        )
        self.register_outputs(
            {
                "alarm_arns": self.alarm_arns,
                "composite_alarm_arn": self.composite_alarm.arn,
                "dashboard_arn": self.dashboard.dashboard_arn,
            }
        )

    @staticmethod
    def _alarm(name: str, spec: AlarmSpec, args: EndpointMonitoringArgs, topic_arn: pulumi.Input[str],
               opts: pulumi.ResourceOptions) -> aws.cloudwatch.MetricAlarm:
        metric_args: dict[str, Any]
        if spec.metric is not None:
            metric_args = spec.metric.alarm_args()
            if spec.metric.is_extended:
                # Too few requests for a meaningful percentile leave the alarm as it is.
                metric_args["evaluate_low_sample_count_percentiles"] = "ignore"
        else:
            metric_args = {
                "metric_queries": [metric_query(query_id, metric) for query_id, metric in spec.queries]
                + [aws.cloudwatch.MetricAlarmMetricQueryArgs(id="result", expression=spec.expression,
                                                              label=spec.suffix, return_data=True)]
            }
        return aws.cloudwatch.MetricAlarm(
            child(name, spec.suffix),
            alarm_description=spec.description,
            comparison_operator="GreaterThanThreshold",
            threshold=spec.threshold,
            evaluation_periods=args.evaluation_periods,
            datapoints_to_alarm=args.datapoints_to_alarm,
            treat_missing_data=spec.treat_missing_data,
            actions_enabled=True,
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            **metric_args,
            opts=opts,
        )
