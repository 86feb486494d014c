"""ECR (MLP-ECR-01, 02): hardened repositories and no public repository policies.

Props (pulumi-aws 7, camelCase): `aws:ecr/repository:Repository` has `imageTagMutability`
(MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION; the provider's default is
MUTABLE), `imageScanningConfiguration.scanOnPush` and `encryptionConfigurations[].encryptionType`
(AES256, the default, or KMS) with `kmsKey`; `aws:ecr/repositoryPolicy:RepositoryPolicy` has
`policy` (JSON).

IMMUTABLE_WITH_EXCLUSION keeps the tags matching its exclusion filters mutable, so it is not
accepted by default; a reviewed pack configuration may add it to `allowed_tag_mutability`.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from pydantic import Field

from ._documents import is_unconditioned_star_allow, not_principal_allow_labels, statements
from ._framework import Finding, ResourceView, RuleConfig, RuleContext, resource_rule
from ._framework import MISSING as _MISSING, UNKNOWN as _UNKNOWN, state as _state

__all__ = [
    "repository_hardened",
    "repository_policy_not_public",
    "REPOSITORY_POLICY_TYPE",
    "REPOSITORY_TYPE",
    "RepositoryConfig",
]

REPOSITORY_TYPE = "aws:ecr/repository:Repository"
REPOSITORY_POLICY_TYPE = "aws:ecr/repositoryPolicy:RepositoryPolicy"

class RepositoryConfig(RuleConfig):
    allowed_tag_mutability: list[str] = Field(
        default_factory=lambda: ["IMMUTABLE"],
        description="Accepted imageTagMutability values. Omitted: IMMUTABLE only (IMMUTABLE_WITH_EXCLUSION leaves the "
        "excluded tags mutable; add it only after review).",
    )


@resource_rule(
    id="MLP-ECR-01", name="mlplat-ecr-repository-require-immutable-scanned-kms", severity="high",
    description=(
        "ECR repositories have immutable tags (imageTagMutability IMMUTABLE), scan images on push "
        "(imageScanningConfiguration.scanOnPush) and encrypt with KMS (encryptionConfigurations[].encryptionType KMS)"
    ),
    remediation=(
        "Set image_tag_mutability='IMMUTABLE' (tags cannot be moved to another image).",
        "Set image_scanning_configuration={'scan_on_push': True}.",
        "Set encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': <the models key ARN>}] (mlplat: ModelRegistry does all three); "
        "encryption is fixed at creation, so this replaces an existing repository.",
    ),
    frameworks=("CKV_AWS_51", "CKV_AWS_163", "CKV_AWS_136", "NIST-800-53:SC-28", "NIST-800-53:RA-5"),
    levels=("advisory", "mandatory"), types=(REPOSITORY_TYPE,), config=RepositoryConfig,
)
def repository_hardened(r: ResourceView, cfg: RepositoryConfig, ctx: RuleContext) -> Iterable[Finding]:
    mutability = _state(r, "imageTagMutability")
    if mutability is _UNKNOWN:
        yield Finding(f"repository {r.name}: imageTagMutability is unknown until apply", unverified=True)
    elif mutability not in cfg.allowed_tag_mutability:
        shown = "not set (the provider's default is MUTABLE)" if mutability is _MISSING else repr(mutability)
        yield Finding(
            f"repository {r.name}: image tags are mutable (imageTagMutability is {shown}; allowed: {', '.join(cfg.allowed_tag_mutability)})",
            key="mutability",
        )
    scan = _state(r, "imageScanningConfiguration.scanOnPush")
    if scan is _UNKNOWN:
        yield Finding(f"repository {r.name}: scanOnPush is unknown until apply", unverified=True)
    elif scan is not True:
        yield Finding(f"repository {r.name} does not scan images on push (imageScanningConfiguration.scanOnPush is {scan if scan is not _MISSING else 'not set'})", key="scan")
    configs = _state(r, "encryptionConfigurations")
    if configs is _UNKNOWN:
        yield Finding(f"repository {r.name}: encryptionConfigurations are unknown until apply", unverified=True)
        return
    types = []
    if isinstance(configs, Sequence) and not isinstance(configs, str):
        for index in range(len(configs)):
            types.append(_state(r, f"encryptionConfigurations.{index}.encryptionType"))
    if "KMS" not in types and _UNKNOWN not in types:
        shown = ", ".join(t for t in types if isinstance(t, str)) or "not set (the default is AES256)"
        yield Finding(f"repository {r.name} does not encrypt with KMS (encryptionType is {shown})", key="kms")


@resource_rule(
    id="MLP-ECR-02", name="mlplat-ecr-repositorypolicy-disallow-public-principal", severity="critical",
    description='ECR repository policies allow no Principal "*" unless a condition narrows it to specific accounts, organizations or endpoints',
    remediation=(
        'Replace Principal "*" with the consumer accounts (arn:aws:iam::<account>:root) that pull the images.',
        "If every account of the organization must pull, keep \"*\" with an aws:PrincipalOrgID condition.",
    ),
    frameworks=("AwsSolutions-ECR1", "NIST-800-53:AC-3"), levels=("mandatory", "mandatory"), types=(REPOSITORY_POLICY_TYPE,),
)
def repository_policy_not_public(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    document = r.json("policy")
    for statement in statements(document):
        if is_unconditioned_star_allow(statement):
            actions = ", ".join(statement.actions) or "NotAction"
            yield Finding(
                f'repository policy {r.name} statement {statement.label} allows Principal "*" ({actions}) without a narrowing condition',
                key=statement.label,
            )
    for label in not_principal_allow_labels(document):
        yield Finding(
            f"repository policy {r.name} statement {label} allows with NotPrincipal (everyone but the listed principals)",
            key="NotPrincipal",
        )
