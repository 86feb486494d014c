"""Monitoring: CloudWatch alarms and dashboards, Model Monitor, EventBridge rules and targets.

Each mapper rebuilds the request the provider sends from the planned inputs, with explicit
renames and drops where the provider's names or shapes differ from the API:

- every type: `region` is provider routing (dropped); `tags` is a map in the provider and a
  `[{Key, Value}]` list in the requests (converted); `tagsAll` is provider state (dropped);
- a name the provider generates when it is omitted (`name` of alarms, job definitions and
  schedules) is read from the planned outputs, and is unknown in a preview;
- PutMetricAlarm: `name` is `AlarmName`, `okActions` is `OKActions`,
  `evaluateLowSampleCountPercentiles` is `EvaluateLowSampleCountPercentile`; `dimensions` is a
  map in the provider and a `[{Name, Value}]` list in the API; each of `metricQueries` is a
  MetricDataQuery whose `metric` block becomes `MetricStat` (`{Metric: {Namespace, MetricName,
  Dimensions}, Period, Stat, Unit}`);
- PutCompositeAlarm: `okActions` is `OKActions`; the `actionsSuppressor` block
  (`alarm`, `extensionPeriod`, `waitPeriod`) becomes the three top-level `ActionsSuppressor*` members;
- CreateDataQualityJobDefinition: `name` is `JobDefinitionName`; the provider's single
  `monitoringOutputs` block is the API's one-item list;
- CreateMonitoringSchedule: `name` is `MonitoringScheduleName`; in an inline job definition
  `baseline` is `BaselineConfig` and `stoppingConditions` is `StoppingCondition`;
- PutRule: `namePrefix` (already applied to `name`), `forceDestroy` and the deprecated `isEnabled`
  (the provider sends `state`) are provider-only;
- PutTargets: the target's fields go into `Targets[0]`: `targetId` is `Id`,
  `sagemakerPipelineTarget.pipelineParameterLists` is `SageMakerPipelineParameters.PipelineParameterList`,
  `inputTransformer.inputPaths` is `InputTransformer.InputPathsMap`, `httpTarget` is `HttpParameters`
  (`pathParameterValues`, `headerParameters`, `queryStringParameters`), `deadLetterConfig` and
  `retryPolicy` match; `rule` and `eventBusName` stay top-level; `forceDestroy` is provider-only;
- CreateConnection: `authParameters.apiKey` is `ApiKeyAuthParameters` (`key` is `ApiKeyName`, `value`
  is `ApiKeyValue`), `basic` is `BasicAuthParameters`, `oauth` is `OAuthParameters` (`clientParameters`
  with `clientId`/`clientSecret` is `ClientParameters` with `ClientID`/`ClientSecret`,
  `oauthHttpParameters` is `OAuthHttpParameters`); in every `*HttpParameters` block `headers`,
  `queryStrings` and `bodies` are `HeaderParameters`, `QueryStringParameters` and `BodyParameters`.
  The API key is a secret: the checks see it, their messages never show it (`_core.check_plan`);
- CreateApiDestination: the props match the request's members.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..plan import UNKNOWN, Plan, PlannedResource, is_unknown
from ._core import MappingGap, Request, contract, operation_model, planned_name, tag_list, to_request

__all__ = [
    "composite_alarm",
    "dashboard",
    "data_quality_job_definition",
    "event_api_destination",
    "event_connection",
    "event_rule",
    "event_target",
    "metric_alarm",
    "monitoring_schedule",
]

_PROVIDER_ONLY = ("region", "tags", "tagsAll")


def _with_tags(params: dict[str, Any], resource: PlannedResource) -> dict[str, Any]:
    tags = resource.inputs.get("tags")
    if tags:
        params["Tags"] = tag_list(tags)
    return params


# --- CloudWatch ------------------------------------------------------------------------------


def _metric_stat(metric: Any, path: str) -> Any:
    if is_unknown(metric) or not isinstance(metric, Mapping):
        return metric
    known = {"namespace", "metricName", "dimensions", "period", "stat", "unit"}
    extra = sorted(set(metric) - known)
    if extra:
        raise MappingGap(f"property {path}.metric.{extra[0]!r} has no member in MetricStat")
    inner = {"Namespace": metric.get("namespace"), "MetricName": metric.get("metricName")}
    if metric.get("dimensions") is not None:
        inner["Dimensions"] = tag_list(metric["dimensions"], key="Name")
    stat: dict[str, Any] = {"Metric": {k: v for k, v in inner.items() if v is not None},
                            "Period": metric.get("period"), "Stat": metric.get("stat")}
    if metric.get("unit") is not None:
        stat["Unit"] = metric["unit"]
    return {k: v for k, v in stat.items() if v is not None}


def _metric_queries(queries: Any) -> Any:
    if is_unknown(queries) or not isinstance(queries, list):
        return queries
    shape = operation_model("cloudwatch", "PutMetricAlarm").input_shape.members["Metrics"].member
    out = []
    for index, query in enumerate(queries):
        if not isinstance(query, Mapping):
            out.append(query)
            continue
        path = f"metricQueries[{index}]"
        mapped = to_request({k: v for k, v in query.items() if k != "metric"}, shape, path=path)
        if query.get("metric") is not None:
            mapped["MetricStat"] = _metric_stat(query["metric"], path)
        out.append(mapped)
    return out


@contract("aws:cloudwatch/metricAlarm:MetricAlarm")
def metric_alarm(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = resource.inputs
    shape = operation_model("cloudwatch", "PutMetricAlarm").input_shape
    params = to_request(
        props, shape,
        renames={"name": "AlarmName", "okActions": "OKActions",
                 "evaluateLowSampleCountPercentiles": "EvaluateLowSampleCountPercentile"},
        drop={*_PROVIDER_ONLY, "dimensions", "metricQueries"},
    )
    params["AlarmName"] = planned_name(resource, "name", plan)
    if props.get("dimensions") is not None:
        params["Dimensions"] = tag_list(props["dimensions"], key="Name")
    if props.get("metricQueries") is not None:
        params["Metrics"] = _metric_queries(props["metricQueries"])
    yield Request("cloudwatch", "PutMetricAlarm", _with_tags(params, resource))


@contract("aws:cloudwatch/compositeAlarm:CompositeAlarm")
def composite_alarm(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = resource.inputs
    shape = operation_model("cloudwatch", "PutCompositeAlarm").input_shape
    params = to_request(props, shape, renames={"okActions": "OKActions"}, drop={*_PROVIDER_ONLY, "actionsSuppressor"})
    suppressor = props.get("actionsSuppressor")
    if isinstance(suppressor, Mapping):
        for prop, member in (("alarm", "ActionsSuppressor"), ("extensionPeriod", "ActionsSuppressorExtensionPeriod"),
                             ("waitPeriod", "ActionsSuppressorWaitPeriod")):
            if suppressor.get(prop) is not None:
                params[member] = suppressor[prop]
    yield Request("cloudwatch", "PutCompositeAlarm", _with_tags(params, resource))


@contract("aws:cloudwatch/dashboard:Dashboard")
def dashboard(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    shape = operation_model("cloudwatch", "PutDashboard").input_shape
    yield Request("cloudwatch", "PutDashboard", to_request(resource.inputs, shape, drop={"region"}))


# --- SageMaker Model Monitor -----------------------------------------------------------------


@contract("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition")
def data_quality_job_definition(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    shape = operation_model("sagemaker", "CreateDataQualityJobDefinition").input_shape
    params = to_request(resource.inputs, shape, renames={"name": "JobDefinitionName"}, drop=_PROVIDER_ONLY)
    params["JobDefinitionName"] = planned_name(resource, "name", plan)
    yield Request("sagemaker", "CreateDataQualityJobDefinition", _with_tags(params, resource))


@contract("aws:sagemaker/monitoringSchedule:MonitoringSchedule")
def monitoring_schedule(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    shape = operation_model("sagemaker", "CreateMonitoringSchedule").input_shape
    inline = "monitoringScheduleConfig.monitoringJobDefinition"
    params = to_request(
        resource.inputs, shape,
        renames={"name": "MonitoringScheduleName", f"{inline}.baseline": "BaselineConfig",
                 f"{inline}.stoppingConditions": "StoppingCondition"},
        drop=_PROVIDER_ONLY,
    )
    params["MonitoringScheduleName"] = planned_name(resource, "name", plan)
    yield Request("sagemaker", "CreateMonitoringSchedule", _with_tags(params, resource))


# --- EventBridge -----------------------------------------------------------------------------


@contract("aws:cloudwatch/eventRule:EventRule")
def event_rule(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    shape = operation_model("events", "PutRule").input_shape
    params = to_request(resource.inputs, shape, drop={*_PROVIDER_ONLY, "namePrefix", "forceDestroy", "isEnabled"})
    params["Name"] = planned_name(resource, "name", plan)
    yield Request("events", "PutRule", _with_tags(params, resource))


@contract("aws:cloudwatch/eventTarget:EventTarget")
def event_target(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = dict(resource.inputs)
    shape = operation_model("events", "PutTargets").input_shape
    top = {k: props.pop(k) for k in ("rule", "eventBusName") if k in props}
    props.pop("forceDestroy", None)
    props.pop("region", None)
    if "targetId" not in props:
        props["targetId"] = resource.outputs.get("targetId", UNKNOWN)
    target = to_request(
        props, shape.members["Targets"].member,
        renames={"targetId": "Id", "sagemakerPipelineTarget": "SageMakerPipelineParameters",
                 "sagemakerPipelineTarget.pipelineParameterLists": "PipelineParameterList",
                 "inputTransformer.inputPaths": "InputPathsMap", "httpTarget": "HttpParameters"},
        path="",
    )
    params = to_request(top, shape)
    params["Targets"] = [target]
    yield Request("events", "PutTargets", params)


def _http_parameter_renames(block: str) -> dict[str, str]:
    return {f"{block}.headers": "HeaderParameters", f"{block}.queryStrings": "QueryStringParameters",
            f"{block}.bodies": "BodyParameters"}


@contract("aws:cloudwatch/eventConnection:EventConnection")
def event_connection(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    shape = operation_model("events", "CreateConnection").input_shape
    auth = "authParameters"
    oauth = f"{auth}.oauth"
    renames = {
        f"{auth}.apiKey": "ApiKeyAuthParameters", f"{auth}.apiKey.key": "ApiKeyName", f"{auth}.apiKey.value": "ApiKeyValue",
        f"{auth}.basic": "BasicAuthParameters", f"{auth}.connectivityParameters": "ConnectivityParameters",
        f"{auth}.invocationHttpParameters": "InvocationHttpParameters",
        oauth: "OAuthParameters", f"{oauth}.clientParameters": "ClientParameters",
        f"{oauth}.clientParameters.clientId": "ClientID", f"{oauth}.oauthHttpParameters": "OAuthHttpParameters",
        **_http_parameter_renames(f"{auth}.invocationHttpParameters"),
        **_http_parameter_renames(f"{oauth}.oauthHttpParameters"),
    }
    params = to_request(resource.inputs, shape, renames=renames, drop=_PROVIDER_ONLY)
    params["Name"] = planned_name(resource, "name", plan)
    yield Request("events", "CreateConnection", params)


@contract("aws:cloudwatch/eventApiDestination:EventApiDestination")
def event_api_destination(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    shape = operation_model("events", "CreateApiDestination").input_shape
    params = to_request(resource.inputs, shape, drop=_PROVIDER_ONLY)
    params["Name"] = planned_name(resource, "name", plan)
    yield Request("events", "CreateApiDestination", params)
