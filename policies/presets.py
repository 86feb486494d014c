"""Enforcement level of every rule per environment, and the pack configuration files.

The levels come from each rule's registration ((dev, prod), as the governance catalogue
docs/GOVERNANCE.md lists them; staging follows prod); per-environment rule config (account allow-lists, ...) from `policies/settings.yaml`. `pack_config(env)` is what `pulumi preview --policy-pack policies --policy-pack-config
policies/config/<env>.json` passes to the engine: each policy's enforcement level, the
environment (so rules need not guess it) and the reviewed waivers from `policies/waivers.yaml`.
`make policy-config` regenerates the files; a test fails when they are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from .rules import ENVIRONMENTS, registered_rules
from .rules._framework import REPORTING_POLICIES

PACKAGE_DIR = Path(__file__).resolve().parent
WAIVERS_FILE = PACKAGE_DIR / "waivers.yaml"
SETTINGS_FILE = PACKAGE_DIR / "settings.yaml"
CONFIG_DIR = PACKAGE_DIR / "config"


def levels(environment: str) -> dict[str, str]:
    """policy name -> enforcement level in `environment`."""
    return {rule.name: rule.level(environment) for rule in registered_rules()}


def load_waivers(path: Path = WAIVERS_FILE) -> dict[str, list[dict[str, Any]]]:
    """Waivers per environment, as written in the reviewed waivers file."""
    if not path.is_file():
        return {env: [] for env in ENVIRONMENTS}
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict) or set(data) - set(ENVIRONMENTS):
        raise ValueError(f"{path}: top-level keys must be among {', '.join(ENVIRONMENTS)}")
    return {env: [_jsonable(w) for w in (data.get(env) or [])] for env in ENVIRONMENTS}


def load_settings(path: Path = SETTINGS_FILE) -> dict[str, dict[str, dict[str, Any]]]:
    """Rule config per environment (rule id -> config), as written in the settings file."""
    if not path.is_file():
        return {env: {} for env in ENVIRONMENTS}
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict) or set(data) - set(ENVIRONMENTS):
        raise ValueError(f"{path}: top-level keys must be among {', '.join(ENVIRONMENTS)}")
    known = {rule.id: rule for rule in registered_rules()}
    settings: dict[str, dict[str, dict[str, Any]]] = {}
    for env in ENVIRONMENTS:
        settings[env] = {}
        for rule_id, config in (data.get(env) or {}).items():
            if rule_id not in known:
                raise ValueError(f"{path}: {env}.{rule_id} names no known rule")
            known[rule_id].config.model_validate(config)  # typed: a typo fails here, not in the engine
            settings[env][rule_id] = dict(config)
    return settings


def _jsonable(waiver: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if k == "expires" else v) for k, v in waiver.items()}


def pack_config(
    environment: str,
    waivers: Optional[list[dict[str, Any]]] = None,
    settings: Optional[dict[str, dict[str, Any]]] = None,
) -> dict[str, Any]:
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    if waivers is None:
        waivers = load_waivers()[environment]
    if settings is None:
        settings = load_settings()[environment]
    config: dict[str, Any] = {}
    for rule in registered_rules():
        config[rule.name] = {
            "enforcementLevel": rule.level(environment), "environment": environment, "waivers": waivers,
            **settings.get(rule.id, {}),
        }
    for name in REPORTING_POLICIES:
        config[name] = {"enforcementLevel": "advisory", "environment": environment, "waivers": waivers}
    return config


def render(config: Mapping[str, Any]) -> str:
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def write_pack_configs(directory: Path = CONFIG_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    waivers, settings = load_waivers(), load_settings()
    written = []
    for env in ENVIRONMENTS:
        path = directory / f"{env}.json"
        path.write_text(render(pack_config(env, waivers[env], settings[env])))
        written.append(path)
    return written
