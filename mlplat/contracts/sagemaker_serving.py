"""SageMaker hosting and its autoscaling, as the API requests the provider makes.

- `aws.sagemaker.Model` is CreateModel; `EndpointConfiguration` is CreateEndpointConfig (instance
  types are checked against botocore's ProductionVariantInstanceType enum, sizes and percentages
  against the shape's bounds); `Endpoint` is CreateEndpoint with its DeploymentConfig (traffic
  routing, canary and linear sizes, waits, rollback alarms);
- `aws.appautoscaling` targets, policies and scheduled actions are RegisterScalableTarget,
  PutScalingPolicy and PutScheduledAction.

Tags travel as a TagList (`[{"Key", "Value"}]`) in SageMaker requests and as a map in Application
Auto Scaling ones. `name_prefix` and `region` are provider-only. A name the provider computes
(the model's auto-name) is taken from the planned outputs when the inputs lack it.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from pulumi.runtime.rpc import UNKNOWN

from ..plan import Plan, PlannedResource
from ._core import Request, contract, operation_model, to_request

_PROVIDER_ONLY = ("region", "tagsAll")


def _input_shape(service: str, operation: str):
    return operation_model(service, operation).input_shape


def _named(resource: PlannedResource, prop: str = "name") -> dict[str, Any]:
    """Inputs with `prop` filled from the outputs when the provider computed it."""
    props = dict(resource.inputs)
    if props.get(prop) in (None, ""):
        props[prop] = resource.outputs.get(prop) or UNKNOWN
    return props


def _tag_list(props: dict[str, Any]) -> None:
    tags = props.get("tags")
    if isinstance(tags, Mapping):
        props["tags"] = [{"key": k, "value": v} for k, v in sorted(tags.items())]


def _routing_config(variant: Any) -> Any:
    # The provider takes a list of routing configs; the API takes one structure.
    if isinstance(variant, Mapping) and isinstance(variant.get("routingConfigs"), list):
        variant = dict(variant)
        configs = variant.pop("routingConfigs")
        if configs:
            variant["routingConfigs"] = configs[0]
    return variant


@contract("aws:sagemaker/model:Model")
def create_model(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = _named(resource)
    _tag_list(props)
    params = to_request(
        props,
        _input_shape("sagemaker", "CreateModel"),
        renames={"name": "ModelName"},
        drop=_PROVIDER_ONLY,
    )
    yield Request("sagemaker", "CreateModel", params)


@contract("aws:sagemaker/endpointConfiguration:EndpointConfiguration")
def create_endpoint_config(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = _named(resource)
    _tag_list(props)
    for key in ("productionVariants", "shadowProductionVariants"):
        if isinstance(props.get(key), list):
            props[key] = [_routing_config(v) for v in props[key]]
    renames = {
        "name": "EndpointConfigName",
        "kmsKeyArn": "KmsKeyId",
        "asyncInferenceConfig.outputConfig.notificationConfig.includeInferenceResponseIns": "IncludeInferenceResponseIn",
    }
    for key in ("productionVariants", "shadowProductionVariants"):
        renames[f"{key}.routingConfigs"] = "RoutingConfig"
    params = to_request(
        props,
        _input_shape("sagemaker", "CreateEndpointConfig"),
        renames=renames,
        drop=(*_PROVIDER_ONLY, "namePrefix"),
    )
    yield Request("sagemaker", "CreateEndpointConfig", params)


@contract("aws:sagemaker/endpoint:Endpoint")
def create_endpoint(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = _named(resource)
    _tag_list(props)
    params = to_request(
        props,
        _input_shape("sagemaker", "CreateEndpoint"),
        renames={"name": "EndpointName"},
        drop=_PROVIDER_ONLY,
    )
    yield Request("sagemaker", "CreateEndpoint", params)


@contract("aws:appautoscaling/target:Target")
def register_scalable_target(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    params = to_request(
        resource.inputs,
        _input_shape("application-autoscaling", "RegisterScalableTarget"),
        drop=_PROVIDER_ONLY,
    )
    yield Request("application-autoscaling", "RegisterScalableTarget", params)


@contract("aws:appautoscaling/policy:Policy")
def put_scaling_policy(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    params = to_request(
        _named(resource),
        _input_shape("application-autoscaling", "PutScalingPolicy"),
        renames={"name": "PolicyName"},
        drop=(*_PROVIDER_ONLY, "alarmArns"),
    )
    yield Request("application-autoscaling", "PutScalingPolicy", params)


@contract("aws:appautoscaling/scheduledAction:ScheduledAction")
def put_scheduled_action(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    params = to_request(
        _named(resource),
        _input_shape("application-autoscaling", "PutScheduledAction"),
        renames={"name": "ScheduledActionName"},
        drop=_PROVIDER_ONLY,
    )
    yield Request("application-autoscaling", "PutScheduledAction", params)
