"""CloudWatch and EventBridge rule cases (MLP-CW-01, 02, MLP-EVT-01): a compliant alarm, log group and
API-destination target, then one mutation per check."""

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


DESTINATION_ARN = "arn:aws:events:us-east-1:123456789012:api-destination/deploy/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:deploy-dlq"


def event_target(*, arn: str = DESTINATION_ARN, retries: Optional[int] = 20, dead_letters: bool = True,
                 in_stack: bool = False) -> None:
    rule = aws.cloudwatch.EventRule("approved", event_pattern='{"source": ["aws.sagemaker"]}')
    if in_stack:  # the destination and queue are declared here: their ARNs are unknown in preview
        connection = aws.cloudwatch.EventConnection(
            "github", authorization_type="API_KEY",
            auth_parameters={"api_key": {"key": "Authorization", "value": "Bearer x"}})
        arn = aws.cloudwatch.EventApiDestination(
            "deploy", connection_arn=connection.arn, http_method="POST",
            invocation_endpoint="https://api.github.com/repos/acme/stacks/dispatches").arn
    queue = aws.sqs.Queue("dlq", sqs_managed_sse_enabled=True).arn if in_stack else QUEUE_ARN
    aws.cloudwatch.EventTarget(
        "deploy", rule=rule.name, arn=arn,
        retry_policy={"maximum_retry_attempts": retries, "maximum_event_age_in_seconds": 3600} if retries is not None else None,
        dead_letter_config={"arn": queue} if dead_letters else None,
    )


CASES = [
    # MLP-EVT-01 targets outside AWS retry and dead-letter
    RuleCase("MLP-EVT-01", "pass", event_target, "API destination with retries and a dead-letter queue"),
    RuleCase("MLP-EVT-01", "pass", lambda: event_target(in_stack=True), "preview of in-stack destination and queue",
             preview=True),
    RuleCase("MLP-EVT-01", "pass", lambda: event_target(arn=TOPIC_ARN, retries=None, dead_letters=False),
             "an AWS target (SNS) needs neither"),
    RuleCase("MLP-EVT-01", "fail", lambda: event_target(retries=None), "no retry policy", message="no retryPolicy"),
    RuleCase("MLP-EVT-01", "fail", lambda: event_target(retries=0), "zero retries",
             message="retryPolicy.maximumRetryAttempts is 0"),
    RuleCase("MLP-EVT-01", "fail", lambda: event_target(dead_letters=False), "no dead-letter queue", environment="dev",
             message="no deadLetterConfig"),
    RuleCase("MLP-EVT-01", "pass", lambda: event_target(arn=aws.sns.Topic("alerts").arn, retries=None, dead_letters=False),
             "preview of an in-stack AWS target", preview=True),
    RuleCase("MLP-EVT-01", "fail", lambda: event_target(in_stack=True, dead_letters=False),
             "preview of an in-stack destination (arn unknown) without a dead-letter queue", preview=True,
             message="no deadLetterConfig"),
    RuleCase("MLP-EVT-01", "fail", lambda: event_target(in_stack=True, dead_letters=False),
             "in-stack destination without a dead-letter queue", message="no deadLetterConfig"),
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
