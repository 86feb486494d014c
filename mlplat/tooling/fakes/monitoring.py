"""Fakes for monitoring: CloudWatch alarms and dashboards, SNS topic policies and subscriptions,
SageMaker Model Monitor, and the prebuilt-image lookup.

Formats follow what the services return:
- metric and composite alarm: arn `arn:aws:cloudwatch:<r>:<a>:alarm:<name>`, id the name;
- dashboard: dashboardArn `arn:aws:cloudwatch::<a>:dashboard/<name>` (dashboards are global);
- topic subscription: arn `<topic arn>:<uuid>`; email and HTTPS subscriptions stay pending until
  the recipient confirms;
- data-quality job definition / monitoring schedule: arn
  `arn:aws:sagemaker:<r>:<a>:data-quality-job-definition/<name>` / `...:monitoring-schedule/<name>`
  (SageMaker lowercases names in ARNs);
- `aws.sagemaker.get_prebuilt_ecr_image`: `<registry id>.dkr.ecr.<r>.<dns suffix>/<repository>:<tag>`
  with the registry of the region, as the provider computes it (tag "1" when none is given). Only
  the Model Monitor analyzer's registries are known here; other repositories need
  `invoke_results`, and a region without a Model Monitor registry fails as the provider does.

EventBridge rules and targets and the SNS topic itself are faked in `ml_lifecycle.py`.
"""

from __future__ import annotations

from typing import Any, Mapping

from ._core import FakeContext, OfflineAnswerError, Outputs, RealisticMocks, UnmockedInvokeError, fake, fake_uuid, invoke

__all__ = ["MODEL_MONITOR_REGISTRIES", "MODEL_MONITOR_REPOSITORY", "UnknownImageRegionError"]

MODEL_MONITOR_REPOSITORY = "sagemaker-model-monitor-analyzer"

# Account of the Model Monitor analyzer image per region: AWS's "Docker Registry Paths and Example
# Code" pages, as carried by the SageMaker Python SDK (image_uri_config/model-monitor.json) and the
# Terraform AWS provider (prebuiltECRImageIDByRegion_modelMonitor).
MODEL_MONITOR_REGISTRIES: dict[str, str] = {
    "af-south-1": "875698925577",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-northeast-3": "990339680094",
    "ap-south-1": "126357580389",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "ap-southeast-3": "669540362728",
    "ca-central-1": "536280801234",
    "cn-north-1": "453000072557",
    "cn-northwest-1": "453252182341",
    "eu-central-1": "048819808253",
    "eu-central-2": "590183933784",
    "eu-north-1": "895015795356",
    "eu-south-1": "933208885752",
    "eu-south-2": "437450045455",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "il-central-1": "843974653677",
    "me-central-1": "588750061953",
    "me-south-1": "607024016150",
    "sa-east-1": "539772159869",
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
}


class UnknownImageRegionError(OfflineAnswerError):
    """No registry hosts the requested prebuilt image in this region (the provider fails likewise)."""


# --- CloudWatch ------------------------------------------------------------------------------


@fake("aws:cloudwatch/metricAlarm:MetricAlarm")
def _metric_alarm(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    return name, {"name": name, "arn": ctx.arn("cloudwatch", f"alarm:{name}")}


@fake("aws:cloudwatch/compositeAlarm:CompositeAlarm")
def _composite_alarm(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "alarmName")
    return name, {"alarmName": name, "arn": ctx.arn("cloudwatch", f"alarm:{name}")}


@fake("aws:cloudwatch/dashboard:Dashboard")
def _dashboard(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "dashboardName")
    return name, {"dashboardName": name, "dashboardArn": ctx.arn("cloudwatch", f"dashboard/{name}", region=False)}


# --- SNS -------------------------------------------------------------------------------------


@fake("aws:sns/topicPolicy:TopicPolicy")
def _topic_policy(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    arn = props.get("arn")
    return (arn if isinstance(arn, str) else ctx.name), {"owner": ctx.account}


@fake("aws:sns/topicSubscription:TopicSubscription")
def _topic_subscription(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    topic = props.get("topic") if isinstance(props.get("topic"), str) else ctx.arn("sns", ctx.name)
    arn = f"{topic}:{fake_uuid(ctx.seed)}"
    # Email and HTTP(S) recipients must confirm; the other protocols are confirmed on creation.
    pending = props.get("protocol") in ("email", "email-json", "http", "https")
    return arn, {"arn": arn, "ownerId": ctx.account, "pendingConfirmation": pending,
                 "confirmationWasAuthenticated": False}


# --- SageMaker Model Monitor -----------------------------------------------------------------


@fake("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition")
def _data_quality_job_definition(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    return name, {"name": name, "arn": ctx.arn("sagemaker", f"data-quality-job-definition/{name.lower()}")}


@fake("aws:sagemaker/monitoringSchedule:MonitoringSchedule")
def _monitoring_schedule(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    return name, {"name": name, "arn": ctx.arn("sagemaker", f"monitoring-schedule/{name.lower()}")}


@invoke("aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage")
def _prebuilt_ecr_image(m: RealisticMocks, args: Mapping[str, Any]) -> dict[str, Any]:
    repository = args.get("repositoryName")
    region = args.get("region") or m.region
    if repository != MODEL_MONITOR_REPOSITORY:
        raise UnmockedInvokeError(
            f"the offline runner knows the registries of {MODEL_MONITOR_REPOSITORY} only, not {repository!r}; "
            "pass invoke_results={'aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage': {...}}"
        )
    registry_id = MODEL_MONITOR_REGISTRIES.get(region)
    if registry_id is None:
        raise UnknownImageRegionError(
            f"no registry ID available for region ({region}) and repository ({repository}): "
            f"Model Monitor images are published in {', '.join(sorted(MODEL_MONITOR_REGISTRIES))}"
        )
    suffix = args.get("dnsSuffix") or ("amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com")
    tag = args.get("imageTag") or "1"
    return {
        "id": registry_id,
        "registryId": registry_id,
        "registryPath": f"{registry_id}.dkr.ecr.{region}.{suffix}/{repository}:{tag}",
        "repositoryName": repository,
        "imageTag": tag,
        "region": region,
        "dnsSuffix": suffix,
    }
