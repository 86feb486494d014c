"""Identity (MLP-IAM-01..04): least-privilege policies, no admin managed policies, safe trust."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from pydantic import Field

from ._documents import Statement, allow_statements
from ._framework import Finding, ResourceView, RuleConfig, RuleContext, resource_rule, stack_rule
from ._iam_catalog import accepts_no_resource, matches

ROLE_TYPE = "aws:iam/role:Role"
# Types whose `policy` prop is an identity-based policy document.
IDENTITY_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
)


def identity_documents(r: ResourceView) -> list[tuple[str, Any]]:
    """(where, document) for every identity policy a resource carries."""
    if r.type in IDENTITY_POLICY_TYPES:
        return [("policy", r.json("policy"))]
    if r.type == ROLE_TYPE:
        found = []
        for index, inline in enumerate(r.get("inlinePolicies") or []):
            document = inline.get("policy")
            found.append((f"inlinePolicies[{index}]", ResourceView(r.type, r.name, r.urn, {"p": document}).json("p")))
        return found
    return []


def _wildcard_findings(where: str, statement: Statement) -> Iterable[Finding]:
    label = statement.label
    if statement.not_actions:
        yield Finding(f"{where} statement {label} allows NotAction {', '.join(statement.not_actions)} (everything else)", key="NotAction")
    for action in statement.actions:
        if "*" in action:
            yield Finding(f"{where} statement {label} allows wildcard action {action}", key=action)
    if "*" in statement.resources:
        needing_arns = [a for a in statement.actions if "*" not in a and not accepts_no_resource(a)]
        if needing_arns:
            yield Finding(
                f"{where} statement {label} allows {', '.join(needing_arns)} on Resource \"*\" (they accept resource ARNs)",
                key="Resource:*",
            )


@resource_rule(
    id="MLP-IAM-01", name="mlplat-iam-no-wildcard-permissions", severity="high",
    description="Allow statements name exact actions and resources; one finding per wildcard",
    remediation=(
        "List the exact actions instead of service:* or *.",
        'Scope Resource to ARNs; "*" is accepted only for actions that take no resource ARN (from the IAM service definitions).',
    ),
    frameworks=("AwsSolutions-IAM5", "CKV_AWS_63", "NIST-800-53:AC-6"), levels=("advisory", "mandatory"),
    types=IDENTITY_POLICY_TYPES + (ROLE_TYPE,),
)
def no_wildcards(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for where, document in identity_documents(r):
        for statement in allow_statements(document):
            yield from _wildcard_findings(where, statement)


class AdminPolicyConfig(RuleConfig):
    forbidden_policy_patterns: list[str] = Field(
        default_factory=lambda: [r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$", r"FullAccess"],
        description="Regexes of managed policy ARNs that no role may carry.",
    )


@stack_rule(
    id="MLP-IAM-02", name="mlplat-iam-no-admin-managed-policies", severity="critical",
    description="Roles carry no AdministratorAccess or *FullAccess managed policies",
    remediation=("Replace the managed policy with an inline or customer-managed policy listing the exact actions needed.",),
    frameworks=("AwsSolutions-IAM4", "NIST-800-53:AC-6"), levels=("advisory", "mandatory"), config=AdminPolicyConfig,
)
def no_admin_policies(views: list[ResourceView], cfg: AdminPolicyConfig, ctx: RuleContext) -> Iterable[Finding]:
    patterns = [re.compile(p) for p in cfg.forbidden_policy_patterns]

    def forbidden(arn: Any) -> bool:
        return isinstance(arn, str) and any(p.search(arn) for p in patterns)

    for view in views:
        arns: list[Any] = []
        if view.type == ROLE_TYPE:
            arns = list(view.known("managedPolicyArns") or [])
        elif view.type in ATTACHMENT_TYPES:
            arns = [view.known("policyArn")] + list(view.known("policyArns") or [])
        for arn in arns:
            if forbidden(arn):
                yield Finding(f"{view.name} attaches the managed policy {arn}", view.urn, key=str(arn))


def _assume_statements(document: Any) -> list[Statement]:
    return [s for s in allow_statements(document) if any(matches(a, "sts:AssumeRole") or a.lower().startswith("sts:assumerole") for a in s.actions)]


@resource_rule(
    id="MLP-IAM-03", name="mlplat-iam-trust-policy-constrained", severity="critical",
    description='Trust policies name a service, an account principal or a constrained OIDC subject, never "*"',
    remediation=(
        'Name the trusted principal instead of "*".',
        "For web identity (IRSA), add StringEquals conditions on '<provider>:sub' (the exact service account) and '<provider>:aud'.",
    ),
    frameworks=("CKV_AWS_60", "NIST-800-53:AC-6"), levels=("mandatory", "mandatory"), types=(ROLE_TYPE,),
)
def trust_constrained(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for statement in _assume_statements(r.json("assumeRolePolicy")):
        label = statement.label
        if statement.has_star_principal:
            yield Finding(f"trust statement {label} lets Principal \"*\" assume {r.name}")
        for provider in statement.principal_values("Federated"):
            subject_keys = [k for block in statement.conditions.values() if isinstance(block, Mapping) for k in block if k.endswith(":sub")]
            values = [v for k in subject_keys for v in statement.condition_value(k)]
            if not values:
                yield Finding(f"trust statement {label} trusts {provider} without a condition on the token subject (:sub)")
            elif any(v == "*" or str(v).endswith(":*") for v in values):
                yield Finding(f"trust statement {label} trusts {provider} for any subject ({', '.join(map(str, values))})")


@resource_rule(
    id="MLP-IAM-04", name="mlplat-iam-passrole-scoped", severity="high",
    description="iam:PassRole is allowed only on specific role ARNs, and iam:* is never allowed",
    remediation=("Allow iam:PassRole on the exact role ARNs the service needs, with an iam:PassedToService condition.",),
    frameworks=("CKV_AWS_286", "NIST-800-53:AC-6"), levels=("advisory", "mandatory"), types=IDENTITY_POLICY_TYPES + (ROLE_TYPE,),
)
def passrole_scoped(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for where, document in identity_documents(r):
        for statement in allow_statements(document):
            label = statement.label
            for action in statement.actions:
                if action.lower() in ("iam:*", "*"):
                    yield Finding(f"{where} statement {label} allows {action} (includes every IAM action)", key=action)
            grants_pass = any(matches(a, "iam:PassRole") for a in statement.actions)
            if grants_pass:
                loose = [res for res in statement.resources if "*" in res.split(":role/", 1)[-1] or ":role/" not in res]
                if loose:
                    yield Finding(f"{where} statement {label} allows iam:PassRole on {', '.join(loose)}", key="iam:PassRole")


__all__ = ["identity_documents"]
