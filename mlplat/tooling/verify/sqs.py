"""SQS queues (the dead-letter queues of deliveries): present, encrypted with the recorded key, keeping
messages as long as the state says, with the recorded queue policy."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ._core import Context, Finding, canonical, checks, key_id, read

__all__ = ["queue", "queue_policy"]

_MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def _attributes(context: Context, url: str, what: str) -> dict[str, Any]:
    sqs = context.clients.client("sqs")
    answer = read(context, what, lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
                  missing_codes=_MISSING)
    return answer.get("Attributes") or {}


def _url(context: Context, name: str) -> str:
    sqs = context.clients.client("sqs")
    return read(context, f"queue {name}", lambda: sqs.get_queue_url(QueueName=name), missing_codes=_MISSING)["QueueUrl"]


def _seconds(value: Any) -> Optional[int]:
    return int(value) if isinstance(value, (int, str)) and str(value).isdigit() else None


@checks("aws:sqs/queue:Queue")
def queue(context: Context) -> Iterable[Finding]:
    name = context.value("name") or str(context.resource.id or "").rsplit("/", 1)[-1]
    live = _attributes(context, _url(context, name), f"queue {name}")
    findings = context.differs("encryption key", key_id(context.value("kmsMasterKeyId")),
                               key_id(live.get("KmsMasterKeyId")) or None)
    if context.value("sqsManagedSseEnabled") is True and live.get("SqsManagedSseEnabled") != "true":
        findings.append(context.finding("SQS-managed encryption", "differs", True, live.get("SqsManagedSseEnabled")))
    findings += context.differs("message retention", _seconds(context.value("messageRetentionSeconds")),
                                _seconds(live.get("MessageRetentionPeriod")))
    if context.value("policy") is not None:
        findings += context.differs("queue policy", canonical(context.value("policy")), canonical(live.get("Policy")))
    return findings


@checks("aws:sqs/queuePolicy:QueuePolicy")
def queue_policy(context: Context) -> Iterable[Finding]:
    url = context.value("queueUrl") or context.resource.id
    live = _attributes(context, url, f"queue {url}")
    return context.differs("queue policy", canonical(context.value("policy")), canonical(live.get("Policy")))
