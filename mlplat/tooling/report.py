"""Render a Plan for people (text, markdown) and tools (preview-shaped JSON).

The text and markdown views group resources under their components and show, per resource, the
few settings a reviewer checks first (encryption, exposure, retention, protection).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .contracts import ContractError
from .plan import Plan, PlannedResource, is_unknown
from .policy_runner import PolicyReport, Violation
from .resource_accounts import resource_accounts, stack_target
from .secrets import redact_paths

__all__ = [
    "describe",
    "PlanReport",
    "policy_json",
    "policy_markdown_lines",
    "policy_text_lines",
    "render_json",
    "render_markdown",
    "render_text",
    "RENDERERS",
    "Summary",
    "summary",
]


@dataclass
class PlanReport:
    """A plan and what was checked on it; `failed` decides `mlplat plan`'s exit status."""

    plan: Plan
    contract_errors: list[ContractError] = field(default_factory=list)
    policy: Optional[PolicyReport] = None
    feature_group_findings: list[Any] = field(default_factory=list)  # mlplat.feature_changes.Finding
    kubernetes: Optional[Any] = None  # mlplat.k8s_validation.K8sValidationReport, when the plan has objects
    cost: Optional[Any] = None  # mlplat.tooling.cost_report.PlanCost, when the plan has a region
    baseline_diff: Optional[Any] = None  # mlplat.tooling.plan_diff.PlanDiff, with --baseline

    @property
    def failed(self) -> bool:
        return (
            bool(self.kubernetes and self.kubernetes.problems)
            or bool(self.contract_errors)
            or bool(self.policy and self.policy.failed)
            or any(f.severity == "error" for f in self.feature_group_findings)
        )


def _kubernetes_lines(report: "PlanReport", bullet: str) -> list[str]:
    k8s = report.kubernetes
    if k8s is None:
        return []
    crds = f" and the CRDs of {', '.join(k8s.crd_sources)}" if k8s.crd_sources else ""
    lines = [
        "",
        f"Kubernetes objects against the {k8s.schema_version} OpenAPI schema{crds}: "
        f"{len(k8s.validated)} validated, {len(k8s.problems)} problems, {len(k8s.skipped)} not validated",
    ]
    lines += [f"{bullet}{p.render()}" for p in k8s.problems]
    return lines


def _feature_group_lines(report: "PlanReport", bullet: str) -> list[str]:
    if not report.feature_group_findings:
        return []
    lines = ["", "Feature group changes against the baseline:"]
    lines += [f"{bullet}{f.severity}: {_short(f.urn)}: {f.message}" for f in report.feature_group_findings]
    return lines


def _baseline_lines(report: "PlanReport", bullet: str) -> list[str]:
    diff = report.baseline_diff
    if diff is None:
        return []
    lines = ["", f"Changes against the baseline: {diff.summary()}"]
    for change in diff.changes:
        if change.op == "delete":
            lines.append(f"{bullet}delete  {change.type}  {_short(change.urn)}")
        elif change.op == "update":
            lines.append(f"{bullet}update  {change.type}  {_short(change.urn)}: {', '.join(change.keys)}")
    return lines


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


def policy_text_lines(policy: Optional[PolicyReport]) -> list[str]:
    if policy is None:
        return ["", "Policies: not evaluated (--no-policies)"]
    env = policy.environment or "told by the pack"
    lines = ["", f"Policies ({env}): {len(policy.mandatory)} mandatory, {len(policy.advisory)} advisory, {len(policy.waived)} waived"]
    if policy.source:
        lines.append(f"  levels, waivers and settings: {policy.source}")
    lines += [f"  note: {note}" for note in policy.notes]
    groups = (("MANDATORY", policy.mandatory), ("advisory", policy.advisory), ("waived", policy.waived),
              ("unverified", policy.unverified), ("not run", policy.cannot_run))
    for title, items in groups:
        for v in items:
            lines.append(f"  {title:9} {v.rule_id:11} {_short(v.urn)}: {v.message}")
            if title == "MANDATORY" and v.remediation:
                lines += [f"            fix: {step}" for step in v.remediation.splitlines()]
    return lines


def policy_markdown_lines(policy: Optional[PolicyReport]) -> list[str]:
    if policy is None:
        return []
    env = policy.environment or "told by the pack"
    status = "**blocked**: mandatory violations" if policy.failed else "passes every mandatory rule"
    lines = ["", f"#### Policies ({env}): {status}", ""]
    if policy.source:
        lines += [f"Levels, waivers and settings: {_md(policy.source)}", ""]
    lines += [f"> **Note**: {_md(note)}" for note in policy.notes] + ([""] if policy.notes else [])
    rows: list[Violation] = policy.mandatory + policy.advisory
    if rows:
        lines += ["| level | rule | resource | finding | how to fix |", "| --- | --- | --- | --- | --- |"]
        for v in rows:
            fix = v.remediation.splitlines()[0] if v.remediation else ""
            lines.append(f"| {v.level} | {v.rule_id} | `{_short(v.urn)}` | {_md(v.message)} | {_md(fix)} |")
    for title, items in (("Waived findings", policy.waived), ("Unverified until the values are known", policy.unverified)):
        if items:
            lines += ["", f"<details><summary>{title} ({len(items)})</summary>", ""]
            lines += [f"- `{_short(v.urn)}` {_md(v.message)}" for v in items]
            lines += ["", "</details>"]
    return lines


def policy_json(policy: PolicyReport) -> dict[str, Any]:
    """The policy members of a JSON report (plan and audit alike)."""
    document: dict[str, Any] = {
        "policyViolations": [v.to_json() for v in policy.violations],
        "policyWaived": [v.to_json() for v in policy.waived],
        "policyEnvironment": policy.environment,
        "policySource": policy.source,
    }
    if policy.notes:
        document["policyNotes"] = list(policy.notes)
    return document


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

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
    if fn is not None and resource.secret_paths:
        resource = dataclasses.replace(resource, inputs=redact_paths(resource.inputs, resource.secret_paths))
    text = fn(resource) if fn else ""
    if resource.protect:
        text = f"{text}, protected" if text else "protected"
    return text


def _account_lines(plan: Plan) -> list[str]:
    """Where the plan's AWS resources deploy: the stack's account, and each other account with its resources."""
    accounts = resource_accounts(plan)
    if not accounts:
        return []
    default = stack_target(plan.config)
    elsewhere = {urn: t for urn, t in accounts.items() if t != default}
    lines = [f"AWS account: {default.describe()}: {len(accounts) - len(elsewhere)} of {len(accounts)} AWS resources"]
    by_target: dict[Any, list[str]] = {}
    for urn, target in elsewhere.items():
        by_target.setdefault(target, []).append(urn.rsplit("::", 1)[-1])
    for target, names in by_target.items():
        lines.append(f"AWS account: {target.describe()}: {len(names)} AWS resources ({', '.join(sorted(names))})")
    return lines


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


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _resource_count_line(plan: Plan, components: list[PlannedResource]) -> str:
    return f"{_counted(len(plan.custom_resources), 'resource')} in {_counted(len(components), 'component')}"


def render_text(report: PlanReport) -> str:
    plan = report.plan
    mode = "preview (computed values unknown)" if plan.preview else "up (computed values filled by fakes)"
    components = [r for r in plan.resources if not r.custom]
    lines = [
        f"Offline plan of stack {plan.stack!r} (project {plan.project}), {mode}",
        _resource_count_line(plan, components),
        *_account_lines(plan),
        "",
        *_tree_lines(plan),
        "",
        "Resources by type:",
        *(f"  {count:4d}  {t}" for t, count in plan.count_by_type().items()),
    ]
    if plan.outputs:
        outputs = redact_paths(plan.outputs, plan.output_secret_paths)
        lines += ["", "Stack outputs:"]
        lines += [f"  {k}: {json.dumps(v, default=str)}" for k, v in sorted(outputs.items())]
    if plan.diagnostics:
        lines += ["", "Diagnostics:"]
        lines += [f"  {d.severity}: {d.message}" + (f" ({d.urn})" if d.urn else "") for d in plan.diagnostics]
    lines += ["", f"Contract checks against the AWS API models: {len(report.contract_errors)} errors"]
    lines += [f"  {e.render()}" for e in report.contract_errors]
    lines += _kubernetes_lines(report, "  ")
    if report.cost is not None:
        lines += report.cost.lines_text()
    lines += policy_text_lines(report.policy)
    lines += _feature_group_lines(report, "  ")
    lines += _baseline_lines(report, "  ")
    return plan.redactor().text("\n".join(lines) + "\n")


def render_markdown(report: PlanReport) -> str:
    plan = report.plan
    components = [r for r in plan.resources if not r.custom]
    lines = [
        f"### mlplat offline plan: `{plan.stack}`",
        "",
        *(report.cost.lead_markdown() if report.cost is not None else []),
        _resource_count_line(plan, components)
        + (" (preview: computed values unknown)" if plan.preview else ""),
        *(["", *(f"- {line}" for line in _account_lines(plan))] if _account_lines(plan) else []),
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
    # Info too: it says which model package `latest-approved` deploys, which a reviewer must see.
    shown = [d for d in plan.diagnostics if d.severity in ("info", "warning", "error")]
    if shown:
        lines += ["", "**Diagnostics**", ""] + [f"- {d.severity}: {d.message}" for d in shown]
    if report.contract_errors:
        lines += ["", f"**Contract errors ({len(report.contract_errors)})**", ""]
        lines += [f"- `{_short(e.urn)}` {e.operation} `{e.path}`: {e.message}" for e in report.contract_errors]
    else:
        lines += ["", "Contract checks against the AWS API models: no errors."]
    lines += _kubernetes_lines(report, "- ")
    if report.cost is not None:
        lines += report.cost.lines_markdown()
    lines += policy_markdown_lines(report.policy)
    lines += _feature_group_lines(report, "- ")
    lines += _baseline_lines(report, "- ")
    return plan.redactor().text("\n".join(lines) + "\n")


def render_json(report: PlanReport) -> str:
    extra: dict[str, Any] = {"contractErrors": [e.to_json() for e in report.contract_errors]}
    # The account of every AWS resource (null: the deploy's credentials decide).
    extra["accounts"] = {urn: target.account for urn, target in resource_accounts(report.plan).items()}
    if report.policy is not None:
        extra.update(policy_json(report.policy))
    if report.kubernetes is not None:
        extra["kubernetesValidation"] = {
            "schemaVersion": report.kubernetes.schema_version,
            "crdSources": list(report.kubernetes.crd_sources),
            "validated": len(report.kubernetes.validated),
            "problems": [p.to_json() for p in report.kubernetes.problems],
            "skipped": [{"urn": u, "reason": r} for u, r in report.kubernetes.skipped],
        }
    if report.cost is not None:
        extra["costEstimate"] = report.cost.to_json()
    if report.feature_group_findings:
        extra["featureGroupFindings"] = [
            {"severity": f.severity, "urn": f.urn, "message": f.message} for f in report.feature_group_findings
        ]
    if report.baseline_diff is not None:
        extra["baselineDiff"] = report.baseline_diff.to_json()
    # Values at secret paths are `[secret]` already; a secret copied into another value or a message is masked too.
    document = report.plan.redactor().data(report.plan.to_preview_json(**extra))
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"


RENDERERS: dict[str, Callable[[PlanReport], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
