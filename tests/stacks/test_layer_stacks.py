"""The reference prod environment as layer stacks: the same resources as the single stack `prod`.

`prod` (one stack) and `prod-foundation`, `prod-ml-services`, `prod-training`, `prod-serving-growth`
(layers reading each other through stack references) declare the same resources: types, names and
inputs. Each layer's URNs are the single stack's with the stack's name changed, which is what
`pulumi state move` preserves (README, "Splitting a live stack into layers").
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from mlplat.core.errors import ConfigError
from mlplat.core.prices import load_price_table
from mlplat.platform.layers import CONTRACTS, layer_kind
from mlplat.tooling.cost_report import plan_cost
from mlplat.tooling.multistack import environment_layers, outputs_of, plan_layer
from mlplat.tooling.offline import run_stack
from mlplat.tooling.stackfile import load_project

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("prod-foundation", "prod-ml-services", "prod-training", "prod-serving-growth")
REFERENCE = "pulumi:pulumi:StackReference"


@pytest.fixture(scope="module")
def plans():
    planned: dict = {}
    for stack in LAYERS:
        planned[stack] = plan_layer(ROOT, stack, plans=planned)
    return {"prod": run_stack(ROOT, "prod"), **planned}


def declared(plan) -> dict[tuple[str, str], str]:
    return {(r.type, r.name): json.dumps(r.inputs, sort_keys=True, default=str)
            for r in plan.custom_resources if r.type != REFERENCE}


def test_the_layers_declare_the_single_stacks_resources_types_names_and_inputs(plans):
    single = declared(plans["prod"])
    union: dict[tuple[str, str], str] = {}
    for stack in LAYERS:
        for key, inputs in declared(plans[stack]).items():
            assert key not in union, f"{key} is declared by two layers"
            union[key] = inputs
    assert sorted(set(single) - set(union)) == [], "declared by the single stack only"
    assert sorted(set(union) - set(single)) == [], "declared by the layers only"
    differ = sorted(key for key in single if single[key] != union[key])
    assert differ == [], f"inputs differ: {differ[:5]}"
    assert len(single) > 150


def test_a_layers_urns_are_the_single_stacks_in_another_stack(plans):
    """Except Karpenter's subnet discovery tags: the foundation (which owns the subnets) declares them, with
    the names they have under the training cluster in the single stack (the README's runbook moves them)."""
    single = {r.urn for r in plans["prod"].resources}
    by_name = {(r.type, r.name): r.urn for r in plans["prod"].resources}
    reparented = []
    for stack in LAYERS:
        for resource in plans[stack].resources:
            if resource.type == REFERENCE:
                continue
            urn = resource.urn.replace(f"urn:pulumi:{stack}::", "urn:pulumi:prod::", 1)
            if urn not in single:
                reparented.append((stack, resource.type, resource.name, by_name.get((resource.type, resource.name))))
    tagged = [r for r in plans["prod"].resources if r.name.startswith("platform-training-discovery-subnet-")]
    assert len(tagged) >= 2
    assert sorted(reparented) == sorted(
        ("prod-foundation", "aws:ec2/tag:Tag", r.name,
         f"urn:pulumi:prod::ml-platform::mlplat:platform:MLPlatform$mlplat:training:TrainingCluster$aws:ec2/tag:Tag::{r.name}")
        for r in tagged
    )


def test_each_layer_declares_its_part_and_references_the_layers_below(plans):
    types = {stack: {r.type for r in plans[stack].custom_resources} for stack in LAYERS}
    assert "aws:kms/key:Key" in types["prod-foundation"] and "aws:eks/cluster:Cluster" not in types["prod-foundation"]
    assert "aws:sagemaker/modelPackageGroup:ModelPackageGroup" in types["prod-ml-services"]
    assert types["prod-training"] >= {"aws:eks/cluster:Cluster"} and "aws:kms/key:Key" not in types["prod-training"]
    assert "aws:sagemaker/endpoint:Endpoint" in types["prod-serving-growth"]
    assert not any(t.startswith(("aws:s3/bucket:", "aws:ec2/vpc:")) for s in LAYERS[1:] for t in types[s])
    references = {stack: sorted(r.name for r in plans[stack].of_type(REFERENCE)) for stack in LAYERS}
    assert references == {"prod-foundation": [], "prod-ml-services": ["prod-foundation"],
                          "prod-training": ["prod-foundation"],
                          "prod-serving-growth": ["prod-foundation", "prod-ml-services"]}


def test_each_layer_exports_its_contract(plans):
    for stack in LAYERS:
        outputs = plans[stack].outputs
        contract = CONTRACTS[layer_kind(stack.removeprefix("prod-"))]
        assert outputs["contract"] == contract.marker(), stack
        contract.model_validate({k: v for k, v in outputs.items() if k not in ("contract", "upstream_contracts")})
    assert plans["prod-serving-growth"].outputs["upstream_contracts"] == {
        "foundation": {"stack": "prod-foundation", "layer": "foundation", "version": 1},
        "ml-services": {"stack": "prod-ml-services", "layer": "ml-services", "version": 1},
    }
    assert "kubeconfig" in plans["prod-training"].output_secret_paths
    assert outputs_of(plans["prod-training"]).secret_names == {"kubeconfig"}


def test_a_layer_the_foundation_does_not_provide_for_fails_inside_the_outputs(plans):
    foundation = outputs_of(plans["prod-foundation"])
    without = dict(foundation)
    without["key_arns"] = {k: v for k, v in foundation["key_arns"].items() if k != "cluster-training"}
    with pytest.raises(ConfigError) as caught:
        plan_layer(ROOT, "prod-training", given={"prod-foundation": type(foundation)(without, foundation.secret_names)})
    assert ("prod-foundation.key_arns: has no 'cluster-training' (it has: alerts, data, logs, models); this stack's "
            "config expects it (contract foundation v1)") in str(caught.value)


def test_the_environment_lists_its_layers():
    found = {layer.stack: layer.referenced_stacks for layer in environment_layers(load_project(ROOT), "prod")}
    assert found == {"prod-foundation": (), "prod-ml-services": ("prod-foundation",),
                     "prod-training": ("prod-foundation",),
                     "prod-serving-growth": ("prod-foundation", "prod-ml-services")}
    assert environment_layers(load_project(ROOT), "dev") == []


def test_mlplat_plan_env_prod_plans_every_layer_with_no_error(tmp_path, plans):
    run = subprocess.run([sys.executable, "-m", "mlplat.tooling.cli", "plan", "--env", "prod", "--cwd", str(ROOT),
                          "--out-dir", str(tmp_path)], capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    for level, stack in ((0, "prod-foundation"), (1, "prod-ml-services"), (1, "prod-training"), (2, "prod-serving-growth")):
        line = next(line for line in lines if f"] {stack} (" in line)
        assert line.startswith(f"  [{level}] {stack}") and "ok," in line and "0 contract errors, 0 mandatory" in line, line
    whole = next(line for line in lines if line.startswith("Whole environment:"))
    assert "0 contract errors, 0 mandatory violations" in whole and whole.endswith("passes")
    # MLP-COST-01 across the layers: the layers' costs add up to the single stack's (the same resources), against
    # the budget the foundation declares; the growth team's serving stack has a budget of its own.
    single = plan_cost(plans["prod"], load_price_table(), date.today())
    assert single is not None
    layer_costs = [float(re.search(r", \$([\d,.]+)/month fixed", line).group(1).replace(",", ""))
                   for line in lines if re.match(r"  \[\d\] prod-", line)]
    assert len(layer_costs) == 4 and round(sum(layer_costs), 2) == round(single.estimate.fixed_monthly_usd, 2)
    cost = next(line for line in lines if line.startswith("Cost: "))
    assert cost.startswith(f"Cost: ${single.estimate.fixed_monthly_usd:,.2f}/month fixed over 4 layers")
    assert cost.endswith("against the environment's budget $2,500.00")
    assert "(budget $800.00)" in next(line for line in lines if "] prod-serving-growth (" in line)
    assert "  MLP-COST-01: within the environment's, the teams' and the layers' budgets" in lines
    kept = json.loads((tmp_path / "prod-serving-growth.outputs.json").read_text())
    assert kept["endpoint_names"] == {"churn": "mlplat-prod-churn"}
    assert json.loads((tmp_path / "prod-training.outputs.json").read_text())["kubeconfig"] == "[secret]"
