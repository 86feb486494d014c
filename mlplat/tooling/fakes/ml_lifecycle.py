"""Fakes for the ML lifecycle: feature store, model registry, ECR, MLflow, Glue, EventBridge, SNS, pipelines.

Formats follow what the services return:
- feature group: arn `arn:aws:sagemaker:<r>:<a>:feature-group/<name lowercased>`; the offline
  store's resolved URI `<s3Uri>/<a>/sagemaker/<r>/offline-store/<name>-<epoch>/data`;
- model package group: arn `arn:aws:sagemaker:<r>:<a>:model-package-group/<name>`;
- ECR repository: arn `arn:aws:ecr:<r>:<a>:repository/<name>`, repositoryUrl
  `<a>.dkr.ecr.<r>.amazonaws.com/<name>`, registryId `<a>`;
- MLflow tracking server: arn `arn:aws:sagemaker:<r>:<a>:mlflow-tracking-server/<name>`,
  trackingServerUrl `https://t-<id>.<r>.experiments.sagemaker.aws`;
- EventBridge rules (arn `arn:aws:events:<r>:<a>:rule/<name>`) and targets, connections (arn
  `arn:aws:events:<r>:<a>:connection/<name>/<uuid>`, secretArn
  `arn:aws:secretsmanager:<r>:<a>:secret:events!connection/<name>/<uuid>-<6 chars>`), API
  destinations (arn `arn:aws:events:<r>:<a>:api-destination/<name>/<uuid>`), SQS queues (arn
  `arn:aws:sqs:<r>:<a>:<name>`, url `https://sqs.<r>.amazonaws.com/<a>/<name>`, the provider's id),
  queue policies (id: the queue url) and SNS topics (arn `arn:aws:sns:<r>:<a>:<name>`) live here too;
  `monitoring.py` uses them and does not redefine them (the registry keeps the last registration of a
  token: define each token once);
- pipeline: id = its name, arn `arn:aws:sagemaker:<r>:<a>:pipeline/<name lowercased>`; schedule
  (EventBridge Scheduler): id `<group>/<name>`, arn `arn:aws:scheduler:<r>:<a>:schedule/<group>/<name>`.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from ._core import FakeContext, Outputs, fake, fake_uuid

__all__: list[str] = []  # registers its fakes on import; nothing to import from here

# A fixed creation time: SageMaker appends the creation epoch to offline-store paths.
_CREATED_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


# --- SageMaker -------------------------------------------------------------------------------


@fake("aws:sagemaker/featureGroup:FeatureGroup")
def _feature_group(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "featureGroupName")
    out: Outputs = {"arn": ctx.arn("sagemaker", f"feature-group/{name.lower()}")}
    offline = props.get("offlineStoreConfig")
    if isinstance(offline, Mapping) and isinstance(offline.get("s3StorageConfig"), Mapping):
        offline = copy.deepcopy(dict(offline))
        storage = offline["s3StorageConfig"]
        uri = storage.get("s3Uri")
        if isinstance(uri, str) and "resolvedOutputS3Uri" not in storage:
            storage["resolvedOutputS3Uri"] = (
                f"{uri.rstrip('/')}/{ctx.account}/sagemaker/{ctx.region}/offline-store/{name}-{_CREATED_EPOCH}/data"
            )
        out["offlineStoreConfig"] = offline
    return name, out


@fake("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
def _model_package_group(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "modelPackageGroupName")
    return name, {"arn": ctx.arn("sagemaker", f"model-package-group/{name}")}


@fake("aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy")
def _model_package_group_policy(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    # The provider's id is the group name.
    return ctx.name_from(props, "modelPackageGroupName"), {}


@fake("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")
def _mlflow_tracking_server(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "trackingServerName")
    return name, {
        "arn": ctx.arn("sagemaker", f"mlflow-tracking-server/{name}"),
        "trackingServerUrl": f"https://t-{ctx.hex(12)}.{ctx.region}.experiments.sagemaker.aws",
        "mlflowVersion": props.get("mlflowVersion") or "3.0",
    }


# --- ECR -------------------------------------------------------------------------------------


@fake("aws:ecr/repository:Repository")
def _ecr_repository(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name").lower()
    return name, {
        "name": name,
        "arn": ctx.arn("ecr", f"repository/{name}"),
        "repositoryUrl": f"{ctx.account}.dkr.ecr.{ctx.region}.amazonaws.com/{name}",
        "registryId": ctx.account,
    }


@fake("aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:ecr/repositoryPolicy:RepositoryPolicy")
def _ecr_repository_setting(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    # The provider uses the repository name as the id of its per-repository settings.
    repository = props.get("repository")
    return (repository if isinstance(repository, str) else ctx.name), {"registryId": ctx.account}


# --- Glue ------------------------------------------------------------------------------------


@fake("aws:glue/catalogDatabase:CatalogDatabase")
def _glue_database(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    catalog = props.get("catalogId") or ctx.account
    return f"{catalog}:{name}", {"name": name, "catalogId": catalog, "arn": ctx.arn("glue", f"database/{name}")}


# --- EventBridge and SNS (see the module docstring) ------------------------------------------


@fake("aws:cloudwatch/eventRule:EventRule")
def _event_rule(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    bus = props.get("eventBusName") or "default"
    resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return name, {"name": name, "arn": ctx.arn("events", resource), "eventBusName": bus}


@fake("aws:cloudwatch/eventTarget:EventTarget")
def _event_target(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    rule = props.get("rule") if isinstance(props.get("rule"), str) else ctx.name
    # Terraform's unique id when none is given: a UTC timestamp and a counter, 26 digits in all.
    target_id = props.get("targetId") or "terraform-20260101000000" + str(int(ctx.hex(12), 16))[-12:].zfill(12)
    bus = props.get("eventBusName") or "default"
    # The provider's id: `<rule>-<target id>` on the default bus, `<bus>-<rule>-<target id>` elsewhere.
    resource_id = f"{rule}-{target_id}" if bus == "default" else f"{bus}-{rule}-{target_id}"
    return resource_id, {"targetId": target_id, "eventBusName": bus}


@fake("aws:cloudwatch/eventConnection:EventConnection")
def _event_connection(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    uuid = fake_uuid(ctx.seed)
    secret = ctx.arn("secretsmanager", f"secret:events!connection/{name}/{uuid}-{ctx.hex(6)}")
    return name, {"name": name, "arn": ctx.arn("events", f"connection/{name}/{uuid}"), "secretArn": secret}


@fake("aws:cloudwatch/eventApiDestination:EventApiDestination")
def _event_api_destination(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    return name, {"name": name, "arn": ctx.arn("events", f"api-destination/{name}/{fake_uuid(ctx.seed)}")}


@fake("aws:sqs/queue:Queue")
def _sqs_queue(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    url = f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account}/{name}"
    return url, {"name": name, "arn": ctx.arn("sqs", name), "url": url}


@fake("aws:sqs/queuePolicy:QueuePolicy")
def _sqs_queue_policy(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    url = props.get("queueUrl")
    return (url if isinstance(url, str) and url else ctx.name), {}


@fake("aws:sns/topic:Topic")
def _sns_topic(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    arn = ctx.arn("sns", name)
    return arn, {"name": name, "arn": arn, "owner": ctx.account}


# --- SageMaker pipelines and EventBridge Scheduler ---------------------------------------------


@fake("aws:sagemaker/pipeline:Pipeline")
def _pipeline(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    # The provider's id is the pipeline name; ARNs of pipelines are lowercase.
    name = ctx.name_from(props, "pipelineName")
    return name, {"arn": ctx.arn("sagemaker", f"pipeline/{name.lower()}")}


@fake("aws:scheduler/schedule:Schedule")
def _schedule(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    group = props.get("groupName") or "default"
    # The provider's id: `<group>/<name>`.
    return f"{group}/{name}", {"name": name, "groupName": group, "arn": ctx.arn("scheduler", f"schedule/{group}/{name}")}
