"""Meta-tests over the rule registry: ids, names, metadata, levels, presets and case coverage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlplat.policies.pack import all_policies
from mlplat.policies.pack_folder import PackFolder
from mlplat.policies.presets import levels, pack_config, render
from mlplat.policies.rules import ENVIRONMENTS, registered_rules
from policy_cases import all_cases

RULES = registered_rules()
ROOT = Path(__file__).resolve().parents[2]


def test_ids_and_names_are_unique_and_well_formed():
    ids = [r.id for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(ids)) == len(ids)
    assert len(set(names)) == len(names)
    for rule in RULES:
        assert re.fullmatch(r"MLP-[A-Z0-9]+-\d{2}", rule.id), rule.id
        assert re.fullmatch(r"mlplat(-[a-z0-9]+)+", rule.name), rule.name


def test_every_rule_carries_its_metadata():
    for rule in RULES:
        assert rule.severity in ("low", "medium", "high", "critical"), rule.id
        assert len(rule.description) > 20, rule.id
        assert rule.remediation and all(len(step) > 10 for step in rule.remediation), rule.id
        assert set(rule.levels) == set(ENVIRONMENTS), rule.id
        assert rule.levels["staging"] == rule.levels["prod"], f"{rule.id}: staging carries prod's level"


def test_every_rule_has_a_passing_and_a_failing_case():
    cases = all_cases()
    for rule in RULES:
        kinds = {c.expect for c in cases if c.rule_id == rule.id}
        assert kinds == {"pass", "fail"}, f"{rule.id} needs both a passing and a failing case (has {sorted(kinds)})"
    unknown = {c.rule_id for c in cases} - {r.id for r in RULES}
    assert not unknown, f"cases name unregistered rules: {unknown}"


def test_every_rule_is_in_every_preset():
    policy_names = {p.name for p in all_policies()}
    for env in ENVIRONMENTS:
        preset = levels(env)
        assert set(preset) == {r.name for r in RULES}
        config = pack_config(env, [])
        assert set(config) == policy_names
        assert all(entry["environment"] == env for entry in config.values())


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_committed_pack_configuration_is_current(env):
    reference = PackFolder(ROOT / "policies")  # the reference stacks' pack folder: their waivers and settings
    path = reference.config_file(env)
    assert path.read_text() == render(reference.pack_config(env)), f"{path} is stale: run `make policy-config`"
