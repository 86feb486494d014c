"""Moving a stack from GPU node groups to Karpenter NodePools (README, "Migrating GPU pools to Karpenter").

`baselines/prod-gpu-node-groups.json` is the training cluster's part of the prod reference plan as the
previous release planned it (`mlplat plan --stack prod --format json`, GPU pools as managed node groups).
Planning the current code against it with `--baseline` must keep the cluster, its system node group and
the team namespaces exactly as they are (same URNs, same inputs): the migration adds Karpenter beside
them and removes only the GPU node groups and their launch templates.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlplat.tooling.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).parent / "baselines" / "prod-gpu-node-groups.json"
_C = "urn:pulumi:prod::ml-platform::mlplat:platform:MLPlatform$mlplat:training:TrainingCluster"


@pytest.fixture(scope="module")
def diff(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("migration") / "plan.json"
    assert main(["plan", "--stack", "prod", "--cwd", str(ROOT), "--baseline", str(BASELINE), "--format", "json",
                 "--out", str(out)]) == 0
    return json.loads(out.read_text())["baselineDiff"]


def _ops(diff: dict) -> dict[str, str]:
    return {c["urn"]: c["op"] for c in diff["changes"]}


def test_the_cluster_its_system_node_group_and_the_team_namespaces_are_unchanged(diff: dict) -> None:
    baseline = {step["urn"] for step in json.loads(BASELINE.read_text())["steps"]}
    # Each team namespace and what is in it: quota, limits, network policies, service account, local queue.
    namespaced = sorted(urn for urn in baseline if urn.rsplit("::", 1)[-1].startswith("platform-training-ns-"))
    kept = [
        f"{_C}$aws:eks/cluster:Cluster::platform-training-cluster",
        f"{_C}$aws:eks/nodeGroup:NodeGroup::platform-training-system",
        f"{_C}$aws:ec2/launchTemplate:LaunchTemplate::platform-training-system-lt",
        *namespaced,
    ]
    assert sum(":Namespace::" in urn for urn in namespaced) == 2 and len(namespaced) == 18  # 9 objects each
    assert set(kept) <= baseline  # the baseline holds them: "unchanged" below means same URN, same inputs
    changed = _ops(diff)
    for urn in kept:
        assert urn not in changed, f"{urn}: {changed.get(urn)}"  # only changes are listed; absent means unchanged


def test_only_the_gpu_node_groups_are_deleted_and_karpenter_is_created(diff: dict) -> None:
    ops = _ops(diff)
    assert sorted(urn.rsplit("::", 1)[-1] for urn, op in ops.items() if op == "delete") == [
        "platform-training-gpu-a100", "platform-training-gpu-a100-lt"]
    created = {urn.rsplit("::", 1)[-1] for urn, op in ops.items() if op == "create"}
    assert {"platform-training-nodepool-a100", "platform-training-nodeclass-a100", "platform-training-karpenter",
            "platform-training-karpenter-crd", "platform-training-interruption-queue"} <= created
    # Within the cluster's part of the plan, the one update is the system nodes' cache permissions (the
    # Karpenter controller image comes through a new ECR Public cache).
    updated = [(urn.rsplit("::", 1)[-1], c["keys"]) for c in diff["changes"] if c["op"] == "update" for urn in [c["urn"]]]
    assert updated == [("platform-training-node-role-image-cache", ["policy"])]
