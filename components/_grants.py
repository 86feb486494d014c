"""Grants: a component attaches one least-privilege role policy per (target, access, role).

The components' `grant_*` methods build their policy document (pure, in each component) and
leave the shared part here: the role must be a role resource, and each grant is declared once.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from . import _iam
from mlplat.core.errors import WiringError


def require_role(method: str, role: Any) -> None:
    """`method` names the call in errors, e.g. `ArtifactStore 'store'.grant_read`."""
    if not isinstance(role, aws.iam.Role):
        raise WiringError(
            f"{method} needs an aws.iam.Role resource (so the grant can attach a policy to it), "
            f"got {type(role).__name__}: {role!r}"
        )


def attach_grant(
    owner: pulumi.ComponentResource, grants: set[str], name: str, role: aws.iam.Role, document: Any, *, duplicate: str
) -> aws.iam.RolePolicy:
    """The role policy `name` under `owner`; `duplicate` is the error when `name` was granted already."""
    if name in grants:
        raise WiringError(duplicate)
    grants.add(name)
    return aws.iam.RolePolicy(name, role=role.name, policy=_iam.to_json(document), opts=pulumi.ResourceOptions(parent=owner))
