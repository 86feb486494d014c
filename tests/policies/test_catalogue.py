"""The governance catalogue: every P0 rule is implemented as the catalogue says, every rule is in it,
and docs/GOVERNANCE.md is what `mlplat rules` generates."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from mlplat.core.errors import ConfigError
from mlplat.policies.catalogue import load_catalogue, read_catalogue_file, render_markdown
from mlplat.policies.rules import registered_rules
from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main

ROOT = Path(__file__).resolve().parents[2]
GOVERNANCE_MD = ROOT / "docs" / "GOVERNANCE.md"
CATALOGUE = load_catalogue()


def test_every_p0_rule_of_the_catalogue_is_implemented():
    p0 = [item for item in CATALOGUE.rules if item.entry.tier == "P0"]
    assert len(p0) >= 40
    assert [item.id for item in p0 if item.rule is None] == []


def test_implemented_rules_meet_their_catalogue_entry():
    for item in CATALOGUE.rules:
        rule = item.rule
        if rule is None:
            assert item.entry.checks, f"{item.id}: a planned rule says what it will check"
            continue
        target = item.entry
        assert rule.scope == target.scope, item.id
        assert (rule.levels["dev"], rule.levels["prod"]) == (target.levels.dev, target.levels.prod), item.id
        assert rule.levels["staging"] == rule.levels["prod"], item.id
        missing = [seen for seen in target.seen_in if seen not in rule.frameworks]
        assert missing == [], f"{item.id} should carry the catalogue's 'seen in' ids {missing} in its frameworks"
        assert target.checks is None, f"{item.id} is implemented: its description replaces the catalogue's `checks`"


def test_the_catalogue_lists_every_registered_rule_once():
    listed = [item.id for item in CATALOGUE.rules]
    assert len(listed) == len(set(listed))
    assert {rule.id for rule in registered_rules()} <= set(listed)


def test_a_rule_missing_from_the_catalogue_or_listed_twice_is_an_error():
    rules = registered_rules()
    unlisted = dataclasses.replace(rules[0], id="MLP-NEW-01", name="mlplat-new-rule")
    with pytest.raises(ConfigError) as raised:
        load_catalogue(rules=[*rules, unlisted])
    assert raised.value.problems[0].render() == (
        "catalogue.sections: 'MLP-NEW-01' is a registered rule without a catalogue entry (add it to a section)"
    )
    data = read_catalogue_file()
    first = data.sections[0]
    doubled = data.model_copy(update={"sections": (first.model_copy(update={"rules": (*first.rules, first.rules[0])}),
                                                   *data.sections[1:])})
    with pytest.raises(ConfigError, match=rf"catalogue\.sections\.0\.rules\.{len(first.rules)}\.id: 'MLP-S3-01' is listed twice"):
        load_catalogue(doubled)


def test_a_malformed_catalogue_names_the_entry():
    text = """
introduction: x
sections:
  - title: Storage
    rules:
      - {id: MLP-S3-01, tier: P0, scope: stack, levels: {dev: advisory, prod: mandatory}}
      - {id: MLP-S3-09, tier: P2, scope: stack, levels: {dev: sometimes, prod: mandatory}, checks: x}
"""
    with pytest.raises(ConfigError) as raised:
        read_catalogue_file(text)
    assert set(raised.value.paths) == {"catalogue.sections.0.rules.1.tier", "catalogue.sections.0.rules.1.levels.dev"}


def test_docs_governance_md_is_current():
    assert GOVERNANCE_MD.read_text() == render_markdown(CATALOGUE), "docs/GOVERNANCE.md is stale: run `make docs`"


def test_the_document_shows_each_rules_own_metadata_and_the_planned_rules():
    text = GOVERNANCE_MD.read_text()
    for rule in registered_rules():
        section = text.split(f"### {rule.id} `{rule.name}`\n", 1)[1].split("\n### ", 1)[0]
        assert rule.description in section, rule.id
        assert all(step in section for step in rule.remediation), rule.id
        assert f"- levels: dev {rule.levels['dev']}, staging {rule.levels['staging']}, prod {rule.levels['prod']}" in section
    for item in CATALOGUE.rules:
        if item.rule is None:
            assert f"### {item.id} (planned, {item.entry.tier})\n\n{item.entry.checks}\n" in text


def test_rules_command_prints_json_and_writes_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)["rules"]
    by_id = {rule["id"]: rule for rule in rules}
    assert {r.id for r in registered_rules()} == {i for i, rule in by_id.items() if rule["status"] == "implemented"}
    kms = by_id["MLP-KMS-01"]
    assert (kms["name"], kms["levels"]) == ("mlplat-kms-key-rotation-enabled",
                                            {"dev": "remediate", "staging": "mandatory", "prod": "mandatory"})
    assert by_id["MLP-EKS-03"]["config"]["required_log_types"]["default"] == ["api", "audit", "authenticator"]
    assert (by_id["MLP-COST-01"]["status"], by_id["MLP-COST-01"]["name"]) == ("implemented", "mlplat-cost-within-budget")
    planned = [rule for rule in rules if rule["status"] == "planned"]
    assert all(rule["name"] is None for rule in planned)
    out = tmp_path / "GOVERNANCE.md"
    assert main(["rules", "--out", str(out)]) == 0
    assert out.read_text() == GOVERNANCE_MD.read_text()


def test_rules_command_exits_2_on_a_broken_catalogue(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    import mlplat.policies.catalogue as catalogue

    monkeypatch.setattr(catalogue, "read_catalogue_file", lambda: read_catalogue_file("introduction: x\nsections: []\n"))
    assert main(["rules"]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert err.startswith("mlplat rules: invalid configuration (")
    assert "is a registered rule without a catalogue entry" in err and "Traceback" not in err


# --- the whole catalogue: every rule implemented, with cases, metadata and levels -----------------

# The 58 rules the governance catalogue started with, by domain, and those the ML lifecycle work
# added. The catalogue may grow; none of these may leave it or stay planned.
ORIGINAL_CATALOGUE = (
    "MLP-S3-01 MLP-S3-02 MLP-S3-03 MLP-S3-04 MLP-S3-05 MLP-S3-06 MLP-S3-07 MLP-S3-08 "
    "MLP-KMS-01 MLP-KMS-02 MLP-KMS-03 MLP-KMS-04 "
    "MLP-FS-01 MLP-FS-02 MLP-FS-03 MLP-FS-04 MLP-FS-05 "
    "MLP-MDL-01 MLP-MDL-02 MLP-MDL-03 MLP-REG-01 "
    "MLP-EP-01 MLP-EP-02 MLP-EP-03 MLP-EP-04 MLP-EP-05 MLP-EP-06 MLP-EP-07 "
    "MLP-PIPE-01 MLP-NB-01 MLP-CW-01 MLP-CW-02 MLP-ECR-01 MLP-ECR-02 "
    "MLP-EKS-01 MLP-EKS-02 MLP-EKS-03 MLP-EKS-04 MLP-EKS-05 "
    "MLP-K8S-01 MLP-K8S-02 MLP-K8S-03 MLP-K8S-04 MLP-K8S-05 MLP-K8S-06 MLP-K8S-07 MLP-K8S-08 MLP-K8S-09 "
    "MLP-IAM-01 MLP-IAM-02 MLP-IAM-03 MLP-IAM-04 MLP-IAM-05 "
    "MLP-GOV-01 MLP-GOV-02 MLP-GOV-03 MLP-GOV-04 MLP-COST-01"
).split()
LIFECYCLE_RULES = ("MLP-PIPE-02", "MLP-EVT-01")
README = ROOT / "README.md"


def test_the_catalogue_holds_the_original_rules_and_the_lifecycle_ones():
    assert len(set(ORIGINAL_CATALOGUE)) == 58
    listed = {item.id for item in CATALOGUE.rules}
    assert sorted(set(ORIGINAL_CATALOGUE) - listed) == []
    assert sorted(set(LIFECYCLE_RULES) - listed) == []


def test_every_catalogue_rule_is_implemented_with_cases_metadata_and_levels():
    from mlplat.policies.presets import pack_config
    from policy_cases import all_cases

    cases: dict[str, set[str]] = {}
    for case in all_cases():
        cases.setdefault(case.rule_id, set()).add(case.expect)
    configs = {env: pack_config(env, []) for env in ("dev", "staging", "prod")}
    for item in CATALOGUE.rules:
        rule = item.rule
        assert rule is not None, f"{item.id} is in the catalogue but not implemented (planned: {item.entry.checks!r})"
        assert cases.get(item.id) == {"pass", "fail"}, f"{item.id} needs a passing and a failing case"
        assert len(rule.description) > 20 and rule.remediation, f"{item.id} needs a description and remediation"
        for env, config in configs.items():
            assert config[rule.name]["enforcementLevel"] == rule.levels[env], f"{item.id}: {env} level"
            assert config[rule.name]["environment"] == env


def _rule_ids_in(text: str) -> set[str]:
    """Rule ids a text names, ranges expanded: MLP-S3-01..06, MLP-PIPE-01/02."""
    ids: set[str] = set()
    for domain, first, rest in re.findall(r"MLP-([A-Z0-9]+)-(\d{2})((?:(?:\.\.|/)\d{2})*)", text):
        numbers = [int(first)]
        for separator, number in re.findall(r"(\.\.|/)(\d{2})", rest):
            numbers.extend(range(numbers[-1] + 1, int(number) + 1) if separator == ".." else [int(number)])
        ids.update(f"MLP-{domain}-{n:02d}" for n in numbers)
    return ids


def test_the_readme_names_every_catalogue_rule_in_its_governance_table():
    assert _rule_ids_in("MLP-S3-01..03, MLP-CW-01/02, MLP-EVT-01") == {
        "MLP-S3-01", "MLP-S3-02", "MLP-S3-03", "MLP-CW-01", "MLP-CW-02", "MLP-EVT-01"}
    section = README.read_text().split("## Governance: the policy pack\n", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| "))
    assert sorted({item.id for item in CATALOGUE.rules} - _rule_ids_in(table)) == []
