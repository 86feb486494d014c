"""`mlplat drift`: a refreshed preview's changes told apart. A newer approved package of a `latest-approved`
endpoint is a pending deployment (the Model replaced, its configuration replaced, the endpoint moved), anything
else is drift; the exit code says drift only.

The previews are built the way the engine builds them, from two offline plans of the staging stack: the state
(the registry when version 4 was the newest Approved package) and the program now (version 6 approved since).
A resource whose inputs differ becomes an update step, a Model or endpoint configuration a replacement
(create-replacement, replace, delete-replaced: they are immutable) whose new auto-name is unknown, with the states
the plan writes as `pulumi preview --json` does.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlplat.tooling.cli import EXIT_CHECKS_FAILED, EXIT_CONFIG_ERROR, main
from mlplat.tooling.infra_drift import classify, latest_approved_endpoints
from mlplat.tooling.offline import run_stack
from mlplat.tooling.pulumi_compat import UNKNOWN
from mlplat.tooling.stackfile import load_project, load_stack_config

ROOT = Path(__file__).resolve().parents[2]
STACK = "staging"
GROUP = "mlplat-staging-churn"
MODEL = "aws:sagemaker/model:Model"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def _states(plan) -> dict[str, dict[str, Any]]:
    return {s["urn"]: s["newState"] for s in plan.to_preview_json()["steps"] if "newState" in s}


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(deployed, program now): version 6 approved after version 4 was deployed."""
    snapshot = json.loads((ROOT / "stacks" / f"registry.{STACK}.json").read_text())
    newest = next(p for p in snapshot[GROUP] if p["ModelPackageVersion"] == 6)
    newest["ModelApprovalStatus"] = "Approved"
    approved_since = tmp_path_factory.mktemp("registry") / "registry.json"
    approved_since.write_text(json.dumps(snapshot))
    deployed = _states(run_stack(ROOT, STACK))
    now = _states(run_stack(ROOT, STACK, registry=approved_since))
    return deployed, now


# SageMaker models and endpoint configurations are immutable: a change replaces them.
IMMUTABLE = {MODEL, "aws:sagemaker/endpointConfiguration:EndpointConfiguration"}


def _replace_value(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: _replace_value(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_value(v, old, new) for v in value]
    return new if value == old else value


def preview(deployed: dict[str, dict[str, Any]], now: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps the engine would show: a replaced resource draws a new auto-name, unknown in a preview, so the
    inputs that named it change too (and replace or update their resource in turn)."""
    now = copy.deepcopy(now)
    changed = True
    replaced: set[str] = set()
    while changed:
        changed = False
        for urn, new in now.items():
            old = deployed.get(urn)
            if urn in replaced or old is None or new["type"] not in IMMUTABLE or old.get("inputs") == new.get("inputs"):
                continue
            replaced.add(urn)
            changed = True
            name = (old.get("outputs") or {}).get("name")
            new["inputs"]["name"] = new["outputs"]["name"] = UNKNOWN
            for other in now.values():
                if name and other is not new and "inputs" in other:
                    other["inputs"] = _replace_value(other.get("inputs") or {}, name, UNKNOWN)
    steps: list[dict[str, Any]] = []
    for urn, new in now.items():
        old = deployed.get(urn)
        if old is None:
            steps.append({"op": "create", "urn": urn, "newState": new})
        elif urn in replaced:
            steps += [{"op": op, "urn": urn, "oldState": old, "newState": new}
                      for op in ("create-replacement", "replace", "delete-replaced")]
        elif old.get("inputs") == new.get("inputs"):
            steps.append({"op": "same", "urn": urn, "oldState": old, "newState": new})
        else:
            steps.append({"op": "update", "urn": urn, "oldState": old, "newState": new})
    steps += [{"op": "delete", "urn": urn, "oldState": old} for urn, old in deployed.items() if urn not in now]
    return steps


def endpoints() -> set[str]:
    return latest_approved_endpoints(load_stack_config(load_project(ROOT), STACK).values)


def test_the_stack_config_names_the_endpoints_serving_latest_approved():
    assert endpoints() == {"churn"}


def test_a_newer_approved_package_is_a_pending_deployment_not_drift(states):
    report = classify(STACK, preview(*states), endpoints())
    assert report.drift == []
    [pending] = report.pending
    assert (pending.endpoint, pending.group, pending.deployed_version, pending.approved_version) == ("churn", GROUP, 4, 6)
    assert pending.package.endswith(f"model-package/{GROUP}/6")
    assert {c.name: c.ops for c in pending.changes} == {
        "churn-model": ("create-replacement", "replace", "delete-replaced"),
        "churn-config": ("create-replacement", "replace", "delete-replaced"),
        "churn-endpoint": ("update",),
    }


def test_the_same_change_of_an_endpoint_pinned_to_an_arn_is_drift(states):
    report = classify(STACK, preview(*states), latest_approved=set())
    assert report.pending == []
    assert {c.name for c in report.drift} == {"churn-model", "churn-config", "churn-endpoint"}


def test_a_console_change_beside_a_pending_deployment_is_drift(states):
    deployed, now = copy.deepcopy(states[0]), states[1]
    urn, sse = next((u, s) for u, s in deployed.items() if s["type"] == BUCKET_SSE)
    rule = sse["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]
    rule["sseAlgorithm"], rule["kmsMasterKeyId"] = "AES256", None
    report = classify(STACK, preview(deployed, now), endpoints())
    assert [p.endpoint for p in report.pending] == ["churn"]
    [drift] = report.drift
    assert drift.urn == urn and drift.ops == ("update",)
    assert drift.paths == ("rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId",
                           "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm")


def test_a_deleted_resource_and_an_older_package_are_drift(states):
    deployed, now = states
    # The state has version 6, the program version 4: a rollback in the console, not an approval.
    report = classify(STACK, preview(now, deployed), endpoints())
    assert report.pending == []
    assert {c.name for c in report.drift} == {"churn-model", "churn-config", "churn-endpoint"}
    gone = {u: s for u, s in deployed.items() if s["type"] != BUCKET_SSE}
    report = classify(STACK, preview(gone, deployed), endpoints())
    assert [(c.type, c.ops) for c in report.drift] == [(BUCKET_SSE, ("create",))] * len(report.drift)
    assert report.drift


def test_a_model_change_beyond_its_package_is_drift(states):
    deployed, now = states[0], copy.deepcopy(states[1])
    model = next(s for s in now.values() if s["type"] == MODEL)
    model["inputs"]["enableNetworkIsolation"] = False
    report = classify(STACK, preview(deployed, now), endpoints())
    assert report.pending == []
    assert "churn-model" in {c.name for c in report.drift}


def write_preview(tmp_path: Path, steps: list[dict[str, Any]]) -> Path:
    path = tmp_path / "live.json"
    path.write_text(json.dumps({"steps": steps, "changeSummary": {}}))
    return path


def test_cli_exits_0_on_a_pending_deployment_and_1_on_drift(states, tmp_path, capsys):
    path = write_preview(tmp_path, preview(*states))
    assert main(["drift", "--stack", STACK, "--preview", str(path), "--cwd", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "stack staging: 0 drifted resources, 1 pending deployment"
    assert "endpoint churn: group mlplat-staging-churn has approved version 6, version 4 is deployed" in out

    deployed = copy.deepcopy(states[0])
    next(s for s in deployed.values() if s["type"] == BUCKET_SSE)["inputs"]["bucket"] = "renamed-in-the-console"
    path = write_preview(tmp_path, preview(deployed, states[1]))
    assert main(["drift", "--stack", STACK, "--preview", str(path), "--cwd", str(ROOT), "--format", "json"]) == EXIT_CHECKS_FAILED
    document = json.loads(capsys.readouterr().out)
    assert document["drifted"] is True
    assert [d["paths"] for d in document["drift"]] == [["bucket"]]
    assert [p["approvedVersion"] for p in document["pendingDeployments"]] == [6]


@pytest.mark.parametrize("content, message", [
    (None, "is not a file"),
    ("{not json", "is not JSON"),
    (json.dumps({"deployment": {}}), "is not a `pulumi preview --json` document"),
])
def test_bad_preview_exits_2_with_one_message(tmp_path, content, message):
    path = tmp_path / "live.json"
    if content is not None:
        path.write_text(content)
    result = subprocess.run([sys.executable, "-m", "mlplat.tooling.cli", "drift", "--stack", STACK, "--preview", str(path),
                             "--cwd", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == EXIT_CONFIG_ERROR
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("mlplat drift: ") and result.stdout == ""
