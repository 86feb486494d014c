"""Pipeline contracts: CreatePipeline, the definition's structure and each job step's request,
with pipeline expressions standing for values; EventBridge Scheduler's CreateSchedule.

The definitions here are mutations of the one TrainingPipeline plans: one thing wrong each, and
the check names where.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any, Callable

import pulumi_aws as aws
import pytest

from mlplat.components.training_pipeline import PipelineInfrastructure, TrainingPipelineSpec, pipeline_definition
from mlplat.tooling.contracts import Refusal, Request, check_plan, mapped_types, validate
from mlplat.tooling.contracts.pipelines import definition_requests
from mlplat.tooling.offline import run_callable

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-4333-a444-555555555555"
REPO = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/mlplat-test-churn"


@functools.cache
def good() -> dict[str, Any]:
    infra = PipelineInfrastructure(
        family="churn", group_name="mlplat-test-churn", role_arn=ROLE, datasets_bucket="mlplat-test-datasets-1",
        models_bucket="mlplat-test-models-1", data_key_arn=KEY, models_key_arn=KEY, subnet_ids=["subnet-0123456789abcdef0"],
        security_group_ids=["sg-0123456789abcdef0"], training_repository_url=f"{REPO}-training",
        serving_repository_url=f"{REPO}-serving",
    )
    spec = TrainingPipelineSpec(metric="auc", threshold=0.7, spot=True, hyperparameters={"epochs": "10"})
    return json.loads(pipeline_definition(spec, infra).to_json())


def problems(definition: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(operation, path, message) of every refusal and request error."""
    found = []
    for item in definition_requests(json.dumps(definition)):
        if isinstance(item, Refusal):
            found.append((item.operation, item.path, item.message))
        else:
            found += [(item.label, path, message) for path, message in validate(item)]
    return found


def mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(good())
    change(doc)
    return doc


def step(doc: dict[str, Any], name: str) -> dict[str, Any]:
    for top in doc["Steps"]:
        if top["Name"] == name:
            return top
        for branch in ("IfSteps", "ElseSteps"):
            for inner in top["Arguments"].get(branch, []) if top["Type"] == "Condition" else []:
                if inner["Name"] == name:
                    return inner
    raise KeyError(name)


def test_pipeline_and_schedule_types_are_mapped():
    assert {"aws:sagemaker/pipeline:Pipeline", "aws:scheduler/schedule:Schedule",
            "aws:cloudwatch/logGroup:LogGroup"} <= mapped_types()


def test_the_definition_maps_to_one_request_per_job_step_and_all_pass():
    requests = [r for r in definition_requests(json.dumps(good())) if isinstance(r, Request)]
    assert [(r.operation, r.context) for r in requests] == [
        ("CreateProcessingJob", "pipeline step PrepareData"), ("CreateTrainingJob", "pipeline step Train"),
        ("CreateProcessingJob", "pipeline step Evaluate"), ("CreateModelPackage", "pipeline step RegisterModel"),
    ]
    assert problems(good()) == []
    # A parameter stands for its default value: the request checks what SageMaker would run by default.
    train = requests[1].params
    assert train["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert train["ResourceConfig"]["InstanceCount"] == 1


@pytest.mark.parametrize("change, expected", [
    # A parameter default the API refuses (its enum), checked where the parameter is used.
    (lambda d: d["Parameters"][3].update(DefaultValue="ml.m5.huge"),
     ("sagemaker:CreateTrainingJob (pipeline step Train)", "ResourceConfig.InstanceType")),
    # A member CreateTrainingJob does not have.
    (lambda d: step(d, "Train")["Arguments"].update(EnableSpot=True),
     ("sagemaker:CreateTrainingJob (pipeline step Train)", "EnableSpot")),
    # A required member missing (the job name is the pipeline's, OutputDataConfig is not).
    (lambda d: step(d, "Train")["Arguments"].pop("OutputDataConfig"),
     ("sagemaker:CreateTrainingJob (pipeline step Train)", "OutputDataConfig")),
    # A value of the wrong type where no expression stands.
    (lambda d: step(d, "PrepareData")["Arguments"]["ProcessingResources"]["ClusterConfig"].update(VolumeSizeInGB="30"),
     ("sagemaker:CreateProcessingJob (pipeline step PrepareData)", "ProcessingResources.ClusterConfig.VolumeSizeInGB")),
    # The register step's request: an approval status the API does not know.
    (lambda d: step(d, "RegisterModel")["Arguments"].update(ModelApprovalStatus="Pending"),
     ("sagemaker:CreateModelPackage (pipeline step RegisterModel)", "ModelApprovalStatus")),
    # References: a parameter not declared, a step that does not exist, a property file nobody writes.
    (lambda d: step(d, "Train")["Arguments"]["ResourceConfig"].update(InstanceType={"Get": "Parameters.GpuType"}),
     ("sagemaker:CreatePipeline", "PipelineDefinition.Steps[1](Train).Arguments.ResourceConfig.InstanceType.Get")),
    (lambda d: step(d, "Train")["Arguments"]["InputDataConfig"][0]["DataSource"]["S3DataSource"].update(
        S3Uri={"Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}),
     ("sagemaker:CreatePipeline",
      "PipelineDefinition.Steps[1](Train).Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri.Get")),
    (lambda d: step(d, "CheckMetric")["Arguments"]["Conditions"][0]["LeftValue"]["Std:JsonGet"].update(
        PropertyFile={"Get": "Steps.Evaluate.PropertyFiles.Report"}),
     ("sagemaker:CreatePipeline",
      "PipelineDefinition.Steps[3](CheckMetric).Arguments.Conditions[0].LeftValue.Std:JsonGet.PropertyFile")),
    # Structure: version, step type, duplicate names, condition type, fail message, property file output.
    (lambda d: d.update(Version="2021-01-01"), ("sagemaker:CreatePipeline", "PipelineDefinition.Version")),
    (lambda d: step(d, "Train").update(Type="Train"), ("sagemaker:CreatePipeline", "PipelineDefinition.Steps[1](Train).Type")),
    (lambda d: step(d, "MetricBelowThreshold").update(Name="RegisterModel"),
     ("sagemaker:CreatePipeline", "PipelineDefinition.Steps[3].Arguments.ElseSteps[0].Name")),
    (lambda d: step(d, "CheckMetric")["Arguments"]["Conditions"][0].update(Type="AtLeast"),
     ("sagemaker:CreatePipeline", "PipelineDefinition.Steps[3](CheckMetric).Arguments.Conditions[0].Type")),
    (lambda d: step(d, "MetricBelowThreshold")["Arguments"].pop("ErrorMessage"),
     ("sagemaker:CreatePipeline",
      "PipelineDefinition.Steps[3](CheckMetric).Arguments.ElseSteps[0](MetricBelowThreshold).Arguments.ErrorMessage")),
    (lambda d: step(d, "Evaluate")["PropertyFiles"][0].update(OutputName="report"),
     ("sagemaker:CreatePipeline", "PipelineDefinition.Steps[2](Evaluate).PropertyFiles[0].OutputName")),
    (lambda d: d["Parameters"][2].update(DefaultValue="1"), ("sagemaker:CreatePipeline", "PipelineDefinition.Parameters[2].DefaultValue")),
    (lambda d: step(d, "Train").update(DependsOn=["Deploy"]),
     ("sagemaker:CreatePipeline", "PipelineDefinition.Steps[1](Train).DependsOn[0]")),
])
def test_each_mistake_is_named_where_it_is(change: Callable[[dict[str, Any]], None], expected: tuple[str, str]):
    found = problems(mutated(change))
    assert [(operation, path) for operation, path, _ in found] == [expected], found


def test_a_definition_that_is_not_json_is_refused():
    [refusal] = list(definition_requests("{not json"))
    assert isinstance(refusal, Refusal) and refusal.path == "PipelineDefinition" and "not JSON" in refusal.message


def test_a_bad_definition_is_a_contract_error_in_the_plan():
    bad = mutated(lambda d: step(d, "Train")["Arguments"]["ResourceConfig"].update(InstanceType="ml.m5.huge"))

    def program() -> None:
        aws.sagemaker.Pipeline("pipe", pipeline_name="churn-training", pipeline_display_name="churn-training",
                               pipeline_definition=json.dumps(bad), role_arn=ROLE)

    errors = check_plan(run_callable(program))
    assert [(e.operation, e.path) for e in errors] == [
        ("sagemaker:CreateTrainingJob (pipeline step Train)", "ResourceConfig.InstanceType")]
    assert "ml.m5.huge" in errors[0].message and errors[0].urn.endswith("::pipe")


def test_create_pipeline_itself_is_checked():
    def program() -> None:
        aws.sagemaker.Pipeline("pipe", pipeline_name="churn_training", pipeline_display_name="churn-training",
                               pipeline_definition=json.dumps(good()), role_arn=ROLE, tags={"team": "growth"})

    errors = check_plan(run_callable(program))
    assert [(e.operation, e.path) for e in errors] == [("sagemaker:CreatePipeline", "PipelineName")]


def test_schedule_maps_to_create_schedule():
    def program(expression: str) -> Callable[[], None]:
        def run() -> None:
            aws.scheduler.Schedule(
                "nightly", name="churn-training", schedule_expression=expression,
                flexible_time_window={"mode": "OFF"},
                target={"arn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/churn-training", "role_arn": ROLE,
                        "sagemaker_pipeline_parameters": {"pipeline_parameters": [{"name": "ImageTag", "value": "1.2"}]}},
            )
        return run

    assert check_plan(run_callable(program("rate(1 day)"))) == []
    errors = check_plan(run_callable(program("x" * 300)))
    assert [(e.operation, e.path) for e in errors] == [("scheduler:CreateSchedule", "ScheduleExpression")]
