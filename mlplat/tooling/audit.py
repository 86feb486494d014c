"""`mlplat audit`: the policy pack over a deployed stack, as `mlplat plan` runs it over a plan.

The deployment is a `pulumi stack export` (the state of the last `pulumi up`) or a
`pulumi preview --refresh --json` (the live view, read without writing state): see `state`.
The same rules, levels, waivers and settings apply as for the stack's plan; the stack file gives
the config the pack reads (the environment, above all).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from .policy_runner import PolicyReport
from .report import policy_json, policy_markdown_lines, policy_text_lines
from .state import Deployment

__all__ = ["AuditReport", "AUDIT_RENDERERS"]


@dataclass
class AuditReport:
    deployment: Deployment
    policy: PolicyReport

    @property
    def failed(self) -> bool:
        return self.policy.failed

    def heading(self) -> str:
        plan = self.deployment.plan
        return (f"Audit of stack {plan.stack!r} from the {self.deployment.source} {self.deployment.path}: "
                f"{len(plan.custom_resources)} resources")


def render_text(report: AuditReport) -> str:
    lines = [report.heading(), *policy_text_lines(report.policy)]
    return report.deployment.plan.redactor().text("\n".join(lines) + "\n")


def render_markdown(report: AuditReport) -> str:
    plan = report.deployment.plan
    lines = [f"### mlplat audit: `{plan.stack}`", "", report.heading(), *policy_markdown_lines(report.policy)]
    return plan.redactor().text("\n".join(lines) + "\n")


def render_json(report: AuditReport) -> str:
    plan = report.deployment.plan
    document: dict[str, Any] = {
        "stack": plan.stack,
        "source": report.deployment.source,
        "file": str(report.deployment.path),
        "resources": len(plan.custom_resources),
        **policy_json(report.policy),
    }
    return json.dumps(plan.redactor().data(document), indent=2) + "\n"


AUDIT_RENDERERS: dict[str, Callable[[AuditReport], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}

