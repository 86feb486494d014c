"""Every rule, through the offline runner exactly as the engine would run it."""

from __future__ import annotations

import pytest

from mlplat.offline import run_callable
from mlplat.policy_runner import evaluate
from policies.presets import pack_config
from policies.rules import registered_rules

from policy_cases import RuleCase, all_cases

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: RuleCase):
    plan = run_callable(case.program, preview=case.preview, stack=case.environment)
    config = pack_config(case.environment, case.waivers or [])
    if case.rule_config:
        name = next(r.name for r in registered_rules() if r.id == case.rule_id)
        config[name] = {**config[name], **case.rule_config}
    report = evaluate(plan, pack_config=config, stack_tags=case.stack_tags, config=case.config or {})
    found = [v for v in report.violations if v.rule_id == case.rule_id]
    could_not_run = [v for v in report.cannot_run if v.rule_id == case.rule_id]
    assert not could_not_run, f"{case.rule_id} could not run: {could_not_run}"
    if case.expect == "pass":
        assert not found, f"{case.rule_id} should pass ({case.description}) but reported: {[v.message for v in found]}"
    else:
        assert found, f"{case.rule_id} should fail ({case.description}) but reported nothing"
        if case.message:
            assert any(case.message in v.message for v in found), [v.message for v in found]
