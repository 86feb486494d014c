"""Meta-tests over the rule registry: ids, names, metadata, levels, presets and case coverage."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from mlplat.policies.pack import all_policies
from mlplat.policies.presets import CONFIG_DIR, levels, pack_config, render
from mlplat.policies.rules import ENVIRONMENTS, registered_rules
from policy_cases import all_cases

RULES = registered_rules()
ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Path(os.environ.get("MLPLAT_GOVERNANCE_MD", ROOT.parent / "shared" / "GOVERNANCE.md"))
LEVEL_LETTERS = {"A": "advisory", "M": "mandatory", "R": "remediate", "D": "disabled"}


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
    path = CONFIG_DIR / f"{env}.json"
    assert path.read_text() == render(pack_config(env)), f"{path} is stale: run `make policy-config`"


def _catalogue_rows():
    if not CATALOGUE.is_file():
        pytest.skip(f"the governance catalogue is not at {CATALOGUE} (set MLPLAT_GOVERNANCE_MD)")
    rows = []
    for line in CATALOGUE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and re.fullmatch(r"MLP-[A-Z0-9]+-\d{2}", cells[0]):
            rows.append(cells)
    return rows


def test_p0_rules_of_the_catalogue_are_registered_with_its_scope_and_levels():
    by_id = {r.id: r for r in RULES}
    for rule_id, scope, _checks, dev_prod, _seen, tier in _catalogue_rows():
        if tier != "P0":
            continue
        assert rule_id in by_id, f"catalogue P0 rule {rule_id} is not implemented"
        rule = by_id[rule_id]
        assert rule.scope == {"res": "resource", "stack": "stack"}[scope], rule_id
        dev, prod = (LEVEL_LETTERS[x] for x in dev_prod.split("/"))
        assert (rule.levels["dev"], rule.levels["prod"]) == (dev, prod), rule_id


def test_frameworks_name_the_catalogue_ids():
    rows = {cells[0]: cells[4] for cells in _catalogue_rows()}
    for rule in RULES:
        seen = rows.get(rule.id, "—")
        for token in re.findall(r"(?:CKV2?_[A-Z0-9_]+|AwsSolutions-[A-Z0-9]+)", seen):
            if ".." in seen:
                continue  # ranges such as CKV_K8S_16..19 are listed individually by the rule
            assert token in rule.frameworks, f"{rule.id} should carry {token}"
