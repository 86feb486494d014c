"""Enforcement level of every rule per environment, and the pack configuration they make.

The levels come from each rule's registration ((dev, prod), as the governance catalogue
docs/GOVERNANCE.md lists them; staging follows prod). `pack_config(env, waivers, settings)` is the
`--policy-pack-config` document of one environment: each policy's enforcement level, the
environment (so rules need not guess it), the reviewed waivers and the per-rule settings. Waivers
and settings belong to the project and are read from its pack folder (`mlplat.policies.pack_folder`);
without them the rules' defaults apply.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Sequence

from .rules import ENVIRONMENTS, registered_rules
from .rules._framework import REPORTING_POLICIES

__all__ = ["levels", "pack_config", "render"]


def levels(environment: str) -> dict[str, str]:
    """policy name -> enforcement level in `environment`."""
    return {rule.name: rule.level(environment) for rule in registered_rules()}


def pack_config(
    environment: str,
    waivers: Optional[Sequence[Mapping[str, Any]]] = None,
    settings: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> dict[str, Any]:
    """The pack configuration of `environment`: levels, `waivers` (none when omitted) and `settings`
    (rule id -> that rule's config; the rules' defaults when omitted)."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    waiver_list = [dict(w) for w in waivers or ()]
    settings = settings or {}
    config: dict[str, Any] = {}
    for rule in registered_rules():
        config[rule.name] = {
            "enforcementLevel": rule.level(environment), "environment": environment, "waivers": waiver_list,
            **settings.get(rule.id, {}),
        }
    for name in REPORTING_POLICIES:
        config[name] = {"enforcementLevel": "advisory", "environment": environment, "waivers": waiver_list}
    return config


def render(config: Mapping[str, Any]) -> str:
    """The JSON text of a pack configuration, as `mlplat policy-config` writes it."""
    return json.dumps(config, indent=2, sort_keys=True) + "\n"
