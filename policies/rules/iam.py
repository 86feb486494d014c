"""Identity (MLP-IAM-01..05): least-privilege policies, no admin managed policies, safe trust and
resource policies, no long-lived IAM users.

Identity policies are read wherever a resource embeds one (`_documents.IDENTITY_POLICY_PROPS`:
customer-managed policies, role, user and group policies, SSO permission set inline policies, and a
role's inline policies); managed policies wherever they are attached (roles, users, groups,
exclusive attachments, SSO permission sets)."""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

from pydantic import Field

from ._documents import (
    IDENTITY_POLICY_PROPS,
    RESOURCE_POLICY_PROPS,
    ROLE_TYPE,
    Statement,
    allow_statements,
    is_unconditioned_public_allow,
    statements,
)
from ._framework import Finding, ResourceView, RuleConfig, RuleContext, resource_rule, stack_rule
from ._iam_catalog import accepts_no_resource, matches

IDENTITY_POLICY_TYPES = tuple(IDENTITY_POLICY_PROPS)
RESOURCE_POLICY_TYPES = tuple(RESOURCE_POLICY_PROPS)
# Where managed policies are attached, and the props naming them.
MANAGED_POLICY_PROPS: dict[str, tuple[str, ...]] = {
    ROLE_TYPE: ("managedPolicyArns",),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn",),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn",),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn",),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn",),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns",),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ("policyArns",),
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": ("policyArns",),
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": ("managedPolicyArn",),
}
ATTACHMENT_TYPES = tuple(t for t in MANAGED_POLICY_PROPS if t != ROLE_TYPE)


def managed_policy_arns(r: ResourceView) -> list[Any]:
    """The managed policy ARNs a role or an attachment names (known values only)."""
    arns: list[Any] = []
    for prop in MANAGED_POLICY_PROPS.get(r.type, ()):
        value = r.known(prop)
        if isinstance(value, str):
            arns.append(value)
        elif isinstance(value, Sequence):
            arns.extend(list(value))
    return arns


def identity_documents(r: ResourceView) -> list[tuple[str, Any]]:
    """(where, document) for every identity policy a resource carries."""
    if r.type in IDENTITY_POLICY_PROPS:
        prop = IDENTITY_POLICY_PROPS[r.type]
        return [(prop, r.json(prop))]
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
    description=(
        "Roles, users, groups and SSO permission sets carry no AdministratorAccess or *FullAccess managed policies "
        "(managedPolicyArns and every kind of policy attachment)"
    ),
    remediation=("Replace the managed policy with an inline or customer-managed policy listing the exact actions needed.",),
    frameworks=("AwsSolutions-IAM4", "NIST-800-53:AC-6"), levels=("advisory", "mandatory"), config=AdminPolicyConfig,
)
def no_admin_policies(views: list[ResourceView], cfg: AdminPolicyConfig, ctx: RuleContext) -> Iterable[Finding]:
    patterns = [re.compile(p) for p in cfg.forbidden_policy_patterns]

    def forbidden(arn: Any) -> bool:
        return isinstance(arn, str) and any(p.search(arn) for p in patterns)

    for view in views:
        if view.type not in MANAGED_POLICY_PROPS:
            continue
        for arn in managed_policy_arns(view):
            if forbidden(arn):
                yield Finding(f"{view.name} attaches the managed policy {arn}", view.urn, key=str(arn))


def _assume_statements(document: Any) -> list[Statement]:
    return [s for s in allow_statements(document) if any(matches(a, "sts:AssumeRole") or a.lower().startswith("sts:assumerole") for a in s.actions)]


@resource_rule(
    id="MLP-IAM-03", name="mlplat-iam-trust-policy-constrained", severity="critical",
    description=(
        'Trust policies name a service, an account principal or a constrained OIDC subject, never "*"; resource policies '
        "(SNS, SQS, Secrets Manager, CloudWatch Logs, EventBridge buses, Glue, EFS, Backup, OpenSearch, ECR registry, "
        'S3 access points, API Gateway) allow no Principal "*" (or NotPrincipal) unless a condition narrows it to an '
        "organization, account, VPC, endpoint or source"
    ),
    remediation=(
        'Name the trusted principal instead of "*".',
        "For web identity (IRSA), add StringEquals conditions on '<provider>:sub' (the exact service account) and '<provider>:aud'.",
        'In a resource policy, name the principals, or keep "*" with a StringEquals condition on aws:PrincipalOrgID, '
        "aws:SourceAccount, aws:SourceVpce (or another key naming who may act) and a literal value.",
    ),
    frameworks=("CKV_AWS_60", "NIST-800-53:AC-6", "NIST-800-53:AC-3"), levels=("mandatory", "mandatory"),
    types=(ROLE_TYPE, *RESOURCE_POLICY_TYPES),
)
def trust_constrained(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    if r.type in RESOURCE_POLICY_PROPS:
        prop = RESOURCE_POLICY_PROPS[r.type]
        for statement in statements(r.json(prop)):
            if is_unconditioned_public_allow(statement):
                who = 'NotPrincipal (everyone but the listed principals)' if statement.allows_everyone_but else 'Principal "*"'
                yield Finding(f"{prop} statement {statement.label} allows {who} without a condition naming who may act",
                              key=f"public:{statement.label}")
        return
    for statement in _assume_statements(r.json("assumeRolePolicy")):
        label = statement.label
        if statement.has_star_principal or statement.allows_everyone_but:
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


# --- MLP-IAM-05 ------------------------------------------------------------------------------

USER_TYPE = "aws:iam/user:User"
# Long-lived credentials and the things that only exist for IAM users.
USER_CREDENTIAL_TYPES = (
    "aws:iam/accessKey:AccessKey",
    "aws:iam/userLoginProfile:UserLoginProfile",
    "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
    "aws:iam/signingCertificate:SigningCertificate",
    "aws:iam/sshKey:SshKey",
)


@resource_rule(
    id="MLP-IAM-05", name="mlplat-iam-no-users-or-access-keys", severity="high",
    description=(
        "Platform stacks declare no IAM users and no long-lived user credentials (access keys, console login profiles, "
        "service-specific credentials, signing certificates, SSH keys): people sign in through IAM Identity Center, "
        "workloads use roles"
    ),
    remediation=(
        "Remove the aws.iam.User and its credentials; give people access through IAM Identity Center permission sets.",
        "Give workloads a role instead: SageMaker execution roles, IRSA / EKS Pod Identity for pods, OIDC federation for CI.",
        "A user that must stay (a vendor integration without role support) needs a reviewed waiver naming it.",
    ),
    frameworks=("CKV_AWS_273", "NIST-800-53:IA-2", "NIST-800-53:AC-2"), levels=("advisory", "mandatory"),
    types=(USER_TYPE, *USER_CREDENTIAL_TYPES),
)
def no_users(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    if r.type == USER_TYPE:
        name = r.known("name")
        yield Finding(f"IAM user {name if isinstance(name, str) else r.name} is declared: people use IAM Identity Center, workloads roles",
                      key="user")
    else:
        kind = r.type.rsplit(":", 1)[-1]
        yield Finding(f"{kind} {r.name} is a long-lived IAM user credential", key=kind)


__all__ = [
    "ATTACHMENT_TYPES", "IDENTITY_POLICY_TYPES", "MANAGED_POLICY_PROPS", "RESOURCE_POLICY_TYPES", "USER_CREDENTIAL_TYPES",
    "identity_documents", "managed_policy_arns",
]
