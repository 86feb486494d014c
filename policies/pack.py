"""The mlplat policy pack: every registered rule as a CrossGuard policy, plus waiver reporting.

A project runs it from its pack folder (`mlplat.policies.pack_folder`), whose `__main__.py` calls
`serve(folder)`: the rules come from the installed library, the waivers and settings from the folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from pulumi_policy import EnforcementLevel, PolicyPack

from mlplat.core.errors import ConfigError

from .pack_folder import PackFolder
from .rules import registered_rules
from .rules._framework import reporting_policies, to_policy, told_environment

__all__ = ["DEFAULT_ENFORCEMENT", "DESCRIPTION", "PACK_NAME", "all_policies", "initial_config", "serve"]

PACK_NAME = "mlplat"
DESCRIPTION = "mlplat governance: storage, keys, identity, ML services, clusters and workloads (docs/GOVERNANCE.md)"
# Policies carry prod's level by default: a stack whose environment cannot be told is prod.
DEFAULT_ENFORCEMENT = EnforcementLevel.ADVISORY


def all_policies() -> list:
    rules = registered_rules()
    return [to_policy(rule) for rule in rules] + reporting_policies(rules)


def initial_config(folder: PackFolder, environment: Optional[str]) -> Optional[dict[str, Any]]:
    """The pack's initial configuration: `folder`'s levels, waivers and settings for `environment`.

    The engine layers a `--policy-pack-config` file over it, so a file still decides; without one,
    the stack gets its environment's levels, waivers and settings instead of prod's defaults. None
    (the policies' defaults) when the environment is not known."""
    folder.check()  # a missing or malformed waivers.yaml / settings.yaml fails the pack, never reads as empty
    if environment is None:
        return None
    config = folder.pack_config(environment)
    return {name: {**entry, "enforcementLevel": EnforcementLevel(entry["enforcementLevel"])} for name, entry in config.items()}


def serve(folder: Path | str) -> None:
    """Serve the pack to the Pulumi engine with `folder`'s waivers and settings (a pack folder's
    `__main__.py` calls this). The environment is the one the stack's `ml-platform:platform` config
    or the stack's name tells at start; stack tags and a config file are read later, as usual."""
    try:
        pack = PackFolder.open(folder)
        told = told_environment({}, {})
        initial = initial_config(pack, told[0] if told else None)
    except ConfigError as exc:
        raise SystemExit(f"mlplat policy pack {folder}: {exc}") from None
    PolicyPack(
        name=PACK_NAME, policies=all_policies(), enforcement_level=DEFAULT_ENFORCEMENT, description=DESCRIPTION,
        initial_config=initial,
    )
