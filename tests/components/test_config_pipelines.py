"""The stack config's `pipelines` section and the drift loops' retraining target.

Each case is the prod reference stack file with one change; the ConfigError names the key the
user wrote (and, for a conflict, both keys).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from mlplat.core.errors import ConfigError
from mlplat.platform.config import PlatformConfig, parse_platform_config

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "stacks/Pulumi.prod.yaml"


@functools.cache
def stack_value(environment: str = "prod") -> dict[str, Any]:
    document = yaml.safe_load((ROOT / f"stacks/Pulumi.{environment}.yaml").read_text())
    return document["config"]["ml-platform:platform"]


def changed(change: Callable[[dict[str, Any]], None], environment: str = "prod") -> dict[str, Any]:
    value = copy.deepcopy(stack_value(environment))
    change(value)
    return value


def parse(value: dict[str, Any]) -> PlatformConfig:
    return parse_platform_config(value, source=SOURCE, aws_region="us-east-1")


def error_lines(value: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(value)
    return [line.strip() for line in str(info.value).splitlines()[1:]]


def churn(value: dict[str, Any]) -> dict[str, Any]:
    return value["pipelines"]["churn"]


def test_the_reference_stacks_declare_a_pipeline_per_family_with_a_drift_loop():
    for environment in ("staging", "prod"):
        config = parse(stack_value(environment))
        loop = config.monitoring.drift["churn"]
        assert "churn" in config.pipelines and loop.retraining_pipeline_arn is None


def test_environment_overlays_set_spot_and_retention_per_pipeline():
    dev = parse_platform_config(stack_value("dev"), aws_region="us-east-1").pipelines["churn"]
    prod = parse(stack_value("prod")).pipelines["churn"]
    assert (dev.spot, dev.log_retention_days) == (True, 30)
    assert (prod.spot, prod.log_retention_days) == (False, 365)
    explicit = parse(changed(lambda v: churn(v).update(spot=True, max_wait_seconds=200_000))).pipelines["churn"]
    assert explicit.spot is True and explicit.max_wait == 200_000


@pytest.mark.parametrize("change, expected", [
    (lambda v: churn(v).update(training_instance_type="ml.m5.huge"),
     "platform.pipelines.churn.training_instance_type: 'ml.m5.huge' is not a SageMaker training instance type"),
    (lambda v: churn(v).update(processing_instance_type="m5.xlarge"),
     "platform.pipelines.churn.processing_instance_type: 'm5.xlarge' is not a SageMaker processing instance type"),
    (lambda v: churn(v).pop("metric"), "platform.pipelines.churn.metric: is required"),
    (lambda v: churn(v).pop("threshold"), "platform.pipelines.churn.threshold: is required"),
    (lambda v: churn(v).update(approval_status="Approved"),
     "platform.pipelines.churn.approval_status: 'Approved' is not allowed in prod"),
    (lambda v: churn(v).update(spot=True, max_runtime_seconds=7200, max_wait_seconds=3600),
     "platform.pipelines.churn.max_wait_seconds: 3600 must be at least max_runtime_seconds (7200)"),
    (lambda v: v["pipelines"].update(fraud=dict(metric="auc", threshold=0.9)),
     "platform.pipelines: 'fraud' names a family that platform.model_registry.families does not declare (churn)"),
    (lambda v: v["monitoring"]["drift"]["churn"].update(
        retraining_pipeline_arn="arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-external"),
     "platform.monitoring.drift.churn.retraining_pipeline_arn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/"
     "churn-external' cannot be set with platform.pipelines.churn"),
    (lambda v: v.pop("pipelines"),
     "platform.monitoring.drift.churn.retraining_pipeline_arn: is required without platform.pipelines.churn"),
    (lambda v: v["monitoring"]["drift"]["churn"].update(retraining_pipeline_parameters={"Epochs": "3"}),
     "platform.monitoring.drift.churn.retraining_pipeline_parameters: 'Epochs' names no parameter of "
     "platform.pipelines.churn's pipeline"),
    (lambda v: v["serving"]["endpoints"][0].pop("model_family"),
     "platform.serving.endpoints.0.model_family: is required: platform.monitoring.drift.churn retrains the "
     "endpoint's model family"),
])
def test_bad_pipeline_config_names_the_key(change: Callable[[dict[str, Any]], None], expected: str):
    lines = error_lines(changed(change))
    assert any(line.startswith(f"{SOURCE}: {expected}") for line in lines), lines


def test_an_external_pipeline_stays_possible_as_an_explicit_choice():
    arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-external"

    def external(value: dict[str, Any]) -> None:
        value.pop("pipelines")
        value["monitoring"]["drift"]["churn"]["retraining_pipeline_arn"] = arn

    assert parse(changed(external)).monitoring.drift["churn"].retraining_pipeline_arn == arn


def test_an_external_pipeline_needs_no_model_family():
    arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-external"

    def external_without_family(value: dict[str, Any]) -> None:
        endpoint = value["serving"]["endpoints"][0]
        endpoint.pop("model_family")
        endpoint["model_package"] = "arn:aws:sagemaker:us-east-1:123456789012:model-package/mlplat-prod-churn/3"
        endpoint["image_repository_arn"] = "arn:aws:ecr:us-east-1:123456789012:repository/mlplat-prod-churn-serving"
        value["monitoring"]["drift"]["churn"]["retraining_pipeline_arn"] = arn
        value.pop("pipelines")

    assert parse(changed(external_without_family)).monitoring.drift["churn"].retraining_pipeline_arn == arn
