"""KMS: the key is enabled, its rotation and its policy are as the state says."""

from __future__ import annotations

from typing import Iterable

from ._core import Context, Finding, canonical, checks, read

__all__ = ["key"]


@checks("aws:kms/key:Key")
def key(context: Context) -> Iterable[Finding]:
    kms = context.clients.client("kms")
    key_id = context.value("keyId") or context.resource.id
    what = f"KMS key {key_id}"
    metadata = read(context, what, lambda: kms.describe_key(KeyId=key_id), missing_codes=("NotFoundException",))["KeyMetadata"]
    findings = []
    if metadata.get("KeyState") != "Enabled":
        return [context.finding("key state", "unhealthy", "Enabled", metadata.get("KeyState"))]
    rotation = read(context, what, lambda: kms.get_key_rotation_status(KeyId=key_id))
    findings += context.differs("key rotation", context.value("enableKeyRotation", default=False),
                                rotation.get("KeyRotationEnabled"))
    expected = context.value("policy")
    if expected is not None:
        live = read(context, what, lambda: kms.get_key_policy(KeyId=key_id, PolicyName="default"))["Policy"]
        if canonical(expected) != canonical(live):
            findings.append(context.finding("key policy", "differs", canonical(expected), canonical(live)))
    return findings
