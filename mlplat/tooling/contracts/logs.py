"""CloudWatch Logs: a log group is CreateLogGroup plus PutRetentionPolicy."""

from __future__ import annotations

from typing import Iterable

from ..plan import Plan, PlannedResource
from ._core import Request, contract

__all__ = ["log_group"]


@contract("aws:cloudwatch/logGroup:LogGroup")
def log_group(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    props = resource.inputs
    create = {"logGroupName": props.get("name")}
    if props.get("kmsKeyId") is not None:
        create["kmsKeyId"] = props["kmsKeyId"]
    if props.get("logGroupClass") is not None:
        create["logGroupClass"] = props["logGroupClass"]
    yield Request("logs", "CreateLogGroup", create)
    if props.get("retentionInDays") is not None:
        yield Request("logs", "PutRetentionPolicy", {"logGroupName": props.get("name"), "retentionInDays": props["retentionInDays"]})
