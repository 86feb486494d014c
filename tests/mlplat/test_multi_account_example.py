"""examples/multi-account: prod as layer stacks over two accounts of an account map, planned offline with
`mlplat plan --env prod`: no contract error, every resource in the account the map gives its stack, and the
serving layer's endpoint deploying the latest Approved package of the shared-services account's group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlplat.tooling.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "multi-account"
SHARED, PROD = "555566667777", "444455556666"
EXPECTED_ACCOUNT = {"prod-foundation": PROD, "prod-ml-services": SHARED, "prod-serving-growth": PROD}


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("multi-account")
    assert main(["plan", "--env", "prod", "--cwd", str(EXAMPLE), "--out-dir", str(out), "--out",
                 str(out / "report.txt")]) == 0, (out / "report.txt").read_text()
    return {stack: json.loads((out / f"{stack}.json").read_text()) for stack in EXPECTED_ACCOUNT}


def test_the_example_keeps_its_account_map_in_its_own_project_file():
    project = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    accounts = project["config"]["ml-platform:accounts"]["value"]
    assert accounts["shared_services_stacks"] == ["prod-ml-services"] and accounts["shared_services"] == SHARED
    # The reference project has no map: the example is where one is shown.
    assert "config" not in yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def test_every_layer_plans_without_contract_errors_or_mandatory_violations(planned):
    for stack, document in planned.items():
        assert not [d for d in document["diagnostics"] if "grant the shared-services account nothing" in d["message"]]
        assert document["contractErrors"] == [], stack
        assert [v for v in document["policyViolations"] if v["enforcementLevel"] == "mandatory"] == [], stack


def test_every_resource_is_in_the_account_the_map_gives_its_stack(planned):
    for stack, document in planned.items():
        aws_urns = {s["urn"] for s in document["steps"] if s["newState"]["type"].startswith("aws:")
                    and s["newState"].get("custom", True)}
        assert aws_urns and set(document["accounts"]) == aws_urns, stack
        assert set(document["accounts"].values()) == {EXPECTED_ACCOUNT[stack]}, stack


def test_the_endpoint_deploys_the_shared_accounts_latest_approved_package(planned):
    steps = {s["urn"].rsplit("::", 1)[-1]: s["newState"] for s in planned["prod-serving-growth"]["steps"]}
    model = steps["churn-model"]
    # Version 3 is newer but pending review: version 2 is the newest Approved package of the snapshot.
    assert model["inputs"]["primaryContainer"]["modelPackageName"] == (
        f"arn:aws:sagemaker:us-east-1:{SHARED}:model-package/mlplat-prod-churn/2")
    registry = {s["urn"].rsplit("::", 1)[-1]: s["newState"] for s in planned["prod-ml-services"]["steps"]}
    group_policy = json.loads(registry["platform-registry-churn-group-policy"]["inputs"]["resourcePolicy"])
    assert {json.dumps(s["Principal"]) for s in group_policy["Statement"]} == {
        json.dumps({"AWS": [f"arn:aws:iam::{PROD}:root"]})}
