"""The reference stacks plan offline through the real entry point, and their resource trees are pinned.

A snapshot change means a URN changed: live infrastructure would be replaced. If that is intended,
add an alias, note it in CHANGELOG.md, and refresh with `MLPLAT_UPDATE_SNAPSHOTS=1 make test`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlplat.core.vocabulary import REQUIRED_TAG_KEYS
from mlplat.core.sdk_types import takes_tag_map
from mlplat.tooling.offline import run_stack

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "snapshots"
STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="module", params=STACKS)
def stack_plan(request):
    return request.param, run_stack(ROOT, request.param)


def test_resource_tree_matches_the_snapshot(stack_plan):
    stack, plan = stack_plan
    tree = [list(entry) for entry in plan.tree()]
    path = SNAPSHOTS / f"{stack}.json"
    if os.environ.get("MLPLAT_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(tree, indent=1) + "\n")
    expected = json.loads(path.read_text())
    added = [e for e in tree if e not in expected]
    removed = [e for e in expected if e not in tree]
    assert not added and not removed, f"{stack}: resources added {added} / removed {removed} (see module docstring)"
    assert len(expected) > 50  # a snapshot with nothing in it pins nothing


def test_every_taggable_resource_carries_the_required_tags(stack_plan):
    stack, plan = stack_plan
    for resource in plan.custom_resources:
        if takes_tag_map(resource.type):
            missing = [k for k in REQUIRED_TAG_KEYS if k not in resource.tags]
            assert not missing, f"{resource.urn} lacks tags {missing}"
            assert resource.tags["env"] == stack, resource.urn


def test_stateful_resources_are_protected_outside_dev(stack_plan):
    stack, plan = stack_plan
    stateful = plan.of_type("aws:kms/key:Key") + plan.of_type("aws:s3/bucket:Bucket")
    assert stateful
    for resource in stateful:
        assert resource.protect is (stack != "dev"), resource.urn
    for bucket in plan.of_type("aws:s3/bucket:Bucket"):
        assert bucket.inputs.get("forceDestroy", False) is (stack == "dev"), bucket.urn


def test_environment_defaults_reach_the_resources(stack_plan):
    stack, plan = stack_plan
    subnets = plan.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == {"dev": 2, "staging": 2, "prod": 3}[stack]
    flow_logs = plan.named("platform-network-flow-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert flow_logs.inputs["retentionInDays"] == {"dev": 30, "staging": 90, "prod": 365}[stack]
    windows = {k.inputs["deletionWindowInDays"] for k in plan.of_type("aws:kms/key:Key")}
    assert windows == {7 if stack == "dev" else 30}
    locks = plan.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert [r.name for r in locks] == (["platform-artifacts-models-object-lock"] if stack == "prod" else [])


def test_stack_outputs_are_exported(stack_plan):
    stack, plan = stack_plan
    assert plan.outputs["environment"] == stack
    assert plan.outputs["vpc_id"].startswith("vpc-")
    assert set(plan.outputs["bucket_names"]) == {"datasets", "models", "captures", "access-logs", "experiments"}
    assert all(name.startswith(f"mlplat-{stack}-") for name in plan.outputs["bucket_names"].values())


@pytest.mark.parametrize("stack", STACKS)
def test_stacks_also_plan_as_a_preview(stack):
    plan = run_stack(ROOT, stack, preview=True)
    assert plan.preview and len(plan.custom_resources) > 50
