"""SageMaker: endpoints in service on the recorded configuration, capture and keys as recorded, feature
groups created, monitoring schedules scheduled, the MLflow server running, pipelines present."""

from __future__ import annotations

from typing import Iterable

from ._core import Context, Finding, checks, key_id, read

__all__ = ["endpoint", "endpoint_configuration", "feature_group", "mlflow_tracking_server", "monitoring_schedule",
           "pipeline"]

NOT_FOUND = ("ResourceNotFound",)


def _sagemaker(context: Context):
    return context.clients.client("sagemaker")


@checks("aws:sagemaker/endpoint:Endpoint")
def endpoint(context: Context) -> Iterable[Finding]:
    name = context.value("name") or context.resource.id
    live = read(context, f"endpoint {name}", lambda: _sagemaker(context).describe_endpoint(EndpointName=name),
                missing_codes=NOT_FOUND)
    status = live.get("EndpointStatus")
    findings = [] if status == "InService" else [context.finding("endpoint status", "unhealthy", "InService", status)]
    return findings + context.differs("endpoint configuration", context.value("endpointConfigName"),
                                      live.get("EndpointConfigName"))


@checks("aws:sagemaker/endpointConfiguration:EndpointConfiguration")
def endpoint_configuration(context: Context) -> Iterable[Finding]:
    name = context.value("name") or context.resource.id
    live = read(context, f"endpoint configuration {name}",
                lambda: _sagemaker(context).describe_endpoint_config(EndpointConfigName=name), missing_codes=NOT_FOUND)
    capture = live.get("DataCaptureConfig") or {}
    return [
        *context.differs("storage key", key_id(context.value("kmsKeyArn")), key_id(live.get("KmsKeyId"))),
        *context.differs("data capture", context.value("dataCaptureConfig.enableCapture"), capture.get("EnableCapture", False)),
        *context.differs("data capture destination", context.value("dataCaptureConfig.destinationS3Uri"),
                         capture.get("DestinationS3Uri")),
        *context.differs("data capture key", key_id(context.value("dataCaptureConfig.kmsKeyId")), key_id(capture.get("KmsKeyId"))),
    ]


@checks("aws:sagemaker/featureGroup:FeatureGroup")
def feature_group(context: Context) -> Iterable[Finding]:
    name = context.value("featureGroupName") or context.resource.id
    live = read(context, f"feature group {name}", lambda: _sagemaker(context).describe_feature_group(FeatureGroupName=name),
                missing_codes=NOT_FOUND)
    return _status(context, "feature group status", "Created", live.get("FeatureGroupStatus"))


@checks("aws:sagemaker/monitoringSchedule:MonitoringSchedule")
def monitoring_schedule(context: Context) -> Iterable[Finding]:
    name = context.value("name") or context.resource.id
    live = read(context, f"monitoring schedule {name}",
                lambda: _sagemaker(context).describe_monitoring_schedule(MonitoringScheduleName=name), missing_codes=NOT_FOUND)
    return _status(context, "monitoring schedule status", "Scheduled", live.get("MonitoringScheduleStatus"))


@checks("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")
def mlflow_tracking_server(context: Context) -> Iterable[Finding]:
    name = context.value("trackingServerName") or context.resource.id
    live = read(context, f"MLflow tracking server {name}",
                lambda: _sagemaker(context).describe_mlflow_tracking_server(TrackingServerName=name), missing_codes=NOT_FOUND)
    return [*_status(context, "tracking server status", "Created", live.get("TrackingServerStatus")),
            *_status(context, "tracking server activity", "Active", live.get("IsActive"))]


@checks("aws:sagemaker/pipeline:Pipeline")
def pipeline(context: Context) -> Iterable[Finding]:
    name = context.value("pipelineName") or context.resource.id
    live = read(context, f"pipeline {name}", lambda: _sagemaker(context).describe_pipeline(PipelineName=name),
                missing_codes=NOT_FOUND)
    return _status(context, "pipeline status", "Active", live.get("PipelineStatus"))


def _status(context: Context, check: str, healthy: str, status) -> list[Finding]:
    return [] if status == healthy else [context.finding(check, "unhealthy", healthy, status)]
