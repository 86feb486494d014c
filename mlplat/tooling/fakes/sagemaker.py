"""Fakes for SageMaker hosting (models, endpoint configurations, endpoints) and Application Auto
Scaling, in the formats the services return:

- model: id and `name`, arn `arn:aws:sagemaker:<r>:<a>:model/<name lowercased>`;
- endpoint configuration: id and `name` (the runner has already expanded `namePrefix` into the
  provider's 26-digit unique name), arn `…:endpoint-config/<name lowercased>`;
- endpoint: id and `name`, arn `…:endpoint/<name lowercased>`;
- scalable target: id = `resourceId`, arn `arn:aws:application-autoscaling:<r>:<a>:scalable-target/<id>`
  and, when no role is given, the SageMaker endpoint service-linked role Application Auto Scaling
  uses;
- scaling policy: id = `name`, arn `arn:aws:autoscaling:<r>:<a>:scalingPolicy:<uuid>:resource/
  sagemaker/<resourceId>:policyName/<name>`, and the two alarms target tracking creates;
- scheduled action: id `<name>-<service namespace>-<resourceId>`, arn `…:scheduledAction:<uuid>:
  resource/sagemaker/<resourceId>:scheduledActionName/<name>`.

Not here: CloudWatch alarms (`monitoring.py`) and the `getPrefixList` invoke an adopted VPC's
S3 egress rule needs (`eks.py`).
"""

from __future__ import annotations

from typing import Any, Mapping

from ._core import FakeContext, Outputs, fake, fake_uuid

__all__ = ["AUTOSCALING_SERVICE_LINKED_ROLE"]

AUTOSCALING_SERVICE_LINKED_ROLE = (
    "role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)


# --- SageMaker hosting ---------------------------------------------------------------------------


@fake("aws:sagemaker/model:Model")
def _model(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props)
    return name, {"name": name, "arn": ctx.arn("sagemaker", f"model/{name.lower()}")}


@fake("aws:sagemaker/endpointConfiguration:EndpointConfiguration")
def _endpoint_configuration(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props)
    return name, {"name": name, "arn": ctx.arn("sagemaker", f"endpoint-config/{name.lower()}")}


@fake("aws:sagemaker/endpoint:Endpoint")
def _endpoint(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props)
    return name, {"name": name, "arn": ctx.arn("sagemaker", f"endpoint/{name.lower()}")}


# --- Application Auto Scaling --------------------------------------------------------------------


def _resource_id(ctx: FakeContext, props: Mapping[str, Any]) -> str:
    value = props.get("resourceId")
    return value if isinstance(value, str) else ctx.name


@fake("aws:appautoscaling/target:Target")
def _scalable_target(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    resource_id = _resource_id(ctx, props)
    out: Outputs = {"arn": ctx.arn("application-autoscaling", f"scalable-target/{ctx.hex(36)}")}
    if not props.get("roleArn") and props.get("serviceNamespace") == "sagemaker":
        out["roleArn"] = ctx.arn("iam", AUTOSCALING_SERVICE_LINKED_ROLE, region=False)
    return resource_id, out


@fake("aws:appautoscaling/policy:Policy")
def _scaling_policy(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props)
    resource_id = _resource_id(ctx, props)
    namespace = props.get("serviceNamespace") or "sagemaker"
    out: Outputs = {
        "name": name,
        "arn": ctx.arn(
            "autoscaling",
            f"scalingPolicy:{fake_uuid(ctx.seed)}:resource/{namespace}/{resource_id}:policyName/{name}",
        ),
    }
    if props.get("policyType") == "TargetTrackingScaling":
        out["alarmArns"] = [
            ctx.arn("cloudwatch", f"alarm:TargetTracking-{resource_id}-Alarm{side}-{fake_uuid(ctx.seed + side)}")
            for side in ("High", "Low")
        ]
    return name, out


@fake("aws:appautoscaling/scheduledAction:ScheduledAction")
def _scheduled_action(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props)
    resource_id = _resource_id(ctx, props)
    namespace = props.get("serviceNamespace") or "sagemaker"
    return f"{name}-{namespace}-{resource_id}", {
        "name": name,
        "arn": ctx.arn(
            "autoscaling",
            f"scheduledAction:{fake_uuid(ctx.seed)}:resource/{namespace}/{resource_id}:scheduledActionName/{name}",
        ),
    }

