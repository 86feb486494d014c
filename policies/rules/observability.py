"""Observability (MLP-CW-01, 02): alarms that notify someone, log groups that expire and are encrypted.

Props (pulumi-aws 7, camelCase): `aws:cloudwatch/metricAlarm:MetricAlarm` and
`aws:cloudwatch/compositeAlarm:CompositeAlarm` have `actionsEnabled` (the provider's default is
true) and `alarmActions`; `aws:cloudwatch/logGroup:LogGroup` has `retentionInDays` (absent or 0:
kept forever) and `kmsKeyId`. An action or key ARN computed from another resource (unknown in
preview) counts as set.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence


from ._framework import Finding, ResourceView, RuleContext, resource_rule
from ._framework import MISSING as _MISSING, UNKNOWN as _UNKNOWN, state as _state

__all__ = [
    "alarm_actions",
    "COMPOSITE_ALARM_TYPE",
    "log_group_retention_and_key",
    "LOG_GROUP_TYPE",
    "METRIC_ALARM_TYPE",
]

METRIC_ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM_TYPE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup"

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
