"""Observability (MLP-CW-01, 02, MLP-EVT-01): alarms that notify someone, log groups that expire and
are encrypted, EventBridge targets outside AWS that retry and keep what they could not deliver.

Props (pulumi-aws 7, camelCase): `aws:cloudwatch/metricAlarm:MetricAlarm` and
`aws:cloudwatch/compositeAlarm:CompositeAlarm` have `actionsEnabled` (the provider's default is
true) and `alarmActions`; `aws:cloudwatch/logGroup:LogGroup` has `retentionInDays` (absent or 0:
kept forever) and `kmsKeyId`; `aws:cloudwatch/eventTarget:EventTarget` has `arn` (an API
destination's is `arn:aws:events:<r>:<a>:api-destination/<name>/<id>`), `retryPolicy`
(`maximumRetryAttempts`, `maximumEventAgeInSeconds`) and `deadLetterConfig.arn`. An action or key
ARN computed from another resource (unknown in preview) counts as set.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence


from ._framework import Finding, ResourceView, RuleContext, resource_rule, stack_rule
from ._framework import MISSING as _MISSING, UNKNOWN as _UNKNOWN, state as _state

__all__ = [
    "alarm_actions",
    "EVENT_TARGET_TYPE",
    "external_target_retries_and_dead_letters",
    "COMPOSITE_ALARM_TYPE",
    "log_group_retention_and_key",
    "LOG_GROUP_TYPE",
    "METRIC_ALARM_TYPE",
]

METRIC_ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM_TYPE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup"
EVENT_TARGET_TYPE = "aws:cloudwatch/eventTarget:EventTarget"
_API_DESTINATION = ":api-destination/"
# The type in a URN: `...::<type>::<name>` at the top level, `...$<type>::<name>` under a parent.
_API_DESTINATION_URN = re.compile(r"(::|\$)aws:cloudwatch/eventApiDestination:EventApiDestination::")

def _is_set(value: Any) -> bool:
    if value is _UNKNOWN:
        return True
    if value is _MISSING:
        return False
    if isinstance(value, (str, Sequence)):
        return len(value) > 0
    return True


@resource_rule(
    id="MLP-CW-01", name="mlplat-cloudwatch-alarm-enable-actions", severity="medium",
    description="Metric and composite alarms keep their actions enabled (actionsEnabled not false) and name at least one alarm action",
    remediation=(
        "Remove actions_enabled=False (or set it True).",
        "Set alarm_actions to the platform's alarm topic (mlplat: AlarmTopic.arn; EndpointMonitoring does this).",
    ),
    frameworks=("CKV_AWS_319", "NIST-800-53:SI-4"), levels=("advisory", "mandatory"),
    types=(METRIC_ALARM_TYPE, COMPOSITE_ALARM_TYPE),
)
def alarm_actions(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    enabled = _state(r, "actionsEnabled")
    if enabled is False:
        yield Finding(f"alarm {r.name} has its actions disabled (actionsEnabled is false): it notifies no one", key="disabled")
    elif enabled is _UNKNOWN:
        yield Finding(f"alarm {r.name}: actionsEnabled is unknown until apply", unverified=True)
    if not _is_set(_state(r, "alarmActions")):
        yield Finding(f"alarm {r.name} has no alarmActions: entering ALARM notifies no one", key="no-actions")


@resource_rule(
    id="MLP-CW-02", name="mlplat-cloudwatch-loggroup-require-retention-and-kms", severity="medium",
    description="Log groups set a retention (retentionInDays, not 0 = forever) and encrypt with a KMS key (kmsKeyId)",
    remediation=(
        "Set retention_in_days (e.g. 30 in dev, 365 in prod).",
        "Set kms_key_id to the logs key ARN (its key policy must admit logs.<region>.amazonaws.com; mlplat: Encryption's cloudwatch-logs key user).",
    ),
    frameworks=("CKV_AWS_66", "CKV_AWS_158", "NIST-800-53:AU-11", "NIST-800-53:SC-28"), levels=("advisory", "mandatory"),
    types=(LOG_GROUP_TYPE,),
)
def log_group_retention_and_key(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    retention = _state(r, "retentionInDays")
    if retention is _UNKNOWN:
        yield Finding(f"log group {r.name}: retentionInDays is unknown until apply", unverified=True)
    elif retention is _MISSING or retention == 0:
        yield Finding(f"log group {r.name} keeps events forever (retentionInDays is {'0' if retention == 0 else 'not set'})", key="retention")
    if not _is_set(_state(r, "kmsKeyId")):
        yield Finding(f"log group {r.name} has no KMS key (kmsKeyId is not set): CloudWatch Logs encrypts it with a service-owned key", key="kms")


@stack_rule(
    id="MLP-EVT-01", name="mlplat-eventbridge-external-target-retries-and-dead-letters", severity="medium",
    description=(
        "EventBridge targets that call outside AWS (API destinations: told by the target's arn, or by its property "
        "dependency on an API destination while the arn is unknown) have a retry policy and a dead-letter queue, so "
        "an event the endpoint refused or never received is kept, not dropped"
    ),
    remediation=(
        "Set retry_policy (maximum_retry_attempts >= 1, maximum_event_age_in_seconds) and dead_letter_config "
        "(an SQS queue whose policy lets events.amazonaws.com send for this rule) on the aws.cloudwatch.EventTarget.",
        "mlplat: ModelRegistry's deployment target has both.",
    ),
    frameworks=("NIST-800-53:CP-10",), levels=("advisory", "mandatory"),
)
def external_target_retries_and_dead_letters(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for target in views:
        if target.type != EVENT_TARGET_TYPE or not _calls_api_destination(target):
            continue
        missing = []
        attempts = _state(target, "retryPolicy.maximumRetryAttempts")
        if _state(target, "retryPolicy") is _MISSING:
            missing.append("no retryPolicy")
        elif attempts is not _UNKNOWN and attempts is not _MISSING and attempts < 1:
            missing.append(f"retryPolicy.maximumRetryAttempts is {attempts}")
        if not _is_set(_state(target, "deadLetterConfig.arn")):
            missing.append("no deadLetterConfig")
        if missing:
            yield Finding(f"target {target.name} calls an API destination with {' and '.join(missing)}", urn=target.urn)


def _calls_api_destination(target: ResourceView) -> bool:
    arn = _state(target, "arn")
    if isinstance(arn, str):
        return _API_DESTINATION in arn
    return any(_API_DESTINATION_URN.search(urn) for urn in target.property_dependencies.get("arn", ()))
