"""CloudWatch rule cases (MLP-CW-01, 02): a compliant alarm and log group, then one mutation per check."""

from __future__ import annotations

from typing import Any, Optional

import pulumi_aws as aws

from . import RuleCase

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alarms"
_DEFAULT: Any = object()


def metric_alarm(*, actions_enabled: Optional[bool] = True, alarm_actions: Any = _DEFAULT, topic: bool = False) -> None:
    if topic:
        alarm_actions = [aws.sns.Topic("alarms").arn]
    aws.cloudwatch.MetricAlarm(
        "errors",
        namespace="AWS/SageMaker", metric_name="Invocation5XXErrors", dimensions={"EndpointName": "fraud", "VariantName": "primary"},
        statistic="Sum", period=60, evaluation_periods=3, threshold=1, comparison_operator="GreaterThanThreshold",
        actions_enabled=actions_enabled,
        alarm_actions=[TOPIC_ARN] if alarm_actions is _DEFAULT else alarm_actions,
    )


def composite_alarm(*, actions_enabled: Optional[bool] = True, alarm_actions: Any = _DEFAULT) -> None:
    aws.cloudwatch.CompositeAlarm(
        "health", alarm_name="fraud-health", alarm_rule='ALARM("fraud-errors") OR ALARM("fraud-latency")',
        actions_enabled=actions_enabled,
        alarm_actions=[TOPIC_ARN] if alarm_actions is _DEFAULT else alarm_actions,
    )


def log_group(*, retention: Optional[int] = 30, key: bool = True) -> None:
    logs_key = aws.kms.Key("logs", enable_key_rotation=True)
    aws.cloudwatch.LogGroup(
        "endpoint-logs", name="/aws/sagemaker/Endpoints/project-prod-fraud",
        retention_in_days=retention, kms_key_id=logs_key.arn if key else None,
    )


CASES = [
    # MLP-CW-01 alarm actions
    RuleCase("MLP-CW-01", "pass", metric_alarm, "metric alarm notifies the topic"),
    RuleCase("MLP-CW-01", "pass", composite_alarm, "composite alarm notifies the topic"),
    RuleCase("MLP-CW-01", "pass", lambda: metric_alarm(actions_enabled=None), "actionsEnabled defaults to true"),
    RuleCase("MLP-CW-01", "pass", lambda: metric_alarm(topic=True), "preview with in-stack topic", preview=True),
    RuleCase("MLP-CW-01", "fail", lambda: metric_alarm(actions_enabled=False), "actions disabled", message="actions disabled"),
    RuleCase("MLP-CW-01", "fail", lambda: metric_alarm(alarm_actions=None), "no actions", message="has no alarmActions"),
    RuleCase("MLP-CW-01", "fail", lambda: metric_alarm(alarm_actions=[]), "empty actions", environment="dev", message="has no alarmActions"),
    RuleCase("MLP-CW-01", "fail", lambda: composite_alarm(actions_enabled=False), "composite actions disabled", message="actions disabled"),
    RuleCase("MLP-CW-01", "fail", lambda: composite_alarm(alarm_actions=None), "composite without actions", message="has no alarmActions"),
    # MLP-CW-02 log group retention and key
    RuleCase("MLP-CW-02", "pass", log_group, "retention and logs key"),
    RuleCase("MLP-CW-02", "pass", log_group, "preview with in-stack key", preview=True),
    RuleCase("MLP-CW-02", "fail", lambda: log_group(retention=None), "no retention", message="retentionInDays is not set"),
    RuleCase("MLP-CW-02", "fail", lambda: log_group(retention=0), "retention 0 keeps forever", message="retentionInDays is 0"),
    RuleCase("MLP-CW-02", "fail", lambda: log_group(key=False), "no key", message="has no KMS key"),
]
