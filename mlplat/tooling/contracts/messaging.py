"""SQS: a queue is CreateQueue; a queue policy is SetQueueAttributes(Policy).

CreateQueue takes the queue's settings as an `Attributes` map of strings, keyed by
QueueAttributeName: the provider's `delaySeconds`, `maxMessageSize`, `messageRetentionSeconds`,
`receiveWaitTimeSeconds`, `visibilityTimeoutSeconds`, `kmsMasterKeyId`,
`kmsDataKeyReusePeriodSeconds`, `sqsManagedSseEnabled`, `fifoQueue`, `contentBasedDeduplication`,
`deduplicationScope`, `fifoThroughputLimit`, `policy`, `redrivePolicy` and `redriveAllowPolicy`
become those attributes (numbers and booleans as the strings the API takes); `name` is `QueueName`
(the provider's generated name in outputs when omitted; `.fifo` appended for a FIFO queue with a
`namePrefix`); `tags` is the request's `tags` map. A property with no attribute raises
MappingGap, so a new provider field cannot slip past the check.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..plan import UNKNOWN, Plan, PlannedResource, is_unknown
from ._core import MappingGap, Request, contract, planned_name

__all__ = ["queue", "queue_policy"]

QUEUE_ATTRIBUTES: dict[str, str] = {
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "fifoQueue": "FifoQueue",
    "contentBasedDeduplication": "ContentBasedDeduplication",
    "deduplicationScope": "DeduplicationScope",
    "fifoThroughputLimit": "FifoThroughputLimit",
    "policy": "Policy",
    "redrivePolicy": "RedrivePolicy",
    "redriveAllowPolicy": "RedriveAllowPolicy",
}
_PROVIDER_ONLY = frozenset({"region", "tags", "tagsAll", "name", "namePrefix"})


def _attribute(value: Any) -> Any:
    if is_unknown(value) or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@contract("aws:sqs/queue:Queue")
def queue(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    attributes: dict[str, Any] = {}
    for key, value in resource.inputs.items():
        if key in _PROVIDER_ONLY or value is None:
            continue
        attribute = QUEUE_ATTRIBUTES.get(key)
        if attribute is None:
            raise MappingGap(f"property {key!r} has no attribute in CreateQueue (attributes: {', '.join(QUEUE_ATTRIBUTES.values())})")
        attributes[attribute] = _attribute(value)
    params: dict[str, Any] = {"QueueName": planned_name(resource, "name", plan)}
    if attributes:
        params["Attributes"] = attributes
    tags = resource.inputs.get("tags")
    if tags:
        params["tags"] = tags
    yield Request("sqs", "CreateQueue", params)


@contract("aws:sqs/queuePolicy:QueuePolicy")
def queue_policy(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = resource.inputs
    extra = sorted(set(props) - {"queueUrl", "policy", "region"})
    if extra:
        raise MappingGap(f"property {extra[0]!r} has no member in SetQueueAttributes")
    url = props.get("queueUrl")
    yield Request("sqs", "SetQueueAttributes", {"QueueUrl": url if url is not None else UNKNOWN,
                                                "Attributes": {"Policy": _attribute(props.get("policy"))}})
