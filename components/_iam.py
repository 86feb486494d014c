"""IAM documents as Python data, serialised to JSON only at the edge.

Documents may hold Outputs (ARNs not known yet); `to_json` resolves them with
`pulumi.Output.json_dumps`, so no invoke is needed to build a policy and the JSON the engine sees
is exactly what reviewers read in the plan.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import pulumi
import pulumi_aws as aws

Document = dict[str, Any]
Statement = dict[str, Any]
Strs = Union[str, pulumi.Input[str], Sequence[pulumi.Input[str]]]


def statement(
    *,
    sid: str,
    actions: Sequence[str],
    resources: Optional[Strs] = None,
    effect: str = "Allow",
    principals: Optional[Mapping[str, Any]] = None,
    conditions: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> Statement:
    if effect not in ("Allow", "Deny"):
        raise ValueError(f"effect must be 'Allow' or 'Deny', got {effect!r}")
    if not actions:
        raise ValueError(f"statement {sid!r} lists no actions")
    out: Statement = {"Sid": sid, "Effect": effect}
    if principals is not None:
        out["Principal"] = dict(principals)
    out["Action"] = list(actions) if len(actions) > 1 else actions[0]
    if resources is not None:
        out["Resource"] = resources if isinstance(resources, (str, pulumi.Output)) else list(resources)
    if conditions:
        out["Condition"] = {op: dict(values) for op, values in conditions.items()}
    return out


def document(statements: Iterable[Statement]) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def to_json(doc: Any) -> pulumi.Output[str]:
    """The document as JSON, resolved in one step however many Outputs it holds.

    Equivalent to `pulumi.Output.json_dumps(doc)` (same dependencies, secrecy and unknowns), but it
    gathers the document's Outputs once instead of lifting every nested value into an Output:
    cheaper for the many small documents a platform declares.
    """
    found: list[pulumi.Output[Any]] = []

    def collect(value: Any) -> Any:
        if isinstance(value, pulumi.Output):
            found.append(value)
            return _Slot(len(found) - 1)
        if isinstance(value, dict):
            return {k: collect(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [collect(v) for v in value]
        return value

    template = collect(doc)
    if not found:
        return pulumi.Output.from_input(json.dumps(template))

    def fill(value: Any, resolved: list[Any]) -> Any:
        if isinstance(value, _Slot):
            return fill(resolved[value.index], resolved)
        if isinstance(value, dict):
            return {k: fill(v, resolved) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v, resolved) for v in value]
        return value

    return pulumi.Output.all(*found).apply(lambda resolved: json.dumps(fill(template, list(resolved))))


class _Slot:
    """Where an Output's value goes in a document template."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def service(name: str) -> dict[str, str]:
    """A service principal block: service("logs.us-east-1.amazonaws.com")."""
    return {"Service": name}


def assume_role_policy(service_principal: str, *, source_account: pulumi.Input[str],
                       source_arn: Optional[pulumi.Input[str]] = None) -> Document:
    """Trust for one AWS service, guarded against the confused deputy by source account (and ARN)."""
    conditions: dict[str, dict[str, Any]] = {"StringEquals": {"aws:SourceAccount": source_account}}
    if source_arn is not None:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return document(
        [statement(sid="AllowServiceAssumeRole", actions=["sts:AssumeRole"], principals=service(service_principal),
                   conditions=conditions)]
    )


def caller_account_id() -> pulumi.Output[str]:
    return aws.get_caller_identity_output().account_id


def current_region() -> pulumi.Output[str]:
    return aws.get_region_output().region


def account_root_arn(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:iam::", account_id, ":root")
