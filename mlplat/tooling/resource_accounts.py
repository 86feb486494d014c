"""Which AWS account each planned resource deploys into, as the provider settings say.

A resource with an explicit AWS provider is in that provider's account (`allowedAccountIds`, else the account of its
first `assumeRoles` role); any other AWS resource is in the stack's account (`aws:allowedAccountIds`, else the
account of `aws:assumeRoles`' role); without either the account is whatever the credentials of `pulumi up` are,
which a plan cannot tell (`None`). Components and other providers' resources have no account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from ..core.config_values import structured
from .plan import Plan

__all__ = ["AccountTarget", "resource_accounts", "stack_target"]

_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/")
_AWS_PROVIDER = "pulumi:providers:aws"


@dataclass(frozen=True)
class AccountTarget:
    """An account and how the provider settings name it."""

    account: Optional[str]
    role: Optional[str] = None  # the role the provider assumes, if any

    def describe(self) -> str:
        if self.account is None:
            return "the account of the deploy's credentials (neither aws:allowedAccountIds nor aws:assumeRoles is set)"
        return self.account + (f" (assuming {self.role})" if self.role else "")


def _target(allowed: Any, roles: Any) -> AccountTarget:
    allowed, roles = structured(allowed), structured(roles)
    role = None
    if isinstance(roles, list) and roles and isinstance(roles[0], Mapping):
        role = roles[0].get("roleArn") if isinstance(roles[0].get("roleArn"), str) else None
    listed = allowed if isinstance(allowed, list) else [allowed] if allowed is not None else []
    accounts = [str(a) for a in listed if _ACCOUNT.match(str(a))]
    if len(accounts) == 1:
        return AccountTarget(accounts[0], role)
    match = _ROLE_ACCOUNT.match(role or "")
    return AccountTarget(match.group(1) if match else None, role)


def stack_target(config: Mapping[str, Any]) -> AccountTarget:
    """The default provider's account, from the stack config."""
    return _target(config.get("aws:allowedAccountIds"), config.get("aws:assumeRoles"))


def resource_accounts(plan: Plan) -> dict[str, AccountTarget]:
    """URN -> the account of every AWS resource of the plan."""
    default = stack_target(plan.config)
    providers = {r.urn: _target(r.inputs.get("allowedAccountIds"), r.inputs.get("assumeRoles"))
                 for r in plan.resources if r.type == _AWS_PROVIDER}
    found: dict[str, AccountTarget] = {}
    for r in plan.resources:
        if not r.custom or not r.type.startswith("aws:"):
            continue
        provider_urn = (r.provider or "").rsplit("::", 1)[0] if r.provider else None
        explicit = providers.get(provider_urn) if provider_urn else None
        found[r.urn] = explicit if explicit is not None and explicit.account is not None else default
    return found
