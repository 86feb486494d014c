"""`evaluate`'s shortcuts (mlplat.tooling.pulumi_compat) change how fast, never what: every rule
case, the reference stacks (plan and preview) and the non-compliant example get the same report as
from the unmodified servicer holding every policy, driven call by call as the engine drives it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlplat.policies.pack_folder import PackFolder
from mlplat.tooling.offline import run_stack
from mlplat.tooling.policy_runner import PolicyReport, evaluate

from policy_cases import RuleCase, all_cases

REPO = Path(__file__).resolve().parents[2]
REFERENCE_PACK = PackFolder(REPO / "policies")
CASES = all_cases()


def _everything(report: PolicyReport) -> dict[str, Any]:
    return {**report.to_json(), "notApplicable": sorted(report.not_applicable)}


def _assert_same(**kwargs: Any) -> PolicyReport:
    fast = evaluate(shortcuts=True, **kwargs)
    exact = evaluate(shortcuts=False, **kwargs)
    assert _everything(fast) == _everything(exact)
    return fast


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case_reports_the_same_with_and_without_shortcuts(case: RuleCase):
    _assert_same(plan=case.plan(), **case.evaluate_kwargs())


@pytest.mark.parametrize("preview", [False, True], ids=["plan", "preview"])
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_reference_stack_reports_the_same_with_and_without_shortcuts(stack: str, preview: bool):
    plan = run_stack(REPO, stack, preview=preview)
    for environment in ("dev", "prod"):  # with the reference pack folder's waivers and settings
        _assert_same(plan=plan, pack_config=REFERENCE_PACK.pack_config(environment), config=plan.config)


def test_noncompliant_example_reports_the_same_with_and_without_shortcuts():
    plan = run_stack(REPO / "examples" / "noncompliant", "prod")
    report = _assert_same(plan=plan, environment="prod", config=plan.config)
    assert report.failed and len(report.violations) > 10  # the comparison covers many findings
