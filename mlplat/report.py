"""Render a Plan for people (text, markdown) and tools (preview-shaped JSON).

The text and markdown views group resources under their components and show, per resource, the
few settings a reviewer checks first (encryption, exposure, retention, protection).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .contracts import ContractError
from .plan import Plan, PlannedResource, is_unknown


@dataclass
class PlanReport:
    """A plan and what was checked on it; `failed` decides `mlplat plan`'s exit status."""

    plan: Plan
    contract_errors: list[ContractError] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.contract_errors)

Summary = Callable[[PlannedResource], str]
_SUMMARIES: dict[str, Summary] = {}


def summary(*types: str) -> Callable[[Summary], Summary]:
    def register(fn: Summary) -> Summary:
        for t in types:
            _SUMMARIES[t] = fn
        return fn

    return register


def _v(value: Any) -> str:
    if is_unknown(value):
        return "(known after apply)"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _short_arn(value: Any) -> str:
    text = _v(value)
    return text.rsplit(":", 1)[-1] if text.startswith("arn:") else text


@summary("aws:kms/key:Key")
def _key(r: PlannedResource) -> str:
    return f"rotation {_v(r.inputs.get('enableKeyRotation', False))}, deletion window {_v(r.inputs.get('deletionWindowInDays', 30))}d"


@summary("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def _bucket(r: PlannedResource) -> str:
    parts = [f"role {r.tags.get('mlplat:bucket-role', '(untagged)')}"]
    if r.inputs.get("objectLockEnabled"):
        parts.append("object lock")
    if r.inputs.get("forceDestroy"):
        parts.append("force-destroy")
    return ", ".join(parts)


@summary("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
def _sse(r: PlannedResource) -> str:
    rules = r.inputs.get("rules") or [{}]
    default = (rules[0] or {}).get("applyServerSideEncryptionByDefault") or {}
    return f"{_v(default.get('sseAlgorithm'))} with {_short_arn(default.get('kmsMasterKeyId', 'aws-managed key'))}"


@summary("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
def _pab(r: PlannedResource) -> str:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    on = sum(1 for f in flags if r.inputs.get(f) is True)
    return f"{on}/4 public access blocks"


@summary("aws:s3/bucketVersioning:BucketVersioning")
def _versioning(r: PlannedResource) -> str:
    return f"versioning {_v(r.get('versioningConfiguration.status'))}"


@summary("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
def _lock(r: PlannedResource) -> str:
    retention = r.get("rule.defaultRetention") or {}
    return f"{_v(retention.get('mode'))} {_v(retention.get('days'))}d"


@summary("aws:cloudwatch/logGroup:LogGroup")
def _log_group(r: PlannedResource) -> str:
    key = "KMS" if r.inputs.get("kmsKeyId") else "no KMS key"
    return f"retention {_v(r.inputs.get('retentionInDays', 'never expires'))}d, {key}"


@summary("aws:ec2/vpcEndpoint:VpcEndpoint")
def _endpoint(r: PlannedResource) -> str:
    service = _v(r.inputs.get("serviceName")).rsplit(".", 1)[-1]
    kind = r.inputs.get("vpcEndpointType", "Gateway")
    dns = ", private DNS" if r.inputs.get("privateDnsEnabled") else ""
    return f"{kind} {service}{dns}"


@summary("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
def _ingress(r: PlannedResource) -> str:
    source = r.inputs.get("cidrIpv4") or r.inputs.get("referencedSecurityGroupId") or r.inputs.get("prefixListId")
    return f"{_v(r.inputs.get('ipProtocol'))}/{_v(r.inputs.get('fromPort'))} from {_v(source)}"


@summary("aws:ec2/flowLog:FlowLog")
def _flow_log(r: PlannedResource) -> str:
    return f"{_v(r.inputs.get('trafficType'))} traffic to {_v(r.inputs.get('logDestinationType'))}"


@summary("aws:ec2/subnet:Subnet")
def _subnet(r: PlannedResource) -> str:
    public = ", public IPs" if r.inputs.get("mapPublicIpOnLaunch") else ""
    return f"{_v(r.inputs.get('cidrBlock'))} in {_v(r.inputs.get('availabilityZone'))}{public}"


def describe(resource: PlannedResource) -> str:
    fn = _SUMMARIES.get(resource.type)
    text = fn(resource) if fn else ""
    if resource.protect:
        text = f"{text}, protected" if text else "protected"
    return text


def _tree_lines(plan: Plan, indent: str = "  ") -> list[str]:
    children: dict[Optional[str], list[PlannedResource]] = {}
    known = {r.urn for r in plan.resources}
    for r in plan.resources:
        parent = r.parent if r.parent in known else None
        children.setdefault(parent, []).append(r)
    lines: list[str] = []

    def walk(parent: Optional[str], depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda c: (c.custom, c.name)):
            detail = describe(r)
            label = f"{indent * depth}{r.type}  {r.name}"
            lines.append(f"{label}  [{detail}]" if detail else label)
            walk(r.urn, depth + 1)

    walk(None, 0)
    return lines


def render_text(report: PlanReport) -> str:
    plan = report.plan
    mode = "preview (computed values unknown)" if plan.preview else "up (computed values filled by fakes)"
    components = [r for r in plan.resources if not r.custom]
    lines = [
        f"Offline plan of stack {plan.stack!r} (project {plan.project}), {mode}",
        f"{len(plan.custom_resources)} resources in {len(components)} components",
        "",
        *_tree_lines(plan),
        "",
        "Resources by type:",
        *(f"  {count:4d}  {t}" for t, count in plan.count_by_type().items()),
    ]
    if plan.outputs:
        lines += ["", "Stack outputs:"]
        lines += [f"  {k}: {json.dumps(v, default=str)}" for k, v in sorted(plan.outputs.items())]
    if plan.diagnostics:
        lines += ["", "Diagnostics:"]
        lines += [f"  {d.severity}: {d.message}" + (f" ({d.urn})" if d.urn else "") for d in plan.diagnostics]
    lines += ["", f"Contract checks against the AWS API models: {len(report.contract_errors)} errors"]
    lines += [f"  {e.render()}" for e in report.contract_errors]
    return "\n".join(lines) + "\n"


def render_markdown(report: PlanReport) -> str:
    plan = report.plan
    components = [r for r in plan.resources if not r.custom]
    lines = [
        f"### mlplat offline plan: `{plan.stack}`",
        "",
        f"{len(plan.custom_resources)} resources in {len(components)} components"
        + (" (preview: computed values unknown)" if plan.preview else ""),
        "",
        "| type | count |",
        "| --- | ---: |",
        *(f"| `{t}` | {c} |" for t, c in plan.count_by_type().items()),
        "",
        "<details><summary>Resources by component</summary>",
        "",
        "```",
        *_tree_lines(plan),
        "```",
        "",
        "</details>",
    ]
    warnings = [d for d in plan.diagnostics if d.severity in ("warning", "error")]
    if warnings:
        lines += ["", "**Diagnostics**", ""] + [f"- {d.severity}: {d.message}" for d in warnings]
    if report.contract_errors:
        lines += ["", f"**Contract errors ({len(report.contract_errors)})**", ""]
        lines += [f"- `{e.urn.rsplit('::', 1)[-1]}` {e.operation} `{e.path}`: {e.message}" for e in report.contract_errors]
    else:
        lines += ["", "Contract checks against the AWS API models: no errors."]
    return "\n".join(lines) + "\n"


def render_json(report: PlanReport) -> str:
    document = report.plan.to_preview_json(contractErrors=[e.to_json() for e in report.contract_errors])
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"


RENDERERS: dict[str, Callable[[PlanReport], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
