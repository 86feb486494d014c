"""CloudWatch alarms and EventBridge: alarms, rules and targets present and enabled with the recorded
thresholds, actions and targets; the connection of an API destination authorized (a rejected token turns it
DEAUTHORIZED) and the destination active, calling the recorded endpoint."""

from __future__ import annotations

from typing import Iterable

from ._core import Context, Finding, Missing, checks, read

__all__ = ["api_destination", "composite_alarm", "event_connection", "event_rule", "event_target", "metric_alarm"]


def _alarm(context: Context, name: str, alarm_type: str) -> dict:
    answer = read(context, f"alarm {name}", lambda: context.clients.client("cloudwatch").describe_alarms(
        AlarmNames=[name], AlarmTypes=[alarm_type]))
    alarms = answer.get(f"{alarm_type}s") or []
    if not alarms:
        raise Missing(f"alarm {name}")
    return alarms[0]


def _actions(context: Context, live: dict) -> list[Finding]:
    findings = context.differs("alarm actions", _sorted(context.value("alarmActions")), _sorted(live.get("AlarmActions")))
    if context.value("actionsEnabled", default=True) and live.get("ActionsEnabled") is False:
        findings.append(context.finding("actions enabled", "differs", True, False))
    return findings


@checks("aws:cloudwatch/metricAlarm:MetricAlarm")
def metric_alarm(context: Context) -> Iterable[Finding]:
    live = _alarm(context, context.value("name") or context.resource.id, "MetricAlarm")
    return [
        *context.differs("threshold", _number(context.value("threshold")), _number(live.get("Threshold"))),
        *context.differs("comparison operator", context.value("comparisonOperator"), live.get("ComparisonOperator")),
        *context.differs("evaluation periods", context.value("evaluationPeriods"), live.get("EvaluationPeriods")),
        *_actions(context, live),
    ]


@checks("aws:cloudwatch/compositeAlarm:CompositeAlarm")
def composite_alarm(context: Context) -> Iterable[Finding]:
    live = _alarm(context, context.value("alarmName") or context.resource.id, "CompositeAlarm")
    return [*context.differs("alarm rule", context.value("alarmRule"), live.get("AlarmRule")), *_actions(context, live)]


@checks("aws:cloudwatch/eventRule:EventRule")
def event_rule(context: Context) -> Iterable[Finding]:
    name = context.value("name") or context.resource.id
    bus = context.value("eventBusName", default="default")
    live = read(context, f"event rule {name}", lambda: context.clients.client("events").describe_rule(
        Name=name, EventBusName=bus), missing_codes=("ResourceNotFoundException",))
    expected = context.value("state") or ("ENABLED" if context.value("isEnabled", default=True) else "DISABLED")
    return context.differs("rule state", expected, live.get("State"))


@checks("aws:cloudwatch/eventTarget:EventTarget")
def event_target(context: Context) -> Iterable[Finding]:
    rule, target_id = context.value("rule"), context.value("targetId")
    bus = context.value("eventBusName", default="default")
    events = context.clients.client("events")
    targets = read(context, f"event rule {rule}", lambda: events.list_targets_by_rule(Rule=rule, EventBusName=bus),
                   missing_codes=("ResourceNotFoundException",)).get("Targets", [])
    live = next((t for t in targets if t.get("Id") == target_id), None)
    if live is None:
        raise Missing(f"target {target_id} of rule {rule}")
    return [
        *context.differs("target ARN", context.value("arn"), live.get("Arn")),
        *context.differs("target role", context.value("roleArn"), live.get("RoleArn")),
    ]


@checks("aws:cloudwatch/eventConnection:EventConnection")
def event_connection(context: Context) -> Iterable[Finding]:
    name = context.value("name") or context.resource.id
    live = read(context, f"connection {name}", lambda: context.clients.client("events").describe_connection(Name=name),
                missing_codes=("ResourceNotFoundException",))
    findings = context.differs("authorization type", context.value("authorizationType"), live.get("AuthorizationType"))
    if live.get("ConnectionState") != "AUTHORIZED":
        # DEAUTHORIZED: the endpoint refused the credentials (an expired or revoked token); calls stop.
        findings.append(context.finding("connection state", "unhealthy", "AUTHORIZED", live.get("ConnectionState")))
    return findings


@checks("aws:cloudwatch/eventApiDestination:EventApiDestination")
def api_destination(context: Context) -> Iterable[Finding]:
    name = context.value("name") or context.resource.id
    live = read(context, f"API destination {name}", lambda: context.clients.client("events").describe_api_destination(
        Name=name), missing_codes=("ResourceNotFoundException",))
    findings = [
        *context.differs("invocation endpoint", context.value("invocationEndpoint"), live.get("InvocationEndpoint")),
        *context.differs("HTTP method", context.value("httpMethod"), live.get("HttpMethod")),
        *context.differs("connection", context.value("connectionArn"), live.get("ConnectionArn")),
        *context.differs("invocation rate limit", _number(context.value("invocationRateLimitPerSecond")),
                         _number(live.get("InvocationRateLimitPerSecond"))),
    ]
    if live.get("ApiDestinationState") != "ACTIVE":
        findings.append(context.finding("API destination state", "unhealthy", "ACTIVE", live.get("ApiDestinationState")))
    return findings


def _number(value):
    if isinstance(value, str) and value.isdigit():  # some APIs answer numbers as strings
        return float(value)
    return float(value) if isinstance(value, (int, float)) else value


def _sorted(values):
    return sorted(values) if isinstance(values, list) else values
