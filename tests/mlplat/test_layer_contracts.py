"""Layer contracts: pinned fields, a round trip through a stack reference, missing and malformed outputs, secrets.

`contracts.lock.json` pins every contract's fields. A field renamed, removed, retyped or made required
without a version bump fails here; after a bump (readers then refuse the old version by name), refresh the
lock with `MLPLAT_UPDATE_CONTRACTS=1 .venv/bin/python -m pytest tests/mlplat/test_layer_contracts.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar, Optional

import pulumi
import pytest
from pydantic import Field

from mlplat.core.errors import ConfigError
from mlplat.platform.layers import (
    CONTRACTS,
    FoundationContract,
    LayerContract,
    MlServicesContract,
    TrainingContract,
    contract_changes,
    contract_schema,
    read_contract,
)
from mlplat.tooling.multistack import StackOutputs, load_stack_outputs
from mlplat.tooling.offline import run_callable

LOCK = Path(__file__).with_name("contracts.lock.json")

FOUNDATION = {
    "contract": {"layer": "foundation", "version": 1},
    "environment": "prod",
    "network_created": True,
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr_block": "10.0.0.0/16",
    "private_subnet_ids": ["subnet-a", "subnet-b"],
    "endpoint_security_group_id": "sg-0123",
    "route_table_ids": ["rtb-1"],
    "s3_prefix_list_id": "pl-63a5400a",
    "interface_endpoints": ["ecr.api", "sts"],
    "key_arns": {"data": "arn:aws:kms:us-east-1:123456789012:key/d1", "logs": "arn:aws:kms:us-east-1:123456789012:key/l1"},
    "bucket_names": {"datasets": "mlplat-prod-datasets-1"},
    "bucket_arns": {"datasets": "arn:aws:s3:::mlplat-prod-datasets-1"},
    "alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:alarms",
    "sagemaker_job_log_groups": ["/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs"],
}


def read_in_program(outputs: dict[str, Any], layer: str = "foundation", fields: tuple[str, ...] = ("vpc_id",)):
    """A program that reads `layer`'s contract from the stack `prod-<layer>` and exports `fields`."""

    def program() -> None:
        contract = read_contract(f"prod-{layer}", layer)
        pulumi.export("checked", contract.checked)
        for name in fields:
            pulumi.export(name, contract[name])

    return run_callable(program, stack="prod-serving-x", stack_references={f"prod-{layer}": outputs})


def test_the_contracts_match_their_lock():
    current = {layer: contract_schema(contract) for layer, contract in CONTRACTS.items()}
    if os.environ.get("MLPLAT_UPDATE_CONTRACTS") == "1":
        LOCK.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    locked = json.loads(LOCK.read_text())
    changes = [change for layer, contract in CONTRACTS.items() for change in contract_changes(locked[layer], contract)]
    assert not changes, "contract changed without a version bump: " + "; ".join(changes)
    stale = [layer for layer in CONTRACTS if locked[layer] != current[layer]]
    assert not stale, (f"contracts.lock.json is stale for {stale} (a new version, or an optional field added): "
                       "refresh it as the module docstring says")


class _Renamed(LayerContract):
    LAYER: ClassVar[str] = "foundation"
    VERSION: ClassVar[int] = 1
    vpc: str  # was vpc_id


class _Bumped(LayerContract):
    LAYER: ClassVar[str] = "foundation"
    VERSION: ClassVar[int] = 2
    vpc: str


class _Grown(FoundationContract):
    dns_zone_id: Optional[str] = Field(default=None)
    hosted_zone: str = ""


class _GrownRequired(FoundationContract):
    dns_zone_id: str


def test_a_field_renamed_or_removed_without_a_version_bump_is_caught():
    locked = contract_schema(FoundationContract)
    changes = contract_changes(locked, _Renamed)
    assert any("'vpc_id' was removed or renamed" in c for c in changes), changes
    assert any("'alarm_topic_arn' was removed or renamed" in c for c in changes), changes
    assert any("new field 'vpc' is required" in c for c in changes), changes
    assert contract_changes(locked, _Bumped) == []  # a new version may change anything


def test_a_version_may_gain_optional_fields_only():
    locked = contract_schema(FoundationContract)
    assert contract_changes(locked, _Grown) == []
    assert contract_changes(locked, _GrownRequired) == ["foundation v1: new field 'dns_zone_id' is required (a version "
                                                        "may only gain optional fields: producers deployed before it "
                                                        "do not export it)"]


def test_a_nested_field_is_pinned_too():
    locked = contract_schema(MlServicesContract)
    assert locked["fields"]["families.*.group_name"] == {"type": "str", "required": True}


def test_a_contract_round_trips_through_a_stack_reference():
    plan = read_in_program(FOUNDATION, fields=tuple(FoundationContract.model_fields))
    read = {name: plan.outputs[name] for name in FoundationContract.model_fields}
    assert read == {k: v for k, v in FOUNDATION.items() if k != "contract"}
    assert plan.outputs["checked"] == {"stack": "prod-foundation", "layer": "foundation", "version": 1}
    assert FoundationContract.model_validate(read).private_subnet_ids == ["subnet-a", "subnet-b"]


def test_a_missing_output_names_the_stack_the_output_and_the_contract_version():
    outputs = {k: v for k, v in FOUNDATION.items() if k != "vpc_id"}
    with pytest.raises(ConfigError) as caught:
        read_in_program(outputs)
    assert "stack reference 'prod-foundation': prod-foundation.vpc_id: is missing (contract foundation v1 requires it)" \
        in str(caught.value)


def test_a_malformed_output_is_refused_with_its_value():
    with pytest.raises(ConfigError) as caught:
        read_in_program({**FOUNDATION, "private_subnet_ids": "subnet-a"})
    assert "prod-foundation.private_subnet_ids: 'subnet-a'" in str(caught.value)
    assert "(contract foundation v1)" in str(caught.value)


def test_another_version_or_layer_or_no_contract_is_refused():
    with pytest.raises(ConfigError, match=r"prod-foundation.contract.version: 2 is not the version this program reads "
                                          r"\(contract foundation v1\)"):
        read_in_program({**FOUNDATION, "contract": {"layer": "foundation", "version": 2}})
    with pytest.raises(ConfigError, match=r"prod-foundation.contract.layer: 'training' is not the layer"):
        read_in_program({**FOUNDATION, "contract": {"layer": "training", "version": 1}})
    with pytest.raises(ConfigError, match=r"prod-foundation.contract: is missing: the stack exports no layer contract"):
        read_in_program({k: v for k, v in FOUNDATION.items() if k != "contract"})


def test_a_recorded_secret_output_stays_secret_across_the_reference(tmp_path):
    recorded = tmp_path / "prod-training.json"
    recorded.write_text(json.dumps({"contract": {"layer": "training", "version": 1}, "environment": "prod",
                                    "training_cluster_name": "mlplat-prod-training", "kubeconfig": "[secret]"}))
    outputs = load_stack_outputs(recorded)
    assert outputs.secret_names == {"kubeconfig"}
    plan = read_in_program(outputs, layer="training", fields=tuple(TrainingContract.model_fields))
    assert "kubeconfig" in plan.output_secret_paths
    assert "training_cluster_name" not in plan.output_secret_paths and "checked" not in plan.output_secret_paths
    assert plan.outputs["training_cluster_name"] == "mlplat-prod-training"
    reference = next(r for r in plan.resources if r.type == "pulumi:pulumi:StackReference")
    assert reference.outputs["secretOutputNames"] == ["kubeconfig"]
    assert "outputs.kubeconfig" in reference.output_secret_paths


def test_a_planned_secret_output_stays_secret():
    outputs = StackOutputs({"contract": {"layer": "training", "version": 1}, "environment": "prod",
                            "training_cluster_name": "c", "kubeconfig": "apiVersion: v1"}, ["kubeconfig"])
    plan = read_in_program(outputs, layer="training", fields=("kubeconfig",))
    assert plan.output_secret_paths == ["kubeconfig"]
    assert "apiVersion: v1" not in plan.redactor().text(json.dumps(plan.outputs))
