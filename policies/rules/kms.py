"""KMS keys (MLP-KMS-01, MLP-KMS-02): rotation and safe key policies."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from ._documents import is_unconditioned_public_allow, statements
from ._framework import Finding, ResourceView, RuleContext, resource_rule

__all__ = ["key_policy_safe", "KEY_POLICY_TYPE", "key_rotation", "KEY_TYPE"]

KEY_TYPE = "aws:kms/key:Key"
KEY_POLICY_TYPE = "aws:kms/keyPolicy:KeyPolicy"


def _symmetric(r: ResourceView) -> bool:
    return r.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and r.get(
        "keyUsage", "ENCRYPT_DECRYPT"
    ) == "ENCRYPT_DECRYPT"


def _turn_rotation_on(r: ResourceView, cfg: Any, ctx: RuleContext) -> Optional[Mapping[str, Any]]:
    if _symmetric(r) and r.get("enableKeyRotation") is not True:
        return {**dict(r.props), "enableKeyRotation": True}
    return None


@resource_rule(
    id="MLP-KMS-01", name="mlplat-kms-key-rotation-enabled", severity="high",
    description="Symmetric customer-managed keys rotate their key material",
    remediation=("Set enable_key_rotation=True on the aws.kms.Key (remediated automatically where the level is remediate).",),
    frameworks=("AwsSolutions-KMS5", "CKV_AWS_7", "NIST-800-53:SC-12"), levels=("remediate", "mandatory"),
    types=(KEY_TYPE,), remediate=_turn_rotation_on,
)
def key_rotation(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    if _symmetric(r) and r.get("enableKeyRotation") is not True:
        yield Finding(f"key {r.name} does not rotate (enableKeyRotation is {r.get('enableKeyRotation')!r})")


@resource_rule(
    id="MLP-KMS-02", name="mlplat-kms-key-policy-safe", severity="critical",
    description='Key policies keep the lockout safety check and allow no unconditioned Principal "*"',
    remediation=(
        "Remove bypass_policy_lockout_safety_check=True.",
        'Replace Principal "*" allows with named principals, or narrow them with kms:CallerAccount/aws:SourceAccount conditions.',
    ),
    frameworks=("CKV_AWS_33", "NIST-800-53:AC-6"), levels=("mandatory", "mandatory"), types=(KEY_TYPE, KEY_POLICY_TYPE),
)
def key_policy_safe(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    if r.get("bypassPolicyLockoutSafetyCheck") is True:
        yield Finding(f"{r.name} bypasses the key policy lockout safety check")
    for statement in statements(r.json("policy")):
        if is_unconditioned_public_allow(statement):
            yield Finding(f'{r.name} key policy allows Principal "*" without a condition (statement {statement.label})')
