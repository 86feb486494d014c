"""Every rule, through the offline runner exactly as the engine would run it."""

from __future__ import annotations

import pytest

from mlplat.tooling.policy_runner import evaluate

from policy_cases import RuleCase, all_cases

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: RuleCase):
    report = evaluate(case.plan(), **case.evaluate_kwargs())
    found = [v for v in report.violations if v.rule_id == case.rule_id]
    could_not_run = [v for v in report.cannot_run if v.rule_id == case.rule_id]
    assert not could_not_run, f"{case.rule_id} could not run: {could_not_run}"
    if case.expect == "pass":
        assert not found, f"{case.rule_id} should pass ({case.description}) but reported: {[v.message for v in found]}"
    else:
        assert found, f"{case.rule_id} should fail ({case.description}) but reported nothing"
        if case.message:
            assert any(case.message in v.message for v in found), [v.message for v in found]
