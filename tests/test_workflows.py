"""The PR workflow covers every stack, passes the per-environment pack config, and pins its actions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "preview.yml").read_text())
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))


def test_both_jobs_cover_every_stack():
    for job in ("offline-plan", "preview"):
        assert sorted(WORKFLOW["jobs"][job]["strategy"]["matrix"]["stack"]) == STACKS


def test_the_real_preview_runs_the_pack_with_each_environments_config():
    steps = WORKFLOW["jobs"]["preview"]["steps"]
    pulumi = next(s for s in steps if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    assert pulumi["with"]["edit-pr-comment"] is True and pulumi["with"]["comment-on-pr"] is True
    for stack in STACKS:
        assert (ROOT / "policies" / "config" / f"{stack}.json").is_file()


def test_forks_get_the_offline_plan_only():
    assert "head.repo.full_name == github.repository" in WORKFLOW["jobs"]["preview"]["if"]
    offline = WORKFLOW["jobs"]["offline-plan"]
    assert not any("secrets." in str(step) for step in offline["steps"])


def test_actions_are_pinned_to_commits():
    text = (ROOT / ".github" / "workflows" / "preview.yml").read_text()
    for ref in re.findall(r"uses:\s*(\S+)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
