"""CloudWatch alarms and EventBridge rules: present, enabled, with the recorded thresholds, actions and targets."""

from __future__ import annotations

from typing import Iterable

from ._core import Context, Finding, Missing, checks, read

__all__ = ["composite_alarm", "event_rule", "event_target", "metric_alarm"]


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


def _number(value):
    return float(value) if isinstance(value, (int, float)) else value


def _sorted(values):
    return sorted(values) if isinstance(values, list) else values
